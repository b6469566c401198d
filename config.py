"""Settings, read from the environment (and an optional .env) when the app is built.

Every setting is documented once, in `.env.example` and docs/configuration.md.
Nothing here runs at import time: `load_config()` is called by `create_app()`.
"""
from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from storage.sniff import KNOWN_TYPES

log = logging.getLogger(__name__)

ENVIRONMENTS = ("development", "production", "testing")


# For tests only, including the live servers they start (PASSWORD_HASH_METHOD in their environment).
FAST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"

# Production's SECRET_KEY: at least this long, and not a value published as an example.
SECRET_KEY_MIN_BYTES = 32
GROUP_ADD_POLICIES = ("anyone", "nobody")
SESSION_POLICIES = ("multi", "single")
# The public push services of Chrome and Android (FCM; GCM's old name), Firefox (Mozilla autopush),
# Edge (Windows Push Notification Services) and Safari (Apple): WEB_PUSH_ENDPOINT_HOSTS's default.
DEFAULT_PUSH_ENDPOINT_HOSTS = ("fcm.googleapis.com", "android.googleapis.com", "updates.push.services.mozilla.com",
                               "*.notify.windows.com", "*.push.apple.com")
SAMPLE_SECRET_KEYS = frozenset({
    # The example output of `secrets.token_hex()` in Flask's own docs, pasted into many apps.
    "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
})
# Words of placeholders people paste ("change-me-to-a-long-random-string"), compared without
# case or punctuation; a random key never contains them.
PLACEHOLDER_WORDS = ("changeme", "changethis", "replaceme", "yoursecret", "mysecret", "secretkey", "notasecret",
                     "example", "sample", "placeholder", "insecure")


FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _flag(value: str | None, name: str, default: bool = False) -> bool:
    """On or off; anything else is refused (a typo must not turn off TWO_FACTOR_REQUIRED_FOR_OPERATORS)."""
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() not in FLAG_WORDS:
        raise RuntimeError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {value!r}")
    return FLAG_WORDS[value.strip().lower()]


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _one_of(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise RuntimeError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _compression(value: str) -> str | int:
    """WEBSOCKET_COMPRESSION: "off", or a size in characters (a whole number, 0 or more)."""
    value = value.strip().lower()
    if value == "off":
        return value
    if not _is_whole(value):
        raise RuntimeError(f'WEBSOCKET_COMPRESSION must be "off" or a size in characters, not {value!r}')
    return int(value)


def _seconds(value: str, name: str, unit: str = "seconds") -> float:
    """A duration in `unit`: a number, 0 or more."""
    try:
        amount = float(value)
    except ValueError:
        amount = math.nan
    if not 0 <= amount < math.inf:
        raise RuntimeError(f"{name} must be a number of {unit}, 0 or more, not {value!r}")
    return amount


def _days(value: str, name: str) -> float:
    return _seconds(value, name, unit="days")


def _number(environ: Mapping[str, str], parse: Callable[[str, str], float], name: str, default: str) -> float:
    """Setting `name` read by `parse` (_whole, _seconds, _days); set empty, its default."""
    return parse(environ.get(name) or default, name)


def _is_whole(value: str) -> bool:
    """0 or more in ASCII digits, spaces around allowed (not str.isdigit: "²" is a digit int() refuses)."""
    return re.fullmatch(r"[0-9]+", value.strip()) is not None


def _whole(value: str, name: str) -> int:
    """A count, a size or a whole number of seconds or days: 0 or more."""
    if not _is_whole(value):
        raise RuntimeError(f"{name} must be a whole number, 0 or more, not {value!r}")
    return int(value)


def _at_least_one(value: int, name: str) -> int:
    """A pool's size or a link's lifetime: 0 would leave nobody to do the work (logins waiting forever, jobs
    never run), or every link expired when made."""
    if value < 1:
        raise RuntimeError(f"{name} must be 1 or more, not {value}")
    return value


def _more_than_zero(value: float, name: str) -> float:
    """A lifetime that takes fractions: 0 would end every login session, or gateway connection, as it begins."""
    if value <= 0:
        raise RuntimeError(f"{name} must be more than 0, not {value:g}")
    return value


def _port(value: int, name: str) -> int:
    """A TCP port: 1 to 65535 (another would fail only when a job first connects, retried in vain)."""
    if not 0 < value < 65536:
        raise RuntimeError(f"{name} must be a port from 1 to 65535, not {value}")
    return value


# What py_vapid signs a push with (its `sub` check, which is private to it: tests/test_config.py holds the two
# equal): a mailto: address, or an https:// origin without a port or a path.
VAPID_SUBJECTS = re.compile(r"mailto:.+@(localhost|[%\w-]+(\.[%\w-]+)+)|https://(localhost|[\w-]+\.[\w.-]+)",
                            re.IGNORECASE)


def _vapid_subject(value: str) -> str:
    """VAPID_SUBJECT as py_vapid takes it when it signs each push (else every push job fails, retried in vain)."""
    if not VAPID_SUBJECTS.fullmatch(value):
        raise RuntimeError(f"VAPID_SUBJECT must be a mailto: address or an https:// origin without a port or path "
                           f"(mailto:ops@example.org, https://example.org), not {value!r}")
    return value


def _origins(value: str | None) -> list[str]:
    """CORS_ALLOWED_ORIGINS: origins as browsers send them (scheme://host[:port], no path, no trailing slash),
    or *; another entry would never equal a browser's Origin header, and its sockets would be refused."""
    origins = _list(value)
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise RuntimeError(f"CORS_ALLOWED_ORIGINS: {origin!r} is not an origin such as https://chat.example.org")
    return origins


FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")  # 32 bytes in URL-safe base64, as cryptography's Fernet takes them
FERNET_KEY_HINT = ('generate one with: python3 -c "import base64, os; '
                   'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"')


def _fernet_key(value: str, name: str) -> str:
    """TWO_FACTOR_KEY, TWO_FACTOR_OLD_KEYS: a Fernet key (or empty), refused now rather than at the first login."""
    if value and not FERNET_KEY.fullmatch(value):
        raise RuntimeError(f"{name} must be 32 bytes in URL-safe base64 (44 characters ending in =): {FERNET_KEY_HINT}")
    return value


def _redis_url(url: str) -> str:
    """`url` if it names a Redis server, else empty."""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else ""


def _redis_setting(value: str | None, name: str, message_queue: str) -> str:
    """A Redis URL (empty: the message queue's Redis if it has one, else none); refused now if it is not
    one, rather than at the first request that counts or waits on it."""
    if not value:
        return _redis_url(message_queue)
    if not _redis_url(value):
        raise RuntimeError(f"{name} must be a redis://, rediss:// or unix:// URL (or empty), not {value!r}")
    return value


def _phone_region(value: str) -> str:
    """PHONE_DEFAULT_REGION: empty, or a region phonenumbers knows (else every number typed without + is refused)."""
    import phonenumbers

    region = value.strip().upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise RuntimeError(f"PHONE_DEFAULT_REGION must be a two-letter region such as DE or US, not {value!r}")
    return region


class BaseConfig:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    # werkzeug's memory-hard default (scrypt:32768:8:1): about 80 ms of CPU per hash.
    DEFAULT_PASSWORD_HASH_METHOD = "scrypt"

    def __init__(self, environ: Mapping[str, str], instance_path: str) -> None:
        get = environ.get
        # A number set empty (as .env.example's blanks are) is its default; anything but a number is refused.
        whole, seconds, days = (functools.partial(_number, environ, parse) for parse in (_whole, _seconds, _days))
        self.INSTANCE_PATH = instance_path
        self.SECRET_KEY = get("SECRET_KEY") or self.default_secret_key(instance_path)
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'switchboard.db'}"
        )
        # hide_parameters: a failing statement's error (logged) never shows its values: message bodies, hashes.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        self.SQLALCHEMY_ENGINE_OPTIONS.update(pool_options(self.SQLALCHEMY_DATABASE_URI, environ))
        # A pooled PostgreSQL connection given back this long ago or more is checked (SELECT 1) before
        # it is used again (models.database.ping_when_idle); SQLite's connections never go away.
        self.DATABASE_PING_AFTER_IDLE_SECONDS = seconds("DATABASE_PING_AFTER_IDLE_SECONDS", "1")
        # Units of work (requests, socket events, jobs) using the database at once; the others wait in line
        # (events.admission). As many as the pool has connections; 0 = no gate (SQLite's default).
        self.DATABASE_UNITS_AT_ONCE = units_at_once(self.SQLALCHEMY_DATABASE_URI, self.SQLALCHEMY_ENGINE_OPTIONS,
                                                    get("DATABASE_UNITS_AT_ONCE"))
        self.SOCKETIO_MESSAGE_QUEUE = get("SOCKETIO_MESSAGE_QUEUE", "")
        self.SOCKETIO_ASYNC_MODE = _one_of(get("SOCKETIO_ASYNC_MODE") or "gevent", "SOCKETIO_ASYNC_MODE",
                                           ("gevent", "threading"))
        self.PRESENCE_REDIS_URL = _redis_setting(get("PRESENCE_REDIS_URL"), "PRESENCE_REDIS_URL",
                                                 self.SOCKETIO_MESSAGE_QUEUE)
        # Presence (realtime/presence_tracker.py): offline only once a user's last connection has been gone
        # this long (a reload does not flicker); changes told in batches this often; a killed process's
        # connections forgotten this long after its last heartbeat (presence in Redis).
        self.PRESENCE_GRACE_SECONDS = seconds("PRESENCE_GRACE_SECONDS", "5")
        self.PRESENCE_BATCH_SECONDS = seconds("PRESENCE_BATCH_SECONDS", "1")
        # 0 would drop every connection from Redis as it is written, and heartbeat without pause.
        self.PRESENCE_EXPIRY_SECONDS = _at_least_one(whole("PRESENCE_EXPIRY_SECONDS", "60"), "PRESENCE_EXPIRY_SECONDS")
        # Groups up to this many members hear each member come and go; bigger ones ask for their count.
        self.PRESENCE_GROUP_LIMIT = whole("PRESENCE_GROUP_LIMIT", "200")
        self.TRUSTED_PROXIES = whole("TRUSTED_PROXIES", "0")
        self.CORS_ALLOWED_ORIGINS = _origins(get("CORS_ALLOWED_ORIGINS"))
        self.ALLOW_INSECURE_HTTP = _flag(get("ALLOW_INSECURE_HTTP"), "ALLOW_INSECURE_HTTP")
        self.SESSION_COOKIE_SECURE = _flag(get("SESSION_COOKIE_SECURE"), "SESSION_COOKIE_SECURE",
                                           default=self.default_secure_cookies())
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # The remember cookie (every login sets one: a token of its own login session, blueprints.identity)
        # gets the session cookie's flags and lives until the session's absolute timeout.
        self.REMEMBER_COOKIE_NAME = "remember_token"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # A login session ends after this many days unused, and this many days after its login whatever
        # happens (actions/sessions.py). Fractions are allowed.
        self.SESSION_IDLE_DAYS = _more_than_zero(days("SESSION_IDLE_DAYS", "14"), "SESSION_IDLE_DAYS")
        self.SESSION_MAX_DAYS = _more_than_zero(days("SESSION_MAX_DAYS", "90"), "SESSION_MAX_DAYS")
        # "multi": a user may be signed in on many browsers at once; "single": a new login ends the
        # user's other login sessions, whose pages are told "signed in elsewhere" (actions/sessions.py).
        self.SESSION_POLICY = _one_of(get("SESSION_POLICY") or "multi", "SESSION_POLICY", SESSION_POLICIES)
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        # 0 would refuse every message ("at most 0 characters").
        self.MESSAGE_MAX_LENGTH = _at_least_one(whole("MESSAGE_MAX_LENGTH", "4000"), "MESSAGE_MAX_LENGTH")
        # Who may put someone in a group: "anyone" (as in most chat apps) or "nobody" but operators
        # (people join public groups themselves). Contacts-only waits for a contact list.
        self.GROUP_ADD_POLICY = _one_of(get("GROUP_ADD_POLICY") or "anyone", "GROUP_ADD_POLICY", GROUP_ADD_POLICIES)
        # One socket's events in flight (one runs, the rest wait in order); more are refused with `busy`.
        # 0 would refuse every event with `busy`.
        self.SOCKET_EVENT_QUEUE = _at_least_one(whole("SOCKET_EVENT_QUEUE", "16"), "SOCKET_EVENT_QUEUE")
        self.SOCKET_BUSY_DISCONNECT = whole("SOCKET_BUSY_DISCONNECT", "200")
        # permessage-deflate on WebSockets (realtime/websocket_compression.py): "off", or the size from which
        # a message is compressed, once for all its recipients, without context takeover.
        self.WEBSOCKET_COMPRESSION = _compression(get("WEBSOCKET_COMPRESSION") or "1024")
        # The bzGhost gateway (/ws/im, docs/gateway.md): the largest packet body, how long a connection
        # may stay silent (no packet, no ping), and how many packets may wait for one connection, either
        # way, before it is closed.
        # 0 would close every connection at once: its login too large, nothing in time, or too many waiting.
        self.GATEWAY_MAX_PACKET_BYTES = _at_least_one(whole("GATEWAY_MAX_PACKET_BYTES", str(64 * 1024)),
                                                      "GATEWAY_MAX_PACKET_BYTES")
        self.GATEWAY_IDLE_SECONDS = _more_than_zero(seconds("GATEWAY_IDLE_SECONDS", "90"), "GATEWAY_IDLE_SECONDS")
        self.GATEWAY_RECEIVE_QUEUE = _at_least_one(whole("GATEWAY_RECEIVE_QUEUE", "32"), "GATEWAY_RECEIVE_QUEUE")
        self.GATEWAY_SEND_QUEUE = whole("GATEWAY_SEND_QUEUE", "1000")
        self.API_TOKEN_DAYS = whole("API_TOKEN_DAYS", "30")
        # Registration and recovery (actions/registration.py, actions/codes.py, notify/).
        self.REGISTRATION = check_registration(get("REGISTRATION") or "open")
        self.INVITE_DAYS = whole("INVITE_DAYS", "7")
        self.UNCONFIRMED_ACCOUNT_DAYS = whole("UNCONFIRMED_ACCOUNT_DAYS", "7")  # then deleted (0: never)
        self.PHONE_DEFAULT_REGION = _phone_region(get("PHONE_DEFAULT_REGION", ""))  # e.g. DE: numbers typed without +49
        # 0 would make every code expired as it is sent, and no try would ever be left.
        self.CODE_TTL_SECONDS = _at_least_one(whole("CODE_TTL_SECONDS", "600"), "CODE_TTL_SECONDS")
        self.CODE_MAX_ATTEMPTS = _at_least_one(whole("CODE_MAX_ATTEMPTS", "5"), "CODE_MAX_ATTEMPTS")
        self.CODE_RESEND_SECONDS = whole("CODE_RESEND_SECONDS", "60")  # doubled at each resend up to CODE_TTL_SECONDS
        self.CODE_SENDER_EMAIL = _one_of(get("CODE_SENDER_EMAIL") or "console", "CODE_SENDER_EMAIL",
                                         ("console", "smtp"))
        self.CODE_SENDER_SMS = _one_of(get("CODE_SENDER_SMS") or "console", "CODE_SENDER_SMS", ("console", "webhook"))
        self.SMTP_HOST = get("SMTP_HOST", "")
        self.SMTP_PORT = _port(whole("SMTP_PORT", "587"), "SMTP_PORT")
        self.SMTP_SECURITY = _one_of(get("SMTP_SECURITY") or "starttls", "SMTP_SECURITY", ("starttls", "ssl", "none"))
        self.SMTP_USERNAME = get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = get("SMTP_PASSWORD", "")
        self.SMTP_FROM = get("SMTP_FROM", "")
        self.SMTP_TIMEOUT = seconds("SMTP_TIMEOUT", "10")
        self.SMS_WEBHOOK_URL = get("SMS_WEBHOOK_URL", "")
        self.SMS_WEBHOOK_SECRET = get("SMS_WEBHOOK_SECRET", "")
        self.SMS_WEBHOOK_TIMEOUT = seconds("SMS_WEBHOOK_TIMEOUT", "10")
        check_code_senders(self)
        self.STORAGE_BACKEND = _one_of(get("STORAGE_BACKEND") or "local", "STORAGE_BACKEND", ("local", "s3"))
        self.STORAGE_LOCAL_PATH = get("STORAGE_LOCAL_PATH") or str(Path(instance_path) / "files")
        self.S3_BUCKET = get("S3_BUCKET", "")
        self.S3_REGION = get("S3_REGION", "")
        self.S3_ENDPOINT_URL = get("S3_ENDPOINT_URL", "")
        # Refused now, not at the first upload (storage is built on first use: that would be a 500).
        if self.STORAGE_BACKEND == "s3" and not self.S3_BUCKET:
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        # Request bodies (JSON, forms) are refused past this with 413, before they are read; the upload
        # routes raise it to UPLOAD_MAX_BYTES for themselves (blueprints/files).
        # 0 would refuse every body with 413, the login's and the sign-up's included.
        self.MAX_CONTENT_LENGTH = _at_least_one(whole("REQUEST_MAX_BYTES", str(256 * 1024)), "REQUEST_MAX_BYTES")
        # 0 would refuse every upload with 413.
        self.UPLOAD_MAX_BYTES = _at_least_one(whole("UPLOAD_MAX_BYTES", str(25 * 1024 * 1024)), "UPLOAD_MAX_BYTES")
        self.UPLOADS_PER_HOUR = whole("UPLOADS_PER_HOUR", "120")
        # What one user's files (not deleted) may take in all; 0: no quota.
        self.UPLOAD_QUOTA_BYTES = whole("UPLOAD_QUOTA_BYTES", str(2 * 1024**3))
        # Images that would decode to more pixels get no thumbnail (a small file can claim a huge canvas).
        self.THUMBNAIL_MAX_PIXELS = whole("THUMBNAIL_MAX_PIXELS", "16000000")
        # 0 would sign links that have expired when made: every download refused.
        self.DOWNLOAD_URL_SECONDS = _at_least_one(whole("DOWNLOAD_URL_SECONDS", "60"), "DOWNLOAD_URL_SECONDS")
        # Largest profile or group picture upload (actions.profiles); decoded under THUMBNAIL_MAX_PIXELS.
        self.AVATAR_MAX_BYTES = whole("AVATAR_MAX_BYTES", str(5 * 1024 * 1024))
        self.UPLOAD_ALLOWED_TYPES = upload_types(get("UPLOAD_ALLOWED_TYPES"))
        self.PASSWORD_HASH_METHOD = check_password_hash_method(
            get("PASSWORD_HASH_METHOD") or self.DEFAULT_PASSWORD_HASH_METHOD)
        self.PASSWORD_HASH_THREADS = _at_least_one(whole("PASSWORD_HASH_THREADS", "1"), "PASSWORD_HASH_THREADS")
        self.PASSWORD_HASH_WAITING = whole("PASSWORD_HASH_WAITING", "8")
        self.LOGIN_ATTEMPTS_PER_MINUTE = whole("LOGIN_ATTEMPTS_PER_MINUTE", "10")
        # Abuse limits (actions/rate_limits.py); 0 turns one off.
        # Messages one user may send at once, then per minute on average (socket and REST alike).
        self.SEND_BURST = whole("SEND_BURST", "10")
        self.SEND_PER_MINUTE = whole("SEND_PER_MINUTE", "60")
        self.REGISTRATIONS_PER_HOUR = whole("REGISTRATIONS_PER_HOUR", "10")
        self.CODE_ATTEMPTS_PER_HOUR = whole("CODE_ATTEMPTS_PER_HOUR", "20")
        self.CODE_RESENDS_PER_HOUR = whole("CODE_RESENDS_PER_HOUR", "6")
        self.PASSWORD_RESETS_PER_HOUR = whole("PASSWORD_RESETS_PER_HOUR", "6")
        self.TOKENS_PER_HOUR = whole("TOKENS_PER_HOUR", "30")
        self.CONTACT_REQUESTS_PER_HOUR = whole("CONTACT_REQUESTS_PER_HOUR", "30")
        self.QR_REQUESTS_PER_MINUTE = whole("QR_REQUESTS_PER_MINUTE", "30")
        self.SEARCHES_PER_MINUTE = whole("SEARCHES_PER_MINUTE", "30")
        # QR-code login (actions/qr_login.py): each code lives this long, then the page gets a new one;
        # after QR_LOGIN_CODES codes the page must ask again; a scanned code waits this long for a decision.
        # 0 would give codes expired as they are shown; 0 codes would show none.
        self.QR_LOGIN_ROTATE_SECONDS = _more_than_zero(seconds("QR_LOGIN_ROTATE_SECONDS", "20"),
                                                       "QR_LOGIN_ROTATE_SECONDS")
        self.QR_LOGIN_CODES = _at_least_one(whole("QR_LOGIN_CODES", "6"), "QR_LOGIN_CODES")
        self.QR_LOGIN_APPROVE_SECONDS = whole("QR_LOGIN_APPROVE_SECONDS", "120")
        # Operators without two-factor authentication are sent to enrol before the back office opens.
        self.TWO_FACTOR_REQUIRED_FOR_OPERATORS = _flag(get("TWO_FACTOR_REQUIRED_FOR_OPERATORS"),
                                                       "TWO_FACTOR_REQUIRED_FOR_OPERATORS")
        # The key that seals the two-factor secrets in the database (actions/sealed_secrets.py); empty: one derived
        # from SECRET_KEY. Older keys still open what they sealed, which is sealed anew with this one.
        self.TWO_FACTOR_KEY = _fernet_key(get("TWO_FACTOR_KEY", "").strip(), "TWO_FACTOR_KEY")
        self.TWO_FACTOR_OLD_KEYS = [_fernet_key(old, "TWO_FACTOR_OLD_KEYS")
                                    for old in _list(get("TWO_FACTOR_OLD_KEYS"))]
        # After LOCKOUT_FAILURES wrong passwords in a row an account is locked for LOCKOUT_SECONDS, each next
        # lock twice as long, LOCKOUT_MAX_SECONDS at most (actions/lockout.py); LOCKOUT_FAILURES=0: never.
        self.LOCKOUT_FAILURES = whole("LOCKOUT_FAILURES", "10")
        self.LOCKOUT_SECONDS = whole("LOCKOUT_SECONDS", "60")
        self.LOCKOUT_MAX_SECONDS = whole("LOCKOUT_MAX_SECONDS", "3600")
        # Security log rows (logins, failures, lockouts) are deleted after this many days; 0: kept.
        self.SECURITY_LOG_DAYS = whole("SECURITY_LOG_DAYS", "90")
        self.RATE_LIMIT_REDIS_URL = _redis_setting(get("RATE_LIMIT_REDIS_URL"), "RATE_LIMIT_REDIS_URL",
                                                   self.SOCKETIO_MESSAGE_QUEUE)
        self.JOBS_REDIS_URL = _redis_setting(get("JOBS_REDIS_URL"), "JOBS_REDIS_URL", self.SOCKETIO_MESSAGE_QUEUE)
        self.JOBS_SQLITE_PATH = get("JOBS_SQLITE_PATH") or self.default_jobs_path(instance_path)
        self.JOBS_WORKERS = _at_least_one(whole("JOBS_WORKERS", "2"), "JOBS_WORKERS")
        self.JOBS_POLL_SECONDS = seconds("JOBS_POLL_SECONDS", "1")
        self.JOBS_RETRY_DELAY_SECONDS = seconds("JOBS_RETRY_DELAY_SECONDS", "10")
        # Monitoring (docs/deployment.md, "Monitoring"): log lines as text or JSON, /metrics for a scraper
        # sending this bearer token (empty: /metrics answers 404), /readyz's wait for each dependency.
        self.LOG_FORMAT = _one_of(get("LOG_FORMAT") or "text", "LOG_FORMAT", ("text", "json"))
        self.LOG_LEVEL = _one_of((get("LOG_LEVEL") or "INFO").upper(), "LOG_LEVEL",
                                 ("DEBUG", "INFO", "WARNING", "ERROR"))
        self.METRICS_TOKEN = get("METRICS_TOKEN", "")
        self.READINESS_TIMEOUT_SECONDS = seconds("READINESS_TIMEOUT_SECONDS", "2")
        # Web Push (actions/web_push.py): the VAPID key (a PEM file, generated on first use outside
        # production), the contact push services may write to, how long they keep an undelivered push,
        # and (tests, a local push service) whether plain-HTTP endpoints are accepted.
        self.VAPID_PRIVATE_KEY_FILE = (get("VAPID_PRIVATE_KEY_FILE")
                                       or str(Path(instance_path) / "vapid_private_key.pem"))
        self.VAPID_SUBJECT = _vapid_subject(get("VAPID_SUBJECT") or "mailto:admin@localhost")
        self.WEB_PUSH_TTL_SECONDS = whole("WEB_PUSH_TTL_SECONDS", "86400")
        self.WEB_PUSH_ALLOW_HTTP = _flag(get("WEB_PUSH_ALLOW_HTTP"), "WEB_PUSH_ALLOW_HTTP")
        # The push services' hosts that subscriptions may name (the server POSTs to them: docs/security.md).
        self.WEB_PUSH_ENDPOINT_HOSTS = push_endpoint_hosts(get("WEB_PUSH_ENDPOINT_HOSTS")
                                                           or ",".join(DEFAULT_PUSH_ENDPOINT_HOSTS))

    def default_secret_key(self, instance_path: str) -> str:
        raise RuntimeError("SECRET_KEY must be set in the environment")

    def default_secure_cookies(self) -> bool:
        return False

    def default_jobs_path(self, instance_path: str) -> str:
        return str(Path(instance_path) / "jobs.db")


