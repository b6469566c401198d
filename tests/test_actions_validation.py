"""actions.validation: each check_* returns the clean value or raises InvalidInput with a stable code."""
from datetime import datetime

import pytest

from actions.errors import Conflict, InvalidInput
from actions.validation import (
    check_bool,
    check_choice,
    check_client_id,
    check_email,
    check_future_moment,
    check_id,
    check_int,
    check_limit,
    check_message_body,
    check_moment,
    check_password,
    check_payload,
    check_phone,
    check_push_endpoint,
    check_push_key,
    check_push_keys,
    check_string,
    check_user_ids,
    check_username,
    is_allowed_push_endpoint,
    is_clean_text,
)
from config import DEFAULT_PUSH_ENDPOINT_HOSTS, push_endpoint_hosts
from models.time import utcnow
from tests.helpers import bearer, error_of, push_keys


def invalid(check, *args, **kwargs) -> tuple[str, str]:
    """(code, message) of the InvalidInput a check raises; its status is always 400."""
    with pytest.raises(InvalidInput) as raised:
        check(*args, **kwargs)
    assert raised.value.status == 400
    return raised.value.code, raised.value.message


def test_check_future_moment_wants_a_time_after_now():
    assert check_future_moment("2099-01-02T03:04:05Z", "until") == datetime(2099, 1, 2, 3, 4, 5)
    # Within 100 years: the year 9999 could not be shown east of UTC (the Users panel was a 500).
    for value in (None, "", "tomorrow", 5, "2020-01-01", utcnow().isoformat(), "2999-01-02T03:04:05Z",
                  "9999-12-31T23:59"):
        assert invalid(check_future_moment, value, "until")[0] == "invalid_until"


def test_check_moment_refuses_a_time_that_leaves_the_calendar_in_utc():
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        assert invalid(check_moment, value, "since")[0] == "invalid_since"
    assert check_moment("9999-12-31T23:59:59+01:00", "since") == datetime(9999, 12, 31, 22, 59, 59)


def test_a_push_endpoint_is_an_ascii_url():
    """Push services' URLs are ASCII; 900 CJK characters (2,700 bytes) overflowed PostgreSQL's index row."""
    endpoint = "https://fcm.googleapis.com/fcm/send/" + "\u4e2d" * 900
    assert invalid(check_push_endpoint, endpoint)[0] == "invalid_subscription"


def test_check_payload_accepts_objects_and_none_only():
    assert check_payload({"a": 1}) == {"a": 1}
    assert check_payload(None) == {}
    for payload in ("text", [1, 2], 3, True):
        assert invalid(check_payload, payload) == ("invalid_payload", "The payload must be a JSON object.")


@pytest.mark.parametrize("value, expected", [(5, 5), ("12", 12), (3.0, 3), (0, 0), (-4, -4), (" +7 ", 7),
                                             ("12\x1c", 12), ("\x1f-3", -3)])
def test_check_int_accepts_integers(value, expected):
    assert check_int(value, "seq") == expected


@pytest.mark.parametrize("value", [True, False, 2.5, "abc", "1.5", [1], {"a": 1}, object(), float("inf"),
                                   float("-inf"), float("nan"), "1_000", "١٢", "0x10", "1e3", "9" * 5000])
def test_check_int_refuses_non_integers(value):
    assert invalid(check_int, value, "seq") == ("invalid_seq", "seq must be an integer.")


def test_check_int_required_and_bounds():
    assert invalid(check_int, None, "seq") == ("invalid_seq", "seq is required.")
    assert invalid(check_int, "", "seq") == ("invalid_seq", "seq is required.")
    assert check_int(None, "seq", required=False) is None
    assert check_int("", "seq", required=False) is None
    assert invalid(check_int, -1, "seq", minimum=0) == ("invalid_seq", "seq must be at least 0.")
    assert invalid(check_int, 11, "seq", maximum=10) == ("invalid_seq", "seq must be at most 10.")
    assert check_int(10, "seq", minimum=0, maximum=10) == 10


SAFE = 2**53 - 1


@pytest.mark.parametrize("value", [SAFE + 1, 2**63, 2**64, 99999999999999999999999, "99999999999999999999999", 1e308,
                                   float(2**53)])
