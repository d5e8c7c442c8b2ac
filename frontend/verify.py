"""The public /verify/ page for residents and for the clerk who receives a letter: plain words, the site's own look.

The checks themselves are the signing app's; this page only says in everyday words what each one means and
which one failed first.
"""
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontend.strings import js_strings
from signing import selectors as signing_selectors
from signing.serializers import MAX_UPLOAD_BYTES

# What each check means to someone holding the paper letter: (when it passed, when it failed).
PLAIN_CHECKS = {
    "intact": (gettext_lazy("文件内容在盖章后没有被改动过"), gettext_lazy("文件在盖章后被改动过")),
    "chain": (gettext_lazy("印章证书是菏泽市医疗保障局签发的"), gettext_lazy("印章证书不是菏泽市医疗保障局签发的")),
    "certificate": (gettext_lazy("盖章时这枚印章有效，没有被作废"), gettext_lazy("盖章时这枚印章已失效或已被作废")),
    "seal_signature": (gettext_lazy("电子印章本身的签名正确"), gettext_lazy("电子印章的签名不正确")),
    "signer": (gettext_lazy("盖章的工作人员有权使用这枚印章"), gettext_lazy("盖章的工作人员无权使用这枚印章")),
    "ledger": (gettext_lazy("这份决定已登记在医保局的存档记录里"), gettext_lazy("医保局的存档记录里找不到这份决定")),
}


def plain_checks(result: dict) -> list[dict]:
    checks = []
    for check in result.get("checks") or []:
        passed, failed = PLAIN_CHECKS.get(check.get("name"), (check.get("label", ""),) * 2)
        checks.append({**check, "plain": passed if check.get("ok") else failed})
    return checks


def failure_reason(result: dict) -> str:
    """The reason the signing app gives; else the first check that failed, in plain words."""
    if result.get("valid"):
        return ""
    reason = result.get("reason") or result.get("detail")
    if reason:
        return str(reason)
    for check in plain_checks(result):
        if not check.get("ok"):
            return str(check["plain"])
    return _("没有可以核验的电子印章。")


def _verify(request) -> tuple[dict | None, str | None, str]:
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    if request.method == "POST" and request.FILES.get("letter"):
        letter = request.FILES["letter"]
        if letter.size > MAX_UPLOAD_BYTES:
            return None, _("文件过大。"), code
        return signing_selectors.letter_verify(pdf=letter.read()), None, code
    if code:
        result = signing_selectors.verification_by_code(code=code)
        if result is None:
            return None, _("没有找到该核验码对应的决定书。请核对后重新输入。"), code
        return result, None, code
    return None, None, code


@require_http_methods(["GET", "POST"])
def verify_page(request):
    result, error, code = _verify(request)
    context = {"code": code, "result": result, "error": error, "js_strings": js_strings()}
    if result is not None:
        context.update(checks=plain_checks(result), reason=failure_reason(result))
    status = 404 if error and code and result is None else 200
    return render(request, "frontend/verify.html", context, status=status)
