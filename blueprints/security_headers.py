"""Security headers on every response, from one after-request hook (docs/security.md).

Pages get a Content-Security-Policy that allows scripts and styles from the app's own files
only (no inline script, no inline style, no eval), sockets to the same host, and files from the
app and from the storage backend's origin (an S3 bucket's presigned URLs). Every other answer
(JSON, redirects' targets aside, files) gets a policy that allows nothing. A response that
sets its own policy keeps it (the local backend's sandboxed file downloads).

Why a hook and not Flask-Talisman: Talisman writes app.config while serving requests
(SESSION_COOKIE_SECURE, SESSION_COOKIE_SAMESITE), redirects to HTTPS by trusting
X-Forwarded-Proto whatever TRUSTED_PROXIES says, overwrites a view's own CSP unless each view
is decorated, and takes a fixed policy where ours depends on the storage backend and the host.
What it would add here is about as long as this module.
"""
from __future__ import annotations

import re

from flask import Flask, Response, current_app, request

from storage import get_storage

HSTS_SECONDS = 365 * 24 * 3600
# Every answer that is not a page: nothing may load, nothing may frame it.
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'"
# A Host header fit to appear in the policy (host, IPv4, [IPv6], port); anything else is left out.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", page_policy())
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    else:
        headers.setdefault("Content-Security-Policy", NOTHING_POLICY)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        # Only a deployment served over HTTPS marks its cookies Secure; browsers then keep to HTTPS.
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    # Answers carry a user's data or a CSRF token: no browser or proxy cache keeps them. (Static
    # files and file downloads set their own.)
    headers.setdefault("Cache-Control", "no-store")
    return response


def page_policy() -> str:
    """The policy of an HTML page: the chat, the account pages and the back office."""
    storage = " ".join(get_storage().browser_origins())
    sockets = " ".join(f"{scheme}://{request.host}" for scheme in ("ws", "wss")) if HOST_PATTERN.fullmatch(
        request.host) else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        # data: for the page's empty favicon and Bootstrap's inline SVG icons (images cannot run script).
        "img-src": f"'self' data: {storage}",
        "media-src": f"'self' {storage}",
        # 'self' covers same-host websockets in CSP 3 browsers; ws:/wss: of the host for the others.
        # Direct uploads are XHR posts to storage, hence connect-src rather than form-action.
        "connect-src": f"'self' {sockets} {storage}",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(" ".join(f"{name} {sources}".split()) for name, sources in directives.items())
