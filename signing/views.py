"""The public verification page: a code or an uploaded letter in, the checks out; no personal data."""
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from signing import selectors
from signing.api import MAX_UPLOAD_BYTES


@require_http_methods(["GET", "POST"])
def verify_page(request):
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    result, error = None, None
    if request.method == "POST" and request.FILES.get("letter"):
        letter = request.FILES["letter"]
        if letter.size > MAX_UPLOAD_BYTES:
            error = _("文件过大。")
        else:
            result = selectors.letter_verify(pdf=letter.read())
    elif code:
        result = selectors.verification_by_code(code=code)
        if result is None:
            error = _("没有找到该核验码对应的决定书。请核对后重新输入。")
    status = 404 if error and code and result is None else 200
    return render(request, "signing/verify.html", {"code": code, "result": result, "error": error}, status=status)
