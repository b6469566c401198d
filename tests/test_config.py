"""config.py: settings per environment, read from the environment when the app is built."""
import base64
import logging
import os
import re
import secrets
import stat
from pathlib import Path

import pytest

import config
from app import create_app
from config import VAPID_SUBJECTS, load_config, normalize_database_url

KEY = secrets.token_hex(32)  # a production-grade key


def production(tmp_path, **settings) -> dict:
    return {"SWITCHBOARD_ENV": "production", "SECRET_KEY": KEY, "SOCKETIO_ASYNC_MODE": "threading",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", **settings}


def env_example() -> dict[str, str]:
    lines = (Path(__file__).resolve().parent.parent / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


# SECRET_KEY

@pytest.mark.parametrize("environ", [{"SWITCHBOARD_ENV": "production"}, {"SWITCHBOARD_ENV": "production",
                                                                         "SECRET_KEY": ""}, {}])
def test_production_refuses_to_start_without_a_secret_key(environ):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(environ=environ)


def test_production_starts_with_a_secret_key(tmp_path):
    app = create_app(environ=production(tmp_path))
    assert (app.config["SECRET_KEY"], app.config["ENV_NAME"], app.debug, app.testing) == (
        KEY, "production", False, False)


@pytest.mark.parametrize("key", ["k", "s3cret", "x" * 31, "é" * 15])
def test_production_refuses_a_key_shorter_than_32_bytes(tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be at least 32 bytes"):
        create_app(environ=production(tmp_path, SECRET_KEY=key))


@pytest.mark.parametrize("key", [
    "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",  # Flask's docs
    "change-me-to-a-long-random-string-please",
    "Replace_Me_With_Your_Own_Secret_Key_0123",
    "your-secret-key-goes-here-and-nowhere-else",
    "a" * 64,
    "abababababababababababababababababababab",
])
def test_production_refuses_a_sample_or_placeholder_key(tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY is a published sample or a placeholder"):
        create_app(environ=production(tmp_path, SECRET_KEY=key))


def test_production_refuses_env_example_as_it_is(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(str(tmp_path), env_example())


def test_every_setting_left_empty_takes_its_default(tmp_path):
    # As docs/configuration.md says: .env.example with a key, and every other setting emptied, starts as an
    # environment that names none of them.
    essentials = {"SECRET_KEY": KEY, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    emptied = load_config(str(tmp_path), {**{name: "" for name in env_example()}, "SWITCHBOARD_ENV": "production",
                                          **essentials})
    unset = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "production", **essentials})
    names = [name for name in dir(unset) if name.isupper()]
    assert {name: getattr(emptied, name) for name in names} == {name: getattr(unset, name) for name in names}


def test_other_environments_take_any_key(tmp_path):
    for name in ("development", "testing"):
        assert load_config(str(tmp_path), {"SWITCHBOARD_ENV": name, "SECRET_KEY": "k"}).SECRET_KEY == "k"


def test_development_generates_a_key_once_and_keeps_it_private(tmp_path):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development"})
    key_file = tmp_path / "secret_key"
    assert re.fullmatch(r"[0-9a-f]{64}", settings.SECRET_KEY)
    assert key_file.read_text() == settings.SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development"}).SECRET_KEY == settings.SECRET_KEY


def test_development_creates_the_instance_folder_for_its_key(tmp_path):
    instance = tmp_path / "not" / "yet"
    settings = load_config(str(instance), {"SWITCHBOARD_ENV": "development"})
    assert (instance / "secret_key").read_text() == settings.SECRET_KEY


def test_an_environment_key_wins_and_nothing_is_written(tmp_path):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development", "SECRET_KEY": "given"})
    assert settings.SECRET_KEY == "given"
    assert not (tmp_path / "secret_key").exists()


# SWITCHBOARD_ENV

@pytest.mark.parametrize("name, config_class", [
    ("development", config.DevelopmentConfig), ("production", config.ProductionConfig),
    ("testing", config.TestingConfig)])
def test_each_environment_has_its_settings_class(tmp_path, name, config_class):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": name, "SECRET_KEY": KEY})
    assert type(settings) is config_class and settings.ENV_NAME == name
    assert settings.TESTING is (name == "testing")


def test_default_environment_is_production(tmp_path):
    assert type(load_config(str(tmp_path), {"SECRET_KEY": KEY})) is config.ProductionConfig


@pytest.mark.parametrize("name", ["staging", "Production", "", "dev"])
def test_unknown_environment_is_refused(tmp_path, name):
    with pytest.raises(RuntimeError, match="SWITCHBOARD_ENV must be one of development, production, testing"):
        load_config(str(tmp_path), {"SWITCHBOARD_ENV": name, "SECRET_KEY": "k"})
    with pytest.raises(RuntimeError, match="SWITCHBOARD_ENV must be one of"):
        create_app(environ={"SWITCHBOARD_ENV": name, "SECRET_KEY": "k"})


# DATABASE_URL

@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db:5432/switchboard", "postgresql+psycopg://u:p@db:5432/switchboard"),
    ("postgresql://u:p@db/switchboard", "postgresql+psycopg://u:p@db/switchboard"),
    ("postgresql+psycopg://u:p@db/switchboard", "postgresql+psycopg://u:p@db/switchboard"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_is_normalized_to_psycopg_3(tmp_path, url, expected):
    assert normalize_database_url(url) == expected
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "production", "SECRET_KEY": KEY, "DATABASE_URL": url})
    assert settings.SQLALCHEMY_DATABASE_URI == expected


def test_postgres_url_reaches_the_app(tmp_path):
    app = create_app(environ=production(tmp_path, DATABASE_URL="postgres://u:p@db/switchboard"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/switchboard"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "production", "SECRET_KEY": KEY})
    assert settings.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'switchboard.db'}"


# PASSWORD_HASH_METHOD

@pytest.mark.parametrize("name, method", [("production", "scrypt"), ("development", "scrypt"),
                                          ("testing", "pbkdf2:sha256:1")])
def test_only_the_tests_hash_passwords_fast_by_default(tmp_path, name, method):
    assert load_config(str(tmp_path), {"SWITCHBOARD_ENV": name, "SECRET_KEY": KEY}).PASSWORD_HASH_METHOD == method


def test_the_environment_chooses_the_password_hash_method(tmp_path):
    settings = load_config(str(tmp_path), {"SECRET_KEY": KEY, "PASSWORD_HASH_METHOD": "scrypt:65536:8:1"})
    assert settings.PASSWORD_HASH_METHOD == "scrypt:65536:8:1"


@pytest.mark.parametrize("method", ["md5", "plain", "sha256:1"])
def test_an_unknown_password_hash_method_is_refused_at_startup(tmp_path, method):
    with pytest.raises(RuntimeError, match="PASSWORD_HASH_METHOD must be scrypt"):
        load_config(str(tmp_path), {"SECRET_KEY": KEY, "PASSWORD_HASH_METHOD": method})


# cookies and origins

def test_production_cookies_are_secure_httponly_and_lax_by_default(tmp_path):
    app = create_app(environ=production(tmp_path))
    assert {name: app.config[name] for name in (
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SAMESITE")} == {
        "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": True, "REMEMBER_COOKIE_HTTPONLY": True, "REMEMBER_COOKIE_SAMESITE": "Lax"}


def test_the_login_cookies_carry_their_flags(tmp_path, migrated_sqlite):
    from tests.database_apps import sqlite_copy
    from tests.factories import PASSWORD, make_user

    app = create_app(environ=production(tmp_path, DATABASE_URL=sqlite_copy(migrated_sqlite, tmp_path)))
    with app.app_context():
        make_user("alice")
    browser = app.test_client()
    page = browser.get("/login", base_url="https://chat.example").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = browser.post("/login", base_url="https://chat.example", headers={"Referer": "https://chat.example/login"},
                            data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token})
    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"session", "remember_token", "trusted_device"}  # trusted_device: actions/lockout.py
    for header in cookies.values():
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in header.split(";")}
    # The remember cookie lives until the login session's absolute timeout (SESSION_MAX_DAYS, 90 by default).
    max_age = next(part.strip() for part in cookies["remember_token"].split(";") if part.strip().startswith("Max-Age"))
    assert abs(int(max_age.split("=")[1]) - 90 * 86400) < 60


@pytest.mark.parametrize("value", ["0", "no", "false"])
def test_production_refuses_cookies_over_plain_http_unless_told_it_is_on_purpose(tmp_path, value):
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE=0 sends login cookies over plain HTTP"):
        create_app(environ=production(tmp_path, SESSION_COOKIE_SECURE=value))


@pytest.mark.parametrize("settings", [{"ALLOW_INSECURE_HTTP": "1"},
                                      {"ALLOW_INSECURE_HTTP": "1", "SESSION_COOKIE_SECURE": "0"}])
def test_plain_http_on_purpose_starts_with_a_loud_warning(tmp_path, caplog, settings):
    with caplog.at_level(logging.WARNING, logger="config"):
        app = create_app(environ=production(tmp_path, **settings))
    assert (app.config["SESSION_COOKIE_SECURE"], app.config["REMEMBER_COOKIE_SECURE"]) == (False, False)
    insecure = [record for record in caplog.records if "ALLOW_INSECURE_HTTP" in record.getMessage()]
    assert [record.levelname for record in insecure] == ["WARNING"]
    assert "ALLOW_INSECURE_HTTP=1: session cookies travel over plain HTTP" in caplog.text


def test_secure_cookies_need_no_warning_even_if_plain_http_is_allowed(tmp_path, caplog):
    app = create_app(environ=production(tmp_path, ALLOW_INSECURE_HTTP="1", SESSION_COOKIE_SECURE="1"))
    assert app.config["SESSION_COOKIE_SECURE"] is True and "ALLOW_INSECURE_HTTP" not in caplog.text


@pytest.mark.parametrize("settings, channels", [({}, "CODE_SENDER_EMAIL=console, CODE_SENDER_SMS=console"),
                                                ({"CODE_SENDER_EMAIL": "smtp", "SMTP_HOST": "mail.example",
                                                  "SMTP_FROM": "no-reply@example.org"}, "CODE_SENDER_SMS=console")])
def test_production_warns_that_console_senders_write_codes_to_the_log(tmp_path, caplog, settings, channels):
    """Whatever REGISTRATION says, anyone can add an address in the settings and ask for a reset code:
    with a console sender the code goes to the log (readable by whoever reads the logs) and never
    reaches the person, though the page says it was sent."""
    with caplog.at_level(logging.WARNING, logger="config"):
        create_app(environ=production(tmp_path, **settings))
    (warning,) = [record.getMessage() for record in caplog.records if "console" in record.getMessage()]
    assert warning.startswith(channels + ": codes")


def test_no_warning_once_the_codes_are_really_sent(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="config"):
        create_app(environ=production(tmp_path, CODE_SENDER_EMAIL="smtp", SMTP_HOST="mail.example",
                                      SMTP_FROM="no-reply@example.org", CODE_SENDER_SMS="webhook",
                                      SMS_WEBHOOK_URL="https://sms.example/hook", SMS_WEBHOOK_SECRET="s" * 32))
    assert "console" not in caplog.text


def test_production_warns_when_two_factor_secrets_hang_on_the_secret_key(tmp_path, caplog):
    """Without TWO_FACTOR_KEY the secrets are sealed with a key derived from SECRET_KEY: it works, but a rotated
    SECRET_KEY would turn every authenticator off, so production says so once at start; not when it is set."""
    with caplog.at_level(logging.WARNING, logger="config"):
        create_app(environ=production(tmp_path))
    (warning,) = [record for record in caplog.records if "TWO_FACTOR_KEY" in record.getMessage()]
    assert warning.levelname == "WARNING" and warning.getMessage().startswith("TWO_FACTOR_KEY is not set")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="config"):
        create_app(environ=production(tmp_path, TWO_FACTOR_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode()))
    assert "TWO_FACTOR_KEY" not in caplog.text

@pytest.mark.parametrize("origins", ["*", "https://a.example,*"])
def test_production_refuses_cors_from_any_origin(tmp_path, origins):
    with pytest.raises(RuntimeError, match="CORS_ALLOWED_ORIGINS=\\* would let any site"):
        create_app(environ=production(tmp_path, CORS_ALLOWED_ORIGINS=origins))


def test_development_keeps_plain_http_cookies_without_a_word(tmp_path, caplog):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development", "CORS_ALLOWED_ORIGINS": "*"})
    assert settings.SESSION_COOKIE_SECURE is False and settings.CORS_ALLOWED_ORIGINS == ["*"]
    assert "ALLOW_INSECURE_HTTP" not in caplog.text


# other settings

def test_defaults(tmp_path):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "production", "SECRET_KEY": KEY})
    assert (settings.MESSAGE_MAX_LENGTH, settings.API_TOKEN_DAYS, settings.SOCKETIO_MESSAGE_QUEUE,
            settings.SOCKETIO_ASYNC_MODE, settings.CORS_ALLOWED_ORIGINS, settings.STORAGE_BACKEND) == (
        4000, 30, "", "gevent", [], "local")
    assert settings.STORAGE_LOCAL_PATH == str(tmp_path / "files")
    assert settings.DOWNLOAD_URL_SECONDS == 60  # a link works this long after its holder lost access