def test_check_int_has_bounds_even_when_the_caller_gives_none(value):
    assert invalid(check_int, value, "seq") == ("invalid_seq", f"seq must be at most {SAFE}.")
    assert invalid(check_int, -value if not isinstance(value, str) else "-" + value, "seq") == (
        "invalid_seq", f"seq must be at least {-SAFE}.")
    assert invalid(check_int, value, "limit", maximum=2**70) == ("invalid_limit", f"limit must be at most {SAFE}.")
    assert check_int(SAFE, "seq") == SAFE and check_int(str(SAFE), "seq") == SAFE


def test_check_id_is_an_integer_from_one_to_the_bound():
    assert check_id(1, "user_id") == 1 and check_id(" 42 ", "user_id") == 42 and check_id(SAFE, "user_id") == SAFE
    assert check_id(None, "user_id", required=False) is None
    assert invalid(check_id, 0, "user_id") == ("invalid_user_id", "user_id must be at least 1.")
    assert invalid(check_id, SAFE + 1, "user_id") == ("invalid_user_id", f"user_id must be at most {SAFE}.")
    assert invalid(check_id, float("inf"), "user_id") == ("invalid_user_id", "user_id must be an integer.")


@pytest.mark.parametrize("app_settings", [{"MESSAGE_MAX_LENGTH": 12}])
def test_check_message_body_follows_the_setting(app):
    assert check_message_body(" " + "x" * 12 + " ") == "x" * 12
    assert invalid(check_message_body, "x" * 13) == ("invalid_body", "body must be at most 12 characters.")
    assert invalid(check_message_body, "") == ("invalid_body", "body must not be empty.")
    assert check_message_body(None, required=False) == ""


def test_check_string_strips_and_limits():
    assert check_string("  hi  ", "body", max_length=10) == "hi"
    assert check_string("  hi  ", "body", max_length=10, strip=False) == "  hi  "
    assert check_string("x" * 10, "body", max_length=10) == "x" * 10
    assert invalid(check_string, "x" * 11, "body", max_length=10) == (
        "invalid_body", "body must be at most 10 characters.")
    assert invalid(check_string, "   ", "body", max_length=10) == ("invalid_body", "body must not be empty.")
    assert invalid(check_string, None, "body", max_length=10) == ("invalid_body", "body must not be empty.")
    assert check_string(None, "body", max_length=10, required=False) == ""
    assert invalid(check_string, 12, "body", max_length=10) == ("invalid_body", "body must be a string.")
    assert invalid(check_string, ["a"], "body", max_length=10) == ("invalid_body", "body must be a string.")


LINE_MESSAGE = "name must not contain control characters or unpaired surrogates."
TEXT_MESSAGE = "body must not contain control characters or unpaired surrogates (newlines and tabs are allowed)."


@pytest.mark.parametrize("space", ["\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"])
def test_whitespace_around_text_is_what_str_strip_drops_control_characters_among_it(app, space):
    """docs/protocol.md, Input: around free text these are dropped, though inside it the control characters
    among them are refused; U+200B and U+FEFF are no whitespace, so they stay and count."""
    assert check_string(f"{space}hi{space}", "name", max_length=10) == "hi"
    assert check_string("\u200bhi\ufeff", "name", max_length=10) == "\u200bhi\ufeff"


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"])
def test_the_text_rule_refuses_control_characters_and_lone_surrogates(app, character):
    assert invalid(check_string, f"a{character}b", "name", max_length=10) == ("invalid_name", LINE_MESSAGE)
    assert invalid(check_string, f"a{character}b", "body", max_length=10, multiline=True) == (
        "invalid_body", TEXT_MESSAGE)
    assert invalid(check_message_body, f"a{character}b") == ("invalid_body", TEXT_MESSAGE)
    assert not is_clean_text(f"a{character}b")


def test_multi_line_text_keeps_newlines_and_tabs_single_lines_do_not(app):
    assert check_string("a\tb\r\nc\rd\n", "body", max_length=10, multiline=True) == "a\tb\nc\nd"
    assert check_message_body("one\n\ttwo") == "one\n\ttwo"
    for character in ("\n", "\t", "\r"):
        assert invalid(check_string, f"a{character}b", "name", max_length=10) == ("invalid_name", LINE_MESSAGE)
    # What is not a control character stays: emoji (a surrogate pair in JSON), joiners, other scripts, the
    # direction marks; a bidirectional override or isolate only in multi-line text (a message).
    assert check_string("👩\u200d💻 日本 \u200fשלום", "name", max_length=20) == "👩\u200d💻 日本 \u200fשלום"
    for character in ("\u202a", "\u202e", "\u2066", "\u2069"):
        assert invalid(check_string, f"invoice{character}fdp.exe", "name", max_length=20) == ("invalid_name",
                                                                                          LINE_MESSAGE)
        assert check_message_body(f"a{character}b") == f"a{character}b"
    assert is_clean_text("pass\tword") and not is_clean_text(None)


