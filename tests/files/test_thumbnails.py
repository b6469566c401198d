"""storage/thumbnails.py: an image that would decode to more than the pixel limit gets no
thumbnail and is never decoded; JPEGs count at the reduced size they decode to."""
from __future__ import annotations

import io

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
