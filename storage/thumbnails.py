"""Image thumbnails (Pillow), stored beside the original as `<key>.thumb.jpg` or `.thumb.png`."""
from __future__ import annotations

import io
import logging
import shutil
import tempfile
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

THUMBNAIL_EDGE = 320
# Refuse to decode larger canvases: a small file can claim a huge one (decompression bomb).
MAX_PIXELS = 40_000_000
THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def make_thumbnail(source: BinaryIO) -> tuple[bytes, str] | None:
    """(bytes, content type) of a thumbnail for an image stream, or None if it cannot be decoded."""
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as copy:
        shutil.copyfileobj(source, copy, 64 * 1024)
        copy.seek(0)
        try:
            with Image.open(copy) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return None
                image.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at reduced size
                image = ImageOps.exif_transpose(image)
                image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
                output = io.BytesIO()
                if image.mode in ("RGBA", "LA", "P"):
                    image.convert("RGBA").save(output, "PNG", optimize=True)
                    return output.getvalue(), "image/png"
                image.convert("RGB").save(output, "JPEG", quality=82)
                return output.getvalue(), "image/jpeg"
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
            log.info("no thumbnail: %s", error)
            return None


def thumbnail_key(storage_key: str, content_type: str) -> str:
    return f"{storage_key}.thumb.{'png' if content_type == 'image/png' else 'jpg'}"


def thumbnail_type(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/jpeg"
