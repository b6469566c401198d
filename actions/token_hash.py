"""The one hash of the random secrets people hold: API tokens, remember tokens, invitations, QR-code
login links and tickets, recovery codes. Only the hash is stored, so a leaked table opens nothing.

These secrets are long and random (recovery codes: about 59 bits, and used once), so one
plain SHA-256 is enough. Six-digit codes sent to an address are few enough to try them all: they
are HMACed with the app's key instead (actions/codes.py)."""
from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """The hex SHA-256 stored in place of `token`, and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()
