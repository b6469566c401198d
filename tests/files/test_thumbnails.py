"""storage/thumbnails.py: an image that would decode to more than the pixel limit gets no
thumbnail and is never decoded; JPEGs count at the reduced size they decode to; the thumbnail is a
PNG when the image has transparency, a JPEG otherwise; 16-bit greyscale keeps its shades; an image
broken past its header gets none (no error for the job to retry)."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from storage.thumbnails import make_thumbnail
from tests.files.samples import jpeg_bytes, png_bytes


@pytest.fixture
def decoded(monkeypatch):
    """The sizes of the images Pillow decodes (ImageFile.load is where the pixels are decoded)."""
    sizes = []
    load = ImageFile.ImageFile.load

    def recording_load(image):
        if image.tile:  # pixels still to decode (a loaded image's tile list is empty)
            sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    return sizes


def test_an_image_within_the_limit_gets_a_thumbnail(decoded):
    data, content_type = make_thumbnail(io.BytesIO(png_bytes(800, 600)), max_pixels=800 * 600)
    assert content_type == "image/jpeg" and Image.open(io.BytesIO(data)).size == (320, 240)
    assert decoded[0] == (800, 600)


def test_an_image_past_the_limit_gets_none_and_is_not_decoded(decoded):
    assert make_thumbnail(io.BytesIO(png_bytes(800, 600)), max_pixels=800 * 600 - 1) is None
    assert decoded == []


def test_a_lossless_webp_claiming_a_huge_canvas_is_not_decoded(decoded):
    tiny = io.BytesIO()
    Image.new("RGB", (3000, 2000), (0, 0, 0)).save(tiny, "WEBP", lossless=True)
    assert len(tiny.getvalue()) < 5000  # a few kilobytes for six million pixels
    assert make_thumbnail(io.BytesIO(tiny.getvalue()), max_pixels=1_000_000) is None
    assert decoded == []


def test_a_jpeg_counts_at_the_size_it_decodes_to(decoded):
    # 1600x1200 decodes at half size (800x600 = 480,000 pixels) for a 320-pixel thumbnail.
    assert make_thumbnail(io.BytesIO(jpeg_bytes(1600, 1200)), max_pixels=500_000) is not None
    assert decoded == [(800, 600)]
    assert make_thumbnail(io.BytesIO(jpeg_bytes(1600, 1200)), max_pixels=400_000) is None


def png_with(mode: str, color, **options) -> bytes:
    output = io.BytesIO()
    Image.new(mode, (64, 48), color).save(output, "PNG", **options)
    return output.getvalue()


@pytest.mark.parametrize("data, content_type", [
    (png_with("RGBA", (200, 10, 10, 128)), "image/png"),
    (png_with("RGB", (1, 2, 3), transparency=(1, 2, 3)), "image/png"),  # a transparent colour (tRNS)
    (png_with("P", 5), "image/jpeg"),  # a palette, nothing transparent
    (png_with("RGB", (200, 10, 10)), "image/jpeg"),
])
def test_the_thumbnail_is_a_png_when_the_image_has_transparency(data, content_type):
    assert make_thumbnail(io.BytesIO(data), max_pixels=10_000)[1] == content_type


def test_sixteen_bit_greyscale_keeps_its_shade():
    data, _content_type = make_thumbnail(io.BytesIO(png_with("I;16", 40000)), max_pixels=10_000)
    assert Image.open(io.BytesIO(data)).convert("L").getpixel((10, 10)) in range(150, 162)  # 40000 / 256, not 255


def test_a_png_broken_after_its_header_gets_no_thumbnail():
    """Pillow opens it, then raises SyntaxError while decoding (a garbage chunk between the pixels)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * 192 for _ in range(64)))
    half = len(pixels) // 2
    broken = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
              + chunk(b"IDAT", pixels[:half]) + struct.pack(">I", len(pixels) - half) + b"\x01\x02\x03\x04"
              + pixels[half:] + b"\0\0\0\0" + chunk(b"IEND", b""))
    assert make_thumbnail(io.BytesIO(broken), max_pixels=10_000) is None
