"""Service metrics beside django-prometheus's request metrics, read from the source of truth at scrape time:
open call-room sockets, Celery queue depth, open cases past their deadline (SLA breaches)."""
import functools

from django.conf import settings
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from core.logging import get_logger

log = get_logger(__name__)
QUEUES = ("default", "routing", "notifications", "sla")


class ServiceCollector:
    def collect(self):
        yield from self._sockets()
        yield from self._queues()
        yield from self._sla()

    def describe(self):
        return []  # collected lazily: nothing is queried when the collector is registered

    def _sockets(self):
        try:
            from calls.models import Participant

            count = Participant.objects.filter(channel_name__isnull=False).count()
        except Exception as exc:  # a scrape never fails because one source is down
            log.warning("metrics.unavailable", source="call_sockets", error=type(exc).__name__)
            return
        family = GaugeMetricFamily("vc_call_sockets_open", "Call-room WebSockets connected now (all processes)")
        family.add_metric([], count)
        yield family

    def _queues(self):
        if not settings.REDIS_URL:
            return
        try:
            import redis

            client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
            depths = {queue: client.llen(queue) for queue in QUEUES}
        except Exception as exc:
            log.warning("metrics.unavailable", source="celery_queues", error=type(exc).__name__)
            return
        family = GaugeMetricFamily("vc_celery_queue_depth", "Tasks waiting in each Celery queue", labels=["queue"])
        for queue, depth in depths.items():
            family.add_metric([queue], depth)
        yield family

    def _sla(self):
        try:
            from django.utils import timezone

            from reviews.models import OPEN_REVIEW_STATUSES, Case

            overdue = Case.objects.filter(status__in=OPEN_REVIEW_STATUSES, due_at__lt=timezone.now()).count()
        except Exception as exc:
            log.warning("metrics.unavailable", source="sla", error=type(exc).__name__)
            return
        family = GaugeMetricFamily("vc_cases_overdue", "Open cases past their review deadline (SLA breaches)")
        family.add_metric([], overdue)
        yield family


_collector = ServiceCollector()


@functools.cache
def register() -> None:
    """Once per process (URL configuration may be imported again, e.g. by tests)."""
    REGISTRY.register(_collector)
