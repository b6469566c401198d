"""CPU per socket connect in one process, no network: a socket opened and closed through Flask-SocketIO's
test client, on a fresh SQLite file in /dev/shm (issue 15, connects). For comparing small changes to the
connect's own work, alternating checkouts, where bench/connect.py's noise (the load generator, the
WebSocket layer, the shared machine) would hide a part; bench/connect.py is the figure against the bare
framework.

    .venv/bin/python bench/connect_loop.py --checkout /tmp/c/before --checkout . --credential cookie

Each measurement is a new process on that checkout's code (same venv): alice, a member of five groups,
connects `--connects` times after `--warmup` (200) to warm up (process CPU time; each connect is
followed by its disconnect, which costs no query), with a bearer token (`--credential token`, `auth={"token": ...}` as
programs and bench/connect.py's clients do) or with the session cookie of a login through the form
(`--credential cookie`, as a page does). Prints µs per connect and disconnect per run, the medians, and
each checkout's ratio to the first.
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


def measure(connects: int, credential: str, warmup: int = 200) -> float:
    """In the checkout this process was started in: µs of CPU per connect and disconnect."""
    sys.path.insert(0, os.getcwd())
    from actions.accounts import issue_api_token
    from extensions import db, socketio
    from tests.clients import IsolatedSocketClient
    from tests.database_apps import build_migrated_sqlite, sqlite_copy, testing_app
    from tests.factories import PASSWORD, make_group, make_user

    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    app = testing_app(sqlite_copy(build_migrated_sqlite(folder), folder), folder, {})
    with app.app_context():
        alice, bob = make_user("alice"), make_user("bob")
        for number in range(5):
            make_group(alice, f"Team {number}", [bob])
        token = issue_api_token(alice, days=0).token
        db.session.remove()
        http = app.test_client()
        if credential == "cookie":
            assert http.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302

        def connect() -> None:
            if credential == "cookie":
                socket = IsolatedSocketClient(app, socketio, flask_test_client=http)
            else:
                socket = IsolatedSocketClient(app, socketio, auth={"token": token})
            assert socket.is_connected()
            socket.disconnect()

        for _ in range(warmup):
            connect()
        started = time.process_time()
        for _ in range(connects):
            connect()
        return (time.process_time() - started) / connects * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_comparison_arguments(parser, pairs=3)
    parser.add_argument("--connects", type=int, default=1500)
    parser.add_argument("--warmup", type=int, default=200, help="connects before those measured")
    parser.add_argument("--credential", choices=("token", "cookie"), default="cookie",
                        help="what the socket connects with: an API token, or a page's session cookie")
    arguments = parser.parse_args(argv)
    if arguments.measure:
        print(f"{measure(arguments.connects, arguments.credential, arguments.warmup):.1f}")
        return 0
    compare_checkouts(__file__, [path.resolve() for path in (arguments.checkout or [ROOT])], arguments.pairs,
                      ["--connects", str(arguments.connects), "--credential", arguments.credential,
                       "--warmup", str(arguments.warmup)], "connect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
