"""Content types from a file's first bytes (magic numbers), never from what the client says.

The client's declared type only chooses between types that share a container
(audio/webm vs video/webm, audio/mp4 vs video/mp4): the bytes cannot tell them apart cheaply.
"""
from __future__ import annotations

SNIFF_BYTES = 512
TEXT_CONTROL_BYTES = set(range(32)) - {9, 10, 12, 13}

# Types the service knows how to recognize; the UPLOAD_ALLOWED_TYPES setting picks among them.
KNOWN_TYPES = (
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "audio/mpeg", "audio/aac", "audio/ogg", "audio/wav", "audio/webm", "audio/mp4",
    "video/mp4", "video/webm", "video/quicktime",
    "application/pdf", "application/zip", "text/plain",
)
# Safe to show in the page (no script can run in them); everything else downloads.
INLINE_TYPES = frozenset(t for t in KNOWN_TYPES if t.split("/")[0] in ("image", "audio", "video"))


def sniff(head: bytes, declared: str | None = None) -> str | None:
    """The type of a file starting with `head` (its first SNIFF_BYTES), or None if unrecognized."""
    declared = (declared or "").split(";")[0].strip().lower()
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM / Matroska
        return "audio/webm" if declared == "audio/webm" else "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B ") or declared == "audio/mp4":
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "audio/mpeg"
    if _adts_frame(head):
        return "audio/aac"
    if _looks_like_text(head):
        return "text/plain"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MP3 or MP2 frame header: the 11 bits of its sync, then a version, layer (III or II), bitrate
    and sample rate that are not reserved. The sync alone is any `FF E0`–`FF FF`, such as the byte order
    mark of UTF-16 text (`FF FE`, "layer I": no MP3 player's file)."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer in (0b01, 0b10) and bitrate != 0b1111 and sample_rate != 0b11


def _adts_frame(head: bytes) -> bool:
    """An AAC frame in ADTS (a `.aac` file): the 12 bits of its sync, layer 00, and a sample rate index
    that is not reserved (0–12)."""
    return len(head) >= 3 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0 and (head[2] >> 2) & 0x0F <= 12


def _looks_like_text(head: bytes) -> bool:
    if not head or TEXT_CONTROL_BYTES.intersection(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may cut a multi-byte character in two at its end.
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def message_kind(content_type: str) -> str:
    """The message kind an attachment of this type makes."""
    family = content_type.split("/")[0]
    return {"image": "image", "audio": "voice", "video": "video"}.get(family, "file")
