"""CPU per conversation list (`GET /api/conversations`) and per `sync` in one process, no sockets,
on a fresh SQLite file in /dev/shm (issue 15, the reconnect storm: every reconnecting client
resyncs and reads its list). For comparing changes to actions/conversations.py and
actions/resync.py, alternating checkouts, where the storm's noise (2,000 clients, the shared
machine) would hide them.

    .venv/bin/python bench/list_loop.py --checkout /tmp/l/before --checkout . --pairs 3 --conversations 2,20

The database is built once, by the first checkout's code: a reader in `--conversations` conversations
(half groups of 50 members, half direct chats; the storm's clients have one of each), each with a few
messages from others: mentions of the reader, a reply, a reaction, a deleted message, so that the
last messages and unread counts are not all alike. Each measurement is a new process on that
checkout's code (same venv) over its own copy of the database: `--lists` requests to warm up, then
`--lists` timed (process CPU time) through the Flask test client with a bearer token, as a client
asks; then as many calls of the view's body alone (list_conversations and the payloads, in an app
context, the caller read by id); then as many `sync`s (actions.resync.changes_since_each and the
payloads) of every conversation from 3 revisions back, as a client that missed a few messages
asks. Prints µs per run (JSON lines), the medians, each checkout's ratio to the first and to the
one before it (what that step bought), and digests of the JSON each checkout answered: a change
that alters the list's or the sync's JSON shows as another digest.
"""
from __future__ import annotations

import argparse
import hashlib
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
MEMBERS = 50


def build(folder: Path, conversations: int) -> None:
    """In the checkout this process was started in: the database and a token, in `folder`."""
    sys.path.insert(0, os.getcwd())
    from actions.accounts import issue_api_token
    from actions.direct import open_direct_conversation
    from actions.messages import delete_message, send_message
    from actions.reactions import add_reaction
    from events.unit_of_work import atomic
    from extensions import db
    from tests.database_apps import build_migrated_sqlite, testing_app
    from tests.factories import make_group, make_user

    migrated = build_migrated_sqlite(folder)
    app = testing_app(f"sqlite:///{migrated}", folder, {})
    with app.app_context():
        reader = make_user("reader")
        others = [make_user(f"member{number}") for number in range(MEMBERS)]
        ids = []
        for number in range(conversations):
            if number % 2 == 0:
                ids.append(make_group(others[0], f"Group {number}", [reader, *others[1:]]).id)
            else:
                with atomic():
                    ids.append(open_direct_conversation(reader, others[number].id).conversation.id)
        for number, conversation_id in enumerate(ids):
            sender = others[number] if number % 2 else others[1 + number % (MEMBERS - 1)]
            with atomic():
                first = send_message(sender, conversation_id, "@reader have a look", admitted=True).message
                send_message(reader, conversation_id, "looking", admitted=True)
                reply = send_message(sender, conversation_id, f"news {number}", reply_to=first.id,
                                     admitted=True).message
                if number % 3 == 0:
                    add_reaction(reader, reply.id, "👍")
                if number % 4 == 1:
                    delete_message(sender, send_message(sender, conversation_id, "oops", admitted=True).message.id)
                if number % 5 == 2:
                    send_message(sender, conversation_id, "@reader and one more", admitted=True)
        with atomic():
            token = issue_api_token(reader).token
        (folder / "token").write_text(token)
        (folder / "reader").write_text(str(reader.id))
        db.session.remove()
        db.engine.dispose()


FIGURES = ("list_request_us", "list_us", "sync_us")  # what measure returns, then the two JSON digests


