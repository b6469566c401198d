"""The storage backends behind one interface: local disk, and S3 against moto's server over HTTP."""
from __future__ import annotations

import io
import os
import time
import uuid

import pytest
import requests
from itsdangerous import URLSafeSerializer

from storage import InvalidKey, ObjectMissing, build_storage, check_key, content_disposition, get_storage
from storage.local import DOWNLOAD_SALT, UPLOAD_SALT, LinkRefused, LocalStorage
from storage.s3 import S3Storage
from storage.streams import MeteredReader, TooLarge
from tests.files.conftest import BUCKET, CREDENTIALS, REGION
from tests.files.samples import tampered

DATA = b"%PDF-1.4 " + os.urandom(3000)


class OneWayStream:
    """A request body: read once, no seek, no tell."""

    def __init__(self, data: bytes) -> None:
        self._source = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._source.read(size)


@pytest.fixture
def local(tmp_path):
    return LocalStorage(str(tmp_path / "store"), "secret")


@pytest.fixture
def s3(moto, monkeypatch):
    for name, value in CREDENTIALS.items():  # boto3's credential chain reads the process environment
        monkeypatch.setenv(name, value)
    return S3Storage(BUCKET, region=REGION, endpoint_url=moto.url)


@pytest.fixture(params=["local", "s3"])
def storage(request):
    return request.getfixturevalue(request.param)


def new_key(suffix: str = "") -> str:
    return f"files/7/{uuid.uuid4().hex}{suffix}"


def test_save_head_open_move_delete(storage):
    key, other = new_key(), new_key()
    assert storage.head(key) is None
    storage.save(key, OneWayStream(DATA), "application/pdf")
    head = storage.head(key)
    assert head.size == len(DATA) and head.content_type in (None, "application/pdf")
    with storage.open(key) as stream:
        assert stream.read() == DATA
    storage.move(key, other)
    assert storage.head(key) is None and storage.head(other).size == len(DATA)
    storage.delete(other)
    storage.delete(other)  # deleting a missing object is fine
    assert storage.head(other) is None
    with pytest.raises(ObjectMissing):
        storage.open(other)
    with pytest.raises(ObjectMissing):
        storage.move(other, key)


def test_a_stream_that_fails_leaves_nothing(storage):
    key = new_key()
    with pytest.raises(TooLarge):
        storage.save(key, MeteredReader(OneWayStream(DATA), 1000), "application/pdf")
    assert storage.head(key) is None


def test_large_streams_go_through_in_parts(s3):
    key = new_key()
    data = os.urandom(9 * 1024 * 1024)  # above boto3's 8 MiB multipart threshold
    reader = MeteredReader(OneWayStream(data), len(data))
    s3.save(key, reader, "video/mp4")
    assert s3.head(key).size == len(data) and reader.size == len(data)


@pytest.mark.parametrize("key", ["../x", "files/1/../../x", "/etc/passwd", "files/1/a/../b", "files/x/abc",
                                 "files/1/", "", "files/1/a\x00b", "files/1/a b", "files/1/ab\n"])
def test_keys_must_have_the_shape_actions_give_them(storage, key):
    with pytest.raises(InvalidKey):
        check_key(key)
    with pytest.raises(InvalidKey):
        storage.save(key, io.BytesIO(b"x"), "text/plain")


def test_local_refuses_symlinks_out_of_its_folder(local, tmp_path):
    (tmp_path / "secret.txt").write_text("outside")
    (local.root / "files" / "1").mkdir(parents=True)
    os.symlink(tmp_path / "secret.txt", local.root / "files" / "1" / "link")
    with pytest.raises(InvalidKey):
        local.path_for("files/1/link")
    with pytest.raises(InvalidKey):
        local.open("files/1/link")


def test_local_download_tokens(local):
    key = new_key()
    local.save(key, io.BytesIO(DATA), "application/pdf")
    url = local.download_url(key, filename="ü.pdf", content_type="application/pdf", inline=False, expires_in=60)
    token = url.removeprefix("/files/local/")
    granted = local.read_download_token(token)
    assert granted.path == local.path_for(key) and granted.filename == "ü.pdf" and not granted.inline
    for bad in (tampered(token), "x" + token, "garbage"):
        with pytest.raises(LinkRefused) as refused:
            local.read_download_token(bad)
        assert refused.value.code == "invalid_link"
    with pytest.raises(LinkRefused) as refused:
        LocalStorage(str(local.root), "another secret").read_download_token(token)
    assert refused.value.code == "invalid_link"
    expired = local.download_url(key, filename="a", content_type="text/plain", inline=False, expires_in=-1)
    with pytest.raises(LinkRefused) as refused:
        local.read_download_token(expired.removeprefix("/files/local/"))
    assert refused.value.code == "link_expired"


