"""Draw a decoded receipt as a PNG, roughly as the thermal printer would (Pillow)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from simulators.escpos_decoder import PrintedLine, Receipt

__all__ = ["CJK_FONTS", "render_png"]

PAPER_DOTS = 576  # 80 mm paper at 203 dpi
BASE = 24  # a 24-dot character cell, the usual thermal font
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> Font:
    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    # Without a CJK font (apt install fonts-noto-cjk) Chinese shows as boxes.
    return ImageFont.load_default(size)


def _qr(data: str) -> Image.Image:
    image: Image.Image = qrcode.make(data, box_size=6, border=2).get_image()
    return image.convert("L")


def render_png(receipt: Receipt, path: str | Path) -> Path:
    """Write the receipt as a black-on-white PNG, in print order, and return its path."""
    lines: list[PrintedLine] = receipt.lines
    qrs = [(at, _qr(data)) for at, data in zip(receipt.qr_at, receipt.qr_codes, strict=False)]
    height = 32 + sum(int(BASE * line.height * 1.25) for line in lines)
    height += sum(img.height + 8 for _, img in qrs)
    image = Image.new("L", (PAPER_DOTS, height), 255)
    draw = ImageDraw.Draw(image)
    y = 16
    for index in range(len(lines) + 1):
        for _, img in (q for q in qrs if q[0] == index):
            image.paste(img, ((PAPER_DOTS - img.width) // 2, y))
            y += img.height + 8
        if index == len(lines):
            break
        line = lines[index]
        size = BASE * line.height
        font = _font(size)
        width = draw.textlength(line.text, font=font)
        x = {"center": (PAPER_DOTS - width) / 2, "right": PAPER_DOTS - width - 8}.get(line.align, 8)
        draw.text((x, y), line.text, fill=0, font=font)
        y += int(size * 1.25)
    out = Path(path)
    image.save(out, "PNG")
    return out