@pytest.mark.parametrize("value, expected", [("Alice", "alice"), ("  BOB_1 ", "bob_1"), ("a.b-c", "a.b-c"),
                                             ("_x9", "_x9"), ("z" * 32, "z" * 32)])
def test_check_username_normalizes(value, expected):
    assert check_username(value) == expected


@pytest.mark.parametrize("value", ["ab", ".abc", "-abc", "has space", "émile", "a/b", "a@b"])
def test_check_username_refuses_bad_names(value):
    assert invalid(check_username, value) == (
        "invalid_username", "Usernames are 3 to 32 characters: letters, digits, '_', '.' or '-'.")


@pytest.mark.parametrize("value", ["all", "ALL", " All ", "all.", "all-", "all.-."])
def test_check_username_refuses_the_names_mentions_give_a_meaning_to(value):
    """`@all` in a group mentions every member (actions.mentions), and "@all." is read as it too (a sentence's
    end): an account so named could be mentioned by the group's admins only, and then with everyone. Slack
    keeps @channel, @here and @everyone so. 409 username_taken, as a name another account has."""
    with pytest.raises(Conflict) as raised:
        check_username(value)
    assert (raised.value.status, raised.value.code) == (409, "username_taken")
    assert check_username(value, keeping=value.strip().lower()) == value.strip().lower()  # an account keeps its name
    with pytest.raises(Conflict):
        check_username(value, keeping="bob")


@pytest.mark.parametrize("value", ["alls", "ball", "all_", "all.team", "_all", "all1"])
def test_names_that_only_start_with_a_reserved_word_are_free(value):
    assert check_username(value) == value


def test_check_username_refuses_long_or_missing_names():
    assert invalid(check_username, "z" * 33)[0] == "invalid_username"
    assert invalid(check_username, None)[0] == "invalid_username"
    assert invalid(check_username, 42)[0] == "invalid_username"


def test_check_password_keeps_spaces_and_needs_eight_characters():
    assert check_password("  spaced  ") == "  spaced  "
    assert check_password("x" * 128) == "x" * 128
    assert invalid(check_password, "short12") == ("invalid_password", "Passwords have at least 8 characters.")
    assert invalid(check_password, "x" * 129)[0] == "invalid_password"
    assert invalid(check_password, None)[0] == "invalid_password"
    assert invalid(check_password, 12345678)[0] == "invalid_password"


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "iloveyou", "QWERTYUIOP", "trustno1"])
def test_check_password_refuses_the_most_common_passwords(password):
    assert invalid(check_password, password) == (
        "common_password", "That password is one of the most common ones: choose another.")


def test_the_common_password_list_is_the_shipped_top_ten_thousand():
    from actions.validation import common_passwords

    assert len(common_passwords()) == 10_000
    assert all(len(word) >= 8 for word in common_passwords())


@pytest.mark.parametrize("password", ["alice_wonder", "my-ALICE_WONDER-1", "alice_wonder"])
def test_check_password_refuses_the_username_in_it(password):
    assert invalid(check_password, password, "Alice_Wonder") == (
        "password_contains_username", "The password must not contain the username.")
    assert check_password("correct horse battery", "alice_wonder") == "correct horse battery"


def test_check_email():
    assert check_email(" Alice@Example.ORG ") == "alice@example.org"
    assert check_email("Ünïcode@Bücher.de") == "ünïcode@bücher.de"
    assert check_email("") is None
    assert check_email(None) is None
    for value in ("alice", "alice@example", "a b@example.org", "@example.org", "a..b@example.org", "x@localhost"):
        assert invalid(check_email, value) == ("invalid_email", "That is not an email address.")


def test_check_phone_stores_valid_numbers_in_e164(app):
    assert check_phone("+1 (415) 555-0123") == "+14155550123"
    assert check_phone("+44 20 7946 0958") == "+442079460958"
    assert check_phone("") is None
    assert check_phone(None) is None
    # Not valid numbers anywhere (no such area code, too short, letters), or no country code.
    for value in ("+15551234567", "12345", "+1 555 abc", "++15551234567", "1" * 21, "030 1234567"):
        assert invalid(check_phone, value) == (
            "invalid_phone", "That is not a valid phone number, starting with + and the country code.")


