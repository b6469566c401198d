"""storage.sniff: types come from the bytes; the client's claim only picks within a container."""
from __future__ import annotations

import pytest

from storage.sniff import KNOWN_TYPES, message_kind, sniff
from tests.files.samples import ELF_BYTES, PDF_BYTES, WEBM_BYTES, jpeg_bytes, png_bytes

MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


@pytest.mark.parametrize(("head", "declared", "expected"), [
    (png_bytes(4, 4), None, "image/png"),
    (jpeg_bytes(4, 4), "image/png", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00", None, "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", None, "image/webp"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None, "audio/wav"),
    (PDF_BYTES, "text/plain", "application/pdf"),
    (b"PK\x03\x04\x14\x00\x00\x00", None, "application/zip"),
    (b"OggS\x00\x02" + b"\x00" * 20, "video/ogg", "audio/ogg"),
    (b"ID3\x03\x00\x00\x00\x00\x00", None, "audio/mpeg"),
    (b"\xff\xfb\x90\x64" + b"\x00" * 20, None, "audio/mpeg"),  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    (b"\xff\xf3\x48\xc4" + b"\x00" * 20, None, "audio/mpeg"),  # MPEG-2 layer III
    (b"\xff\xfd\x90\x64" + b"\x00" * 20, None, "audio/mpeg"),  # MPEG-1 layer II
    (b"\xff\xf1\x50\x80" + b"\x00" * 20, None, "audio/aac"),  # ADTS: AAC LC, 44.1 kHz (a .aac file)
    (b"\xff\xf9\x4c\x80" + b"\x00" * 20, None, "audio/aac"),  # ADTS, MPEG-2, 48 kHz
    (WEBM_BYTES, None, "video/webm"),
    (WEBM_BYTES, "audio/webm;codecs=opus", "audio/webm"),
    (WEBM_BYTES, "image/png", "video/webm"),
    (MP4_HEAD, None, "video/mp4"),
    (MP4_HEAD, "audio/mp4", "audio/mp4"),
    (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "video/mp4", "audio/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", None, "video/quicktime"),
    ("Grüße, world\r\n\tnext line".encode(), "image/png", "text/plain"),
])
def test_recognized_types(head, declared, expected):
    assert sniff(head[:512], declared) == expected
    assert expected in KNOWN_TYPES


@pytest.mark.parametrize("head", [
    b"",
    ELF_BYTES,
    b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
    b"text with a NUL\x00 byte",
    b"\xc3\x28 invalid UTF-8 in the middle",
    b"\x1b[31m terminal escape",
    "hello".encode("utf-16"),  # its byte order mark FF FE is an MPEG frame sync, of no MP3
    "hello".encode("utf-16-be"),
    b"\xff\xfb\xf0\x64" + b"\x00" * 20,  # a frame sync with a reserved bitrate
    b"\xff\xfb\x9c\x64" + b"\x00" * 20,  # a reserved sample rate
    b"\xff\xeb\x90\x64" + b"\x00" * 20,  # a reserved version
    b"\xff\xf1\x7c\x80" + b"\x00" * 20,  # ADTS with a reserved sample rate index (15)
])
def test_unrecognized_bytes(head):
    assert sniff(head, "image/png") is None


def test_text_cut_inside_a_multibyte_character_is_still_text():
    sample = ("a" * 510 + "é").encode()[:511]  # the sample ends with half of "é"
    assert sniff(sample) == "text/plain"


@pytest.mark.parametrize(("content_type", "kind"), [
    ("image/png", "image"), ("audio/webm", "voice"), ("video/mp4", "video"),
    ("application/pdf", "file"), ("text/plain", "file"),
])
def test_message_kind(content_type, kind):
    assert message_kind(content_type) == kind