def test_settings_are_parsed_from_the_environment(tmp_path):
    settings = load_config(str(tmp_path), {
        "SWITCHBOARD_ENV": "production", "SECRET_KEY": KEY, "MESSAGE_MAX_LENGTH": "500", "API_TOKEN_DAYS": "7",
        "CORS_ALLOWED_ORIGINS": " https://a.example , ,https://b.example", "SESSION_COOKIE_SECURE": "Yes",
        "SOCKETIO_MESSAGE_QUEUE": "redis://cache:6379/0"})
    assert (settings.MESSAGE_MAX_LENGTH, settings.API_TOKEN_DAYS, settings.CORS_ALLOWED_ORIGINS,
            settings.SESSION_COOKIE_SECURE, settings.SOCKETIO_MESSAGE_QUEUE) == (
        500, 7, ["https://a.example", "https://b.example"], True, "redis://cache:6379/0")


@pytest.mark.parametrize("settings, message", [
    ({"STORAGE_BACKEND": "minio"}, "STORAGE_BACKEND must be one of local, s3, not 'minio'"),
    ({"STORAGE_BACKEND": "S3", "S3_BUCKET": "chat-files"}, "STORAGE_BACKEND must be one of local, s3, not 'S3'"),
    ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
])
def test_a_storage_that_could_not_be_built_is_refused_at_startup(tmp_path, settings, message):
    # Storage is built at its first use: without this, the first upload or download would answer 500.
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app(environ=production(tmp_path, **settings))


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("on", True), ("0", False),
                                             ("no", False), ("", False)])
