"""Liveness and readiness probes."""
from django.conf import settings
from django.db import connections
from django.http import JsonResponse

from core.db import replica


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")  # raw: readiness asks the connection itself, no table (the ORM needs one)
            return cursor.fetchone()[0] == 1
    except Exception:
        return False


def _redis_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


def readyz(request):
    checks = {"database": "ok" if _database_ok() else "down"}
    if replica() != "default":
        checks["database_replica"] = "ok" if _database_ok(replica()) else "down"
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "down"
    failing = [name for name, state in checks.items() if state != "ok"]
    if failing:
        return JsonResponse(
            {"status": "unavailable", "code": "not_ready", "detail": f"not ready: {', '.join(failing)}",
             "checks": checks},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": checks})
