"""The letter's font subset: read in place, the same bytes as reportlab's own reading."""
import struct

from reportlab.pdfbase import pdfmetrics

from signing import letter


def _face():
    letter._register_font()
    return pdfmetrics.getFont(letter.FONT).face


def test_subset_from_the_glyph_table_in_place_equals_reportlabs_copy():
    face = _face()
    glyf = face.get_table_pos("glyf")[0]

    def composite(code):
        glyph = face.charToGlyph[code]
        start, end = face.glyphPos[glyph], face.glyphPos[glyph + 1]
        return end - start > 2 and struct.unpack(">h", face._ttf_data[glyf + start:glyf + start + 2])[0] < 0

    text = "菏泽市医疗保障局准予办理决定书申请人身份证号核验码：（）0123456789ABCDEFabcdef·…—“”"
    composites = [code for code in sorted(face.charToGlyph) if composite(code)][:200]
    assert composites, "the font has composite glyphs: their references are rewritten in the subset"
    subset = sorted({ord(ch) for ch in text} | set(composites))
    in_place = face.makeSubset(subset)
    face.get_table = type(face).get_table.__get__(face)  # reportlab's own: a copy of the whole table
    try:
        copied = face.makeSubset(subset)
    finally:
        letter._glyf_without_copy(face)
    assert in_place == copied and len(in_place) > 10_000
