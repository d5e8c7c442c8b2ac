"""The CJK font travels with the project and has a glyph for every character the server draws (no tofu boxes)."""
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from signing import letter, picture
from signing.cjk_font import BUNDLED, cjk_font

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "stations" / "data" / name for name in (
    "heze-county-divisions.csv", "heze-township-divisions.csv", "organisation.json")] + [
    ROOT / "bookings" / "data" / "catalog.json",
    ROOT / "signing" / "letter.py",  # the letter's template strings
    ROOT / "signing" / "picture.py",  # the seal's footer
]


def _cmap(path: Path, index: int = 0) -> set[int]:
    font = TTFont(str(path), fontNumber=index, lazy=True)
    return set(font.getBestCmap())


def _missing(text: str, cmap: set[int]) -> set[str]:
    return {ch for ch in text if ord(ch) >= 0x20 and ch not in "\u200b\ufeff" and ord(ch) not in cmap}


def test_the_font_is_the_shipped_one_under_its_licence(settings):
    settings.CJK_FONT = ""
    assert cjk_font() == (BUNDLED, 0)
    assert BUNDLED.is_relative_to(ROOT / "signing")
    assert "SIL OPEN FONT LICENSE" in (BUNDLED.parent / "OFL.txt").read_text(encoding="utf-8").upper()
    assert "glyf" in TTFont(str(BUNDLED), lazy=True)  # TrueType outlines: reportlab embeds only those


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_every_character_of_the_data_and_templates_has_a_glyph(source):
    assert not _missing(source.read_text(encoding="utf-8"), _cmap(*cjk_font()))


@pytest.mark.django_db
def test_every_unit_name_and_seal_text_has_a_glyph(org):
    from bookings.models import ServiceItem
    from stations.models import Unit

    cmap = _cmap(*cjk_font())
    texts = list(Unit.objects.values_list("name", flat=True)) + [f"{name}电子印章" for name in
                                                                 Unit.objects.values_list("name", flat=True)]
    texts += [item.name for item in ServiceItem.objects.all()] + [picture.SEAL_FOOTER]
    texts += list(letter.DECISION_TITLES.values()) + list(letter.DECISION_WORDS.values())
    assert len(texts) > 400
    assert not _missing("".join(texts), cmap)


def test_common_hanzi_and_punctuation_are_covered():
    """Free text (a reviewer's reason) may use any common character: all of GB 2312 is in the font."""
    cmap = _cmap(*cjk_font())
    sample = "".join(bytes((high, low)).decode("gb2312", errors="ignore")
                     for high in range(0xB0, 0xF8) for low in range(0xA1, 0xFF))
    assert len(sample) > 6700 and not _missing(sample + "，。；：？！“”‘’（）《》、…—·０１２ＡＢＣ", cmap)


def test_the_letter_and_the_seal_use_a_configured_font(settings, tmp_path):
    copy = tmp_path / "other.ttf"
    copy.write_bytes(BUNDLED.read_bytes())
    settings.CJK_FONT = str(copy)
    assert cjk_font() == (copy, 0)
    assert letter.letter_font() != letter._font_named(str(BUNDLED), 0)
    assert picture.seal_picture_png(name="测试单位").startswith(b"\x89PNG")


def test_settings_refuse_a_missing_font():
    import os
    import subprocess
    import sys

    env = {**os.environ, "CJK_FONT": "/nonexistent/font.ttf"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "CJK_FONT names no file" in result.stderr
