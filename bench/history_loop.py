"""CPU per request of a REST history page in one process, through the Flask test client (issue 15, history
and resync): the whole request (the bearer token, the unit of work, the page's statement, the payloads and
their JSON), on SQLite (a fresh file in /dev/shm) or PostgreSQL (a throwaway cluster of tests/engines.py).
For comparing small changes to the read path, alternating checkouts, where bench/history.py's noise (the
wire, the load generator, the shared machine) would hide a few percent.

    .venv/bin/python bench/history_loop.py --checkout /tmp/h/before --checkout . --pairs 3 --engine postgresql

Each measurement is a new process on that checkout's code (same venv): alice writes `--messages` messages
(120) in a group with bob, then asks for the newest page of `--limit` (50) with an API token, `--warmup`
times (100), then `--requests` times, timed (process CPU time). Prints µs per request per run, the medians,
and each checkout's ratio to the first. Instruction counts (what docs/benchmarks.md reports for this loop)
come from running the child alone under cachegrind, twice, and dividing the difference by the requests':

    PYTHONHASHSEED=0 PYTHONMALLOC=malloc valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        .venv/bin/python bench/history_loop.py --measure --requests 410 --engine postgresql    # and --requests 10
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from alternating import add_comparison_arguments, compare_checkouts

ROOT = Path(__file__).resolve().parent.parent


def measure(requests: int, engine: str = "sqlite", messages: int = 120, limit: int = 50, warmup: int = 100) -> float:
    """In the checkout this process was started in: µs of CPU per history request."""
    sys.path.insert(0, os.getcwd())
    from flask.testing import FlaskClient

    from actions.accounts import issue_api_token
    from actions.messages import send_message
    from extensions import db
    from tests.database_apps import build_migrated_sqlite, postgres_database, sqlite_copy, testing_app
    from tests.engines import PostgresServer
    from tests.factories import make_group, make_user

    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    with contextlib.ExitStack() as stack:
        if engine == "postgresql":
            server = PostgresServer().start()
            stack.callback(server.stop)
            database = stack.enter_context(postgres_database(server, migrated=True))
        else:
            database = sqlite_copy(build_migrated_sqlite(folder), folder)
        app = testing_app(database, folder, {})
        with app.app_context():
            alice, bob = make_user("alice"), make_user("bob")
            group_id = make_group(alice, "Team", [bob]).id
            for number in range(messages):
                send_message(alice, group_id, f"message {number}, about a short chat line", client_id=f"c{number}",
                             admitted=True)
            token = issue_api_token(alice, days=0).token
            db.session.remove()
        # The plain Flask client: the tests' own (tests/clients.py) reloads their session around each request.
        client = FlaskClient(app, app.response_class, use_cookies=False)
        url, headers = f"/api/conversations/{group_id}/messages?limit={limit}", {"Authorization": f"Bearer {token}"}
        for _ in range(warmup):
            response = client.get(url, headers=headers)
            assert response.status_code == 200 and len(response.get_json()["messages"]) == min(limit, messages)
        started = time.process_time()
        for _ in range(requests):
            client.get(url, headers=headers)
        elapsed = time.process_time() - started
        with app.app_context():
            db.engine.dispose()  # before the database is dropped
    return elapsed / requests * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_comparison_arguments(parser, pairs=2)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100, help="requests before those measured")
    parser.add_argument("--messages", type=int, default=120, help="messages in the conversation")
    parser.add_argument("--limit", type=int, default=50, help="messages a page")
    arguments = parser.parse_args(argv)
    if arguments.measure:
        cost = measure(arguments.requests, arguments.engine, arguments.messages, arguments.limit, arguments.warmup)
        print(f"{cost:.1f}")
        return 0
    compare_checkouts(__file__, [path.resolve() for path in (arguments.checkout or [ROOT])], arguments.pairs,
                      ["--requests", str(arguments.requests), "--engine", arguments.engine, "--messages",
                       str(arguments.messages), "--limit", str(arguments.limit), "--warmup", str(arguments.warmup)],
                      "request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