@pytest.mark.parametrize("salt, claims", [
    (DOWNLOAD_SALT, {"k": "files/1/abc"}),  # no name, type or disposition
    (UPLOAD_SALT, {"k": "files/1/abc", "t": "image/png"}),  # no size
    (UPLOAD_SALT, {"k": "files/1/abc", "t": "image/png", "s": "many"}),
])
def test_signed_tokens_lacking_a_claim_are_invalid_links(local, salt, claims):
    """Only a change of this code's tokens (or the secret) could make one: refused, not a 500."""
    token = URLSafeSerializer("secret", salt=salt).dumps({**claims, "e": int(time.time()) + 60})
    read = local.read_download_token if salt == DOWNLOAD_SALT else local.read_upload_token
    with pytest.raises(LinkRefused) as refused:
        read(token)
    assert refused.value.code == "invalid_link"


def test_local_upload_tokens_are_not_download_tokens(local):
    post = local.presigned_post(new_key(), content_type="application/pdf", size=10, expires_in=60)
    token = post.url.removeprefix("/files/local-upload/")
    assert local.read_upload_token(token).size == 10
    with pytest.raises(LinkRefused):
        local.read_download_token(token)


def test_local_receive_post_applies_the_policy(local):
    key = new_key()
    upload = local.read_upload_token(local.presigned_post(key, content_type="application/pdf", size=len(DATA),
                                                          expires_in=60).url.rsplit("/", 1)[1])
    for form_type, data in (("text/html", DATA), ("application/pdf", DATA + b"!"), ("application/pdf", DATA[:-1])):
        with pytest.raises(LinkRefused) as refused:
            local.receive_post(upload, form_type, io.BytesIO(data))
        assert refused.value.code == "policy_mismatch"
        assert local.head(key) is None
    local.receive_post(upload, "application/pdf", io.BytesIO(DATA))
    assert local.head(key).size == len(DATA)


def test_s3_download_url_serves_the_object_with_name_and_type(s3):
    key = new_key()
    s3.save(key, io.BytesIO(DATA), "application/pdf")
    url = s3.download_url(key, filename="résumé.pdf", content_type="application/pdf", inline=False, expires_in=60)
    fetched = requests.get(url, timeout=10)
    assert fetched.content == DATA
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"] == content_disposition("résumé.pdf")


def test_s3_presigned_post_uploads_to_the_key(s3):
    key = new_key()
    post = s3.presigned_post(key, content_type="application/pdf", size=len(DATA), expires_in=60)
    assert post.fields["key"] == key
    response = requests.post(post.url, data=post.fields, files={"file": ("x.pdf", DATA)}, timeout=10)
    assert response.status_code == 204
    assert s3.head(key).size == len(DATA) and s3.head(key).content_type == "application/pdf"


@pytest.mark.parametrize(("filename", "inline", "header"), [
    ("report.pdf", False, 'attachment; filename="report.pdf"'),
    ("cat.png", True, 'inline; filename="cat.png"'),
    ("été.txt", False, "attachment; filename=\"_t_.txt\"; filename*=UTF-8''%C3%A9t%C3%A9.txt"),
    ('a"b\\c;d%.txt', False, "attachment; filename=\"a_b_c_d_.txt\"; filename*=UTF-8''a%22b%5Cc%3Bd%25.txt"),
    ("日本.pdf", False, "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf"),
])
def test_content_disposition(filename, inline, header):
    assert content_disposition(filename, inline=inline) == header


def test_metered_reader_counts_hashes_and_caps():
    import hashlib

    reader = MeteredReader(OneWayStream(DATA), len(DATA))
    assert reader.peek(5) == DATA[:5] and reader.peek(3) == DATA[:3]
    assert reader.read(2) + reader.read() == DATA
    assert reader.size == len(DATA) and reader.sha256 == hashlib.sha256(DATA).hexdigest()
    capped = MeteredReader(OneWayStream(DATA), len(DATA) - 1)
    with pytest.raises(TooLarge):
        capped.drain()


def test_the_setting_picks_the_backend(app, moto, monkeypatch):
    assert isinstance(get_storage(), LocalStorage) and get_storage() is get_storage()
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3 = build_storage({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_REGION": REGION,
                        "S3_ENDPOINT_URL": moto.url})
    assert isinstance(s3, S3Storage) and s3.bucket == BUCKET
    # Another backend, or s3 without a bucket, never gets here: config.py refuses it at startup (tests/test_config.py).