def test_flags(tmp_path, value, expected):
    settings = load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development", "SESSION_COOKIE_SECURE": value})
    assert settings.SESSION_COOKIE_SECURE is expected


# TWO_FACTOR_KEY, TWO_FACTOR_OLD_KEYS (actions/sealed_secrets.py)

@pytest.mark.parametrize("value", ["short", "a" * 44, "x" * 43 + "=y", "x" * 42 + "/=", "x" * 43 + "=="])
@pytest.mark.parametrize("name", ["TWO_FACTOR_KEY", "TWO_FACTOR_OLD_KEYS"])
def test_a_two_factor_key_that_is_not_one_is_refused_at_startup_without_being_shown(tmp_path, name, value):
    with pytest.raises(RuntimeError, match=f"^{name} must be 32 bytes in URL-safe base64") as refused:
        load_config(str(tmp_path), production(tmp_path, **{name: value}))
    assert value not in str(refused.value)


def test_two_factor_keys_are_read_and_empty_by_default(tmp_path):
    from cryptography.fernet import Fernet

    new, old, older = (Fernet.generate_key().decode() for _ in range(3))
    settings = load_config(str(tmp_path), production(tmp_path, TWO_FACTOR_KEY=f" {new} ",
                                                     TWO_FACTOR_OLD_KEYS=f"{old}, {older},"))
    assert (settings.TWO_FACTOR_KEY, settings.TWO_FACTOR_OLD_KEYS) == (new, [old, older])
    default = load_config(str(tmp_path), production(tmp_path))
    assert (default.TWO_FACTOR_KEY, default.TWO_FACTOR_OLD_KEYS) == ("", [])


