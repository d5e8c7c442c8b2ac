"""The sealed decision as an OFD letter (signing/ofd.py): the same content as the PDF, the seal's stamp where the
PDF has it, signed with the seal's SES_Signature over Signature.xml."""
import datetime

from django.conf import settings

from signing import crypto, gbt38540, keys, ofd, sm2_certs, tsa

DECISION_TITLES = {"approve": "准予办理决定书", "reject": "不予办理决定书"}
DECISION_WORDS = {"approve": "准予办理", "reject": "不予办理"}
LEFT = 25.0
STAMP_BOX = (128.0, 195.0, ofd.SEAL_MM, ofd.SEAL_MM)  # over the unit name and date, as on paper


def letter_lines(*, record: dict, resident_name: str, verification_code: str, verification_url: str,
                 seal_serial: str) -> list[ofd.Line]:
    resident = record["resident"]
    lines = [ofd.Line(settings.SIGNING_BUREAU_NAME, 4.6, 80, 30),
             ofd.Line(DECISION_TITLES.get(record["decision"], "决定书"), 7.0, 70, 42, red=True),
             ofd.Line(f"核验码：{verification_code}    案件编号：{record['case_id']}", 3.5, 95, 52)]
    rows = [("申请人", f"{resident_name}（身份证号 {resident['id_masked']}）"),
            ("办理事项", f"{record['item']['name']}（{record['item']['code']}）"),
            ("审批单位", record["unit"]["name"]), ("审核人", record["reviewer"]["name"]),
            ("决定时间", record["decided_at"].replace("T", " ")[:19])]
    if record.get("delegation"):
        rows.append(("授权依据", f"{record['delegation']['serial']}（{record['delegation']['granted_by']}授权）"))
    y = 66.0
    for label, value in rows:
        for i, text in enumerate(ofd.wrap(f"{label}：{value}", size=3.9)):
            lines.append(ofd.Line(text, 3.9, LEFT + (8 if i else 0), y))
            y += 6.5
    word = DECISION_WORDS.get(record["decision"], record["decision"])
    body = (f"经审核，申请人申请办理的“{record['item']['name']}”事项，决定{word}。"
            + (f"理由：{record['reason']}" if record.get("reason") else ""))
    y += 4
    for text in ofd.wrap(body, size=4.2):
        lines.append(ofd.Line(text, 4.2, LEFT, y))
        y += 7
    lines.append(ofd.Line(record["unit"]["name"], 4.2, 130, 215))
    lines.append(ofd.Line(record["decided_at"][:10], 4.2, 145, 224))
    for i, text in enumerate([f"核验地址：{verification_url}", f"印章编号 {seal_serial}；本决定书的电子签章符合 "
                              "GB/T 38540，可用本局 SM2 根证书核验。",
                              f"审批记录摘要 SHA-256：{crypto.record_hash(record)}"]):
        lines.append(ofd.Line(text, 2.8, LEFT, 262 + i * 5))
    return lines


def letter_ofd(*, seal, record: dict, resident_name: str, verification_code: str, verification_url: str,
               at: datetime.datetime) -> bytes:
    """The signed OFD letter (b"" for a seal without an SESeal)."""
    if not (seal.sm2_cert_pem and seal.seseal_der):
        return b""
    private, public = keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:])

    def ses_sign(signature_xml: bytes, property_info: str) -> bytes:
        return gbt38540.signature_build(
            seseal=bytes(seal.seseal_der), signer_cert=sm2_certs.from_pem(seal.sm2_cert_pem).dump(),
            document=signature_xml, property_info=property_info, signed_at=at,
            sign=lambda message: crypto.sm2_sign(private, public, message), stamp=tsa.token_over)

    lines = letter_lines(record=record, resident_name=resident_name, verification_code=verification_code,
                         verification_url=verification_url, seal_serial=seal.serial)
    return ofd.package_build(lines=lines, title=DECISION_TITLES.get(record["decision"], "决定书"),
                             author=record["unit"]["name"], doc_id=verification_code, signed_at=at,
                             stamp_box=STAMP_BOX, ses_sign=ses_sign)
