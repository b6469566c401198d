"""`check_*` validators: take raw input, return a clean value or raise InvalidInput.

Two rules hold for every field, whatever transport it came from (REST body or query, socket
payload, admin form):
- integers (`check_int`) are whole numbers within ±MAX_SAFE_INTEGER, ids (`check_id`) from 1 to
  MAX_SAFE_INTEGER; URL paths follow the same bound (blueprints.converters);
- text (`check_string`) holds no control character (multi-line text keeps newline and tab) and no
  unpaired UTF-16 surrogate, which a JSON `"\\ud800"` escape can carry but no database can store.
"""
from __future__ import annotations

import base64
import functools
import math
import re
import unicodedata
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from cryptography.hazmat.primitives.asymmetric import ec
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from actions.errors import Conflict, InvalidInput
from i18n import LANGUAGES
from models.time import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9_][a-z0-9_.-]{2,31}$")
# The words the mention syntax gives a meaning to (actions.mentions): `@all` in a group mentions every member.
# No account is given one of them, nor a name `@` reads as one too (`all.`: "@all." may end a sentence), as
# Slack keeps @channel, @here and @everyone: a member could not mention such an account, only its group's
# admins, and then everyone with it. Accounts named so before keep their names.
MENTION_ALL = "all"
RESERVED_USERNAMES = frozenset({MENTION_ALL})
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# The page's colours: a pinned light or dark theme, or the device's setting (`system`).
THEMES = ("light", "dark", "system")
GROUP_NAME_LENGTH = 80  # conversations.name is a VARCHAR(80)
GROUP_DESCRIPTION_LENGTH = 1000
TOKEN_NAME_LENGTH = 64
PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ()./-]{4,30}")  # a login name read as a phone number (if no username)
# The largest integer every JSON client reads exactly (JavaScript's Number.MAX_SAFE_INTEGER),
# and far inside the databases' BIGINT: 2**63 and beyond made SQLite raise OverflowError.
MAX_SAFE_INTEGER = 2**53 - 1
INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,30}")  # ASCII digits only: int() also takes "1_000" and "١٢"
# C0 and C1 control characters, DEL, and UTF-16 surrogates (a str holds one only unpaired); in one line
# (names, titles, a file's name) also the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), with which "invoice<U+202E>fdp.exe" shows as "invoiceexe.pdf". Multi-line text (a
# message) keeps them for mixed-direction writing: the page lays each message out apart from the rest.
LINE_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
TEXT_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # keeps \t and \n
PASSWORD_MIN_LENGTH = 8
# The 10,000 most common passwords of PASSWORD_MIN_LENGTH or more (see the file's header).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"
CODE_PATTERN = re.compile(r"[0-9]{6}")
SEARCH_QUERY_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
MAX_EMOJI_LENGTH = 16  # code points: flags, skin tones and ZWJ families fit
MAX_PRESENCE_QUERY = 200  # people asked about at once (a page's sidebar)


def check_payload(payload: Any) -> dict:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise InvalidInput("invalid_payload", "The payload must be a JSON object.")
    return payload


def check_fields(payload: dict, taken, what: str) -> dict:
    """A request body of only the fields `taken` (none: a route that takes no body, blueprints.api): another
    (a typo, a field this request does not change) is refused 400 invalid_field, rather than ignored and
    answered as if done."""
    unknown = sorted(set(payload) - set(taken))
    if unknown:
        fields = f"taken: {', '.join(taken)}" if taken else "this request takes no body: send none, or {}"
        raise InvalidInput("invalid_field", f"Unknown {what} field: {unknown[0]} ({fields}).")
    return payload


def check_bool(value: Any, field: str) -> bool:
    """true or false, and nothing else (not 0, 1, "true" or null)."""
    if not isinstance(value, bool):
        raise InvalidInput("invalid_" + field, f"{field} must be true or false.")
    return value


