"""Search in the chat on SQLite at 1,000,000 messages: what one search costs the worker (issue 15; a
SQLite call blocks the whole gevent loop while it runs, so every other user waits that long too).

    .venv/bin/python bench/search.py                              # 1,000,000 messages, this tree
    git worktree add --detach /tmp/search-base 9613956            # the tree before the search's window
    .venv/bin/python bench/search.py --checkout /tmp/search-base --checkout .   # the two, alternating

One SQLite file (made once under --folder and kept for the next run): a big group of --messages
messages (bench/seed.py: every body holds "message", and three of 16 words) and a small one of
--small messages, written in chunks that interleave their ids as a busy server's. Two users search it
through `actions.chat_search.search_my_messages`, in one process, nothing else running: `busy` is in
both groups (nearly all the server's messages are in their scope), `quiet` only in the small one. Each
(user, query) is searched --repeats times; printed: the median and largest milliseconds of each, per
tree (a JSON line each, then a table), and each tree's median over the first's.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# common, everywhere, two words, none, short (below the index's 3 characters), short and in none
QUERIES = ("lunch", "message", "invoice garden", "zzzqqq", "lu", "qz")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="in the big group")
    parser.add_argument("--small", type=int, default=2_000, help="messages in the small group")
    parser.add_argument("--repeats", type=int, default=5, help="searches per user and query")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of every tree")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/switchboard-bench-search"),
                        help="where the database is made once and kept")
    parser.add_argument("--checkout", type=Path, action="append",
                        help="a tree to measure (repeatable; default this one)")
    parser.add_argument("--json", type=Path, help="also write every row here")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # one tree, in its own process
    return parser.parse_args(argv)


def database(arguments: argparse.Namespace) -> Path:
    """The seeded file, made by this tree's migrations and seeding if it is not there yet."""
    path = arguments.folder / f"search-{arguments.messages}-{arguments.small}.db"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from bench.seed import Plan, seed
    from extensions import db
    from tests.database_apps import testing_app
    from tests.factories import make_group, make_user

    arguments.folder.mkdir(parents=True, exist_ok=True)
    making = path.with_suffix(".making")
    making.unlink(missing_ok=True)
    app = testing_app(f"sqlite:///{making}", arguments.folder)
    with app.app_context():
        upgrade()
        alice, bob, busy, quiet = (make_user(name) for name in ("alice", "bob", "busy", "quiet"))
        big = make_group(alice, "big", [bob, busy])
        small = make_group(alice, "small", [bob, busy, quiet])
        started = time.monotonic()
        seed(db.engine, [Plan(big.id, arguments.messages, (alice.id, bob.id)),
                         Plan(small.id, arguments.small, (alice.id, bob.id))])
        print(f"seeded {arguments.messages + arguments.small:,} messages in {time.monotonic() - started:.0f} s",
              file=sys.stderr)
        db.session.remove()
        db.engine.dispose()
    making.rename(path)
    return path


def measure(path: Path, repeats: int) -> list[dict]:
    """Run in the tree being measured (its own process, its code first on sys.path)."""
    sys.path.insert(0, os.getcwd())
    from actions.chat_search import search_my_messages
    from extensions import db
    from models import User
    from tests.database_apps import testing_app

    app = testing_app(f"sqlite:///{path}", path.parent, {"SEARCHES_PER_MINUTE": 0})
    rows = []
    with app.app_context():
        for username in ("busy", "quiet"):
            user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
            for query in QUERIES:
                milliseconds = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    page = search_my_messages(user, query)
                    milliseconds.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                rows.append({"user": username, "query": query, "found": len(page.messages),
                             "ms_median": round(statistics.median(milliseconds), 2),
                             "ms_max": round(max(milliseconds), 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.measure:
        print(json.dumps(measure(Path(os.environ["SEARCH_DATABASE"]), arguments.repeats)))
        return 0
    path = database(arguments)
    trees = [tree.resolve() for tree in arguments.checkout or [ROOT]]
    results: dict[Path, list[list[dict]]] = {tree: [] for tree in trees}
    for round_number in range(arguments.rounds):
        for tree in trees:
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--measure", "--repeats", str(arguments.repeats)],
                cwd=tree, env={**os.environ, "SEARCH_DATABASE": str(path)}, capture_output=True, text=True,
                check=True)
            rows = json.loads(done.stdout.splitlines()[-1])
            for row in rows:
                row.update(tree=str(tree), round=round_number + 1)
                print(json.dumps(row))
            results[tree].append(rows)
    summary = summarize(results)
    print("\n".join(summary))
    if arguments.json:
        arguments.json.write_text(json.dumps({"rows": [row for runs in results.values() for rows in runs
                                                       for row in rows], "table": summary}, indent=1))
    return 0


def summarize(results: dict[Path, list[list[dict]]]) -> list[str]:
    trees = list(results)
    first = trees[0]

    def median_of(tree: Path, user: str, query: str) -> float:
        return statistics.median(row["ms_median"] for rows in results[tree] for row in rows
                                 if (row["user"], row["query"]) == (user, query))

    header = "| user | query | found | " + " | ".join(f"{tree.name or tree} ms (median, each round)" for tree in trees)
    header += "".join(f" | {tree.name} / {first.name}" for tree in trees[1:]) + " |"
    lines = [header, "|" + "---|" * (3 + len(trees) + len(trees) - 1)]
    for row in results[first][0]:
        user, query = row["user"], row["query"]
        cells = [", ".join(str(r["ms_median"]) for rows in results[tree] for r in rows
                           if (r["user"], r["query"]) == (user, query)) for tree in trees]
        ratios = [f"{median_of(tree, user, query) / median_of(first, user, query):.2f}" for tree in trees[1:]]
        lines.append(f"| {user} | {query} | {row['found']} | " + " | ".join(cells + ratios) + " |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