@pytest.mark.parametrize("name", ["PASSWORD_HASH_THREADS", "JOBS_WORKERS", "DOWNLOAD_URL_SECONDS"])
def test_a_pool_of_no_threads_or_links_that_never_work_are_refused_at_startup(tmp_path, name):
    # 0 was taken: no thread ever hashed a password (every login and sign-up waited forever), or ran a job;
    # every download link had expired when made (403 link_expired on the local backend).
    with pytest.raises(RuntimeError, match=f"{name} must be 1 or more, not 0"):
        create_app(environ=production(tmp_path, **{name: "0"}))
    assert getattr(load_config(str(tmp_path), production(tmp_path, **{name: "3"})), name) == 3


@pytest.mark.parametrize("name", ["REQUEST_MAX_BYTES", "MESSAGE_MAX_LENGTH", "SOCKET_EVENT_QUEUE",
                                  "GATEWAY_MAX_PACKET_BYTES", "GATEWAY_RECEIVE_QUEUE", "CODE_TTL_SECONDS",
                                  "CODE_MAX_ATTEMPTS", "UPLOAD_MAX_BYTES", "QR_LOGIN_CODES",
                                  "PRESENCE_EXPIRY_SECONDS"])
def test_a_limit_of_zero_that_refuses_everything_is_refused_at_startup(tmp_path, name):
    # 0 was taken by a live gunicorn: every JSON body (sign-up and login included) answered 413, every
    # message `invalid_body` ("at most 0 characters"), every socket event `busy`; every gateway connection
    # closed at its login packet (1009) or at once (`busy`). And by their meaning: every code expired as it
    # was sent or exhausted before its first try, every upload 413, no QR code shown, every connection
    # dropped from Redis's presence as it was written.
    with pytest.raises(RuntimeError, match=f"^{name} must be 1 or more, not 0$"):
        create_app(environ=production(tmp_path, **{name: "0"}))
    assert load_config(str(tmp_path), production(tmp_path, **{name: "1"})) is not None


