"""The one home of the two-factor secret's sealing: what `two_factor.secret` holds is a Fernet token (AES-128-CBC
and HMAC-SHA256: encrypted and authenticated) made with a key that is not in the database, as GitHub and GitLab
keep theirs. A copy of the database alone gives no authenticator codes.

The key: TWO_FACTOR_KEY, or when it is empty one derived from SECRET_KEY (HKDF-SHA256, a purpose of its own).
Tokens made with an older key are read with TWO_FACTOR_OLD_KEYS and, when TWO_FACTOR_KEY is set, with the key
derived from SECRET_KEY (secrets sealed before it was set); `unseal` says when a stored value is stale (plain, as
rows written before migration 0028 are, or sealed with an older key) so that its caller seals it anew.
`flask seal-two-factor-secrets` does that for every row at once (commands.py).
"""
from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# What rows written before sealing hold: the base32 secret itself (pyotp.random_base32: 32 letters of A-Z2-7).
PLAIN = re.compile(r"[A-Z2-7]{16,64}=*")
# A Fernet token: its version byte 0x80 and the timestamp's first bytes read "gAAAAA" in base64; base32 has no g.
TOKEN_PREFIX = "gAAAAA"
DERIVATION_INFO = b"switchboard two-factor secrets"


class SecretUnreadable(Exception):
    """A stored secret that no configured key opens (TWO_FACTOR_KEY or SECRET_KEY changed, the old one not
    listed in TWO_FACTOR_OLD_KEYS), or that is neither a token nor a plain secret."""


@dataclass(frozen=True)
class Unsealed:
    secret: str  # base32, as authenticator apps read it
    stale: bool  # stored plain or with an older key: seal it anew (`seal`) when next writing the row


def seal(secret: str) -> str:
    """What is stored for `secret`: a token made with the current key."""
    return _keys()[0].encrypt(secret.encode()).decode()


def unseal(stored: str) -> Unsealed:
    """The secret `stored` holds; SecretUnreadable if no configured key opens it."""
    if PLAIN.fullmatch(stored):
        return Unsealed(stored, stale=True)
    if not stored.startswith(TOKEN_PREFIX):
        raise SecretUnreadable("neither a sealed token nor a base32 secret")
    for index, key in enumerate(_keys()):
        try:
            return Unsealed(key.decrypt(stored.encode()).decode(), stale=index > 0)
        except InvalidToken:
            continue
    raise SecretUnreadable("no configured key opens it")


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from SECRET_KEY (used when TWO_FACTOR_KEY is empty)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


def _keys() -> tuple[Fernet, ...]:
    """The current key first, then the older ones that still open what they sealed."""
    config = current_app.config
    return _fernets(config["TWO_FACTOR_KEY"], tuple(config["TWO_FACTOR_OLD_KEYS"]), config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _fernets(key: str, old_keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    from_secret_key = derived_key(secret_key)
    current = [key.encode()] if key else [from_secret_key]
    older = [old.encode() for old in old_keys] + ([from_secret_key] if key else [])
    return tuple(Fernet(each) for each in current + older)