class DevelopmentConfig(BaseConfig):
    """One machine, no secrets configured: a key is generated and kept in instance/."""

    ENV_NAME = "development"

    def default_secret_key(self, instance_path: str) -> str:
        key_file = Path(instance_path) / "secret_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
            log.warning("SECRET_KEY is not set: generated one in %s (development only)", key_file)
        return key_file.read_text().strip()


class ProductionConfig(BaseConfig):
    """Refuses to start with settings that are unsafe on the internet: no SECRET_KEY
    (BaseConfig.default_secret_key raises), a weak one, any-origin CORS, cookies sent over
    plain HTTP unless ALLOW_INSECURE_HTTP says so; warns of codes written to the log (console senders) and of
    two-factor secrets sealed with a key derived from SECRET_KEY (no TWO_FACTOR_KEY)."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str], instance_path: str) -> None:
        super().__init__(environ, instance_path)
        check_secret_key(self.SECRET_KEY)
        if "*" in self.CORS_ALLOWED_ORIGINS:
            raise RuntimeError("CORS_ALLOWED_ORIGINS=* would let any site open sockets with a visitor's cookie: "
                               "list the origins, or leave it empty for same origin only")
        if not self.SESSION_COOKIE_SECURE:
            if not self.ALLOW_INSECURE_HTTP:
                raise RuntimeError("SESSION_COOKIE_SECURE=0 sends login cookies over plain HTTP: serve HTTPS, or set "
                                   "ALLOW_INSECURE_HTTP=1 if this deployment is plain HTTP on purpose")
            log.warning("ALLOW_INSECURE_HTTP=1: session cookies travel over plain HTTP, readable and replayable by "
                        "anyone on the network. Never do this on the internet.")
        consoles = [f"{name}=console" for name in ("CODE_SENDER_EMAIL", "CODE_SENDER_SMS")
                    if getattr(self, name) == "console"]
        if consoles:  # anyone may add an address in the settings and ask for a password reset
            log.warning("%s: codes (address confirmations, password resets) are written to the log, code included, "
                        "and never reach anyone, though the pages say they were sent. Set smtp / webhook "
                        "(docs/configuration.md, \"Sending codes\").", ", ".join(consoles))
        if not self.TWO_FACTOR_KEY:  # works, but ties every authenticator to SECRET_KEY
            log.warning("TWO_FACTOR_KEY is not set: two-factor secrets are sealed with a key derived from SECRET_KEY, "
                        "so changing SECRET_KEY turns every authenticator app off (recovery codes still work). "
                        "Set TWO_FACTOR_KEY apart (docs/configuration.md).")

    def default_secure_cookies(self) -> bool:
        # Secure unless the deployment says it is plain HTTP on purpose.
        return not self.ALLOW_INSECURE_HTTP


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    # One PBKDF2 round: test users are made and logged in by the hundred. Never for real passwords.
    DEFAULT_PASSWORD_HASH_METHOD = FAST_PASSWORD_HASH_METHOD

    def default_secret_key(self, instance_path: str) -> str:
        return "testing-secret-key"

    def default_jobs_path(self, instance_path: str) -> str:
        # Never the instance folder's queue, whose consumer would run the tests' jobs.
        return str(_testing_folder() / f"jobs-{secrets.token_hex(8)}.db")


CONFIG_CLASSES = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


@functools.cache
def _testing_folder() -> Path:
    """One temporary folder per test process, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="switchboard-testing-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def check_secret_key(key: str) -> None:
    """Refuse a production key that is short, published as an example, a placeholder or repetitive."""
    hint = 'generate one with: python3 -c "import secrets; print(secrets.token_hex(32))"'
    if len(key.encode()) < SECRET_KEY_MIN_BYTES:
        raise RuntimeError(f"SECRET_KEY must be at least {SECRET_KEY_MIN_BYTES} bytes: {hint}")
    words = "".join(char for char in key.lower() if char.isalnum())
    if key in SAMPLE_SECRET_KEYS or any(word in words for word in PLACEHOLDER_WORDS) or len(set(key)) < 8:
        raise RuntimeError(f"SECRET_KEY is a published sample or a placeholder, not a secret: {hint}")


