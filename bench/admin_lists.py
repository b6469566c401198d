"""The back office's lists at 1,000,000 messages: every panel's list, and the Messages panel's sorts,
search and filters, on SQLite and on PostgreSQL, as an operator's browser asks for them.

    .venv/bin/python bench/admin_lists.py                                  # 1,000,000 messages, both engines
    git worktree add --detach /tmp/admin-base <commit>                     # a tree to compare with
    .venv/bin/python bench/admin_lists.py --checkout /tmp/admin-base --checkout .   # the two, alternating
    .venv/bin/python bench/admin_lists.py --messages 3000 --small 300 --repeats 1 --engines sqlite  # smoke

The database: a big group of --messages messages and a small one of --small (bench/seed.py: every body holds
"message" and three of 16 words such as "lunch"; every 250th is a system message, every 400th edited,
deleted or hidden), and 200 reports of them. SQLite's file is made once under --folder and kept; PostgreSQL
gets a throwaway cluster (tests/engines.py) seeded once per run (COPY, then ANALYZE). Each tree is measured
in a process of its own (its code first on sys.path): an operator logged in with the Flask test client asks
each page --repeats times after one warm-up (timed too: ms_first). Printed: per engine, page and tree the median
milliseconds of each round (a JSON line each, then a table), and each tree's median over the first tree's. Nothing here
asserts a speed; the exit status is 1 when a page did not answer 200.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = 200


def pages(big: int, small: int) -> dict[str, str]:
    """What an operator opens, by name: every panel's list, then the Messages panel's sorts, searches, filters."""
    message = "/admin/message/"
    return {
        "dashboard": "/admin/",
        "users": "/admin/user/", "groups": "/admin/group/", "invitations": "/admin/invite/",
        "files": "/admin/attachment/", "reports": "/admin/report/", "audit log": "/admin/audit/",
        "security log": "/admin/security_log/", "job failures": "/admin/job_failure/",
        "messages": message,
        "messages, page 101": message + "?page=100",
        "messages by id, oldest first": message + "?sort=0",
        "messages by conversation": message + "?sort=1&desc=1",
        "messages by kind": message + "?sort=3",
        "messages by time sent": message + "?sort=5&desc=1",
        "messages by hidden time": message + "?sort=6&desc=1",
        "search 'lunch'": message + "?search=lunch",
        "search 'message' (every message)": message + "?search=message",
        "search 'zzzqqq' (none)": message + "?search=zzzqqq",
        "search 'lu' (short)": message + "?search=lu",
        "filter: the big conversation": message + f"?flt0_conversation_equals={big}",
        "filter: the small conversation": message + f"?flt0_conversation_equals={small}",
        "filter: sender contains 'quiet' (none)": message + "?flt0_sender_contains=quiet",
        "filter: sender contains 'alice'": message + "?flt0_sender_contains=alice",
        "filter: kind system": message + "?flt0_kind_equals=system",
        "filter: kind image (none)": message + "?flt0_kind_equals=image",
        "filter: sent on one day": message + "?flt0_sent_between=2024-01-05+00%3A00%3A00+to+2024-01-05+23%3A59%3A59",
        "filter: text contains 'lunch'": message + "?flt0_text_contains=lunch",
        "filter: text contains 'zzzqqq' (none)": message + "?flt0_text_contains=zzzqqq",
        "filter: hidden": message + "?flt0_hidden_is=1",
        "filter: not hidden": message + "?flt0_hidden_is=0",
        "filter: small conversation, search 'lunch'": message + f"?flt0_conversation_equals={small}&search=lunch",
    }


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="in the big group")
    parser.add_argument("--small", type=int, default=2_000, help="messages in the small group")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=3, help="of each page, per round")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of every tree")
    parser.add_argument("--only", help="only the pages whose name contains one of these (comma-separated)")
    parser.add_argument("--recent", action="store_true",
                        help="messages sent up to an hour ago (one a second), so the dashboard's month and week hold"
                             " them; else from 2024-01-01")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/switchboard-bench-admin"),
                        help="where the SQLite database is made once and kept")
    parser.add_argument("--checkout", type=Path, action="append",
                        help="a tree to measure (repeatable; default this one)")
    parser.add_argument("--json", type=Path, help="also write every row here")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a database URL: one tree, in its own process
    return parser.parse_args(argv)


def build(database_url: str, folder: Path, arguments: argparse.Namespace) -> None:
    """Migrate, then the users and groups through the actions, the messages by bench/seed.py, and reports."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from actions.reports import report_message
    from bench.seed import Plan, seed
    from extensions import db
    from models import Message
    from tests.database_apps import testing_app
    from tests.factories import make_group, make_user

    app = testing_app(database_url, folder)
    with app.app_context():
        upgrade()
        alice, bob, busy, quiet = (make_user(name) for name in ("alice", "bob", "busy", "quiet"))
        make_user("operator", role="admin")
        big = make_group(alice, "big", [bob, busy])
        small = make_group(alice, "small", [bob, busy, quiet])
        db.session.commit()
        started = time.monotonic()
        seed(db.engine, [Plan(big.id, arguments.messages, (alice.id, bob.id)),
                         Plan(small.id, arguments.small, (alice.id, bob.id))], start=seed_start(arguments))
        print(f"[bench] seeded {arguments.messages + arguments.small:,} messages in "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr)
        last = db.session.execute(db.select(db.func.max(Message.id))).scalar_one()
        for number in range(REPORTS):  # spread over the messages, by people who can read them
            message = db.session.get(Message, max(1, last - number * (last // REPORTS)))
            if message.sender_id is not None and not message.is_removed:
                report_message(busy if message.sender_id != busy.id else bob, message.id, "spam", "bench")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def seed_start(arguments: argparse.Namespace) -> datetime | None:
    """--recent: the big group's messages one a second up to an hour before the database is made (the SQLite
    file's name carries that day: it is made again the next day); else bench/seed.py's default (2024-01-01)."""
    if not arguments.recent:
        return None
    hour = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return hour - timedelta(seconds=arguments.messages, hours=1)


def sqlite_database(arguments: argparse.Namespace) -> str:
    recent = f"-recent-{datetime.now(UTC).date()}" if arguments.recent else ""
    path = arguments.folder / f"admin-{arguments.messages}-{arguments.small}{recent}.db"
    if not path.exists():
        arguments.folder.mkdir(parents=True, exist_ok=True)
        making = path.with_suffix(".making")
        making.unlink(missing_ok=True)
        build(f"sqlite:///{making}", arguments.folder, arguments)
        making.rename(path)
    return f"sqlite:///{path}"


def measure(database_url: str, repeats: int, only: list[str]) -> list[dict]:
    """Run in the tree being measured (its own process, its code first on sys.path)."""
    sys.path.insert(0, os.getcwd())
    import tempfile

    from extensions import db
    from models import Conversation
    from tests.database_apps import testing_app
    from tests.factories import PASSWORD

    app = testing_app(database_url, Path(tempfile.mkdtemp()))
    app.app_context().push()  # the test client's requests each get one of their own (tests/clients.py)
    ids = dict(db.session.execute(db.select(Conversation.name, Conversation.id)).all())
    db.session.remove()
    client = app.test_client()
    assert client.post("/login", data={"username": "operator", "password": PASSWORD}).status_code == 302
    rows = []
    for name, url in pages(ids["big"], ids["small"]).items():
        if only and not any(word in name for word in only):
            continue
        started = time.perf_counter()
        status = client.get(url).status_code  # warm (the dashboard's first visit counts the days before today)
        first = (time.perf_counter() - started) * 1000
        took = []
        for _ in range(repeats):
            started = time.perf_counter()
            status = max(status, client.get(url).status_code)
            took.append((time.perf_counter() - started) * 1000)
        rows.append({"page": name, "status": status, "ms_median": round(statistics.median(took), 1),
                     "ms_first": round(first, 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    only = [word for word in (arguments.only or "").split(",") if word]
    if arguments.measure:
        print(json.dumps(measure(arguments.measure, arguments.repeats, only)))
        return 0
    trees = [tree.resolve() for tree in arguments.checkout or [ROOT]]
    results: dict[tuple[str, Path], list[list[dict]]] = {}
    failed = False
    for engine in arguments.engines.split(","):
        with database_of(engine, arguments) as url:
            for round_number in range(arguments.rounds):
                for tree in trees:
                    command = [sys.executable, str(Path(__file__).resolve()), "--measure", url,
                               "--repeats", str(arguments.repeats), "--only", ",".join(only)]
                    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True)
                    rows = json.loads(done.stdout.splitlines()[-1])
                    for row in rows:
                        row.update(engine=engine, tree=str(tree), round=round_number + 1)
                        failed = failed or row["status"] != 200
                        print(json.dumps(row), flush=True)
                    results.setdefault((engine, tree), []).append(rows)
    summary = summarize(results, trees)
    print("\n".join(summary))
    if arguments.json:
        arguments.json.write_text(json.dumps({"rows": [row for runs in results.values() for rows in runs
                                                       for row in rows], "table": summary}, indent=1))
    return 1 if failed else 0


class database_of:  # noqa: N801  (used as a context manager, as contextlib's are named)
    """The engine's database URL while the block runs: SQLite's kept file, or a throwaway PostgreSQL."""

    def __init__(self, engine: str, arguments: argparse.Namespace):
        self.engine, self.arguments, self.server = engine, arguments, None

    def __enter__(self) -> str:
        if self.engine == "sqlite":
            return sqlite_database(self.arguments)
        sys.path.insert(0, str(ROOT))
        from config import normalize_database_url
        from tests.engines import PostgresServer

        self.server = PostgresServer().start()
        url = normalize_database_url(self.server.url)
        build(url, self.arguments.folder, self.arguments)
        return url

    def __exit__(self, *exception) -> None:
        if self.server is not None:
            self.server.stop()


def summarize(results: dict[tuple[str, Path], list[list[dict]]], trees: list[Path]) -> list[str]:
    first = trees[0]
    header = "| engine | page | " + " | ".join(f"{tree.name or tree} ms" for tree in trees)
    header += "".join(f" | {tree.name} / {first.name}" for tree in trees[1:]) + " |"
    lines = [header, "|" + "---|" * (2 + 2 * len(trees) - 1)]
    for (engine, tree), runs in results.items():
        if tree != first:
            continue
        for row in runs[0]:
            def medians(of: Path, page: str = row["page"], engine: str = engine) -> list[float]:
                return [r["ms_median"] for rows in results[engine, of] for r in rows if r["page"] == page]

            cells = [", ".join(str(value) for value in medians(of)) for of in trees]
            ratios = [f"{statistics.median(medians(of)) / max(statistics.median(medians(first)), 0.01):.3f}"
                      for of in trees[1:]]
            lines.append(f"| {engine} | {row['page']} | " + " | ".join(cells + ratios) + " |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
