"""Build the CJK font that travels with the project (signing/fonts/): a subset of Noto Sans CJK SC, TrueType outlines.

    python scripts/build_cjk_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc --index 2

Why a built subset: reportlab embeds TrueType (glyf) fonts only, while Noto Sans CJK ships CFF outlines; the whole
font converted would be some 20 MB. The subset keeps every GB 2312 character (the 6,763 common hanzi, CJK
punctuation, full-width forms), printable ASCII and Latin-1, and every character of the organisation data and the
catalog. The result is a modified version under the SIL Open Font License 1.1 (signing/fonts/OFL.txt), renamed as the
licence asks of modified versions. Needs fontTools (requirements-dev). Run again when the data gains a character the
font lacks (tests/signing/test_fonts.py says which).
"""
import argparse
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "signing" / "fonts" / "VCLetterSans-Regular.ttf"
FAMILY = "VC Letter Sans"
DATA_FILES = [ROOT / "stations" / "data" / name for name in (
    "heze-county-divisions.csv", "heze-township-divisions.csv", "organisation.json", "holidays.json")] + [
    ROOT / "bookings" / "data" / "catalog.json"]
EXTRA_RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B), (0x2460, 0x2473), (0x3000, 0x303F),
                (0xFF01, 0xFF5E), (0xFFE0, 0xFFE5)]


def gb2312_characters() -> set[int]:
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return found


def wanted_characters() -> set[int]:
    wanted = gb2312_characters()
    for start, end in EXTRA_RANGES:
        wanted.update(range(start, end + 1))
    for path in DATA_FILES:
        wanted.update(ord(ch) for ch in path.read_text(encoding="utf-8") if ord(ch) >= 0x20)
    return wanted


def to_truetype(font: TTFont) -> None:
    """CFF cubic outlines to TrueType quadratic ones (fontTools' cu2qu), with the tables a glyf font needs."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        width, _lsb = hmtx.metrics[name]
        hmtx.metrics[name] = (width, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    names = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    names.names = [record for record in names.names if record.nameID in keep]
    for name_id, value in ((1, FAMILY), (2, "Regular"), (3, f"{FAMILY} Regular; subset of Noto Sans CJK SC 2.004"),
                           (4, f"{FAMILY} Regular"), (5, "Version 2.004; subset"),
                           (6, FAMILY.replace(" ", "") + "-Regular")):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)


def build(source: Path, index: int) -> Path:
    font = TTFont(str(source), fontNumber=index)
    options = subset.Options()
    options.layout_features = ["kern", "vert", "vrt2", "halt", "palt"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted_characters()))
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUTPUT))
    return OUTPUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Noto Sans CJK (an .otf, or a .ttc with --index)")
    parser.add_argument("--index", type=int, default=0, help="the Simplified Chinese member of a .ttc")
    path = build(**vars(parser.parse_args()))
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