def upload_types(value: str | None) -> list[str]:
    """The listed file types the server can recognize (storage.sniff.KNOWN_TYPES, the one list of
    them), or all of those. A type it cannot recognize could never be accepted: it is left out."""
    listed = [content_type.lower() for content_type in _list(value)]
    if not listed:
        return list(KNOWN_TYPES)
    unknown = [content_type for content_type in listed if content_type not in KNOWN_TYPES]
    allowed = [content_type for content_type in listed if content_type in KNOWN_TYPES]
    if not allowed:  # every upload would be refused 415, with nothing but a warning to say why
        raise RuntimeError(f"UPLOAD_ALLOWED_TYPES names no type the server recognizes ({', '.join(KNOWN_TYPES)}), "
                           f"not {value!r}")
    if unknown:
        log.warning("UPLOAD_ALLOWED_TYPES: %s cannot be recognized from a file's bytes; left out", ", ".join(unknown))
    return allowed


REGISTRATION_MODES = ("open", "invite", "closed")
ADDRESS_KINDS = ("email", "phone")


def push_endpoint_hosts(value: str) -> tuple[str, ...]:
    """WEB_PUSH_ENDPOINT_HOSTS: host names, `*.domain` (any host below it) or either with `:port`."""
    hosts = tuple(entry.lower() for entry in _list(value))
    for entry in hosts:
        name, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if (not re.fullmatch(r"(\*\.)?[a-z0-9.:-]+", name) or "/" in entry
                or (port and not (port.isdigit() and 0 < int(port) < 65536))):
            raise RuntimeError(f"WEB_PUSH_ENDPOINT_HOSTS: {entry!r} is not a host, *.domain or host:port")
    return hosts