@pytest.mark.parametrize("app_settings", [{"PHONE_DEFAULT_REGION": "DE"}])
def test_check_phone_reads_local_numbers_in_the_default_region(app):
    assert check_phone("0170 1234567") == "+491701234567"
    assert check_phone("+44 20 7946 0958") == "+442079460958"
    assert invalid(check_phone, "12")[1] == "That is not a valid phone number."


def test_check_client_id():
    assert check_client_id("tab-1:42_a.b") == "tab-1:42_a.b"
    assert check_client_id(None) is None
    assert check_client_id("") is None
    # "tab-1\n": `$` also matches before a final newline, which a client_id must not hold (docs/protocol.md)
    for value in ("x" * 65, "has space", 42, ["a"], "é", "tab-1\n", "x" * 64 + "\n"):
        assert invalid(check_client_id, value) == (
            "invalid_client_id", "client_id is 1 to 64 characters: letters, digits, '_.:-'.")


def test_check_choice():
    assert check_choice("public", "visibility", ("public", "private")) == "public"
    assert check_choice(None, "visibility", ("public", "private"), default="private") == "private"
    assert invalid(check_choice, "secret", "visibility", ("public", "private")) == (
        "invalid_visibility", "visibility must be one of: public, private.")
    assert invalid(check_choice, None, "visibility", ("public", "private"))[0] == "invalid_visibility"


def test_check_limit():
    assert check_limit(None) == 50
    assert check_limit("", default=20) == 20
    assert check_limit("7") == 7
    assert check_limit(100) == 100
    assert check_limit(500, maximum=500) == 500
    assert invalid(check_limit, 0) == ("invalid_limit", "limit must be at least 1.")
    assert invalid(check_limit, 101) == ("invalid_limit", "limit must be at most 100.")
    assert invalid(check_limit, "many") == ("invalid_limit", "limit must be an integer.")


def test_check_user_ids_takes_ids_and_their_ascii_digits_once_each():
    assert check_user_ids([3, "12", " 7", 3]) == [3, 12, 7]
    assert invalid(check_user_ids, ["\u0661\u0662"])[0] == "invalid_user_ids"  # Arabic-Indic digits are no id
    assert invalid(check_user_ids, [])[0] == "invalid_user_ids"
    assert invalid(check_user_ids, "1,2")[0] == "invalid_user_ids"


@pytest.mark.parametrize("item", [True, 0, 1.5, "x", None, [1], 2**53])
def test_a_list_of_ids_names_the_item_it_refuses_not_the_list(item):
    """`presence:query {user_ids: [true]}` said "user_ids must be an integer.": the list is no integer; an item is."""
    expected = "user_ids must hold ids, integers from 1 to 9007199254740991: item 2 is not one."
    assert invalid(check_user_ids, [3, item]) == ("invalid_user_ids", expected)


def test_a_groups_member_ids_name_the_item_they_refuse(client, alice):
    answer = client.post("/api/groups", json={"name": "Team", "visibility": "private", "member_ids": [True]},
                         headers=bearer(alice)).get_json()
    assert answer["error"] == {"code": "invalid_member_ids", "message": "member_ids must hold ids, integers from 1 "
                                                                    "to 9007199254740991: item 1 is not one."}


def test_presence_of_users_reads_its_query_with_check_user_ids(client, alice, bob):
    headers = bearer(alice)
    answer = client.get(f"/api/presence?user_ids={bob.id},{bob.id}", headers=headers).get_json()
    assert [entry["user_id"] for entry in answer["presence"]] == [bob.id]
    assert error_of(client.get("/api/presence?user_ids=\u0661", headers=headers)) == (400, "invalid_user_ids")


def test_push_endpoints_are_the_push_services_https_urls(app):
    fcm = "https://fcm.googleapis.com/fcm/send/abc"
    assert check_push_endpoint(fcm) == fcm
    for endpoint in ("ftp://fcm.googleapis.com/x", "https:///x", "https://[abc/x", "", None, 7,
                     "https://fcm\x00.googleapis.com/", "http://fcm.googleapis.com/x", "https://fcm.googleapis.com:99999/",
                     "https://evil.example\\@fcm.googleapis.com/x", "https://user@fcm.googleapis.com/x"):
        assert invalid(check_push_endpoint, endpoint)[0] == "invalid_subscription", endpoint


