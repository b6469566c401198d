"""Decoded images brought to what thumbnails and pictures are made of: 8 bits a channel."""
from __future__ import annotations

from PIL import Image

WIDE_GREY = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})  # 16-bit greyscale PNGs open so


def eight_bit(image: Image.Image) -> Image.Image:
    """The image with 8-bit channels: 16-bit greyscale scaled down (Pillow's own conversion to RGB
    clips it: everything above 255 turned white), any other mode as it is."""
    if image.mode in WIDE_GREY:
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image
