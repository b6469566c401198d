"""Profile pictures: an uploaded image cropped square and resized (Pillow), and the initials
picture everyone has until they upload one (SVG, coloured by id).

`make_avatar_images` decodes: it is CPU-heavy and runs on offload.py's pool of native threads,
never on the event loop (actions.profiles). Like thumbnails (storage.thumbnails), an image that
would decode to more than `max_pixels` is refused unread; JPEGs count at the reduced size they
decode to.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from PIL import Image, ImageOps, UnidentifiedImageError

from storage.pixels import eight_bit

# Edge in pixels of each stored size: lists and messages, the profile card, a full view.
AVATAR_SIZES = {"small": 64, "medium": 192, "large": 512}
AVATAR_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MIN_EDGE = 16  # a smaller crop is a dot, not a picture
# Light text on these backgrounds keeps WCAG AA contrast; picked by id, so a person keeps theirs.
COLOURS = ("#c0392b", "#8e44ad", "#2c6fbb", "#16808a", "#1e8449", "#9a6a00", "#b9472a", "#6c5ce7",
           "#c2185b", "#00796b", "#5d6d7e", "#7b5e00")


@dataclass(frozen=True)
class Crop:
    """The square to keep, in pixels of the image as shown (after its EXIF rotation)."""

    x: int
    y: int
    size: int


class AvatarRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def make_avatar_images(data: bytes, crop: Crop | None, max_pixels: int) -> dict[str, bytes]:
    """JPEG bytes for every size of AVATAR_SIZES: `crop` of the image (default: the centred largest
    square), resized. AvatarRefused if it cannot be decoded, is too large or the crop does not fit."""
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            full_width, full_height = _shown_size(image)
            stored_width = image.size[0]
            image.draft("RGB", (max(AVATAR_SIZES.values()),) * 2)  # JPEG: decode at a reduced size
            if image.size[0] * image.size[1] > max_pixels:
                raise _too_large(max_pixels)
            scale = image.size[0] / stored_width  # both sides shrink alike
            image = ImageOps.exif_transpose(image)
            square = _square(crop, full_width, full_height)
            box = [round(edge * scale) for edge in (square.x, square.y, square.x + square.size,
                                                   square.y + square.size)]
            box[2], box[3] = min(box[2], image.size[0]), min(box[3], image.size[1])
            image = image.crop(tuple(box))
            picture = _flatten(image)
            return {name: _jpeg(picture.resize((edge, edge), Image.Resampling.LANCZOS))
                    for name, edge in AVATAR_SIZES.items()}
    except Image.DecompressionBombError:  # Pillow's own bound, far above max_pixels: too large all the same
        raise _too_large(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise AvatarRefused("invalid_image", "The picture could not be read as an image.") from None


def _too_large(max_pixels: int) -> AvatarRefused:
    return AvatarRefused("image_too_large", f"The image has more than {max_pixels} pixels.")


def _shown_size(image: Image.Image) -> tuple[int, int]:
    """The size as shown: width and height swap for EXIF orientations 5 to 8 (turned a quarter)."""
    width, height = image.size
    return (height, width) if _turned(image) else (width, height)


def _turned(image: Image.Image) -> bool:
    try:
        return image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001  (unreadable EXIF: shown as stored)
        return False


def _square(crop: Crop | None, width: int, height: int) -> Crop:
    if crop is None:
        edge = min(width, height)
        crop = Crop((width - edge) // 2, (height - edge) // 2, edge)
    if crop.size < MIN_EDGE:
        raise AvatarRefused("image_too_small", f"The picture must be at least {MIN_EDGE}x{MIN_EDGE} pixels.")
    if crop.x < 0 or crop.y < 0 or crop.x + crop.size > width or crop.y + crop.size > height:
        raise AvatarRefused("invalid_crop", f"The crop square does not fit in the {width}x{height} image.")
    return crop


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency on white (JPEG has none); the first frame of an animation."""
    image = eight_bit(image).convert("RGBA")
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


def _jpeg(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, "JPEG", quality=85, optimize=True)
    return output.getvalue()


def avatar_object_key(base_key: str, size: str) -> str:
    """Where one size of a picture is stored: `<base key>.<size>.jpg`."""
    return f"{base_key}.{size}.jpg"


def initials(name: str) -> str:
    """Up to two letters: the first of the first two words ("Ada Lovelace" → "AL"), or one
    character for a name without spaces (a Chinese name: its first character)."""
    words = [word for word in name.split() if word[:1].isalnum()] or [name.strip() or "?"]
    letters = "".join(word[0] for word in words[:2])
    if not letters.isascii():
        letters = letters[0]
    return letters.upper()


def colour_of(identifier: int) -> str:
    return COLOURS[identifier % len(COLOURS)]


def initials_svg(name: str, identifier: int) -> str:
    """A square SVG with the name's initials on the id's colour. The text is escaped: a name is
    user-written, and this document is served from the app's origin."""
    text = escape(initials(name))
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
            f'<rect width="100" height="100" fill="{colour_of(identifier)}"/>'
            '<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#ffffff" '
            'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif" '
            f'font-size="{42 if len(text) > 1 else 48}" font-weight="600">{text}</text></svg>')
