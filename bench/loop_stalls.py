"""How long the event loop stalls while one user's long read runs on SQLite, the reads done in place or
off the loop (long_reads.py; issue 15: one client must not stall the others).

    .venv/bin/python bench/loop_stalls.py                         # on bench/search.py's 1,000,000 messages
    .venv/bin/python bench/loop_stalls.py --messages 3000 --small 300 --repeats 1   # the CI smoke's size

A gevent process (monkey-patched, as gunicorn's worker) on a copy of bench/search.py's database (made
by it when missing): a greenlet wakes every 2 ms and notes when; each request below runs --repeats
times, once with the reads as this tree marks them (`long`) and once with nothing marked (`in-place`,
every statement on the loop, as before long_reads.py), in that process. Printed per request and mode:
the request's median milliseconds and the loop's longest stall during it (the longest gap between
two wake-ups, or the whole request when the loop never woke), as JSON lines, then a table.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = ("back office: messages searched for 'message'", "back office: messages whose text contains 'lunch'",
            "back office: dashboard", "back office: the page of an account that wrote half the messages",
            "chat search: 'message' in a quiet group", "chat search: 'lunch' in a quiet group")
MODES = ("in-place", "long")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="in bench/search.py's big group")
    parser.add_argument("--small", type=int, default=2_000, help="in its small group")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/switchboard-bench-search"),
                        help="where bench/search.py keeps its database")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one mode, in its own process
    return parser.parse_args(argv)


def measure(source: Path, mode: str, repeats: int) -> list[dict]:
    """In a process of its own, monkey-patched first."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    sys.path.insert(0, str(ROOT))
    import long_reads

    if mode == "in-place":  # nothing marked: every statement on the loop
        long_reads.read_long_statements_off_loop = lambda engine: None
    from actions.chat_search import search_my_messages
    from extensions import db
    from models import User
    from tests.database_apps import testing_app
    from tests.factories import PASSWORD, make_user

    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    copy = folder / "search.db"
    shutil.copy(source, copy)
    app = testing_app(f"sqlite:///{copy}", folder, {"SEARCHES_PER_MINUTE": 0})
    context = app.app_context()
    context.push()
    make_user("operator", role="admin")
    db.session.remove()
    client = app.test_client()
    assert client.post("/login", data={"username": "operator", "password": PASSWORD}).status_code == 302

    def chat_search(query: str) -> None:
        with app.app_context():
            search_my_messages(db.session.execute(db.select(User).where(User.username == "quiet")).scalar_one(),
                               query)
            db.session.remove()

    def page(url: str) -> None:
        assert client.get(url).status_code == 200

    work = dict(zip(REQUESTS, (lambda: page("/admin/message/?search=message"),
                               lambda: page("/admin/message/?flt0_text_contains=lunch"),
                               lambda: page("/admin/"), lambda: page("/admin/user/manage/?id=1"),  # alice
                               lambda: chat_search("message"), lambda: chat_search("lunch")), strict=True))
    wakes: list[float] = []

    def wake() -> None:
        while True:
            wakes.append(time.monotonic())
            gevent.sleep(0.002)

    gevent.spawn(wake)
    gevent.sleep(0.05)
    rows = []
    for name, request in work.items():
        request()  # warm
        took, stalls = [], []
        for _ in range(repeats):
            started = time.monotonic()
            request()
            ended = time.monotonic()
            moments = [started, *(moment for moment in wakes if started < moment < ended), ended]
            took.append((ended - started) * 1000)
            stalls.append(max(later - earlier for earlier, later in zip(moments, moments[1:], strict=False)) * 1000)
        rows.append({"request": name, "mode": mode, "ms_median": round(statistics.median(took), 1),
                     "longest_stall_ms": round(max(stalls), 1)})
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    source = arguments.folder / f"search-{arguments.messages}-{arguments.small}.db"
    if arguments.mode:
        print(json.dumps(measure(source, arguments.mode, arguments.repeats)))
        return 0
    if not source.exists():  # bench/search.py makes it (and measures the searches themselves)
        subprocess.run([sys.executable, str(ROOT / "bench" / "search.py"), "--messages", str(arguments.messages),
                        "--small", str(arguments.small), "--folder", str(arguments.folder), "--repeats", "1",
                        "--rounds", "1"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    results = {}
    for mode in MODES:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--mode", mode, "--repeats",
                               str(arguments.repeats), "--messages", str(arguments.messages), "--small",
                               str(arguments.small), "--folder", str(arguments.folder)],
                              cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True)
        for row in json.loads(done.stdout.splitlines()[-1]):
            print(json.dumps(row))
            results[row["request"], mode] = row
    print("| request | in place: ms | in place: longest stall ms | long reads: ms | long reads: longest stall ms |")
    print("|---|---:|---:|---:|---:|")
    for name in REQUESTS:
        before, after = results[name, "in-place"], results[name, "long"]
        print(f"| {name} | {before['ms_median']} | {before['longest_stall_ms']} | {after['ms_median']} "
              f"| {after['longest_stall_ms']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
