"""Reading one file out of a multipart/form-data body as it arrives, never all at once.

Werkzeug's form parser would spool the whole body before the view runs; this reader hands
the file part to storage as a stream, after the (small) text fields that precede it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from actions.errors import InvalidInput
from storage.streams import TooLarge

CHUNK_BYTES = 64 * 1024
# What a form may add around the file (boundaries, part headers, S3 policy fields).
MULTIPART_OVERHEAD_BYTES = 16 * 1024
FIELD_MAX_BYTES = 4096
MAX_PARTS = 32
# Unparsed bytes the decoder may hold (part headers, a chunk): bounded so headers cannot grow forever.
BUFFER_MAX_BYTES = 4 * CHUNK_BYTES


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str | None  # the client's claim: a hint for the sniffer, never trusted
    fields: dict[str, str]  # the text fields sent before the file
    stream: BinaryIO


def read_file_part(stream: BinaryIO, content_type_header: str | None, name: str | None = None) -> FilePart:
    """The first file part of a multipart body (with `name`, the first one of that name: file parts of other
    names before it are skipped, and a form without one is refused `missing_file`), with the fields before
    it; its data is read lazily."""
    return _MultipartReader(stream, content_type_header).next_file(name)


class _MultipartReader:
    def __init__(self, stream: BinaryIO, content_type_header: str | None) -> None:
        mimetype, options = parse_options_header(content_type_header or "")
        boundary = options.get("boundary")
        if mimetype != "multipart/form-data" or not boundary:
            raise InvalidInput("invalid_form", "Send multipart/form-data with a `file` part.")
        self._stream = stream
        self._decoder = MultipartDecoder(boundary.encode(), max_form_memory_size=BUFFER_MAX_BYTES,
                                         max_parts=MAX_PARTS)

    def next_event(self):
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError:
                raise InvalidInput("invalid_form", "The multipart body is malformed or cut short.") from None
            except RequestEntityTooLarge:  # the decoder's: a form, not a file, too big to be one
                raise _too_many_parts() from None
            if event is not NEED_DATA:
                return event
            try:
                chunk = self._stream.read(CHUNK_BYTES)
            except RequestEntityTooLarge:  # the request stream's own cap (bodies without Content-Length)
                raise TooLarge("request body too large") from None
            try:
                self._decoder.receive_data(chunk or None)
            except RequestEntityTooLarge:  # unparsed bytes past BUFFER_MAX_BYTES: a part's headers never end
                raise _too_many_parts() from None

    def next_file(self, name: str | None = None) -> FilePart:
        fields: dict[str, str] = {}
        while True:
            event = self.next_event()
            if isinstance(event, File) and name is not None and event.name != name:
                self._skip_part()
            elif isinstance(event, File):
                return FilePart(filename=event.filename, content_type=event.headers.get("Content-Type"),
                                fields=fields, stream=_PartStream(self))
            if isinstance(event, Field):
                fields[event.name] = self._field_value(event.name)
            elif isinstance(event, Epilogue):
                raise InvalidInput("missing_file", f"The form has no `{name}` part." if name
                                   else "The form has no file part.")

    def _skip_part(self) -> None:
        while True:
            event = self.next_event()
            if not isinstance(event, Data):
                raise InvalidInput("invalid_form", "The multipart body is malformed.")
            if not event.more_data:
                return

    def _field_value(self, name: str) -> str:
        value = bytearray()
        while True:
            event = self.next_event()
            if not isinstance(event, Data):
                raise InvalidInput("invalid_form", "The multipart body is malformed.")
            value += event.data
            if len(value) > FIELD_MAX_BYTES:
                raise InvalidInput("invalid_form", f"The form field {name!r} is too long.")
            if not event.more_data:
                try:
                    return value.decode()
                except UnicodeDecodeError:
                    raise InvalidInput("invalid_form", f"The form field {name!r} is not UTF-8.") from None


def _too_many_parts() -> InvalidInput:
    """More than MAX_PARTS parts, or part headers longer than BUFFER_MAX_BYTES: a malformed form (400), not a
    file too large (413: the file's own bytes are counted as they arrive, never held in the buffer)."""
    return InvalidInput("invalid_form", f"The form has more than {MAX_PARTS} parts, or a part's headers are too long.")


class _PartStream:
    """The data of one file part, as a readable stream that ends where the part ends."""

    def __init__(self, reader: _MultipartReader) -> None:
        self._reader = reader
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(CHUNK_BYTES):
                chunks.append(chunk)
            return b"".join(chunks)
        while not self._buffer and not self._done:
            event = self._reader.next_event()
            if not isinstance(event, Data):
                raise InvalidInput("invalid_form", "The multipart body is malformed.")
            self._buffer = event.data
            self._done = not event.more_data
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
