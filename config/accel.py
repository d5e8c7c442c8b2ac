"""Protected media behind nginx: a file download checked by Django leaves as an X-Accel-Redirect.

Django has already decided who may read the file (the view answered 200); nginx then sends the bytes
from an `internal` location that no client can request directly. Off (empty prefix) in the embedded
profile, where Django streams the file itself.
"""
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse

# Headers the view set that must survive the swap (the body headers are nginx's business).
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options")


def accel_path(file_path: str) -> str | None:
    """The internal URL of a file under MEDIA_ROOT, or None when the file lies elsewhere."""
    if not file_path:
        return None
    media_root = Path(settings.MEDIA_ROOT).resolve()
    try:
        relative = Path(file_path).resolve().relative_to(media_root)
    except (ValueError, OSError):
        return None
    return settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + quote(relative.as_posix())


def _local_path(filelike) -> str | None:
    """The file's path on disk: a storage FieldFile knows it as .path, a plain file as an absolute .name."""
    try:
        path = getattr(filelike, "path", None)
    except (NotImplementedError, ValueError):
        path = None  # remote storage (S3): nothing nginx could send
    if path is None:
        name = getattr(getattr(filelike, "file", filelike), "name", None)
        path = name if isinstance(name, str) and Path(name).is_absolute() else None
    return path


class XAccelRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.MEDIA_ACCEL_REDIRECT_PREFIX or not isinstance(response, FileResponse):
            return response
        target = accel_path(_local_path(getattr(response, "file_to_stream", None)) or "")
        if target is None:
            return response
        redirected = HttpResponse(status=response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                redirected[header] = response[header]
        redirected["X-Accel-Redirect"] = target
        # Close only the file: response.close() would also send request_finished, which closes the
        # request's database connection while the remaining middleware may still use it.
        response.file_to_stream.close()
        return redirected