def test_push_endpoints_name_a_host_of_web_push_endpoint_hosts(app):
    """The server POSTs to the endpoint: only the public push services by default (config.py), or the
    hosts the setting names; a host, `*.domain`, `host:port`; checked again at send time."""
    assert app.config["WEB_PUSH_ENDPOINT_HOSTS"] == DEFAULT_PUSH_ENDPOINT_HOSTS
    for endpoint in ("https://fcm.googleapis.com/wp/abc", "https://FCM.googleapis.com:443/fcm/send/abc",
                     "https://updates.push.services.mozilla.com/wpush/v2/gAAA", "https://web.push.apple.com/QG9",
                     "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA"):
        assert check_push_endpoint(endpoint) == endpoint and is_allowed_push_endpoint(endpoint), endpoint
    for endpoint in ("https://127.0.0.1/x", "https://localhost/x", "https://169.254.169.254/latest/meta-data",
                     "https://fcm.googleapis.com:8443/x", "https://fcm.googleapis.com.evil.example/x",
                     "https://notify.windows.com/x", "https://evilnotify.windows.com/x", "https://[::1]/x"):
        assert invalid(check_push_endpoint, endpoint)[0] == "push_endpoint_not_allowed", endpoint
        assert not is_allowed_push_endpoint(endpoint), endpoint
    app.config.update(WEB_PUSH_ENDPOINT_HOSTS=("127.0.0.1:8123", "*.push.example"), WEB_PUSH_ALLOW_HTTP=True)
    for endpoint in ("http://127.0.0.1:8123/push/a", "https://a.b.push.example/x"):
        assert check_push_endpoint(endpoint) == endpoint, endpoint
    for endpoint in ("http://127.0.0.1/push/a", "http://127.0.0.1:8124/push/a", "https://push.example/x",
                     "https://fcm.googleapis.com/fcm/send/abc"):
        assert invalid(check_push_endpoint, endpoint)[0] == "push_endpoint_not_allowed", endpoint
    app.config.update(WEB_PUSH_ALLOW_HTTP=False)  # stored rows are asked again: http is no longer allowed
    assert not is_allowed_push_endpoint("http://127.0.0.1:8123/push/a")


@pytest.mark.parametrize("value", ["http://fcm.googleapis.com", "fcm.googleapis.com:0", "fcm.googleapis.com:x",
                                   "fcm.googleapis.com/path", "a b"])
def test_web_push_endpoint_hosts_refuses_what_is_not_a_host(value):
    with pytest.raises(RuntimeError, match="WEB_PUSH_ENDPOINT_HOSTS"):
        push_endpoint_hosts(value)
    assert check_push_key("BNcR_-x", "p256dh", 128) == "BNcR_-x"
    assert invalid(check_push_key, "a" * 65, "auth", 64) == ("invalid_subscription",
                                                             "keys.auth must be at most 64 characters.")
    for key in ("a", "BNcR+/xy", "BNcR xy!", "BN.cR_xy"):  # one character is no byte; not the base64url alphabet
        assert invalid(check_push_key, key, "p256dh", 128) == ("invalid_subscription", "keys.p256dh must be base64url.")


def test_check_push_keys_takes_a_p256_point_and_a_16_byte_secret_only():
    """Keys no push could be encrypted to were stored, and every push to them failed (ValueError, retried
    five times, then a job failure for the operators), each message again."""
    keys = push_keys()
    assert check_push_keys(keys) == (keys["p256dh"], keys["auth"])
    assert check_push_keys({**keys, "auth": keys["auth"] + "=="}) == (keys["p256dh"], keys["auth"] + "==")
    point = keys["p256dh"]
    for p256dh in ("BNcR_-x", "A" * 87, point[:-4], point[:40] + ("A" if point[40] != "A" else "B") + point[41:]):
        assert invalid(check_push_keys, {**keys, "p256dh": p256dh}) == (
            "invalid_subscription", "keys.p256dh must be a P-256 public key (65 bytes)."), p256dh
    for auth in ("tBH", "AAAAAAAAAAAAAAAAAAAA", keys["auth"] + "AAAA"):  # 2, 15 and 19 bytes
        assert invalid(check_push_keys, {**keys, "auth": auth}) == ("invalid_subscription",
                                                                     "keys.auth must be 16 bytes.")
    assert invalid(check_push_keys, {"auth": keys["auth"]}) == ("invalid_subscription",
                                                                "keys.p256dh must not be empty.")


def test_check_bool_takes_true_and_false_only():
    assert check_bool(True, "muted") is True and check_bool(False, "muted") is False
    for value in (0, 1, "true", None, [], {}):
        assert invalid(check_bool, value, "muted") == ("invalid_muted", "muted must be true or false."), value
