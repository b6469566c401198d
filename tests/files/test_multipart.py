"""blueprints.files.multipart: one file read out of a form body as it arrives."""
from __future__ import annotations

import io

import pytest

from actions.errors import InvalidInput
from blueprints.files.multipart import read_file_part

BOUNDARY = "----switchboard"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


class Trickle:
    """A body that arrives a few bytes at a time, splitting boundaries and headers anywhere."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._source = io.BytesIO(data)
        self._step = step
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(min(size, self._step) if size > 0 else self._step)
        self.consumed += len(chunk)
        return chunk


def form(*parts: tuple[str, bytes, str | None]) -> bytes:
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: image/png\r\n"
        body += b"\r\n" + value + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize("step", [1, 7, 64 * 1024])
def test_fields_then_file(step):
    data = bytes(range(256)) * 40 + f"\r\n--{BOUNDARY}".encode()[:-1]  # even a near-boundary inside
    body = form(("Content-Type", b"image/png", None), ("key", b"files/1/x", None), ("file", data, "p.png"),
                ("after", b"ignored", None))
    part = read_file_part(Trickle(body, step), CONTENT_TYPE)
    assert part.filename == "p.png" and part.content_type == "image/png"
    assert part.fields == {"Content-Type": "image/png", "key": "files/1/x"}
    assert part.stream.read() == data


def test_the_file_is_not_read_before_it_is_asked_for():
    body = form(("file", b"x" * 1_000_000, "big.bin"))
    stream = Trickle(body, 64 * 1024)
    part = read_file_part(stream, CONTENT_TYPE)
    assert stream.consumed < 200_000
    assert len(part.stream.read(10)) == 10


@pytest.mark.parametrize(("body", "content_type", "code"), [
    (form(("note", b"hi", None)), CONTENT_TYPE, "missing_file"),
    (b"not a form at all", CONTENT_TYPE, "invalid_form"),
    (form(("file", b"x", "a.txt")), "application/json", "invalid_form"),
    (form(("file", b"x", "a.txt")), "multipart/form-data", "invalid_form"),
    (form(("note", b"y" * 5000, None), ("file", b"x", "a.txt")), CONTENT_TYPE, "invalid_form"),
])
def test_refusals(body, content_type, code):
    with pytest.raises(InvalidInput) as refused:
        read_file_part(io.BytesIO(body), content_type).stream.read()
    assert refused.value.code == code


@pytest.mark.parametrize("body", [
    b"".join(form((f"f{number}", b"v", None))[:-len(BOUNDARY) - 6] for number in range(40)) + form(("file", b"x", "a")),
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nX-Pad: ".encode()
    + b"a" * 400_000,
], ids=["more parts than MAX_PARTS", "headers past the buffer"])
def test_a_form_the_decoder_cannot_hold_is_a_bad_form_not_a_file_too_large(body):
    # werkzeug's decoder says RequestEntityTooLarge, which the upload views answered 413 file_too_large.
    with pytest.raises(InvalidInput) as refused:
        read_file_part(io.BytesIO(body), CONTENT_TYPE).stream.read()
    assert refused.value.code == "invalid_form"


def test_a_body_cut_short_is_refused():
    body = form(("file", b"x" * 5000, "a.txt"))[:3000]
    part = read_file_part(io.BytesIO(body), CONTENT_TYPE)
    with pytest.raises(InvalidInput):
        part.stream.read()


def test_the_first_file_part_is_the_file_whatever_its_name_and_what_follows_is_not_read():
    """docs/files.md: the first part with a filename is the file (`file` by convention); a second one is
    neither stored nor refused."""
    body = Trickle(form(("caption", b"ignored", None), ("upload", b"first", "a.txt"), ("file", b"second", "b.txt")))
    part = read_file_part(body, CONTENT_TYPE)
    assert (part.filename, part.fields, part.stream.read()) == ("a.txt", {"caption": "ignored"}, b"first")
