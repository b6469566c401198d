"""The systemd units of deploy/ as systemd reads them (`systemd-analyze verify`), with /srv/switchboard
pointing at this checkout. nginx's site runs for real in tests/faults/test_graceful_restart.py."""
from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys

import pytest

from tests.servers import ROOT

UNITS = ROOT / "deploy" / "systemd"


def installed_units(folder) -> list[str]:
    """The units as an operator installs them, the web instance as switchboard@8001."""
    (folder / "env").write_text("SWITCHBOARD_ENV=production\n")
    names = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text().replace("/srv/switchboard/.env", str(folder / "env")).replace("/srv/switchboard",
                                                                                               str(ROOT))
        name = unit.name.replace("@.service", "@8001.service")
        (folder / name).write_text(text)
        names.append(str(folder / name))
    return names


def test_the_units_are_valid(tmp_path):
    units = installed_units(tmp_path)
    assert {name.rsplit("/", 1)[1] for name in units} == {
        "switchboard@8001.service", "switchboard-jobs.service", "switchboard-backup.service",
        "switchboard-backup.timer"}
    if shutil.which("systemd-analyze") is None:  # only the verification needs it
        pytest.skip("systemd-analyze is not installed")
    verified = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, cwd=tmp_path)
    assert (verified.returncode, verified.stderr) == (0, "")


def test_systemd_waits_for_gunicorns_graceful_shutdown():
    unit = (UNITS / "switchboard@.service").read_text()
    assert "--config gunicorn.conf.py" in unit and "KillSignal=SIGTERM" in unit
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # systemd kills what is left after TimeoutStopSec: gunicorn must have had its graceful_timeout first.
    assert int(unit.split("TimeoutStopSec=")[1].split()[0]) > settings["graceful_timeout"]


def test_the_documented_commands_log_as_the_live_log_test_checks():
    # tests/ops/test_live_logs.py runs gunicorn with gunicorn.conf.py alone and finds no token, signed URL or
    # query string in its output; an access log (`--access-logfile`) would write every request line whole.
    for path in (ROOT / "scripts" / "serve", UNITS / "switchboard@.service", ROOT / "gunicorn.conf.py"):
        text = path.read_text()
        assert "access-log" not in text and "accesslog" not in text, path


def stand_in_checkout(folder):
    """scripts/serve in a folder of its own, its tools stand-ins: bootstrap does nothing, flask succeeds (the
    job consumer waits to be stopped), gunicorn writes the settings it was started with and exits."""
    (folder / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "serve", folder / "scripts" / "serve")
    (folder / ".venv" / "bin").mkdir(parents=True)
    tools = {"scripts/bootstrap": "exit 0",
             ".venv/bin/python": f'exec {sys.executable} "$@"',
             ".venv/bin/flask": '[ "$1" = jobs-worker ] && exec sleep 30; exit 0',
             ".venv/bin/gunicorn": 'env > started-with.env'}
    for path, body in tools.items():
        (folder / path).write_text(f"#!/bin/sh\n{body}\n")
        (folder / path).chmod(0o755)


def test_serve_reads_env_as_the_app_does_and_the_environment_wins(tmp_path):
    # docs/configuration.md: .env fills in what the environment leaves unset, read as wsgi.py and flask read it
    # (python-dotenv). scripts/serve sourced it: .env overrode the environment, and a value the shell cannot
    # parse, such as the doc's SMTP_FROM example, stopped it with a syntax error.
    stand_in_checkout(tmp_path)
    (tmp_path / ".env").write_text("SWITCHBOARD_ENV=production\nSMTP_FROM=Switchboard <no-reply@example.org>\n"
                                   "LOG_FORMAT=json\nSESSION_COOKIE_SECURE=\n")
    environment = {"PATH": os.environ["PATH"], "SWITCHBOARD_ENV": "development", "PORT": "18999"}
    served = subprocess.run(["scripts/serve"], cwd=tmp_path, env=environment, capture_output=True, text=True,
                            timeout=60)
    assert served.returncode == 0, served.stderr
    started = dict(line.split("=", 1) for line in (tmp_path / "started-with.env").read_text().splitlines()
                   if "=" in line)
    assert {name: started.get(name) for name in ("SWITCHBOARD_ENV", "SMTP_FROM", "LOG_FORMAT",
                                                  "SESSION_COOKIE_SECURE")} == {
        "SWITCHBOARD_ENV": "development", "SMTP_FROM": "Switchboard <no-reply@example.org>", "LOG_FORMAT": "json",
        "SESSION_COOKIE_SECURE": ""}


# Programs the deployment guide runs that a minimal Debian 12 (its target, with Ubuntu 24.04) lacks, by package.
NOT_IN_MINIMAL_DEBIAN = {"sudo": "sudo", "curl": "curl", "git": "git", "psql": "postgresql-client",
                         "nginx": "nginx", "certbot": "certbot", "python3": "python3"}


def test_the_deployment_guide_installs_what_its_commands_run_before_they_run_it():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    installed: set[str] = set()
    for block in guide.split("```sh\n")[1:]:
        for line in block.split("```")[0].splitlines():
            command = line.split("#")[0]
            if command.startswith("apt install"):
                installed |= set(command.split()[3:])
                continue
            for part in command.replace("&&", ";").replace("|", ";").split(";"):
                words = [word for word in part.split() if "=" not in word]  # settings, as in `env FLASK_APP=app`
                while words:  # `sudo -u switchboard env flask …` runs sudo, then flask
                    if words[0] in NOT_IN_MINIMAL_DEBIAN:
                        assert NOT_IN_MINIMAL_DEBIAN[words[0]] in installed, (words[0], line)
                    words = words[3:] if words[:2] == ["sudo", "-u"] else words[1:] if words[0] == "env" else []


def test_the_screenshot_script_answers_help_without_taking_any():
    """`scripts/take_screenshots.py --help` says what it does and stops (it started a server and Chromium)."""
    answer = subprocess.run([sys.executable, str(ROOT / "scripts" / "take_screenshots.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0 and answer.stdout.startswith("usage:"), answer.stderr
    assert "Screenshots of the main screens" in answer.stdout


def test_the_nightly_rotation_keeps_the_last_14_complete_backups(tmp_path):
    """The backup unit's ExecStartPost as systemd runs it (`%%` is `%`): a folder without manifest.json (a
    backup killed halfway) was counted among the 14, so each one pushed out a real backup."""
    unit = (UNITS / "switchboard-backup.service").read_text()
    [line] = [line for line in unit.splitlines() if line.startswith("ExecStartPost=")]
    command = line.removeprefix("ExecStartPost=").replace("%%", "%").replace("/var/backups/switchboard",
                                                                            str(tmp_path))
    complete = [f"202611{day:02}-031500" for day in range(1, 17)]
    for name in complete:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    (tmp_path / "20261116-031501").mkdir()  # killed halfway: its files, no manifest
    (tmp_path / "20261116-031501" / "database.pgdump").write_bytes(b"partial")
    subprocess.run(command, shell=True, check=True, executable="/bin/sh")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(complete[2:] + ["20261116-031501"])
