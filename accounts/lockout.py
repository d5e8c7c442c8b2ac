"""What a locked-out staff login gets: JSON for the API, a plain page elsewhere (django-axes callable)."""
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    return _("登录失败次数过多，账户已暂时锁定，请 %(minutes)d 分钟后再试。") % {"minutes": lockout_seconds() // 60}


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": lockout_message(), "retry_after": lockout_seconds()},
                                status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(lockout_seconds())
    return response