def check_int(value: Any, field: str, *, minimum: int = -MAX_SAFE_INTEGER, maximum: int = MAX_SAFE_INTEGER,
              required: bool = True) -> int | None:
    """A whole number (an int, an integral finite float, or decimal ASCII digits) within bounds
    that never exceed ±MAX_SAFE_INTEGER."""
    if value is None or value == "":
        if required:
            raise InvalidInput("invalid_" + field, f"{field} is required.")
        return None
    number = _whole_number(value)
    if number is None:
        raise InvalidInput("invalid_" + field, f"{field} must be an integer.")
    minimum, maximum = max(minimum, -MAX_SAFE_INTEGER), min(maximum, MAX_SAFE_INTEGER)
    if number < minimum:
        raise InvalidInput("invalid_" + field, f"{field} must be at least {minimum}.")
    if number > maximum:
        raise InvalidInput("invalid_" + field, f"{field} must be at most {maximum}.")
    return number


def check_id(value: Any, field: str, *, required: bool = True) -> int | None:
    """The id of a row: an integer from 1 to MAX_SAFE_INTEGER."""
    return check_int(value, field, minimum=1, required=required)


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):  # NaN, Infinity and 1.5 are no integers; 1e308 is, and out of bounds
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and INTEGER_TEXT.fullmatch(text := value.strip()):
        return int(text)  # not int(value): strip() also drops U+001C-U+001F, which int() refuses
    return None


def check_string(value: Any, field: str, *, max_length: int, required: bool = True,
                 strip: bool = True, multiline: bool = False) -> str:
    """Text of at most `max_length` characters, without control characters or unpaired surrogates;
    `multiline` text may hold newlines and tabs (line breaks arrive as \\n, \\r\\n or \\r and are kept as \\n)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("invalid_" + field, f"{field} must be a string.")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if strip:
        value = value.strip()
    if required and not value:
        raise InvalidInput("invalid_" + field, f"{field} must not be empty.")
    if len(value) > max_length:
        raise InvalidInput("invalid_" + field, f"{field} must be at most {max_length} characters.")
    if (TEXT_REFUSED if multiline else LINE_REFUSED).search(value):
        kept = " (newlines and tabs are allowed)" if multiline else ""
        raise InvalidInput("invalid_" + field,
                           f"{field} must not contain control characters or unpaired surrogates{kept}.")
    return value


def printable_line(text: object, length: int) -> str | None:
    """What a client sent without being asked to type it (a user agent, a name tried at login), as a
    line that can be stored and read: control characters replaced (PostgreSQL stores no NUL), tabs and
    newlines as spaces, at most `length` characters; None for nothing."""
    if not isinstance(text, str) or not text:
        return None
    return TEXT_REFUSED.sub("\N{REPLACEMENT CHARACTER}", text.replace("\n", " ").replace("\t", " "))[:length]


def is_clean_text(value: Any) -> bool:
    """Whether a value is a string that multi-line text may hold: for credentials, which are
    compared, never stored (a password set before this rule may hold a tab)."""
    return isinstance(value, str) and not TEXT_REFUSED.search(value)


def check_message_body(value: Any, *, required: bool = True) -> str:
    """A message's text, wherever it comes from (chat, API, broadcasts, the back office): at
    most MESSAGE_MAX_LENGTH characters; empty only when `required` is False (beside a file)."""
    return check_string(value, "body", max_length=current_app.config["MESSAGE_MAX_LENGTH"], required=required,
                        multiline=True)


def check_group_name(value: Any) -> str:
    """A group's name, 1 to GROUP_NAME_LENGTH characters, wherever it is set (the chat, the API, the back office)."""
    return check_string(value, "name", max_length=GROUP_NAME_LENGTH)


def check_group_description(value: Any) -> str:
    """A group's description: up to GROUP_DESCRIPTION_LENGTH characters, several lines, maybe none."""
    return check_string(value, "description", max_length=GROUP_DESCRIPTION_LENGTH, required=False, multiline=True)


def check_token_name(value: Any, required: bool = True) -> str:
    """An API token's name (its owner's label for it): 1 to TOKEN_NAME_LENGTH characters ("" when not
    `required` and none is given: nothing, null, or whitespace only)."""
    return check_string(value, "name", max_length=TOKEN_NAME_LENGTH, required=required)


