"""Files through a real gunicorn server, once on the local backend and once on S3 (moto's
standalone server over HTTP): upload, direct upload, download redirects, refusals.

moto checks neither presigned signatures, nor expiry, nor POST policies: nothing here claims
that S3 enforces them; what is asserted is what Switchboard's server does.
"""
from __future__ import annotations

import io
import socket

import pytest
import requests
from PIL import Image

from tests.files.conftest import LIVE_UPLOAD_MAX_BYTES
from tests.files.live import complete, direct_upload, download, follow, upload, wait_for_thumbnail
from tests.files.samples import ELF_BYTES, PDF_BYTES, jpeg_bytes, png_bytes
from tests.integration.chat import group_with
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def people(server):
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    return alice, bob, carol, group_with(alice, bob)


def test_upload_send_and_download(server, people):
    alice, bob, carol, group = people
    data = png_bytes(900, 600)
    uploaded = upload(alice, group["id"], data, "été photo.png", declared="text/plain")
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()["attachment"]
    assert attachment["content_type"] == "image/png"  # sniffed, not the client's claim
    # The thumbnail comes from the job consumer, after the upload's answer.
    assert (attachment["size"], attachment["status"], attachment["has_thumbnail"]) == (len(data), "ready", False)
    assert wait_for_thumbnail(alice, attachment["id"])["thumbnail_url"] == f"/files/{attachment['id']}/thumbnail"
    bob_socket, alice_socket = bob.socket(), alice.socket()
    try:
        ack = alice_socket.call("message:send", {"conversation_id": group["id"], "body": "look",
                                                 "attachment_id": attachment["id"]})
        assert ack["ok"], ack
        assert ack["message"]["kind"] == "image"
        wait_for(lambda: bob_socket.received["message:new"], what="bob's message:new")
        assert bob_socket.received["message:new"][0]["message"]["attachment"]["filename"] == "été photo.png"
    finally:
        bob_socket.disconnect()
        alice_socket.disconnect()

    redirect = download(bob, f"/files/{attachment['id']}")
    assert redirect.status_code == 302
    fetched = follow(bob, redirect.headers["Location"])
    assert fetched.status_code == 200 and fetched.content == data
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "filename*=UTF-8''%C3%A9t%C3%A9%20photo.png" in disposition
    assert fetched.headers["Content-Type"] == "image/png"

    forced = follow(bob, download(bob, f"/files/{attachment['id']}?download=1").headers["Location"])
    assert forced.headers["Content-Disposition"].startswith("attachment;")

    thumbnail = follow(bob, download(bob, f"/files/{attachment['id']}/thumbnail").headers["Location"])
    assert thumbnail.status_code == 200
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320

    assert download(carol, f"/files/{attachment['id']}").status_code == 403
    assert download(carol, f"/files/{attachment['id']}/thumbnail").status_code == 403
    assert download(bob, "/files/999999").status_code == 404


def test_text_files_are_served_as_utf_8_once(server, people):
    alice, _, _, group = people
    attachment = upload(alice, group["id"], "Grüße\n".encode(), "notes.txt", declared="text/plain").json()["attachment"]
    fetched = follow(alice, download(alice, f"/files/{attachment['id']}").headers["Location"])
    assert fetched.status_code == 200 and fetched.content.decode() == "Grüße\n"
    assert fetched.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")  # never shown as a page


def test_rest_send_with_attachment_and_file_kinds(server, people):
    alice, bob, _, group = people
    pdf = upload(alice, group["id"], PDF_BYTES, "report.pdf").json()["attachment"]
    sent = alice.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": pdf["id"]})
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]
    assert message["kind"] == "file" and message["attachment"]["content_type"] == "application/pdf"
    fetched = follow(bob, download(bob, f"/files/{pdf['id']}").headers["Location"])
    assert fetched.content == PDF_BYTES
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    again = alice.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": pdf["id"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "attachment_used"
    stolen = bob.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": pdf["id"]})
    assert stolen.status_code == 404


def test_unsent_files_are_the_uploaders_and_removed_messages_take_their_files(server, people):
    alice, bob, _, group = people
    attachment = upload(alice, group["id"], jpeg_bytes(), "p.jpg").json()["attachment"]
    assert download(alice, f"/files/{attachment['id']}").status_code == 302
    assert download(bob, f"/files/{attachment['id']}").status_code == 403  # not sent yet
    message = alice.api("POST", f"/conversations/{group['id']}/messages",
                        json={"body": "x", "attachment_id": attachment["id"]}).json()["message"]
    location = download(bob, f"/files/{attachment['id']}").headers["Location"]
    assert alice.api("DELETE", f"/messages/{message['id']}").status_code == 200
    for reader in (alice, bob):
        gone = download(reader, f"/files/{attachment['id']}")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "file_removed"
    assert location  # (a URL handed out before the removal lives until its expiry, by design)


