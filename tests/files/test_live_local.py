"""What only the local backend does: its own signed, expiring URLs for downloads and for
direct uploads, refusing tampered, expired and out-of-folder links."""
from __future__ import annotations

import pytest
import requests

from storage.local import LocalStorage
from tests.files.live import direct_upload, download, follow, upload
from tests.files.samples import PDF_BYTES, tampered
from tests.helpers import error_of
from tests.integration.chat import group_with
from tests.servers import LIVE_SECRET_KEY, ChatUser

pytestmark = pytest.mark.integration


@pytest.fixture
def people(local_server):
    alice, bob = ChatUser.register(local_server.url), ChatUser.register(local_server.url)
    return alice, bob, group_with(alice, bob)


@pytest.fixture
def signer(local_server):
    """Signs tokens with the server's key, to make links the server itself would not hand out."""
    return LocalStorage(str(local_server.workdir / "files"), LIVE_SECRET_KEY)


def shared_pdf(alice: ChatUser, group: dict) -> dict:
    attachment = upload(alice, group["id"], PDF_BYTES, "a.pdf").json()["attachment"]
    alice.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": attachment["id"]})
    return attachment


def test_served_files_carry_safety_headers(local_server, people):
    alice, bob, group = people
    fetched = follow(bob, download(bob, f"/files/{shared_pdf(alice, group)['id']}").headers["Location"])
    assert fetched.content == PDF_BYTES
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in fetched.headers["Content-Security-Policy"]


def test_tampered_download_links_are_refused(local_server, people):
    alice, bob, group = people
    location = download(bob, f"/files/{shared_pdf(alice, group)['id']}").headers["Location"]
    assert error_of(follow(bob, tampered(location))) == (403, "invalid_link")
    assert error_of(follow(bob, location[:-3])) == (403, "invalid_link")
    assert error_of(follow(bob, "/files/local/not-a-token")) == (403, "invalid_link")


def test_expired_download_links_are_refused(local_server, people, signer):
    alice, bob, group = people
    location = download(bob, f"/files/{shared_pdf(alice, group)['id']}").headers["Location"]
    key = signer._downloads.loads(location.rsplit("/", 1)[1])["k"]
    assert follow(bob, signer.download_url(key, filename="a.pdf", content_type="application/pdf",
                                           inline=False, expires_in=60)).status_code == 200
    expired = signer.download_url(key, filename="a.pdf", content_type="application/pdf", inline=False,
                                  expires_in=-1)
    assert error_of(follow(bob, expired)) == (403, "link_expired")


def test_links_outside_the_folder_are_refused(local_server, people, signer):
    _, bob, _ = people
    (local_server.workdir / "secret.txt").write_text("not yours")
    for key in ("../secret.txt", "files/1/../../../secret.txt", "/etc/passwd", "files/1/x/../../../../secret.txt"):
        token = signer._downloads.dumps({"k": key, "n": "s.txt", "t": "text/plain", "i": False, "e": 2**40})
        assert error_of(follow(bob, "/files/local/" + token)) == (403, "invalid_path"), key
    for path in ("/files/local/..%2F..%2Fsecret.txt", "/files/local/%2e%2e/%2e%2e/secret.txt"):
        response = follow(bob, path)
        assert response.status_code in (403, 404) and b"not yours" not in response.content


def test_upload_links_are_checked_like_a_bucket_policy(local_server, people, signer):
    alice, _, group = people
    started, posted = direct_upload(alice, group["id"], PDF_BYTES, "d.pdf", "application/pdf",
                                    post_data=PDF_BYTES + b"more")
    assert error_of(posted) == (403, "policy_mismatch")
    url = local_server.url + started["upload"]["url"]
    fields = started["upload"]["fields"]
    short = requests.post(url, data=fields, files={"file": ("d.pdf", PDF_BYTES[:-1])}, timeout=10)
    assert error_of(short) == (403, "policy_mismatch")
    other_type = requests.post(url, data={"Content-Type": "text/html"}, files={"file": ("d.pdf", PDF_BYTES)},
                               timeout=10)
    assert error_of(other_type) == (403, "policy_mismatch")
    key = signer._uploads.loads(url.rsplit("/", 1)[1])["k"]
    target = local_server.workdir / "files" / key
    assert not target.exists() and not any(target.parent.glob("*"))  # nor any half-written temporary file
    accepted = requests.post(url, data=fields, files={"file": ("d.pdf", PDF_BYTES)}, timeout=10)
    assert accepted.status_code == 204 and target.read_bytes() == PDF_BYTES

    tampered = url[:-2] + ("xx" if not url.endswith("xx") else "yy")
    assert error_of(requests.post(tampered, data=fields, files={"file": ("d.pdf", PDF_BYTES)},
                                  timeout=10)) == (403, "invalid_link")
    expired = signer.presigned_post(key,
                                    content_type="application/pdf", size=len(PDF_BYTES), expires_in=-1)
    assert error_of(requests.post(local_server.url + expired.url, data=expired.fields,
                                  files={"file": ("d.pdf", PDF_BYTES)}, timeout=10)) == (403, "link_expired")
    outside = signer._uploads.dumps({"k": "../escaped", "t": "application/pdf", "s": len(PDF_BYTES), "e": 2**40})
    assert error_of(requests.post(local_server.url + "/files/local-upload/" + outside,
                                  data={"Content-Type": "application/pdf"}, files={"file": ("d.pdf", PDF_BYTES)},
                                  timeout=10)) == (403, "invalid_path")
    assert not (local_server.workdir / "escaped").exists()


def test_a_finished_direct_upload_takes_no_more_posts(local_server, people):
    alice, _, group = people
    started, posted = direct_upload(alice, group["id"], PDF_BYTES, "d.pdf", "application/pdf")
    assert posted.status_code == 204
    attachment = started["attachment"]
    assert alice.api("POST", f"/files/{attachment['id']}/complete").status_code == 200
    incoming = local_server.workdir / "files" / "incoming"
    before = sorted(incoming.rglob("*"))
    again = requests.post(local_server.url + started["upload"]["url"], data=started["upload"]["fields"],
                          files={"file": ("d.pdf", PDF_BYTES)}, timeout=10)
    assert error_of(again) == (409, "upload_closed")
    assert sorted(incoming.rglob("*")) == before  # nothing written beside the file