def measure(folder: Path, lists: int) -> tuple[float, float, float, str, str]:
    """In the checkout this process was started in: µs of CPU per GET /api/conversations, per list
    (action and payloads), per sync of every conversation 3 revisions back (action and payloads), and
    the digests of the list's and the sync's JSON."""
    sys.path.insert(0, os.getcwd())
    from flask.testing import FlaskClient

    from actions.conversations import list_conversations
    from actions.resync import changes_since_each
    from extensions import db
    from models import User
    from payloads import message_payload, summary_payload
    from tests.database_apps import testing_app

    database = Path(tempfile.mkdtemp(dir=folder)) / "list.db"
    shutil.copyfile(folder / "migrated.db", database)
    app = testing_app(f"sqlite:///{database}", database.parent, {})
    headers = {"Authorization": f"Bearer {(folder / 'token').read_text()}"}
    app.test_client_class = FlaskClient  # a request as a server runs it (not the tests' own client)
    client = app.test_client()
    reader_id = int((folder / "reader").read_text())

    def request() -> bytes:
        response = client.get("/api/conversations", headers=headers)
        assert response.status_code == 200, response.data
        return response.data

    listed = json.loads(request())["conversations"]
    cursors = [(entry["id"], max(0, entry["last_revision"] - 3)) for entry in listed]

    def listing() -> str:
        with app.app_context():
            user = db.session.get(User, reader_id)
            answer = json.dumps([summary_payload(summary) for summary in list_conversations(user)])
            db.session.remove()
        return answer

    def sync() -> str:
        with app.app_context():
            user = db.session.get(User, reader_id)
            answers = changes_since_each(user, cursors, 100)
            answer = json.dumps([{"conversation_id": conversation_id, "revision": answers[conversation_id].revision,
                                  "has_more": answers[conversation_id].has_more,
                                  "messages": [message_payload(m) for m in answers[conversation_id].messages]}
                                 for conversation_id, _since in cursors])
            db.session.remove()
        return answer

    figures = []
    for step in (request, listing, sync):
        for _ in range(lists):
            step()
        started = time.process_time()
        for _ in range(lists):
            step()
        figures.append((time.process_time() - started) / lists * 1e6)
    digests = [hashlib.sha256(answer).hexdigest()[:12] for answer in (request(), sync().encode())]
    return (*figures, *digests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, action="append", help="a Switchboard checkout (default: this one)")
    parser.add_argument("--pairs", type=int, default=2, help="alternating rounds over the checkouts")
    parser.add_argument("--lists", type=int, default=400, help="lists timed per run (as many to warm up)")
    parser.add_argument("--conversations", default="2,20", help="the reader's conversations, comma-separated sizes")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.build:
        build(arguments.build, int(arguments.conversations))
        return 0
    if arguments.measure:
        print(json.dumps(measure(arguments.measure, arguments.lists)))
        return 0
    checkouts = [path.resolve() for path in (arguments.checkout or [ROOT])]
    script = str(Path(__file__).resolve())
    print(f"[bench] load average {os.getloadavg()}", file=sys.stderr)
    for size in [int(size) for size in arguments.conversations.split(",")]:
        folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
        subprocess.run([sys.executable, script, "--build", str(folder), "--conversations", str(size)],
                       cwd=checkouts[0], capture_output=True, text=True, check=True)
        results: dict[Path, list[tuple]] = {checkout: [] for checkout in checkouts}
        for _ in range(arguments.pairs):
            for checkout in checkouts:
                completed = subprocess.run([sys.executable, script, "--measure", str(folder), "--lists",
                                            str(arguments.lists)], cwd=checkout, capture_output=True, text=True)
                if completed.returncode:
                    print(completed.stderr, file=sys.stderr)
                    completed.check_returncode()
                results[checkout].append(tuple(json.loads(completed.stdout.splitlines()[-1])))
                figures = dict(zip(FIGURES, results[checkout][-1], strict=False))
                print(json.dumps({"conversations": size, "checkout": str(checkout),
                                  **{name: round(value) for name, value in figures.items()},
                                  "list_digest": results[checkout][-1][3], "sync_digest": results[checkout][-1][4],
                                  "load_average": os.getloadavg()[0]}), flush=True)
        medians = {checkout: [statistics.median(run[index] for run in runs) for index in range(len(FIGURES))]
                   for checkout, runs in results.items()}
        print("| conversations | checkout | µs per GET /api/conversations | ÷ first | ÷ previous | µs per list "
              "(action + payloads) | ÷ first | ÷ previous | µs per sync (action + payloads) | ÷ first | ÷ previous "
              "| JSON digests (list, sync) |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        first = previous = medians[checkouts[0]]
        for checkout, runs in results.items():
            cells = " | ".join(f"{value:,.0f} | {value / first[index]:.2f} | {value / previous[index]:.2f}"
                               for index, value in enumerate(medians[checkout]))
            digests = ",".join(sorted({f"{run[3]} {run[4]}" for run in runs}))
            print(f"| {size} | {checkout} | {cells} | {digests} |")
            previous = medians[checkout]
        shutil.rmtree(folder, ignore_errors=True)
    print(f"[bench] load average {os.getloadavg()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
