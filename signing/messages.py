"""What the .ses / OFD verification and the offline verifier tell a person: one table, Chinese source strings.

No Django here. Online, signing/ses_verify.py translates these with Django's gettext (the request's language);
offline, signing/verify_offline.py reads the same catalogue (locale/en) with the standard library's gettext. The PDF
signature's reasons are signing/pades.py's MESSAGES, which this table refers to for the reasons both share.
"""


def gettext_noop(text: str) -> str:
    """Marks a message for makemessages; the caller translates it."""
    return text


# The GB/T 38540 / OFD checks: what each one means, and what it says when it passed or failed.
LABELS = {
    "ses_signature": gettext_noop("SM2 电子签章数据（GB/T 38540）签名有效"),
    "seseal": gettext_noop("电子印章由医保局制章者签发"),
    "sm2_chain": gettext_noop("签章者 SM2 证书可追溯到医保局 SM2 根证书"),
    "document": gettext_noop("文档与签章数据中的杂凑值一致"),
    "ofd_package": gettext_noop("OFD 文件结构完整，各部分的 SM3 校验值一致"),
}
FAILED = {
    "ses_signature": gettext_noop("SM2 签名验证失败。"),
    "seseal": gettext_noop("电子印章不是医保局制章者签发的，或签章者证书不在印章的证书列表中。"),
    "sm2_chain": gettext_noop("签章者证书不是医保局 SM2 根证书签发的。"),
    "document": gettext_noop("文档与签章数据不对应（文档被改动或不是所签文档）。"),
    "ofd_package": gettext_noop("OFD 文件结构不完整，或某部分的 SM3 校验值不一致（文件被改动）。"),
}
PASSED = {
    "ses_signature": gettext_noop("SM2/SM3 签名有效。"),
    "seseal": gettext_noop("电子印章由医保局制章者签名。"),
    "sm2_chain": gettext_noop("证书链有效。"),
    "document": gettext_noop("SM3 杂凑值一致。"),
    "ofd_package": gettext_noop("OFD 文件各部分齐全，校验值一致。"),
}
NOT_SES = gettext_noop("不是 GB/T 38540 第 4 版电子签章数据。")

# The certificate at the trusted time (signing/revocation.py's codes); the reasons a PDF shares come from pades.
CERTIFICATE = {
    "ok": gettext_noop("签章证书在 %(when)s 有效，未列入 %(crl_date)s 的证书吊销列表。"),
    "revoked_later": gettext_noop("签章证书在 %(when)s 有效；该印章已于 %(revoked)s 吊销，此前盖章的文件仍然有效。"),
    "not_valid_then": gettext_noop("签章证书或电子印章在 %(when)s 不在有效期内。"),
    "crl_unreadable": gettext_noop("无法读取证书吊销列表。"),
    "revoked_before": gettext_noop("签章证书已于 %(revoked)s 吊销，早于可信时间 %(when)s。"),
}
CLAIMED = gettext_noop("签章者自填的签署时间为 %(claimed)s。")

# Where the trusted time came from, and why a ledger proof could not give one.
TIME_SOURCES = {
    "timestamp": gettext_noop("时间戳服务机构（%(tsa)s）的时间戳"),
    "ledger": gettext_noop("医保局账本第 %(seq)s 条记录（经规模为 %(size)s 的签名检查点证明）"),
    "now": gettext_noop("当前时间 %(now)s（该文件没有可信的签署时间）"),
}
LEDGER_PROBLEMS = {
    "checkpoint_unsigned": gettext_noop("账本检查点不是该根证书签署的。"),
    "other_document": gettext_noop("账本记录对应的是另一份文件。"),
    "not_included": gettext_noop("账本记录不在已签名的检查点中。"),
    "unreadable": gettext_noop("无法读取账本证明。"),
}

# The offline verifier's checks of the records embedded in a PDF letter.
SEAL_RECORD_OK = gettext_noop("印章记录由医保局根证书签署：%(unit)s 的印章 %(serial)s。")
SEAL_RECORD_MISMATCH = gettext_noop("印章记录对应的是另一张签章证书。")
SEAL_RECORD_UNSIGNED = gettext_noop("印章记录不是该根证书签署的。")
SEAL_SIGNATURE_OK = gettext_noop("SM2/SM3 签章对审批记录验证通过。")
SEAL_SIGNATURE_FAILED = gettext_noop("SM2 签名验证失败。")
SEAL_SIGNATURE_UNREADABLE = gettext_noop("无法从决定书中取出审批记录和签章数据。")
CANNOT_VERIFY = gettext_noop("无法核验：%(error)s")
ALL_VALID = gettext_noop("决定书真实有效：签名、证书和电子签章全部核验通过。")
SES_VALID = gettext_noop("电子签章数据真实有效：签名、电子印章、证书和可信时间全部核验通过。")


def certificate_text(code: str, params: dict, _) -> str:
    """The certificate check's words for a code of signing/revocation.py or signing/timestamps.py, via `_`."""
    from signing import pades

    if code in CERTIFICATE:
        return _(CERTIFICATE[code]) % params
    return _(pades.MESSAGES[pades.Reason(code)])


def time_source_text(trusted, _, now: str = "") -> str:
    """Whose time a signature was judged at (a revocation.TrustedTime, or None: only now)."""
    if trusted is None:
        return _(TIME_SOURCES["now"]) % {"now": now}
    return _(TIME_SOURCES[trusted.source]) % trusted.params