def check_username(value: Any, keeping: str | None = None) -> str:
    """A username to give an account (a new one, or `keeping`'s account renamed: that name it may keep, even
    reserved). 409 `username_taken` for a reserved name (RESERVED_USERNAMES); whether another account has it
    is the caller's to check."""
    username = check_string(value, "username", max_length=32).lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "invalid_username",
            "Usernames are 3 to 32 characters: letters, digits, '_', '.' or '-'.",
        )
    if username != keeping and username.rstrip(".-") in RESERVED_USERNAMES:
        raise Conflict("username_taken", f"That username is reserved: @{MENTION_ALL} mentions a group's members.")
    return username


def check_password(value: Any, username: str | None = None) -> str:
    """A password people cannot guess from a list: PASSWORD_MIN_LENGTH or more, not one of the
    10,000 most common, and not the username nor containing it (case ignored)."""
    password = check_string(value, "password", max_length=128, strip=False)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput("invalid_password", f"Passwords have at least {PASSWORD_MIN_LENGTH} characters.")
    if password.lower() in common_passwords():
        raise InvalidInput("common_password", "That password is one of the most common ones: choose another.")
    if isinstance(username, str) and username.strip() and username.strip().lower() in password.lower():
        raise InvalidInput("password_contains_username", "The password must not contain the username.")
    return password


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_email(value: Any) -> str | None:
    """An email address (email-validator's syntax rules, no DNS look-up), normalized and lower-cased:
    addresses are unique regardless of case."""
    email = check_string(value, "email", max_length=254, required=False)
    if not email:
        return None
    try:
        validated = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput("invalid_email", "That is not an email address.") from None
    return validated.normalized.lower()


