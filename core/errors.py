"""Every API error leaves as JSON {"code", "detail"} with the right status, in the request's language."""
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback


class ServiceError(Exception):
    """A business rule refused the request. Raised by services, turned into a 4xx response."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, detail, *, code: str | None = None, status_code: int | None = None, extra: dict | None = None):
        super().__init__(str(detail))
        self.detail = detail
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.extra = extra or {}


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
        return ""
    if isinstance(detail, (list, tuple)):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        body = {"code": exc.code, "detail": str(exc.detail), **exc.extra}
        response = Response(body, status=exc.status_code)
        if "retry_after" in exc.extra:  # a lock-out or an outage says when to come back
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, IntegrityError):
        # A constraint refused a write that raced past the Python checks.
        return Response({"code": "conflict", "detail": _("该操作与已有记录冲突，请刷新后重试。")}, status=409)
    if isinstance(exc, (OverflowError, DataError)):
        # A number too large for the database, or a value its types refuse, came from the request
        # (a query parameter or an id no serializer bounded): bad input, not a server fault.
        set_rollback()  # as DRF's own handler does, should the request run in a transaction
        return Response({"code": "bad_input", "detail": _("输入的数值超出范围或格式无效。")}, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("找不到该对象。 Not found."))
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "detail": _first_message(exc.detail), "fields": exc.detail}
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        body = {
            "code": "throttled",
            "detail": _("请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": wait},
            "retry_after": wait,
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {"code": codes if isinstance(codes, str) else "error", "detail": _first_message(exc.detail)}
    response.data = body
    return response


def json_error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status_code, json_dumps_params={"ensure_ascii": False})


def handler400(request, exception=None):
    """Django refuses some input before any view runs (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    fields, a multipart body it cannot split): the API still answers JSON, a body too large as 413."""
    if not request.path.startswith("/api/"):
        from django.views.defaults import bad_request

        return bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return json_error(413, "too_large", _("请求内容过大。"))
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return json_error(400, "too_many_fields", _("请求中的字段或文件过多。"))
    if isinstance(exception, MultiPartParserError):
        return json_error(400, "bad_multipart", _("上传内容的格式无效。"))
    return json_error(400, "bad_request", _("请求无效。"))


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(404, "not_found", _("找不到该地址。 Not found."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(500, "server_error", _("服务器内部错误，请稍后再试。"))
    from django.views.defaults import server_error

    return server_error(request)