def check_registration(value: str) -> tuple[str, ...]:
    """REGISTRATION: open, invite, closed, or the addresses a new account must confirm: email,
    phone, or email,phone (either one)."""
    modes = tuple(dict.fromkeys(_list(value.lower())))
    if (len(modes) == 1 and modes[0] in REGISTRATION_MODES) or (modes and set(modes) <= set(ADDRESS_KINDS)):
        return modes
    raise RuntimeError(f"REGISTRATION must be open, invite, closed, email, phone or email,phone, not {value!r}")


def check_code_senders(config: BaseConfig) -> None:
    """Refuse at startup a sender that could not send: SMTP without a server or a From address,
    a webhook without its URL or secret."""
    if config.CODE_SENDER_EMAIL == "smtp" and not (config.SMTP_HOST and config.SMTP_FROM):
        raise RuntimeError("CODE_SENDER_EMAIL=smtp needs SMTP_HOST and SMTP_FROM")
    if config.CODE_SENDER_SMS == "webhook" and not (config.SMS_WEBHOOK_URL and config.SMS_WEBHOOK_SECRET):
        raise RuntimeError("CODE_SENDER_SMS=webhook needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET")


def check_password_hash_method(method: str) -> str:
    """Refuse at startup a method werkzeug's generate_password_hash would refuse at the first sign-up."""
    if method.split(":", 1)[0] not in ("scrypt", "pbkdf2"):
        raise RuntimeError(f"PASSWORD_HASH_METHOD must be scrypt[:n:r:p] or pbkdf2[:hash:iterations], not {method!r}")
    return method


