"""actions/rate_limits.py, and the login limits it holds: failed logins and token requests past
LOGIN_ATTEMPTS_PER_MINUTE, per account and per client address, get 429 `rate_limited` with a
Retry-After, before any password is hashed. Counters run on a fixed clock: nothing here is timed."""
import math

import pytest

import models.user
from actions.accounts import check_own_password
from actions.rate_limits import Counted, MemoryCounters, RateLimited, RedisCounters, count_attempt
from extensions import db
from models import User
from tests.factories import PASSWORD, make_user
from tests.helpers import error_of

NOW = 1_000_040.0  # 40 s before the end of a one-minute window


@pytest.fixture
def clock():
    return {"now": NOW}


@pytest.fixture
def limits(app, clock):
    """The app's counters, on the test's clock, with 3 failed logins allowed per minute."""
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 3
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: clock["now"])
    return app.extensions["rate_limits"]


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_counters_count_per_key_and_window_and_give_back(request, clock, store):
    if store == "redis":
        counters = RedisCounters(request.getfixturevalue("redis_server").url, clock=lambda: clock["now"])
        counters._redis.flushdb()
    else:
        counters = MemoryCounters(clock=lambda: clock["now"])
    assert [counters.hit("a", 60).current for _ in range(3)] == [1, 2, 3]
    assert counters.hit("b", 60) == Counted(current=1, previous=0, elapsed=pytest.approx(20), window=60)
    counters.undo("a", 60)
    assert counters.hit("a", 60).current == 3
    clock["now"] += 50  # 10 s into the next window: what this one counted is its previous
    counters.undo("a", 60)  # nothing to give back there
    assert counters.hit("a", 60) == Counted(current=1, previous=3, elapsed=pytest.approx(10), window=60)
    clock["now"] += 60  # two windows on: nothing left of them
    assert counters.hit("a", 60) == Counted(current=1, previous=1, elapsed=pytest.approx(10), window=60)
    clock["now"] += 120
    assert counters.hit("a", 60) == Counted(current=1, previous=0, elapsed=pytest.approx(10), window=60)


@pytest.mark.parametrize(("counted", "limit", "wait"), [
    (Counted(current=3, previous=0, elapsed=20, window=60), 3, 0),  # within the limit
    # past it in this window: in the next one, once a third of this one's two others slid out
    (Counted(current=4, previous=0, elapsed=20, window=60), 3, 40 + 20),
    # past it with the previous window's weight: once enough of it slid out (2 + 1 + 1 ≤ 3 at 50 s)
    (Counted(current=2, previous=6, elapsed=10, window=60), 3, 40),
    # 30 a minute, all at its start: still counted in full at its end, so past the window by 1/30 of one
    (Counted(current=31, previous=0, elapsed=0, window=60), 30, 62),
])
def test_a_sliding_window_counts_the_previous_window_by_the_share_it_still_covers(counted, limit, wait):
    assert counted.wait(limit) == pytest.approx(wait)
    if wait:  # one more then fits, and not a second earlier
        given_back = Counted(counted.current - 1, counted.previous, counted.elapsed, 60)
        later = counted.elapsed + wait
        after = (Counted(given_back.current + 1, given_back.previous, later, 60) if later < 60 else
                 Counted(1, given_back.current, later - 60, 60))
        assert after.estimate() == pytest.approx(limit)


def test_an_attempt_past_the_limit_is_refused_with_the_seconds_to_wait(app, limits, clock):
    for _ in range(3):
        count_attempt(["k"], 3, 60, "Slow down.")
    with pytest.raises(RateLimited) as refused:
        count_attempt(["k"], 3, 60, "Slow down.")
    # 40 s to this window's end, then 20 s of the next, for a third of this one's three to slide out
    assert (refused.value.status, refused.value.code, refused.value.headers) == (429, "rate_limited",
                                                                                 {"Retry-After": "60"})
    clock["now"] += 59
    with pytest.raises(RateLimited):  # a refused attempt did not count: the wait is the same
        count_attempt(["k"], 3, 60, "Slow down.")
    clock["now"] += 1
    count_attempt(["k"], 3, 60, "Slow down.")
    count_attempt(["k"], 0, 60, "A limit of 0 is no limit.")


