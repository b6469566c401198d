"""A reader that counts, hashes and caps the bytes flowing from a client to storage."""
from __future__ import annotations

import hashlib
from typing import BinaryIO


class TooLarge(Exception):
    """The stream went past its byte limit."""


class MeteredReader:
    """Wraps a stream: `peek()` for sniffing, `read()` for storage; refuses byte `max_bytes + 1`.

    Deliberately not seekable: storage copies it once, front to back, while the bytes arrive.
    """

    def __init__(self, source: BinaryIO, max_bytes: int) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._buffer = b""
        self._hash = hashlib.sha256()
        self.size = 0

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def _pull(self, size: int) -> bytes:
        chunk = self._source.read(size)
        if chunk:
            self.size += len(chunk)
            if self.size > self._max_bytes:
                raise TooLarge(f"more than {self._max_bytes} bytes")
            self._hash.update(chunk)
        return chunk

    def peek(self, size: int) -> bytes:
        """Up to `size` first bytes (fewer only at the end of the stream), without consuming them."""
        while len(self._buffer) < size:
            chunk = self._pull(size - len(self._buffer))
            if not chunk:
                break
            self._buffer += chunk
        return self._buffer[:size]

    def read(self, size: int = -1) -> bytes:
        if self._buffer:
            if size is None or size < 0:
                data, self._buffer = self._buffer, b""
                return data + self.read()
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data
        if size is None or size < 0:
            chunks = []
            while chunk := self._pull(64 * 1024):
                chunks.append(chunk)
            return b"".join(chunks)
        return self._pull(size)

    def drain(self, chunk_bytes: int = 64 * 1024) -> None:
        """Read to the end (hashing and counting) without keeping the bytes."""
        while self.read(chunk_bytes):
            pass