def check_phone(value: Any) -> str | None:
    """A phone number that phonenumbers holds valid, in E.164 (+ and the country code, digits only).
    Without a leading + the number is read as one of PHONE_DEFAULT_REGION (when set)."""
    phone = check_string(value, "phone", max_length=32, required=False)
    if not phone:
        return None
    region = current_app.config.get("PHONE_DEFAULT_REGION") or None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        hint = "" if region else ", starting with + and the country code"
        raise InvalidInput("invalid_phone", f"That is not a valid phone number{hint}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_code(value: Any) -> str:
    """A confirmation or reset code: 6 digits (spaces people type between them are dropped)."""
    code = "".join(value.split()) if isinstance(value, str) else ""
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput("invalid_code", "The code is the 6 digits we sent you.")
    return code


def check_client_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CLIENT_ID_PATTERN.fullmatch(value):  # with match, "$" let a final "\n" in
        raise InvalidInput("invalid_client_id", "client_id is 1 to 64 characters: letters, digits, '_.:-'.")
    return value


def check_choice(value: Any, field: str, choices: tuple[str, ...], default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if value not in choices:
        raise InvalidInput("invalid_" + field, f"{field} must be one of: {', '.join(choices)}.")
    return value


def check_limit(value: Any, default: int = 50, maximum: int = 100) -> int:
    """A page size from 1 to `maximum`; `default` when absent."""
    limit = check_int(value, "limit", minimum=1, maximum=maximum, required=False)
    return default if limit is None else limit


def check_search_query(value: Any) -> list[str]:
    """Search text, split into its terms (separated by any whitespace), each term once."""
    query = check_string(value, "query", max_length=SEARCH_QUERY_MAX_LENGTH)
    terms = list(dict.fromkeys(query.split()))
    if len(terms) > SEARCH_MAX_TERMS:
        raise InvalidInput("invalid_query", f"Search for at most {SEARCH_MAX_TERMS} words at a time.")
    return terms


def check_user_ids(value: object) -> list[int]:
    """A list of 1 to MAX_PRESENCE_QUERY user ids (duplicates dropped, order kept)."""
    if not isinstance(value, list) or not value or len(value) > MAX_PRESENCE_QUERY:
        raise InvalidInput("invalid_user_ids", f"user_ids must be a list of 1 to {MAX_PRESENCE_QUERY} user ids.")
    return list(dict.fromkeys(check_ids_in(value, "user_ids")))


def check_ids_in(values: list, field: str) -> list[int]:
    """Each item of the list `field` by check_id's rule; one that breaks it is named by its place in the list
    (`[true]`'s message said "user_ids must be an integer", as if the list itself were meant)."""
    ids = []
    for place, value in enumerate(values, start=1):
        if (number := _whole_number(value)) is None or not 1 <= number <= MAX_SAFE_INTEGER:
            raise InvalidInput("invalid_" + field, f"{field} must hold ids, integers from 1 to {MAX_SAFE_INTEGER}: "
                                                   f"item {place} is not one.")
        ids.append(number)
    return ids


def check_moment(value: object, field: str) -> datetime | None:
    """An ISO 8601 date (`2026-12-02`, midnight UTC) or time (`2026-12-02T14:05:00Z`), as naive UTC."""
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)  # OverflowError past year 1 or 9999
    except (ValueError, OverflowError):
        example = "e.g. 2026-12-02 or 2026-12-02T14:05:00Z"
        raise InvalidInput("invalid_" + field, f"{field} must be an ISO 8601 date or time, {example}.") from None
    return moment


# How far ahead a time in the future may be: a suspension longer than that is a deactivation, and the year
# 9999 (the largest a date holds) could not be shown in a time zone east of UTC.
FUTURE_AT_MOST = timedelta(days=100 * 365)


def check_future_moment(value: object, field: str) -> datetime:
    """check_moment's date or time, required, later than now and at most FUTURE_AT_MOST ahead (a
    suspension's end)."""
    moment = check_moment(value, field)
    now = utcnow()
    if moment is None or not now < moment <= now + FUTURE_AT_MOST:
        raise InvalidInput("invalid_" + field, f"{field} must be a time in the future, within "
                                               f"{FUTURE_AT_MOST.days // 365} years (ISO 8601, e.g. "
                                               "2026-12-31T18:00:00Z).")
    return moment


@functools.cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_theme(value: object) -> str:
    """One of THEMES (the page's colours); anything else is refused (invalid_theme)."""
    return check_choice(value, "theme", THEMES)


def check_time_zone(value: object) -> str | None:
    """An IANA time zone name ("Europe/Paris", "Asia/Shanghai"), or None for "not given" (null or "")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in time_zone_names():
        raise InvalidInput("invalid_time_zone", "time_zone must be an IANA time zone name, e.g. Asia/Shanghai.")
    return value


def check_language(value: object) -> str | None:
    """A code of i18n.LANGUAGES, or None for "" / None (the browser's Accept-Language)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LANGUAGES:
        raise InvalidInput("invalid_language",
                           f"language must be one of {', '.join(LANGUAGES)}, or empty for the browser's.")
    return value


def check_emoji(value: object) -> str:
    """One emoji (or an emoji sequence): no letters, digits, spaces or control characters."""
    if not isinstance(value, str) or not value or len(value) > MAX_EMOJI_LENGTH:
        raise InvalidInput("invalid_emoji", f"emoji must be one emoji of at most {MAX_EMOJI_LENGTH} characters.")
    for character in value:
        category = unicodedata.category(character)
        if category[0] in "LNZC" and not (category == "Cf" and character == "\u200d") or (
                category == "Cs"):
            raise InvalidInput("invalid_emoji", "emoji must be an emoji, not text.")
    return value


def _subscription_text(value: object, field: str, max_length: int) -> str:
    """A text part of a Web Push subscription (its endpoint, a key), as check_string reads it, refused as
    the whole subscription is (400 invalid_subscription, docs/protocol.md): the browser made these parts,
    not the user, and the client sent one object, `subscription`."""
    try:
        return check_string(value, field, max_length=max_length)
    except InvalidInput as refused:
        raise InvalidInput("invalid_subscription", refused.message) from None


def check_push_key(value: object, field: str, max_length: int) -> str:
    """One of a Web Push subscription's keys (p256dh, auth): base64url text."""
    key = _subscription_text(value, f"keys.{field}", max_length)
    try:
        if not BASE64URL.fullmatch(key):  # b64decode would drop other characters, not refuse them
            raise ValueError
        base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except ValueError:
        raise InvalidInput("invalid_subscription", f"keys.{field} must be base64url.") from None
    return key


def check_push_keys(keys: dict) -> tuple[str, str]:
    """A Web Push subscription's keys (RFC 8291 §3): p256dh, the browser's P-256 public key (an uncompressed
    point, 65 bytes), and auth, its 16-byte secret, both base64url. Anything else could never be pushed to:
    every push to it would fail (and be retried) before it left the server."""
    p256dh, auth = check_push_key(keys.get("p256dh"), "p256dh", 128), check_push_key(keys.get("auth"), "auth", 64)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _base64url_bytes(p256dh))
    except ValueError:
        raise InvalidInput("invalid_subscription", "keys.p256dh must be a P-256 public key (65 bytes).") from None
    if len(_base64url_bytes(auth)) != 16:
        raise InvalidInput("invalid_subscription", "keys.auth must be 16 bytes.")
    return p256dh, auth


def _base64url_bytes(key: str) -> bytes:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


def check_push_endpoint(value: object) -> str:
    """A Web Push subscription's endpoint: an https:// URL (http too with WEB_PUSH_ALLOW_HTTP) of a push
    service this server sends to (WEB_PUSH_ENDPOINT_HOSTS): the server POSTs to it, so any other
    address would let a user make it call hosts of the operator's network (docs/security.md)."""
    endpoint = _subscription_text(value, "endpoint", 2048)
    parts = _push_endpoint_parts(endpoint) if endpoint.isascii() else None  # push services' URLs are ASCII
    if parts is None:
        raise InvalidInput("invalid_subscription", "endpoint must be the push service's https:// URL.")
    if not _allowed_push_host(*parts):
        raise InvalidInput("push_endpoint_not_allowed", f"This server does not send to the push service at "
                                                        f"{parts[0]}: it sends to those its operators allow "
                                                        "(WEB_PUSH_ENDPOINT_HOSTS).")
    return endpoint


def is_allowed_push_endpoint(endpoint: str) -> bool:
    """Whether the settings allow pushing to this stored endpoint now (asked again before every push:
    rows stored under an earlier, wider WEB_PUSH_ENDPOINT_HOSTS or WEB_PUSH_ALLOW_HTTP are not posted to)."""
    parts = _push_endpoint_parts(endpoint)
    return parts is not None and _allowed_push_host(*parts)


def _push_endpoint_parts(endpoint: str) -> tuple[str, int | None] | None:
    """(host, port: None for the scheme's default) of an endpoint with an allowed scheme, a host and
    no user info; else None. A backslash or an `@` could make another URL parser (the HTTP
    client's) see another host."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:  # "https://[abc": an unclosed IPv6 address; "https://host:99999"
        return None
    schemes = ("https", "http") if current_app.config["WEB_PUSH_ALLOW_HTTP"] else ("https",)
    if (parts.scheme not in schemes or not parts.hostname or "@" in parts.netloc or "\\" in endpoint
            or any(character.isspace() for character in endpoint)):
        return None
    return parts.hostname, None if port == {"https": 443, "http": 80}[parts.scheme] else port


def _allowed_push_host(host: str, port: int | None) -> bool:
    """`host` (lower case) is an entry of WEB_PUSH_ENDPOINT_HOSTS, or below a `*.` entry; an entry
    without a port allows the scheme's default port only (None here), `host:port` that port."""
    for entry in current_app.config["WEB_PUSH_ENDPOINT_HOSTS"]:
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if port != (int(entry_port) if entry_port else None):
            continue
        if host == name or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def check_token_days(value: object) -> int | None:
    """A personal token's lifetime in days by the integer rule: 1 to 3650, or 0 for a token that never
    expires; None when none is given (nothing, null or an empty string): issue_api_token's default."""
    try:
        return check_int(value, "expires_in_days", minimum=0, maximum=3650, required=False)
    except InvalidInput:
        raise InvalidInput("invalid_expires_in_days", "expires_in_days must be a whole number of days from 1 to "
                                                      "3650, or 0 for a token that never expires.") from None