def test_a_limit_lets_no_burst_through_across_a_windows_end(app, limits, clock):
    """Fixed windows would let 3 through in the last second of one minute and 3 more in the first of
    the next: 6 in two seconds against a limit of 3 a minute."""
    clock["now"] = 1_000_079.0  # the last second of a minute
    for _ in range(3):
        count_attempt(["k"], 3, 60, "Slow down.")
    clock["now"] += 2
    with pytest.raises(RateLimited) as refused:
        count_attempt(["k"], 3, 60, "Slow down.")
    assert refused.value.retry_after == 19  # at 20 s into this minute a third of the one before slid out


def token_request(client, username: str, password: str, address: str = "203.0.113.5"):
    return client.post("/api/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_token_requests_for_one_account_get_429_then_the_next_window_lets_it_in(
        client, alice, limits, clock, monkeypatch):
    hashed = []
    real = models.user.check_password_hash
    monkeypatch.setattr(models.user, "check_password_hash", lambda *args: hashed.append(args) or real(*args))
    assert [token_request(client, "alice", "wrong", f"198.51.100.{n}").status_code for n in range(3)] == [401] * 3
    assert [password for _, password in hashed] == ["wrong"] * 3  # the spy sees hashing
    hashed.clear()
    refused = token_request(client, "ALICE ", PASSWORD, "198.51.100.9")  # the same account, from elsewhere
    assert error_of(refused) == (429, "rate_limited") and refused.headers["Retry-After"] == "60"
    assert hashed == []  # refused before the password was looked at
    monkeypatch.undo()
    clock["now"] += 60
    assert token_request(client, "alice", PASSWORD).status_code == 201


def test_one_address_guessing_many_accounts_gets_429(client, limits):
    for name in ("dave", "erin", "frank"):
        make_user(name)
        assert token_request(client, name, "wrong").status_code == 401
    assert error_of(token_request(client, "grace", "wrong")) == (429, "rate_limited")
    assert token_request(client, "grace", "wrong", address="192.0.2.1").status_code == 401  # others go on


def test_successful_logins_do_not_count(client, alice, limits):
    assert [token_request(client, "alice", PASSWORD).status_code for _ in range(6)] == [201] * 6


def test_the_login_page_answers_429_with_retry_after(app, alice, limits):
    browser = app.test_client()
    for _ in range(3):
        assert browser.post("/login", data={"username": "alice", "password": "wrong"}).status_code == 400
    response = browser.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert "Too many failed logins" in response.get_data(as_text=True)


@pytest.mark.parametrize(("limit", "setting", "arguments", "window"), [
    ("limit_registration", "REGISTRATIONS_PER_HOUR", ("203.0.113.5",), 3600),
    ("limit_code_attempt", "CODE_ATTEMPTS_PER_HOUR", ("alice@example.com",), 3600),
    ("limit_code_resend", "CODE_RESENDS_PER_HOUR", ("+14155550100",), 3600),
    ("limit_password_reset", "PASSWORD_RESETS_PER_HOUR", ("203.0.113.5",), 3600),
    ("limit_token_creation", "TOKENS_PER_HOUR", (7,), 3600),
    ("limit_qr_request", "QR_REQUESTS_PER_MINUTE", ("203.0.113.5",), 60),
    ("limit_search", "SEARCHES_PER_MINUTE", (7,), 60),
])
def test_each_named_limit_refuses_past_its_setting_until_its_sliding_window_has_room(
        app, limits, clock, limit, setting, arguments, window):
    import actions.rate_limits

    guard = getattr(actions.rate_limits, limit)
    app.config[setting] = 2
    guard(*arguments)
    guard(*arguments).refund()  # given back: does not count
    guard(*arguments)
    with pytest.raises(RateLimited) as refused:
        guard(*arguments)
    # This window's end, then half of the next one, for one of this window's two to slide out
    assert refused.value.retry_after == math.ceil(window - clock["now"] % window + window / 2)
    clock["now"] += refused.value.retry_after - 1
    with pytest.raises(RateLimited):
        guard(*arguments)
    clock["now"] += 1
    guard(*arguments)
    app.config[setting] = 0  # no limit
    for _ in range(5):
        guard(*arguments)


