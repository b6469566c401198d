"""commands.py: the accounts the command line makes are confirmed and usable whatever REGISTRATION
says (the README's commands need nothing configured); their passwords follow the same rules."""
import re

import pytest

from extensions import db
from models import User

EMAIL_ONLY = [{"REGISTRATION": ("email",)}]


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_seed_demo_accounts_log_in_with_the_printed_passwords(app, client):
    output = app.test_cli_runner().invoke(args=["seed-demo"]).output
    accounts = dict(re.findall(r"(?:user|admin)\s+(\w+)\s+password (\S+)", output))
    assert set(accounts) == {"alice", "bob", "carol", "operator"}
    for username, password in accounts.items():
        response = client.post("/login", data={"username": username, "password": password})
        assert (response.status_code, response.headers["Location"]) == (302, "/"), username
        assert client.get("/api/me").status_code == 200
        client.post("/logout")


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_create_user_makes_a_confirmed_account_with_a_confirmed_address(app, client):
    result = app.test_cli_runner().invoke(args=["create-user", "dave", "--password", "correct horse battery",
                                                "--email", "Dave@Example.org"])
    assert result.output == "Created user dave.\n"
    dave = db.session.execute(db.select(User)).scalar_one()
    assert (dave.email, dave.confirmed_at is not None, dave.email_confirmed_at is not None) == (
        "dave@example.org", True, True)
    assert client.post("/api/tokens", json={"username": "dave@example.org",
                                            "password": "correct horse battery"}).status_code == 201


@pytest.mark.parametrize("command", ["create-user", "create-admin"])
def test_the_command_line_refuses_weak_passwords(app, command):
    result = app.test_cli_runner().invoke(args=[command, "dave", "--password", "password123"])
    assert result.exit_code != 0
    assert "That password is one of the most common ones" in result.output
    assert db.session.execute(db.select(User)).all() == []
