"""Small real files of each kind, made in memory."""
from __future__ import annotations

import io

from PIL import Image


def png_bytes(width: int = 640, height: int = 480, color=(200, 30, 30)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, "PNG")
    return output.getvalue()


def jpeg_bytes(width: int = 800, height: int = 600) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(output, "JPEG")
    return output.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# An ELF executable header: recognized by nothing in the allowlist.
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
WEBM_BYTES = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64


def tampered(token: str) -> str:
    """The token with the first character of its signature changed. (Not the last: in
    unpadded base64 the last character carries spare bits, so some changes decode to the
    same signature and the "tampered" token would still be valid.)"""
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
