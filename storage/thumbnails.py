"""Image thumbnails (Pillow), stored beside the original as `<key>.thumb.jpg` or `.thumb.png`.

Only the job consumer decodes images (actions.files.make_attachment_thumbnail): the web worker
only sniffs a file's first bytes (storage.sniff). Decoding costs about the pixels decoded
(a 1,580-byte lossless WebP can claim 6300x6300: half a second), so an image that would decode
to more than `max_pixels` gets no thumbnail; JPEGs count at the reduced size they decode to.
"""
from __future__ import annotations

import io
import logging
import shutil
import tempfile
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from storage.pixels import eight_bit

log = logging.getLogger(__name__)

THUMBNAIL_EDGE = 320
THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def make_thumbnail(source: BinaryIO, max_pixels: int) -> tuple[bytes, str] | None:
    """(bytes, content type) of a thumbnail for an image stream, or None if it cannot be decoded
    or would decode to more than `max_pixels`."""
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as copy:
        shutil.copyfileobj(source, copy, 64 * 1024)
        copy.seek(0)
        try:
            with Image.open(copy) as image:  # reads the header only
                image.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at reduced size
                width, height = image.size  # what would be decoded
                if width * height > max_pixels:
                    log.info("no thumbnail: %dx%d pixels to decode, more than %d", width, height, max_pixels)
                    return None
                image = eight_bit(ImageOps.exif_transpose(image))
                image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
                output = io.BytesIO()
                if image.has_transparency_data:  # an alpha channel, or a transparent colour (tRNS)
                    image.convert("RGBA").save(output, "PNG", optimize=True)
                    return output.getvalue(), "image/png"
                image.convert("RGB").save(output, "JPEG", quality=82)
                return output.getvalue(), "image/jpeg"
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            # SyntaxError: what Pillow raises for a broken chunk found while decoding (a PNG's)
            log.info("no thumbnail: %s", error)
            return None


def thumbnail_key(storage_key: str, content_type: str) -> str:
    return f"{storage_key}.thumb.{'png' if content_type == 'image/png' else 'jpg'}"


def thumbnail_type(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/jpeg"
