"""blueprints/security_headers.py: the headers of every answer, the pages' Content-Security-Policy
(and the storage origin it allows), and pages free of what that policy forbids. The policy in a
real browser: tests/browser/test_content_security_policy.py."""
from __future__ import annotations

import io
import re

import pytest

from storage import get_storage
from tests.factories import PASSWORD

LOCAL_PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                     "media-src 'self'; connect-src 'self' ws://localhost wss://localhost; object-src 'none'; "
                     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
EVERYWHERE = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
              "Cross-Origin-Resource-Policy": "same-origin"}
# What the policy forbids in a page: inline scripts, inline styles, handler attributes.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def headers_of(response, *names: str) -> dict:
    return {name: response.headers.get(name) for name in names}


def test_every_answer_carries_the_headers(client, alice, auth):
    answers = {"page": client.get("/login"), "redirect": client.get("/"), "static": client.get("/static/css/app.css"),
               "refusal": client.get("/api/conversations"), "missing page": client.get("/nowhere")}
    auth.login()
    answers |= {"chat page": client.get("/"), "api": client.get("/api/conversations"),
                "health": client.get("/healthz")}
    for name, response in answers.items():
        assert headers_of(response, *EVERYWHERE) == EVERYWHERE, name
        assert "Strict-Transport-Security" not in response.headers, name  # cookies not Secure: plain HTTP
        policy = response.headers["Content-Security-Policy"]
        if response.mimetype == "text/html":
            assert (policy, response.headers["Cross-Origin-Opener-Policy"]) == (LOCAL_PAGE_POLICY, "same-origin"), name
        else:
            assert policy == "default-src 'none'; frame-ancestors 'none'", name


def test_answers_are_not_cached_except_static_files(client, alice, auth):
    auth.login()
    for path in ("/", "/api/conversations", "/api/me", "/login"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.get("/static/js/chat/main.js").headers["Cache-Control"] == "no-cache"  # revalidated, not no-store


@pytest.mark.parametrize("app_settings", [{"SESSION_COOKIE_SECURE": True}])
def test_hsts_when_cookies_are_secure(client):
    response = client.get("/login", base_url="https://chat.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "connect-src 'self' ws://chat.example wss://chat.example;" in response.headers["Content-Security-Policy"]


def test_a_host_unfit_for_the_policy_is_left_out_of_it(client):
    policy = client.get("/login", headers={"Host": "evil;script-src *"}).headers["Content-Security-Policy"]
    assert "connect-src 'self';" in policy and "evil" not in policy


def test_local_file_downloads_keep_their_sandbox(app, client):
    storage = get_storage()
    storage.save("files/1/notes.txt", io.BytesIO(b"hello"), "text/plain")
    url = storage.download_url("files/1/notes.txt", filename="notes.txt", content_type="text/plain; charset=utf-8",
                               inline=False, expires_in=60)
    response = client.get(url)
    assert headers_of(response, "Content-Security-Policy", "Cache-Control", *EVERYWHERE) == {
        "Content-Security-Policy": "default-src 'none'; media-src 'self'; img-src 'self'; sandbox",
        "Cache-Control": "private, no-cache", **EVERYWHERE}


S3_SETTINGS = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "chat-files", "S3_REGION": "eu-west-1"}


@pytest.mark.parametrize("app_settings", [S3_SETTINGS, {**S3_SETTINGS, "S3_ENDPOINT_URL": "http://minio.internal:9000"}])
def test_pages_allow_the_buckets_origin_for_files_and_uploads(client, app_settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    storage = get_storage()
    signed_urls = [storage.download_url("files/1/x.png", filename="x.png", content_type="image/png", inline=True,
                                        expires_in=60),
                   storage.presigned_post("incoming/1/x", content_type="image/png", size=3, expires_in=60).url]
    origins = {re.match(r"^https?://[^/]+", url).group(0) for url in signed_urls}
    assert origins == set(storage.browser_origins()) == {
        app_settings.get("S3_ENDPOINT_URL", "https://chat-files.s3.amazonaws.com")}
    (origin,) = origins
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["img-src"] == f"'self' data: {origin}"
    assert directives["media-src"] == f"'self' {origin}"
    assert directives["connect-src"] == f"'self' ws://localhost wss://localhost {origin}"
    assert directives["form-action"] == "'self'"  # direct uploads are XHR (connect-src), not form posts


def test_no_page_has_inline_script_style_or_handlers(client, alice):
    pages = {path: client.get(path) for path in ("/login", "/register")}
    client.post("/login", data={"username": alice.username, "password": PASSWORD})
    pages |= {path: client.get(path) for path in ("/", "/password")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert INLINE.findall(response.get_data(as_text=True)) == [], path  # the back office's: tests/admin
