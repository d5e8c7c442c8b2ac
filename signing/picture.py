"""The seal picture: a red round seal, the unit's name around a five-pointed star, as a transparent PNG."""
import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from signing.cjk_font import cjk_font

SEAL_RED = (220, 20, 30, 255)
SEAL_FOOTER = "电子印章"


def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = cjk_font()
    return ImageFont.truetype(str(path), size, index=index)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def seal_picture_png(*, name: str, footer: str = SEAL_FOOTER, size: int = 480) -> bytes:
    return _seal_picture_png(name, footer, size, cjk_font())


@lru_cache(maxsize=64)
def _seal_picture_png(name: str, footer: str, size: int, font_in_use: tuple) -> bytes:
    """Draw at 2x and downsample for smooth edges; the text runs clockwise over the top arc. The regular-weight
    font is drawn with a stroke of its own colour, for the heavy strokes of a carved seal."""
    scale = 2
    s = size * scale
    image = Image.new("RGBA", (s, s), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    border = s * 0.035
    draw.ellipse((border / 2, border / 2, s - border / 2, s - border / 2), outline=SEAL_RED, width=int(border))
    cx = cy = s / 2
    _star(draw, cx, cy, s * 0.15)

    text = name[:18]
    font_size = int(s * (0.13 if len(text) <= 8 else 0.11 if len(text) <= 12 else 0.085))
    font = _font(font_size)
    stroke = max(1, font_size // 28)
    text_radius = s / 2 - border - font_size * 0.75
    span = min(math.radians(250), math.radians(22) * len(text) * (font_size / (s * 0.12)))
    start = -math.pi / 2 - span / 2
    step = span / max(len(text) - 1, 1)
    for i, char in enumerate(text):
        angle = start + i * step if len(text) > 1 else -math.pi / 2
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((font_size, font_size), char, font=font, fill=SEAL_RED, anchor="mm",
                                   stroke_width=stroke, stroke_fill=SEAL_RED)
        glyph = glyph.rotate(-math.degrees(angle + math.pi / 2), resample=Image.BICUBIC)
        x = cx + text_radius * math.cos(angle) - glyph.width / 2
        y = cy + text_radius * math.sin(angle) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))

    footer_font = _font(int(s * 0.075))
    draw.text((cx, cy + s * 0.27), footer, font=footer_font, fill=SEAL_RED, anchor="mm",
              stroke_width=max(1, int(s * 0.075) // 28), stroke_fill=SEAL_RED)
    image = image.resize((size, size), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