def pool_options(database_url: str, environ: Mapping[str, str]) -> dict:
    """The connection pool of a server database (SQLite keeps SQLAlchemy's own): DATABASE_POOL_SIZE
    connections kept, DATABASE_MAX_OVERFLOW more at a peak, and a request that finds them all taken
    for DATABASE_POOL_TIMEOUT seconds is answered `unavailable` (503, retryable)."""
    if database_url.startswith("sqlite"):
        return {}
    return {"pool_size": _number(environ, _whole, "DATABASE_POOL_SIZE", "5"),
            "max_overflow": _number(environ, _whole, "DATABASE_MAX_OVERFLOW", "10"),
            "pool_timeout": _number(environ, _seconds, "DATABASE_POOL_TIMEOUT", "10")}


def units_at_once(database_url: str, engine_options: Mapping[str, object], value: str | None) -> int:
    """DATABASE_UNITS_AT_ONCE: by default every connection the pool may open (DATABASE_POOL_SIZE +
    DATABASE_MAX_OVERFLOW), and none on SQLite, whose statements never wait in gevent's hub: a unit there
    gives up the CPU only for other I/O, so a line in front of the units would order next to nothing."""
    if value:
        if not _is_whole(value):
            raise RuntimeError(f"DATABASE_UNITS_AT_ONCE must be a whole number (0: no gate), not {value!r}")
        return int(value)
    if database_url.startswith("sqlite"):
        return 0
    return int(engine_options["pool_size"]) + int(engine_options["max_overflow"])


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(instance_path: str, environ: Mapping[str, str] | None = None) -> BaseConfig:
    """Build the settings object for `SWITCHBOARD_ENV` (default: production)."""
    environ = os.environ if environ is None else environ
    name = environ.get("SWITCHBOARD_ENV", "production")
    if name not in CONFIG_CLASSES:
        raise RuntimeError(f"SWITCHBOARD_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}")
    return CONFIG_CLASSES[name](environ, instance_path)
