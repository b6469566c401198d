"""Files on local disk, served through the app's own signed, expiring URLs.

A download URL carries a signed token {key, filename, type, inline, expiry}; an upload URL
(the local stand-in for an S3 presigned POST) carries {key, type, size, expiry}. Tokens are
signed with SECRET_KEY (itsdangerous); every key is checked to resolve inside the folder.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from itsdangerous import BadSignature, URLSafeSerializer

from storage import InvalidKey, ListedObject, ObjectMissing, PresignedPost, Storage, StoredObject, check_key
from storage.streams import MeteredReader, TooLarge

DOWNLOAD_SALT = "switchboard.files.download"
UPLOAD_SALT = "switchboard.files.upload"
CHUNK_BYTES = 64 * 1024
TEMPORARY_PREFIX = ".upload-"  # a file being written, renamed to its key once complete (save)


class LinkRefused(Exception):
    """A signed URL that was tampered with, has expired, or points outside the folder."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LocalDownload:
    path: Path
    filename: str
    content_type: str
    inline: bool


@dataclass(frozen=True)
class LocalUpload:
    key: str
    content_type: str
    size: int


class LocalStorage(Storage):
    name = "local"

    def __init__(self, root: str, secret_key: str, download_prefix: str = "/files/local/",
                 upload_prefix: str = "/files/local-upload/") -> None:
        self.root = Path(root).resolve()
        self.download_prefix = download_prefix
        self.upload_prefix = upload_prefix
        self._downloads = URLSafeSerializer(secret_key, salt=DOWNLOAD_SALT)
        self._uploads = URLSafeSerializer(secret_key, salt=UPLOAD_SALT)

    def path_for(self, key: str) -> Path:
        """The file of a key; InvalidKey for anything that would leave the folder."""
        check_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"key {key!r} is outside the storage folder")
        return path

    def save(self, key: str, stream: BinaryIO, content_type: str) -> None:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a failed upload never leaves half a file under the key.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
        try:
            with os.fdopen(handle, "wb") as target:
                shutil.copyfileobj(stream, target, CHUNK_BYTES)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def head(self, key: str) -> StoredObject | None:
        path = self.path_for(key)
        if not path.is_file():
            return None
        return StoredObject(size=path.stat().st_size, content_type=None)

    def move(self, source_key: str, target_key: str) -> None:
        source, target = self.path_for(source_key), self.path_for(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            raise ObjectMissing(source_key) from None

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def listing(self, prefix: str) -> Iterator[ListedObject]:
        for path, modified in self._files_under(prefix):
            if not path.name.startswith(TEMPORARY_PREFIX):
                yield ListedObject(path.relative_to(self.root).as_posix(), modified)

    def clear_leftovers(self, prefix: str, before: datetime) -> int:
        cleared = 0
        for path, modified in self._files_under(prefix):
            if path.name.startswith(TEMPORARY_PREFIX) and modified < before:
                path.unlink(missing_ok=True)
                cleared += 1
        return cleared

    def _files_under(self, prefix: str) -> Iterator[tuple[Path, datetime]]:
        """The files in an area's folder (`files/`), with when each was last written."""
        for folder, _, names in os.walk(self.root / prefix):
            for name in names:
                path = Path(folder, name)
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue
                yield path, datetime.fromtimestamp(modified, UTC)

    def download_url(self, key: str, *, filename: str, content_type: str, inline: bool, expires_in: int) -> str:
        self.path_for(key)
        token = self._downloads.dumps({"k": key, "n": filename, "t": content_type, "i": inline,
                                       "e": int(time.time()) + expires_in})
        return self.download_prefix + token

    def presigned_post(self, key: str, *, content_type: str, size: int, expires_in: int) -> PresignedPost:
        self.path_for(key)
        token = self._uploads.dumps({"k": key, "t": content_type, "s": size, "e": int(time.time()) + expires_in})
        return PresignedPost(url=self.upload_prefix + token, fields={"Content-Type": content_type})

    def read_download_token(self, token: str) -> LocalDownload:
        """The file a download token grants; LinkRefused if tampered, expired or outside the folder."""
        claims = self._read(self._downloads, token, ("k", "n", "t", "i"))
        return LocalDownload(path=self._path_in_claims(claims), filename=str(claims["n"]),
                             content_type=str(claims["t"]), inline=bool(claims["i"]))

    def read_upload_token(self, token: str) -> LocalUpload:
        """What an upload token allows; LinkRefused if tampered, expired or outside the folder."""
        claims = self._read(self._uploads, token, ("k", "t", "s"))
        self._path_in_claims(claims)
        if not isinstance(claims["s"], int):
            raise _invalid_link()
        return LocalUpload(key=claims["k"], content_type=str(claims["t"]), size=claims["s"])

    def receive_post(self, upload: LocalUpload, form_content_type: str | None, stream: BinaryIO) -> None:
        """Store a form post the way S3 applies a POST policy: same type, exactly the size, or nothing."""
        if form_content_type != upload.content_type:
            raise LinkRefused("policy_mismatch", "Content-Type does not match the upload policy.")
        reader = MeteredReader(stream, upload.size)  # raises TooLarge past the size
        try:
            self.save(upload.key, reader, upload.content_type)
        except TooLarge:
            raise LinkRefused("policy_mismatch", "The file is larger than the upload policy allows.") from None
        if reader.size != upload.size:
            self.delete(upload.key)
            raise LinkRefused("policy_mismatch", "The file is smaller than the upload policy requires.")

    def _read(self, serializer: URLSafeSerializer, token: str, names: tuple[str, ...]) -> dict:
        """The token's claims, `names` and its expiry among them (signed, so only a change of this
        code's tokens could lack one: refused as any invalid link, not a 500)."""
        try:
            claims = serializer.loads(token)
        except BadSignature:
            raise _invalid_link() from None
        if (not isinstance(claims, dict) or not isinstance(claims.get("e"), int)
                or any(name not in claims for name in names)):
            raise _invalid_link()
        if claims["e"] <= time.time():
            raise LinkRefused("link_expired", "This link has expired.")
        return claims

    def _path_in_claims(self, claims: dict) -> Path:
        # Even a correctly signed key must stay inside the folder (defence in depth).
        try:
            return self.path_for(claims.get("k"))
        except InvalidKey:
            raise LinkRefused("invalid_path", "This link points outside the file store.") from None


def _invalid_link() -> LinkRefused:
    return LinkRefused("invalid_link", "This link is invalid.")
