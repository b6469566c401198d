"""QR codes drawn on the server (segno) as SVG `data:` URIs: pages show them in an <img>, which
the pages' Content-Security-Policy allows (img-src data:) where it forbids inline script and style."""
import segno


def qr_data_uri(text: str) -> str:
    """`text` (a link, an otpauth:// URI) as a QR code, black on white with its quiet zone."""
    return segno.make(text, error="m").svg_data_uri(scale=6, dark="#000", light="#fff")
