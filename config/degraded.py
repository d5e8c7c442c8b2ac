"""When Redis or PostgreSQL is briefly gone, a request that needs it answers 503 with a clear message
instead of a 500 and a stack trace; everything that does not need the missing part keeps working.

Redis carries the cache (throttles), the Celery broker and the channel layer: a view that touches one of
them while Redis restarts gets `redis_unavailable`. A database connection cut under a request (a restart,
a failover, pg_terminate_backend) gets `database_unavailable`; Django's CONN_HEALTH_CHECKS gives the next
request a fresh connection.
"""
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.logging import get_logger

log = get_logger(__name__)
RETRY_AFTER_SECONDS = 5


def _redis_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover
        pass
    try:
        import kombu.exceptions

        errors.append(kombu.exceptions.OperationalError)  # the broker refused a task
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


REDIS_ERRORS = _redis_errors()
DATABASE_ERRORS = (DatabaseOperationalError, InterfaceError)


def unavailable(code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"code": code, "detail": detail, "retry_after": RETRY_AFTER_SECONDS}, status=503,
                            json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DependencyUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if REDIS_ERRORS and isinstance(exception, REDIS_ERRORS):
            log.warning("dependency.unavailable", part="redis", path=request.path, error=type(exception).__name__)
            return unavailable("redis_unavailable", _("服务暂时繁忙（消息服务正在恢复），请稍后重试。"))
        if isinstance(exception, DATABASE_ERRORS):
            # The driver's first line says which (connection lost, too many clients, deadlock, lock timeout).
            log.warning("dependency.unavailable", part="database", path=request.path,
                        error=type(exception).__name__, reason=str(exception).strip().splitlines()[0][:200]
                        if str(exception).strip() else "")
            return unavailable("database_unavailable", _("服务暂时不可用（数据库正在恢复），请稍后重试。"))
        return None
