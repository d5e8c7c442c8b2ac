"""The letter's layout: CJK text wraps inside the text box, the seal sits over the unit name and date, the QR code
points at the configured public address. Checked on the glyph boxes pdfminer reads from the PDF, not by eye."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer

from signing import letter

ROOT = Path(__file__).resolve().parents[2]
LONG_REASON = ("申请人提交的住院费用票据与医院出具的费用清单金额不一致，且缺少出院小结原件；"
               "经电话核实，医院确认清单有误，已重新开具。根据《菏泽市基本医疗保险办法》第二十三条的规定，住院费用应以医院出具的正式票据为准，"
               "申请人应在三十日内补齐材料后重新申请。") * 3
MIXED_REASON = ("申请人于2026年3月15日在Heze Municipal Hospital（菏泽市立医院）住院，invoice No. INV-2026-0315-00042，"
                "金额12,345.67元；ICD-10编码K35.80，DRG组别GB29；参考https://ybj.heze.gov.cn/policy/2026/"
                "outpatient-chronic-disease-reimbursement-guidelines.html" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 3)
LONG_UNIT = "菏泽高新技术产业开发区佃户屯街道办事处便民服务中心医疗保障服务站（示范点）第二窗口"


def _record(*, reason: str, unit: str = "牡丹区县级工作站") -> dict:
    return {
        "decision": "reject", "case_id": 4321, "reason": reason,
        "unit": {"name": unit, "code": "371702000", "kind": "county_workstation"},
        "resident": {"id_masked": "3717**********1234", "name_masked": "张*丰", "id_hmac": "x"},
        "item": {"name": "门诊慢特病待遇认定", "code": "A01"}, "reviewer": {"name": "李审核"},
        "decided_at": "2026-12-02T08:00:00.000000Z",
        "materials": [{"name": f"住院费用票据第{i}页（含医院盖章的费用明细清单与出院小结复印件）", "sha256": "b" * 64}
                      for i in range(1, 6)],
    }


def _render(record, url="https://yibao.example.gov.cn/verify/?code=ABCD") -> letter.RenderedLetter:
    return letter.letter_render(record=record, resident_name="张三丰", verification_code="ABCD" * 4,
                                verification_url=url, bureau_name="菏泽市医疗保障局",
                                seal_serial="371702000-20261202-ABCDEF", record_sha256="c" * 64)


def _glyphs(pdf: bytes) -> list[list[LTChar]]:
    pages = []
    for page in extract_pages(io.BytesIO(pdf)):
        chars = []
        for element in page:
            if isinstance(element, LTTextContainer):
                chars += [ch for line in element for ch in line if isinstance(ch, LTChar)]
        pages.append(chars)
    return pages


def _inside(box, char, slack=0.5) -> bool:
    return (box[0] - slack <= char.x0 and char.x1 <= box[2] + slack
            and box[1] - slack <= char.y0 and char.y1 <= box[3] + slack)


def _overlaps(box, char) -> bool:
    return char.x0 < box[2] and char.x1 > box[0] and char.y0 < box[3] and char.y1 > box[1]


@pytest.mark.parametrize("record", [_record(reason=LONG_REASON), _record(reason=MIXED_REASON),
                                    _record(reason="材料齐全，符合规定。", unit=LONG_UNIT)],
                         ids=["300-hanzi-reason", "mixed-reason", "long-unit-name"])
def test_every_glyph_lies_inside_the_text_box_and_nothing_is_lost(record):
    assert len(LONG_REASON) >= 300
    rendered = _render(record)
    pages = _glyphs(rendered.pdf)
    text_box = (letter.LEFT, 40, letter.RIGHT, letter.HEIGHT - 60)
    for chars in pages:
        outside = [ch.get_text() for ch in chars if not _inside(text_box, ch)]
        assert not outside, outside
    text = "".join(ch.get_text() for chars in pages for ch in chars)
    for expected in (record["reason"], record["unit"]["name"]):
        assert expected.replace(" ", "") in text.replace(" ", ""), expected


@pytest.mark.parametrize("unit", ["牡丹区县级工作站", LONG_UNIT])
def test_the_seal_is_centred_over_the_unit_name_and_date_above_the_footer(unit):
    rendered = _render(_record(reason=LONG_REASON, unit=unit))
    box = rendered.seal_box
    chars = _glyphs(rendered.pdf)[rendered.seal_page]
    under_seal = [ch for ch in chars if _overlaps(box, ch)]
    text = "".join(ch.get_text() for ch in under_seal)
    assert "2026-12-02" in text and unit[-4:] in text
    assert set(text) <= set(unit + "2026-12-02"), text  # neither the body nor the footer runs under the seal
    centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for baseline in {round(ch.y0) for ch in under_seal}:  # each line of the name and the date, whole
        line = [ch for ch in chars if round(ch.y0) == baseline]
        assert abs((min(ch.x0 for ch in line) + max(ch.x1 for ch in line)) / 2 - centre_x) < 2
    date = [ch for ch in under_seal if ch.get_text().isdigit()]
    assert min(ch.y0 for ch in under_seal) < centre_y < max(ch.y1 for ch in under_seal)  # 骑年盖月
    assert box[1] - 12 <= min(ch.y0 for ch in date) and max(ch.y1 for ch in date) <= centre_y + 12
    assert box[1] >= letter.FOOTER_TOP
    footer = [ch for ch in chars if ch.y1 <= letter.FOOTER_TOP]
    assert footer and all(ch.y1 <= box[1] for ch in footer)


def test_the_qr_code_is_the_given_address():
    from pypdf import PdfReader

    url = "https://yibao.example.gov.cn/verify/?code=ABCDABCDABCDABCD"
    image = PdfReader(io.BytesIO(_render(_record(reason="同意"), url=url).pdf)).pages[0].images[0].image
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    quiet = 2
    assert image.size == (len(matrix) + 2 * quiet,) * 2
    dark = [[image.getpixel((c + quiet, r + quiet)) < 128 for c in range(len(matrix))] for r in range(len(matrix))]
    assert dark == matrix


@pytest.mark.django_db
def test_a_sealed_letter_points_at_the_public_base_url(settings, seal, workstation, keeper, make_record,
                                                        seal_decision):
    from pypdf import PdfReader

    settings.PUBLIC_BASE_URL = "https://yibao.example.gov.cn"
    sealed = seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)
    text = PdfReader(io.BytesIO(bytes(sealed.letter_pdf))).pages[0].extract_text().replace("\n", "")
    assert f"https://yibao.example.gov.cn/verify/?code={sealed.verification_code}" in text
    assert "127.0.0.1" not in text


def test_production_must_name_its_public_address():
    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "PUBLIC_BASE_URL")}
    env.update(REQUIRE_SECRET_KEY="true", SECRET_KEY="k" * 20 + "production-like-secret-key-0123456789")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "PUBLIC_BASE_URL must be set in production" in result.stderr
    env["PUBLIC_BASE_URL"] = "https://yibao.example.gov.cn"
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "PUBLIC_BASE_URL" not in result.stderr, result.stderr
