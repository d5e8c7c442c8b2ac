"""POST /tsa/: the project's own time-stamping authority over HTTP (RFC 3161 §3.4, application/timestamp-query in,
application/timestamp-reply out), so SIGNING_TSA_URL may name it and sealing takes pyHanko's HTTP client path."""
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signing import tsa

MAX_REQUEST_BYTES = 4096  # a TimeStampReq with a SHA-512 imprint, a nonce and a policy is far below this


@csrf_exempt  # a protocol endpoint: no cookies, no session, nothing to forge
@require_POST
def tsa_endpoint(request):
    if not settings.SIGNING_TSA_SERVE:
        raise Http404
    if request.content_type != "application/timestamp-query" or len(request.body) > MAX_REQUEST_BYTES:
        return HttpResponse(status=415 if request.content_type != "application/timestamp-query" else 413)
    return HttpResponse(tsa.local_respond(request.body), content_type="application/timestamp-reply")