@pytest.mark.parametrize("name", ["SESSION_IDLE_DAYS", "SESSION_MAX_DAYS", "GATEWAY_IDLE_SECONDS",
                                  "QR_LOGIN_ROTATE_SECONDS"])
def test_a_session_lifetime_of_zero_is_refused_at_startup_and_fractions_are_taken(tmp_path, name):
    # 0 was taken: every login ended as it began (the page's login, then 401 at once), every gateway
    # connection was closed `idle` as it opened, every QR login code was expired as it was shown.
    for value in ("0", "0.0"):
        with pytest.raises(RuntimeError, match=f"^{name} must be more than 0, not 0$"):
            create_app(environ=production(tmp_path, **{name: value}))
    assert getattr(load_config(str(tmp_path), production(tmp_path, **{name: "0.5"})), name) == 0.5


@pytest.mark.parametrize("name, value, message", [
    # Started, then every login and sign-up answered 500 (the rate limits' counters are made on first use).
    ("RATE_LIMIT_REDIS_URL", "cache:6379", "RATE_LIMIT_REDIS_URL must be a redis://, rediss:// or unix:// URL"),
    # Refused, but by redis-py without the setting's name.
    ("PRESENCE_REDIS_URL", "cache:6379", "PRESENCE_REDIS_URL must be a redis://, rediss:// or unix:// URL"),
    ("JOBS_REDIS_URL", "http://cache:6379", "JOBS_REDIS_URL must be a redis://, rediss:// or unix:// URL"),
    # Started, then every phone number typed without + was refused as invalid.
    ("PHONE_DEFAULT_REGION", "Germany", "PHONE_DEFAULT_REGION must be a two-letter region such as DE or US"),
    ("PHONE_DEFAULT_REGION", "XX", "PHONE_DEFAULT_REGION must be a two-letter region such as DE or US"),
    # Refused by Flask-SocketIO as "Invalid async_mode specified", naming no setting.
    ("SOCKETIO_ASYNC_MODE", "eventlet", "SOCKETIO_ASYNC_MODE must be one of gevent, threading, not 'eventlet'"),
])
def test_a_setting_the_app_could_not_use_is_refused_at_startup_by_name(tmp_path, name, value, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app(environ=production(tmp_path, **{name: value}))


def test_redis_urls_and_a_phone_region_are_taken(tmp_path):
    settings = load_config(str(tmp_path), production(tmp_path, RATE_LIMIT_REDIS_URL="rediss://cache:6380/1",
                                                    PHONE_DEFAULT_REGION=" de "))
    assert (settings.RATE_LIMIT_REDIS_URL, settings.PHONE_DEFAULT_REGION) == ("rediss://cache:6380/1", "DE")


@pytest.mark.parametrize("value", ["0", "65536", "99999"])
def test_an_smtp_port_that_is_no_port_is_refused_at_startup(tmp_path, value):
    # It was taken, and every code sent by e-mail failed in the job consumer, retried in vain.
    with pytest.raises(RuntimeError, match=f"SMTP_PORT must be a port from 1 to 65535, not {value}"):
        create_app(environ=production(tmp_path, SMTP_PORT=value))
    assert load_config(str(tmp_path), production(tmp_path, SMTP_PORT="465")).SMTP_PORT == 465


@pytest.mark.parametrize("value", ["admin", "admin@example.org", "https://example.org/contact", "mailto:ops"])
def test_a_vapid_subject_push_services_would_not_get_is_refused_at_startup(tmp_path, value):
    # It was taken, and py_vapid refused to sign every push with it: each Web Push job failed, retried in vain.
    with pytest.raises(RuntimeError, match="VAPID_SUBJECT must be a mailto: address or an https:// origin"):
        create_app(environ=production(tmp_path, VAPID_SUBJECT=value))
    for subject in ("mailto:ops@example.org", "https://example.org"):
        assert load_config(str(tmp_path), production(tmp_path, VAPID_SUBJECT=subject)).VAPID_SUBJECT == subject


def test_the_vapid_subject_rule_is_the_one_py_vapid_signs_with():
    import py_vapid

    signs_with = py_vapid._check_sub  # private to py_vapid: this test notices if it changes
    for subject in ("mailto:ops@example.org", "MAILTO:a.b@mail.example.co.uk", "mailto:admin@localhost",
                    "https://example.org", "https://push.example.org", "https://localhost", "admin",
                    "admin@example.org", "mailto:ops", "mailto:ops@example", "https://example.org/contact",
                    "https://example.org:8443", "http://example.org", "https://example", "mailto:@example.org"):
        assert bool(VAPID_SUBJECTS.fullmatch(subject)) == bool(signs_with(subject)), subject


@pytest.mark.parametrize("origin", ["chat.example.org", "https://chat.example.org/", "https://chat.example.org/app"])
def test_a_cors_origin_no_browser_sends_is_refused_at_startup(tmp_path, origin):
    # It was taken, and never equalled a browser's Origin header: that site's sockets were refused.
    with pytest.raises(RuntimeError, match=f"CORS_ALLOWED_ORIGINS: '{re.escape(origin)}' is not an origin"):
        create_app(environ=production(tmp_path, CORS_ALLOWED_ORIGINS=f"https://a.example,{origin}"))
    taken = load_config(str(tmp_path), production(tmp_path, CORS_ALLOWED_ORIGINS="https://a.example:8443,http://b"))
    assert taken.CORS_ALLOWED_ORIGINS == ["https://a.example:8443", "http://b"]


FLAGS = ("ALLOW_INSECURE_HTTP", "SESSION_COOKIE_SECURE", "TWO_FACTOR_REQUIRED_FOR_OPERATORS", "WEB_PUSH_ALLOW_HTTP")


@pytest.mark.parametrize("name", FLAGS)
@pytest.mark.parametrize("value", ["ture", "2", "enabled", "-"])
def test_a_flag_that_is_neither_on_nor_off_is_refused_at_startup_by_name(tmp_path, name, value):
    # It was read as off: a typo in TWO_FACTOR_REQUIRED_FOR_OPERATORS turned the requirement off without a word.
    with pytest.raises(RuntimeError, match=f"{name} must be 1 or 0 .*not '{value}'"):
        create_app(environ=production(tmp_path, **{"ALLOW_INSECURE_HTTP": "1", name: value}))


@pytest.mark.parametrize("name", FLAGS)
def test_every_flag_is_read_on_and_off(tmp_path, name):
    on, off = (load_config(str(tmp_path), {"SWITCHBOARD_ENV": "development", name: value}) for value in (" On ", "off"))
    assert (getattr(on, name), getattr(off, name)) == (True, False)


def test_overrides_win_over_the_environment(tmp_path):
    app = create_app({"MESSAGE_MAX_LENGTH": 12}, environ=production(tmp_path, MESSAGE_MAX_LENGTH="500"))
    assert app.config["MESSAGE_MAX_LENGTH"] == 12


def test_upload_types_are_those_storage_sniff_recognizes(tmp_path, monkeypatch):
    from storage.sniff import KNOWN_TYPES

    def allowed(value: str) -> list[str]:
        return load_config(str(tmp_path), {"SECRET_KEY": KEY, "UPLOAD_ALLOWED_TYPES": value}).UPLOAD_ALLOWED_TYPES

    assert allowed("") == list(KNOWN_TYPES)
    assert allowed("image/png, application/pdf") == ["image/png", "application/pdf"]
    warnings = []
    monkeypatch.setattr(config.log, "warning", lambda message, *args: warnings.append(message % args))
    assert allowed("image/png,image/svg+xml") == ["image/png"]  # never recognized from the bytes: left out
    assert [warning for warning in warnings if "UPLOAD_ALLOWED_TYPES" in warning] == [
        "UPLOAD_ALLOWED_TYPES: image/svg+xml cannot be recognized from a file's bytes; left out"]
    assert allowed(" Image/PNG,APPLICATION/PDF") == ["image/png", "application/pdf"]  # types have no case


@pytest.mark.parametrize("value", ["images", "image/svg+xml", "image/*, video/*"])
def test_upload_types_that_allow_nothing_are_refused_at_startup(tmp_path, value):
    # They started with a warning, and every upload was then refused 415 type_not_allowed.
    with pytest.raises(RuntimeError, match="UPLOAD_ALLOWED_TYPES names no type the server recognizes"):
        create_app(environ=production(tmp_path, UPLOAD_ALLOWED_TYPES=value))


# registration and code senders

@pytest.mark.parametrize("value, expected", [
    ("", ("open",)), ("open", ("open",)), ("Email", ("email",)), ("phone", ("phone",)),
    ("email, phone", ("email", "phone")), ("invite", ("invite",)), ("closed", ("closed",)),
])
def test_registration_modes(tmp_path, value, expected):
    assert load_config(str(tmp_path), production(tmp_path, REGISTRATION=value)).REGISTRATION == expected


@pytest.mark.parametrize("value", ["everyone", "open,email", "invite,closed", "email,sms"])
def test_an_unknown_registration_mode_is_refused_at_startup(tmp_path, value):
    with pytest.raises(RuntimeError, match="REGISTRATION must be"):
        load_config(str(tmp_path), production(tmp_path, REGISTRATION=value))


@pytest.mark.parametrize("settings, message", [
    ({"CODE_SENDER_EMAIL": "smtp"}, "CODE_SENDER_EMAIL=smtp needs SMTP_HOST and SMTP_FROM"),
    ({"CODE_SENDER_EMAIL": "smtp", "SMTP_HOST": "mail.example.org"}, "needs SMTP_HOST and SMTP_FROM"),
    ({"CODE_SENDER_SMS": "webhook", "SMS_WEBHOOK_URL": "https://sms.example.org/send"},
     "CODE_SENDER_SMS=webhook needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET"),
    ({"CODE_SENDER_SMS": "pigeon"}, "CODE_SENDER_SMS must be one of console, webhook"),
    ({"SMTP_SECURITY": "tls"}, "SMTP_SECURITY must be one of starttls, ssl, none"),
])
def test_a_code_sender_that_could_not_send_is_refused_at_startup(tmp_path, settings, message):
    with pytest.raises(RuntimeError, match=message):
        load_config(str(tmp_path), production(tmp_path, **settings))


# documentation

def settings_read() -> set[str]:
    """Every environment variable config.py names (read with `get("NAME")`, `environ.get("NAME")`, or
    as a number: `whole("NAME", ...)`, `seconds(...)`, `days(...)`)."""
    source = Path(config.__file__).read_text(encoding="utf-8")
    return set(re.findall(r'\bget\("([A-Z][A-Z0-9_]*)"', source)) | set(numbers_read())


def numbers_read() -> dict[str, str]:
    """The settings config.py reads as numbers (`whole("NAME", ...)`, or `_number(environ, _whole, "NAME", ...)`
    outside BaseConfig), by the kind of number."""
    source = Path(config.__file__).read_text(encoding="utf-8")
    found = re.findall(r'\b(?:_number\(environ, _)?(whole|seconds|days)(?:, |\()"([A-Z][A-Z0-9_]*)"', source)
    return {name: kind for kind, name in found}


NUMBER_WORDS = {"whole": "a whole number, 0 or more", "seconds": "a number of seconds, 0 or more",
                "days": "a number of days, 0 or more"}


def test_the_configuration_doc_names_the_numbers_that_take_fractions():
    documented = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    start = documented.index("Numbers are whole")
    paragraph = documented[start:documented.index("\n\n", start)]
    fractional = {name for name, kind in numbers_read().items() if kind != "whole"}
    assert set(re.findall(r"`([A-Z][A-Z0-9_]*)`", paragraph)) == fractional


@pytest.mark.parametrize(("name", "kind"), sorted(numbers_read().items()))
def test_a_number_setting_that_is_not_one_is_refused_at_startup_by_name(tmp_path, name, kind):
    for value in ("lots", "-1", "nan", "²"):
        with pytest.raises(RuntimeError, match=f"^{name} must be {NUMBER_WORDS[kind]}, not '{value}'$"):
            load_config(str(tmp_path), production(tmp_path, DATABASE_URL="postgresql://u:p@db/switchboard",
                                                  **{name: value}))
    blank = load_config(str(tmp_path), production(tmp_path, DATABASE_URL="postgresql://u:p@db/switchboard",
                                                  **{name: ""}))
    default = load_config(str(tmp_path), production(tmp_path, DATABASE_URL="postgresql://u:p@db/switchboard"))
    assert vars(blank) == vars(default)  # set empty, as .env.example's blanks are: the default


class Recording(dict):
    """An environment that remembers every name asked of it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def test_the_settings_read_are_all_found(tmp_path):
    environ = Recording(production(tmp_path, DATABASE_URL="postgresql://u:p@db/switchboard"))
    load_config(str(tmp_path), environ)
    assert {"SECRET_KEY", "DATABASE_POOL_SIZE", "WEB_PUSH_TTL_SECONDS"} <= environ.asked <= settings_read()


def test_every_setting_is_in_env_example_and_the_configuration_doc():
    documented = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    example = Path(__file__).resolve().parent.parent / ".env.example"
    in_example = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example.read_text(), re.MULTILINE))
    assert sorted(name for name in settings_read() if f"`{name}`" not in documented) == []
    assert sorted(settings_read() - in_example) == []


def test_pooled_connections_are_pinged_after_a_second_idle_by_default(tmp_path):
    settings = load_config(str(tmp_path), production(tmp_path, DATABASE_URL="postgresql://u:p@db/switchboard"))
    assert settings.DATABASE_PING_AFTER_IDLE_SECONDS == 1.0
    assert "pool_pre_ping" not in settings.SQLALCHEMY_ENGINE_OPTIONS  # models.database.ping_when_idle instead
    settings = load_config(str(tmp_path), production(tmp_path, DATABASE_PING_AFTER_IDLE_SECONDS=" 0.25"))
    assert settings.DATABASE_PING_AFTER_IDLE_SECONDS == 0.25
    settings = load_config(str(tmp_path), production(tmp_path, DATABASE_PING_AFTER_IDLE_SECONDS=""))
    assert settings.DATABASE_PING_AFTER_IDLE_SECONDS == 1.0  # empty, as in .env.example's blanks: the default


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_ping_delay_that_is_not_seconds_is_refused_at_startup(tmp_path, value):
    with pytest.raises(RuntimeError, match="DATABASE_PING_AFTER_IDLE_SECONDS must be a number of seconds, 0 or more"):
        load_config(str(tmp_path), production(tmp_path, DATABASE_PING_AFTER_IDLE_SECONDS=value))


@pytest.mark.parametrize(("value", "expected"), [("1024", 1024), ("0", 0), ("off", "off"), (" OFF ", "off")])
def test_websocket_compression_is_off_or_a_size(tmp_path, value, expected):
    settings = load_config(str(tmp_path), production(tmp_path, WEBSOCKET_COMPRESSION=value))
    assert settings.WEBSOCKET_COMPRESSION == expected


@pytest.mark.parametrize("value", ["on", "-1", "1k", "²"])  # empty: the default (see above)
def test_websocket_compression_refuses_anything_else(tmp_path, value):
    with pytest.raises(RuntimeError, match="WEBSOCKET_COMPRESSION must be"):
        load_config(str(tmp_path), production(tmp_path, WEBSOCKET_COMPRESSION=value))


@pytest.mark.parametrize(("queue", "redis_url"), [("redis://cache:6379/0", "redis://cache:6379/0"),
                                                  ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock"),
                                                  ("", "")])
def test_presence_rate_limits_and_jobs_follow_a_redis_message_queue_alike(tmp_path, queue, redis_url):
    settings = load_config(str(tmp_path), production(tmp_path, SOCKETIO_MESSAGE_QUEUE=queue))
    assert (settings.PRESENCE_REDIS_URL, settings.RATE_LIMIT_REDIS_URL, settings.JOBS_REDIS_URL) == (redis_url,) * 3
    own = load_config(str(tmp_path), production(tmp_path, SOCKETIO_MESSAGE_QUEUE=queue,
                                                PRESENCE_REDIS_URL="redis://presence:6379/1"))
    assert own.PRESENCE_REDIS_URL == "redis://presence:6379/1"
