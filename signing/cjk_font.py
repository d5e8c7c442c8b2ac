"""The CJK font that letters and seal pictures are drawn with: the one shipped in signing/fonts/, or settings.CJK_FONT.

The shipped font is a subset of Noto Sans CJK SC with TrueType outlines (scripts/build_cjk_font.py; licence in
signing/fonts/OFL.txt), because reportlab embeds TrueType fonts only. CJK_FONT may name another TrueType font or
collection on the machine (CJK_FONT_INDEX picks the member of a collection).
"""
from pathlib import Path

from django.conf import settings

BUNDLED = Path(__file__).resolve().parent / "fonts" / "VCLetterSans-Regular.ttf"


def cjk_font() -> tuple[Path, int]:
    """(path, index in a collection) of the font in use."""
    configured = getattr(settings, "CJK_FONT", "")
    if configured:
        return Path(configured), int(getattr(settings, "CJK_FONT_INDEX", 0))
    return BUNDLED, 0
