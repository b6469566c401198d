"""The two-factor secret is stored sealed (actions/sealed_secrets.py): what the database row holds after an
enrolment, secrets stored plain before migration 0028 or sealed with an older key (read, then sealed anew by
their first accepted code or by `flask seal-two-factor-secrets`), and a key that opens nothing (503
`two_factor_unavailable`, logged, recovery codes still working): through the pages, the API and the CLI."""
from __future__ import annotations

import base64
import logging
import os
import re

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from actions import two_factor
from actions.sealed_secrets import derived_key, unseal
from extensions import db
from models.time import utcnow
from tests.factories import PASSWORD, make_user
from tests.test_two_factor import code_for, enrol, log_in

OLD_KEY, NEW_KEY = (base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))
TESTING_SECRET_KEY = "testing-secret-key"  # config.TestingConfig's


def stored(user_id: int) -> str:
    """What the database row holds, read with plain SQL (not through the model)."""
    found = db.session.execute(text("SELECT secret FROM two_factor WHERE user_id = :id"), {"id": user_id}).scalar_one()
    db.session.remove()
    return found


def store(user_id: int, value: str) -> None:
    """An enabled two-factor row holding `value`, as an older release (or another key) wrote it."""
    db.session.execute(text("INSERT INTO two_factor (user_id, secret, created_at, enabled_at) "
                            "VALUES (:id, :secret, :now, :now)"), {"id": user_id, "secret": value, "now": utcnow()})
    db.session.commit()
    db.session.remove()


def token_login(client, secret_or_code: str):
    return client.post("/api/tokens", json={"username": "alice", "password": PASSWORD, "totp": secret_or_code})


def test_the_row_never_holds_the_secret_the_page_shows(app, client, alice):
    user_id = alice.id
    log_in(client)
    setup = client.get("/settings/two-factor")
    shown = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    assert shown not in stored(user_id) and stored(user_id).startswith("gAAAAA")
    again = client.get("/settings/two-factor")  # the pending secret shown again: the same one
    assert re.search(r'id="two-factor-secret">([A-Z2-7]+)<', again.text).group(1) == shown
    client.post("/logout")

    db.session.execute(text("DELETE FROM two_factor"))
    db.session.commit()
    log_in(client)
    secret, _ = enrol(client)
    row = stored(user_id)
    assert secret not in row and len(row) == 140 and unseal(row).secret == secret and not unseal(row).stale
    assert Fernet(derived_key(TESTING_SECRET_KEY)).decrypt(row.encode()).decode() == secret
    client.post("/logout")

    asked = log_in(client)
    assert asked.headers["Location"].endswith("/login/two-factor")
    right = client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    assert right.status_code == 302 and client.get("/api/me").json["user"]["id"] == user_id
    assert stored(user_id) == row  # sealed with the current key already: not written again


