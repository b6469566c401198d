"""The `flask` commands that use the data, and the job consumer, on a database whose schema is behind the
code (`flask db upgrade` not run after a `git pull`, an older backup restored): one line saying so and what
to run, exit status 1, nothing written, where they failed halfway with a traceback (docs/deployment.md)."""
from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess

import pytest
from alembic.script import ScriptDirectory

from tests.database_apps import testing_app as build_app
from tests.servers import ROOT, VENV_BIN, migrated_sqlite_file, server_environment

COMMANDS = [
    ["create-admin", "boss", "--password", "a long enough password"],
    ["create-user", "dave", "--password", "a long enough password"],
    ["create-invite"],
    ["seed-demo"],
    ["purge-uploads"],
    ["sweep-storage"],
]
TABLES = ("users", "invites", "conversations", "alembic_version")


@pytest.fixture(scope="module")
def behind(tmp_path_factory):
    """A real SQLite database one migration behind the code, taken down by the real `flask db downgrade`."""
    workdir = tmp_path_factory.mktemp("behind")
    shutil.copyfile(migrated_sqlite_file(), workdir / "switchboard.db")
    env = server_environment(workdir)
    flask(env, "db", "downgrade")
    return workdir, env


def flask(env: dict, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=check)


def state(workdir) -> tuple[str, dict]:
    """The database's revision, and how many rows the commands would write to."""
    with sqlite3.connect(workdir / "switchboard.db") as connection:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        return revision, {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                          for table in TABLES}


def refusal(workdir) -> str:
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    return (f"Error: the database's schema is at {state(workdir)[0]}, this code needs {head}: "
            "run `flask db upgrade`, then run this command again.")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_a_command_on_a_database_behind_says_to_upgrade(behind, command, tmp_path):
    workdir, _ = behind
    before = state(workdir)
    app = build_app(f"sqlite:///{workdir / 'switchboard.db'}", tmp_path)
    result = app.test_cli_runner().invoke(args=command)
    assert (result.exit_code, result.output.strip()) == (1, refusal(workdir))
    assert state(workdir) == before


@pytest.mark.parametrize("command", [["jobs-worker", "--no-periodic"], COMMANDS[0]], ids=lambda command: command[0])
def test_the_real_command_line_says_it_in_one_line(behind, command):
    """As an operator runs them (the consumer as its systemd unit does): no traceback, exit status 1."""
    workdir, env = behind
    result = flask(env, *command, check=False, timeout=30)  # the consumer, started, would run until stopped
    assert result.returncode == 1
    # What it says besides production's start-up warnings (log lines): that one line.
    said = [line for line in result.stderr.splitlines() if not re.match(r"\d{4}-\d\d-\d\d .* WARNING ", line)]
    assert said == [refusal(workdir)]


@pytest.mark.parametrize("command", ["create-admin", "create-user"])
def test_a_command_that_asks_for_a_password_refuses_before_asking(behind, command):
    """Without --password the password is asked for (twice) only once the schema is known to be current: it was
    asked while click read the arguments, typed twice, and then the command refused."""
    workdir, env = behind
    result = subprocess.run([str(VENV_BIN / "flask"), command, "boss"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=30, input="a long enough password\na long enough password\n")
    assert result.returncode == 1 and "Password" not in result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if not re.match(r"\d{4}-\d\d-\d\d .* WARNING ", line)]
    assert said == [refusal(workdir)]


def test_on_a_current_schema_create_admin_asks_for_the_password(tmp_path):
    shutil.copyfile(migrated_sqlite_file(), tmp_path / "switchboard.db")
    env = server_environment(tmp_path)
    result = subprocess.run([str(VENV_BIN / "flask"), "create-admin", "boss"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=30, input="a long enough password\na long enough password\n")
    assert result.returncode == 0, result.stderr
    assert "Password: " in result.stderr and "Repeat for confirmation: " in result.stderr  # getpass: not stdout
    assert "Created admin boss." in result.stdout
    with sqlite3.connect(tmp_path / "switchboard.db") as connection:
        assert connection.execute("SELECT role FROM users WHERE username = 'boss'").fetchall() == [("admin",)]


def test_after_the_upgrade_the_same_command_works(behind):
    workdir, env = behind
    flask(env, "db", "upgrade")
    assert flask(env, "create-invite").returncode == 0
    assert state(workdir)[1]["invites"] == 1