def test_a_password_reset_is_limited_per_client_address_only(app, limits):
    """Not per account: strangers asking for alice's reset from many addresses must not use up
    what her own request needs (her resend wait bounds the codes mailed)."""
    from actions.rate_limits import limit_password_reset

    app.config["PASSWORD_RESETS_PER_HOUR"] = 2
    limit_password_reset("198.51.100.1")
    limit_password_reset("198.51.100.1")
    with pytest.raises(RateLimited):
        limit_password_reset("198.51.100.1")
    for number in range(2, 7):  # other addresses go on
        limit_password_reset(f"198.51.100.{number}")


def test_the_registration_page_and_the_api_share_the_per_address_limit(app, limits, clock):
    app.config["REGISTRATIONS_PER_HOUR"] = 2
    password = PASSWORD
    browser = app.test_client()
    form = {"display_name": "", "email": "", "password": password, "confirm": password}
    address = {"REMOTE_ADDR": "203.0.113.70"}
    assert browser.post("/register", data={**form, "username": "dave"}, environ_base=address).status_code == 302
    assert app.test_client().post("/api/accounts", json={"username": "erin", "password": password},
                                  environ_base=address).status_code == 201
    refused = app.test_client().post("/register", data={**form, "username": "frank"}, environ_base=address)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(int(3600 - NOW % 3600 + 1800))
    assert "Too many accounts" in refused.get_data(as_text=True)
    assert error_of(app.test_client().post("/api/accounts", json={"username": "grace", "password": password},
                                           environ_base=address)) == (429, "rate_limited")
    assert app.test_client().post("/api/accounts", json={"username": "heidi", "password": password},
                                  environ_base={"REMOTE_ADDR": "198.51.100.70"}).status_code == 201
    clock["now"] += 3600 + 1800  # the next hour, once half of this one's two slid out
    assert app.test_client().post("/api/accounts", json={"username": "ivan", "password": password},
                                  environ_base=address).status_code == 201
    assert set(db.session.execute(db.select(User.username)).scalars()) == {"dave", "erin", "heidi", "ivan"}


def test_a_session_guesses_its_password_no_faster_than_the_login_page(app, alice, limits, clock):
    """Whoever holds only a session (a stolen cookie, a browser left open) and gives the password again
    (/password, a new address, two-factor off: actions.accounts.check_own_password) is held to the
    account's LOGIN_ATTEMPTS_PER_MINUTE, as the login page is; before, it could try as fast as it liked."""
    browser = app.test_client()
    assert browser.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302

    def change(current: str):
        return browser.post("/password", data={"current_password": current, "new_password": "another-pass-123",
                                               "confirm": "another-pass-123"})

    for _ in range(3):
        refused = change("wrong")
        assert refused.status_code == 400 and "The current password is wrong." in refused.get_data(as_text=True)
    limited = change(PASSWORD)  # the right one too, past the limit: nothing is hashed
    assert limited.status_code == 400 and "Too many failed logins" in limited.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, alice.id).check_password(PASSWORD)
    with pytest.raises(RateLimited):
        check_own_password(db.session.get(User, alice.id), PASSWORD)
    clock["now"] += 120  # the minute slid by: the right password goes through, and does not count
    for _ in range(4):
        check_own_password(db.session.get(User, alice.id), PASSWORD)
    assert change(PASSWORD).status_code == 302


def test_a_guesser_at_the_login_page_does_not_hold_the_owners_session_out_of_its_forms(app, alice, limits, clock):
    """Someone guessing Alice's password at the login page (POST /api/tokens, from many addresses, on and
    on while her name is locked) filled the per-minute count her own session's forms were held to (the
    same key, her username): her password change answered 'Too many failed logins' for as long as the
    guessing went on, though her browser is spared the guesser's limit at the login page. The forms that
    ask the password again count apart, per session holder, as their lock does (password_again_key)."""
    browser = app.test_client()
    assert browser.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    stranger = app.test_client()
    for n in range(5):
        stranger.post("/api/tokens", json={"username": "alice", "password": f"guess {n}"},
                      environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    changed = browser.post("/password", data={"current_password": PASSWORD, "new_password": "another-pass-123",
                                              "confirm": "another-pass-123"})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, alice.id).check_password("another-pass-123")
