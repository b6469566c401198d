"""Object storage behind one small interface; `get_storage()` picks the backend from
`STORAGE_BACKEND` (`local` or `s3`). The database keeps keys, never URLs: a URL is made
per download and expires."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from urllib.parse import quote

from flask import current_app

EXTENSION_KEY = "switchboard.storage"
# Keys are made by actions.files, never taken from users: "<area>/<conversation id>/<random>[.suffix]".
KEY_PATTERN = re.compile(r"^[a-z]+/[0-9]+/[A-Za-z0-9_-]+(\.[a-z]+)*$")


class StorageError(Exception):
    """The backend failed or refused an operation."""


class ObjectMissing(StorageError):
    """No object under that key."""


class StorageUnavailable(StorageError):
    """The backend cannot be reached (S3 down, a refused or timed-out connection): try again later."""


class InvalidKey(StorageError):
    """A key that does not have the shape actions.files gives keys (e.g. `../`)."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None  # None when the backend keeps no metadata (local disk)


@dataclass(frozen=True)
class ListedObject:
    key: str
    modified: datetime  # when it was last written, timezone-aware (UTC)


@dataclass(frozen=True)
class PresignedPost:
    """A form the client posts (fields first, then `file`) straight to `url`."""

    url: str
    fields: dict[str, str]


def check_key(key: str) -> str:
    if not is_valid_key(key):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


def is_valid_key(key: object) -> bool:
    """Whether `key` has the shape of the keys the app makes (anything else there is not the app's)."""
    return isinstance(key, str) and bool(KEY_PATTERN.fullmatch(key)) and ".." not in key


class Storage(ABC):
    """What actions.files needs from a place that keeps files."""

    name: str

    @abstractmethod
    def save(self, key: str, stream: BinaryIO, content_type: str) -> None:
        """Copy `stream` (read until EOF, in chunks) to `key`; errors from the stream propagate."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable, closable stream of the object (ObjectMissing if absent)."""

    @abstractmethod
    def head(self, key: str) -> StoredObject | None:
        """Size and type of the object, or None if it does not exist."""

    @abstractmethod
    def move(self, source_key: str, target_key: str) -> None:
        """Rename an object (ObjectMissing if the source is absent)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    @abstractmethod
    def listing(self, prefix: str) -> Iterator[ListedObject]:
        """Every object whose key starts with `prefix` (an area and its slash: `files/`), in no set order."""

    @abstractmethod
    def clear_leftovers(self, prefix: str, before: datetime) -> int:
        """Remove what writes under `prefix` begun before `before` left unfinished (a process killed in the
        middle of one: a local temporary file, an S3 multipart upload), never an object. Returns how many."""

    @abstractmethod
    def download_url(self, key: str, *, filename: str, content_type: str, inline: bool, expires_in: int) -> str:
        """A URL that serves the object for `expires_in` seconds with the given name and type."""

    @abstractmethod
    def presigned_post(self, key: str, *, content_type: str, size: int, expires_in: int) -> PresignedPost:
        """A form that lets a client upload exactly `size` bytes of `content_type` to `key`."""

    def browser_origins(self) -> tuple[str, ...]:
        """Origins other than the app's that pages load files from and upload to (the pages'
        Content-Security-Policy allows them); none when the app serves its files itself."""
        return ()


def content_disposition(filename: str, inline: bool = False) -> str:
    """`attachment; filename="..."; filename*=UTF-8''...` (RFC 6266 with RFC 5987 for non-ASCII)."""
    disposition = "inline" if inline else "attachment"
    fallback = "".join(
        char if 32 <= ord(char) < 127 and char not in '"\\%;' else "_" for char in filename
    ) or "file"
    header = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        header += "; filename*=UTF-8''" + quote(filename, safe="")
    return header


def build_storage(config: Mapping[str, object]) -> Storage:
    """The backend the settings ask for (config.py refused any other, and s3 without a bucket, at startup)."""
    if config["STORAGE_BACKEND"] == "local":
        from storage.local import LocalStorage

        return LocalStorage(str(config["STORAGE_LOCAL_PATH"]), str(config["SECRET_KEY"]))
    from storage.s3 import S3Storage

    return S3Storage(str(config["S3_BUCKET"]), region=str(config.get("S3_REGION") or "") or None,
                     endpoint_url=str(config.get("S3_ENDPOINT_URL") or "") or None)


def get_storage() -> Storage:
    """The current app's storage backend, built once per app."""
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = current_app.extensions[EXTENSION_KEY] = build_storage(current_app.config)
    return storage
