"""CPU per send of `send_message` in one process, no sockets: the action, its unit of work and the
adapters' `prepare`/`deliver`, on a fresh SQLite file in /dev/shm (issue 15, the send path). For
comparing small changes to the send path, alternating checkouts, where bench/send.py's noise (the
load generator, the shared machine) would hide a few percent.

    .venv/bin/python bench/send_loop.py --checkout /tmp/s/before --checkout . --pairs 2 --sends 1500

Each measurement is a new process on that checkout's code (same venv): `--warmup` sends (200), then
`--sends` timed (process CPU time), each in its own unit of work with its sender read first: by
primary key (`--principal get`, the default, as the figures before 2026-12-06 were measured), or as a
token socket's event reads it again (`--principal token`: blueprints.identity.opened_with, the token
and its user; bench/send.py's clients are token sockets), or as a page's socket reads it, by its login
session (`--principal session`: the same, the session and its user). `--body` is each message's text
(alice writes in a group with bob: "@bob …" mentions him). Prints µs per send per run, the medians,
and each checkout's ratio to the first.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from alternating import add_comparison_arguments, compare_checkouts

ROOT = Path(__file__).resolve().parent.parent


BODY = "a stored message, about a short chat line"


def measure(sends: int, principal: str = "get", body: str = BODY, warmup: int = 200) -> float:
    """In the checkout this process was started in: µs of CPU per send."""
    sys.path.insert(0, os.getcwd())
    from actions.messages import send_message
    from events.unit_of_work import atomic
    from extensions import db
    from models import User
    from tests.database_apps import build_migrated_sqlite, sqlite_copy, testing_app
    from tests.factories import make_group, make_user

    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    app = testing_app(sqlite_copy(build_migrated_sqlite(folder), folder), folder, {})
    with app.app_context():
        alice, bob = make_user("alice"), make_user("bob")
        group_id, alice_id = make_group(alice, "Team", [bob]).id, alice.id
        credential = None
        if principal == "token":
            from actions.accounts import issue_api_token
            credential = issue_api_token(alice, days=0).record.id
        elif principal == "session":
            from actions.sessions import start_session
            credential = start_session(alice, "password", "127.0.0.1", "bench").login_session.id
        db.session.remove()

    def read_sender() -> User:
        if credential is None:
            return db.session.get(User, alice_id)
        from blueprints.identity import opened_with
        return opened_with(principal, credential, alice_id).user

    def send(number: int) -> None:
        with app.app_context():
            with atomic():
                sender = read_sender()
                send_message(sender, group_id, body, client_id=f"c{number}", admitted=True)
            db.session.remove()

    for number in range(warmup):
        send(number)
    started = time.process_time()
    for number in range(warmup, warmup + sends):
        send(number)
    return (time.process_time() - started) / sends * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_comparison_arguments(parser, pairs=2)
    parser.add_argument("--sends", type=int, default=1500)
    parser.add_argument("--warmup", type=int, default=200, help="sends before those measured")
    parser.add_argument("--principal", choices=("get", "token", "session"), default="get",
                        help="how each send's sender is read: by id, or as a token's or a page's socket event")
    parser.add_argument("--body", default=BODY, help="each message's text (e.g. with \"@bob\", a member's name)")
    arguments = parser.parse_args(argv)
    if arguments.measure:
        print(f"{measure(arguments.sends, arguments.principal, arguments.body, arguments.warmup):.1f}")
        return 0
    compare_checkouts(__file__, [path.resolve() for path in (arguments.checkout or [ROOT])], arguments.pairs,
                      ["--sends", str(arguments.sends), "--principal", arguments.principal, "--body", arguments.body,
                       "--warmup", str(arguments.warmup)], "send")
    return 0


if __name__ == "__main__":
    sys.exit(main())