def test_direct_upload_then_completion(server, people):
    alice, bob, _, group = people
    data = png_bytes(300, 200)
    started, posted = direct_upload(alice, group["id"], data, "direct.png", "image/png")
    assert posted.status_code == 204, posted.text
    assert started["attachment"]["status"] == "pending"
    attachment_id = started["attachment"]["id"]
    refused = alice.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": attachment_id})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "attachment_not_ready"
    assert complete(bob, attachment_id).status_code == 404  # only the uploader completes
    completed = complete(alice, attachment_id)
    assert completed.status_code == 200, completed.text
    assert completed.json()["attachment"]["status"] == "ready"
    wait_for_thumbnail(alice, attachment_id)
    assert complete(alice, attachment_id).status_code == 200  # repeated: same answer
    sent = alice.api("POST", f"/conversations/{group['id']}/messages", json={"attachment_id": attachment_id})
    assert sent.status_code == 201
    fetched = follow(bob, download(bob, f"/files/{attachment_id}").headers["Location"])
    assert fetched.content == data and "direct.png" in fetched.headers["Content-Disposition"]


def test_completion_before_upload_waits(server, people):
    alice, _, _, group = people
    started = alice.api("POST", f"/conversations/{group['id']}/files/direct",
                        json={"filename": "late.pdf", "content_type": "application/pdf", "size": len(PDF_BYTES)})
    early = complete(alice, started.json()["attachment"]["id"])
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_missing"
    # Its details are refused as its download is (docs/files.md, the routes' table): not ready yet.
    details = alice.api("GET", f"/files/{started.json()['attachment']['id']}")
    assert details.status_code == 409 and details.json()["error"]["code"] == "file_not_ready"


def test_completion_refuses_bytes_that_are_not_the_announced_type(server, people):
    alice, _, _, group = people
    fake = b"%PDX" + PDF_BYTES[4:]  # same size, not a PDF
    started, posted = direct_upload(alice, group["id"], PDF_BYTES, "doc.pdf", "application/pdf", post_data=fake)
    assert posted.status_code == 204
    refused = complete(alice, started["attachment"]["id"])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "upload_mismatch"
    # The refused bytes are gone; like every refusal it changed no row: the upload is still pending.
    again = complete(alice, started["attachment"]["id"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "upload_missing"
    pending = download(alice, f"/files/{started['attachment']['id']}")
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "file_not_ready"


def test_direct_upload_refusals_at_the_start(server, people):
    alice, _, carol, group = people
    path = f"/conversations/{group['id']}/files/direct"
    too_big = alice.api("POST", path, json={"filename": "a.pdf", "content_type": "application/pdf",
                                            "size": LIVE_UPLOAD_MAX_BYTES + 1})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_too_large"
    exe = alice.api("POST", path, json={"filename": "a.exe", "content_type": "application/x-msdownload", "size": 10})
    assert exe.status_code == 415
    stranger = carol.api("POST", path, json={"filename": "a.pdf", "content_type": "application/pdf", "size": 10})
    assert stranger.status_code == 403


def test_upload_refuses_a_form_of_too_many_parts_as_a_bad_form_not_a_file_too_large(server, people):
    # A 3 KB form of 40 fields was answered 413 file_too_large ("Files are limited to …"): docs/files.md keeps
    # that code for a file's size. Too many parts is a bad form (tests/files/test_multipart.py: headers too long).
    alice, _, _, group = people
    body = b"".join(b'--X\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % n for n in range(40))
    body += b"--X--\r\n"
    refused = requests.post(f"{server.url}/api/conversations/{group['id']}/files", data=body, timeout=10,
                            headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=X"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_form", refused.text


def test_upload_refuses_disallowed_types(server, people):
    alice, _, carol, group = people
    refused = upload(alice, group["id"], ELF_BYTES, "cat.png", declared="image/png")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "type_not_allowed"
    assert upload(carol, group["id"], PDF_BYTES, "a.pdf").status_code == 403
    not_a_form = requests.post(f"{server.url}/api/conversations/{group['id']}/files", data=PDF_BYTES, timeout=10,
                               headers={**alice.headers, "Content-Type": "application/pdf"})
    assert not_a_form.status_code == 400 and not_a_form.json()["error"]["code"] == "invalid_form"


def test_upload_refuses_an_oversized_content_length_before_reading_the_body(server, people):
    alice, _, _, group = people
    # Announce 100 MB and send none of it: the answer must come without the body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            f"POST /api/conversations/{group['id']}/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {alice.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: 100000000\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_upload_counts_while_streaming(server, people):
    alice, _, _, group = people
    # Within the Content-Length allowance for form overhead, but the file itself is too large.
    data = PDF_BYTES + b"0" * (LIVE_UPLOAD_MAX_BYTES + 1000 - len(PDF_BYTES))
    refused = upload(alice, group["id"], data, "big.pdf")
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "file_too_large"

    def chunks():  # no Content-Length at all: chunked transfer encoding
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
        yield PDF_BYTES
        for _ in range(40):
            yield b"0" * 10_000
        yield b"\r\n--xyz--\r\n"

    chunked = requests.post(f"{server.url}/api/conversations/{group['id']}/files", data=chunks(), timeout=10,
                            headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=xyz"})
    assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "file_too_large"
    listing = alice.api("GET", f"/conversations/{group['id']}/messages").json()["messages"]
    assert listing == []


def test_download_needs_a_user(server, people):
    alice, _, _, group = people
    attachment = upload(alice, group["id"], PDF_BYTES, "a.pdf").json()["attachment"]
    anonymous = requests.get(f"{server.url}/files/{attachment['id']}", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 401