def test_a_plain_secret_from_before_works_and_its_first_accepted_code_seals_it(app, client, alice):
    user_id = alice.id
    secret = pyotp.random_base32()
    store(user_id, secret)
    wrong = token_login(client, "000000" if code_for(secret) != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_code"
    assert stored(user_id) == secret  # a wrong code writes nothing

    assert token_login(client, code_for(secret)).status_code == 201
    row = stored(user_id)
    assert secret not in row and unseal(row).secret == secret and not unseal(row).stale
    assert token_login(client, code_for(secret, 1)).status_code == 201  # and it keeps working


@pytest.mark.parametrize("app_settings", [{"TWO_FACTOR_KEY": NEW_KEY, "TWO_FACTOR_OLD_KEYS": [OLD_KEY]}])
@pytest.mark.parametrize("sealed_with", ["an old key", "SECRET_KEY"])
def test_a_secret_sealed_with_an_older_key_works_and_is_sealed_anew(app, client, alice, sealed_with):
    user_id = alice.id
    secret = pyotp.random_base32()
    older = Fernet(OLD_KEY.encode() if sealed_with == "an old key" else derived_key(TESTING_SECRET_KEY))
    store(user_id, older.encrypt(secret.encode()).decode())
    assert token_login(client, code_for(secret)).status_code == 201
    row = stored(user_id)
    assert Fernet(NEW_KEY.encode()).decrypt(row.encode()).decode() == secret


@pytest.mark.parametrize("app_settings", [{"TWO_FACTOR_KEY": NEW_KEY}])
def test_a_secret_no_key_opens_refuses_app_codes_with_a_logged_error(app, client, alice, caplog):
    user_id = alice.id
    secret = two_factor.start_enrolment(alice).secret
    codes = two_factor.confirm_enrolment(alice, PASSWORD, code_for(secret, -1))
    db.session.commit()
    app.config["TWO_FACTOR_KEY"] = OLD_KEY  # the key changed, the one that sealed it not kept as an old key
    row = stored(user_id)

    with caplog.at_level(logging.ERROR, logger="actions.two_factor"):
        refused = token_login(client, code_for(secret))
    assert refused.status_code == 503 and refused.json["error"]["code"] == "two_factor_unavailable"
    assert "recovery code" in refused.json["error"]["message"]
    assert [f"user {user_id}" in record.getMessage() and "TWO_FACTOR_KEY" in record.getMessage()
            for record in caplog.records if record.name == "actions.two_factor"] == [True]

    log_in(client)  # the page: the same refusal, said on the page, again and again without a 500
    for _ in range(2):
        page = client.post("/login/two-factor", data={"code": code_for(secret)})
        assert page.status_code == 503 and "use a recovery code" in page.text
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 302  # the way in
    assert client.get("/api/me").json["user"]["id"] == user_id
    assert stored(user_id) == row  # left as it was, for the right key to open again

    app.config["TWO_FACTOR_OLD_KEYS"] = [NEW_KEY]  # the operator lists the key that sealed it
    assert token_login(client, code_for(secret, 1)).status_code == 201


def test_a_pending_secret_no_key_opens_is_replaced_on_the_set_up_page(app, client, alice):
    user_id = alice.id
    two_factor.start_enrolment(alice)
    db.session.commit()
    app.config["TWO_FACTOR_KEY"] = NEW_KEY
    log_in(client)
    setup = client.get("/settings/two-factor")
    assert setup.status_code == 200
    shown = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    assert unseal(stored(user_id)).secret == shown


def test_the_command_seals_every_stored_secret_and_names_those_no_key_opens(app):
    users = [make_user(name) for name in ("plain", "current", "older", "lost")]
    secrets = [pyotp.random_base32() for _ in users]
    db.session.commit()
    ids = [user.id for user in users]
    store(ids[0], secrets[0])
    store(ids[1], Fernet(derived_key(TESTING_SECRET_KEY)).encrypt(secrets[1].encode()).decode())
    store(ids[2], Fernet(OLD_KEY.encode()).encrypt(secrets[2].encode()).decode())
    store(ids[3], Fernet(NEW_KEY.encode()).encrypt(secrets[3].encode()).decode())
    app.config["TWO_FACTOR_OLD_KEYS"] = [OLD_KEY]
    lost = stored(ids[3])
    runner = app.test_cli_runner()

    result = runner.invoke(args=["seal-two-factor-secrets"])
    assert result.exit_code == 1
    assert "Sealed 2 two-factor secrets; 1 were sealed with the current key already." in result.output
    assert f"1 secrets (of the accounts {ids[3]}) open with no configured key" in result.output
    current = Fernet(derived_key(TESTING_SECRET_KEY))
    assert [current.decrypt(stored(user_id).encode()).decode() for user_id in ids[:3]] == secrets[:3]
    assert stored(ids[3]) == lost

    db.session.execute(text("DELETE FROM two_factor WHERE user_id = :id"), {"id": ids[3]})
    db.session.commit()
    again = runner.invoke(args=["seal-two-factor-secrets"])
    assert again.exit_code == 0 and "Sealed 0 two-factor secrets; 3 were" in again.output
    plain = runner.invoke(args=["seal-two-factor-secrets", "--unseal"])
    assert plain.exit_code == 0 and "Unsealed 3 two-factor secrets; 0 were plain already." in plain.output
    assert [stored(user_id) for user_id in ids[:3]] == secrets[:3]


@pytest.mark.parametrize("app_settings", [{"CODE_ATTEMPTS_PER_HOUR": 2}])
def test_codes_refused_for_the_servers_key_are_not_counted_against_the_account(app, client, alice):
    user_id = alice.id
    store(user_id, Fernet(NEW_KEY.encode()).encrypt(pyotp.random_base32().encode()).decode())
    for _ in range(3):
        refused = token_login(client, "123456")
        assert refused.status_code == 503 and refused.json["error"]["code"] == "two_factor_unavailable"
    assert token_login(client, "654321").json["error"]["code"] == "two_factor_unavailable"  # not 429 rate_limited
    events = db.session.execute(text("SELECT count(*) FROM security_events")).scalar_one()
    assert events == 0  # no failed login logged: the error log has it


@pytest.mark.parametrize("app_settings", [{"CODE_ATTEMPTS_PER_HOUR": 2, "TWO_FACTOR_KEY": NEW_KEY}])
def test_new_recovery_codes_refused_for_the_servers_key_do_not_use_up_the_recovery_codes_way_in(app, client, alice):
    """The settings page's 'new recovery codes' asks a code from the app: refused 503 for the server's key, as at
    login, it is not counted against the account either. Counted, three clicks used up CODE_ATTEMPTS_PER_HOUR,
    which the login's codes share: the recovery codes, the only way in while the key is wrong, answered 429."""
    secret = two_factor.start_enrolment(alice).secret
    codes = two_factor.confirm_enrolment(alice, PASSWORD, code_for(secret, -1))
    db.session.commit()
    log_in(client)
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 302
    app.config["TWO_FACTOR_KEY"] = OLD_KEY  # the key changed, the one that sealed it not kept as an old key

    for _ in range(3):
        page = client.post("/settings/two-factor/recovery-codes", data={"code": code_for(secret)},
                           follow_redirects=True)
        assert "use a recovery code" in page.text  # not "Too many codes tried" at the third
    assert token_login(client, codes[1]).status_code == 201  # not 429 rate_limited
