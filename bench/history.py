"""History and resync at 1,000,000 messages (issue 15): p50/p99 of the read paths a client uses, on a
conversation of `--messages` messages beside the same requests on one of `--reference-messages`
(1,000) in the same run, on SQLite and on PostgreSQL.

    .venv/bin/python bench/history.py                                    # 1,000,000 and 1,000; both engines
    .venv/bin/python bench/history.py --messages 20000 --rounds 2 --block 5 --engines sqlite   # the CI smoke

Each engine gets one server with the documented command (`gunicorn --config gunicorn.conf.py`, one
gevent worker, a fresh database: SQLite on --db-dir, or a throwaway PostgreSQL cluster from
tests/engines.py). Users and groups are made through the API: `--senders` senders (3), reader A in the big
conversation, reader B in the reference one, both in `--others` more groups (`--other-messages` each).
bench/seed.py then writes the messages (SQLite executemany with the search index's triggers,
PostgreSQL COPY and ANALYZE), with edits, deletions, hidden messages and mentions among them; each
reader's read position stays at 0, as far back as it gets.

Requests, as the page and clients send them (REST with a keep-alive session, Socket.IO calls on a
websocket): the newest history page, pages before a random seq (a tenth of them at the oldest end),
the window around a random message, the changes since 10 revisions back (small gap) and since a
random revision far back (a large gap: its first page), each over REST and Socket.IO, and the
conversation list with its unread counts. Each kind runs in `--rounds` rounds of `--block` requests
on the big conversation, then on the reference (the order alternating by round). Figures per kind
and size: client-side p50/p99 (ms), server-side p50/p99 (the request log's own durations, LOG_FORMAT
json) and the worker's CPU per request (/proc); the table gives 1M ÷ 1k for each. Nothing here
asserts a speed; the exit status is 1 when a request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio
from seed import Plan, seed
from server import ROOT, BenchServer, api_post
from session import add_session_arguments, cpu_seconds, machine_description, run, write_results
from sqlalchemy import create_engine, text

sys.path.insert(0, str(ROOT))
from tests.engines import PostgresServer  # noqa: E402  (the repository's root is on the path only now)

SIZES = ("big", "reference")
PASSWORD = "bench password 1234"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages in the big conversation")
    parser.add_argument("--reference-messages", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=3, help="who wrote the messages, in turn")
    parser.add_argument("--others", type=int, default=3, help="more groups, each reader in all of them")
    parser.add_argument("--other-messages", type=int, default=20_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=10, help="alternating blocks per size and kind")
    parser.add_argument("--block", type=int, default=20, help="requests per block")
    parser.add_argument("--seed", type=int, default=15, help="of the random positions")
    parser.add_argument("--kinds", help="only the requests whose name contains one of these (comma-separated)")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="serve the code of this checkout (e.g. a git worktree of an older commit)")
    add_session_arguments(parser)
    return parser.parse_args(argv)


@dataclass
class Target:
    """One reader and the conversation they read, with random seqs' message ids for `around`."""

    token: str
    conversation_id: int
    last_seq: int
    last_revision: int
    ids: list[int] = field(default_factory=list)
    socket: socketio.Client | None = None


def populate(url: str, arguments: argparse.Namespace) -> tuple[dict[str, dict], list[Plan]]:
    """Users and groups through the API; the readers' tokens and the seeding plans."""
    http = requests.Session()

    def post(path: str, body: dict, token: str | None = None) -> dict:
        return api_post(http, url, path, body, token)

    users = [post("/api/accounts", {"username": f"h{uuid.uuid4().hex[:12]}", "password": PASSWORD})
             for _ in range(arguments.senders + 2)]
    token, senders = users[0]["token"], [user["user"]["id"] for user in users[:arguments.senders]]
    reader_a, reader_b = users[-2], users[-1]

    def group(name: str, readers: list[dict]) -> int:
        return post("/api/groups", {"name": name, "member_ids": senders[1:] + [r["user"]["id"] for r in readers]},
                    token)["conversation"]["id"]

    big, reference = group("history big", [reader_a]), group("history reference", [reader_b])
    others = [group(f"history other {number}", [reader_a, reader_b]) for number in range(arguments.others)]
    plans = [Plan(big, arguments.messages, tuple(senders), reader_a["user"]["id"]),
             Plan(reference, arguments.reference_messages, tuple(senders), reader_b["user"]["id"]),
             *(Plan(other, arguments.other_messages, tuple(senders[1:] or senders), reader_a["user"]["id"])
               for other in others)]
    return {"big": reader_a, "reference": reader_b}, plans


def prepare(server: BenchServer, database_url: str, arguments: argparse.Namespace) -> dict[str, Target]:
    readers, plans = populate(server.url, arguments)
    engine = create_engine(database_url)
    started = time.monotonic()
    seeded = seed(engine, plans)
    print(f"[bench] seeded {sum(plan.count for plan in plans):,} messages in {time.monotonic() - started:.0f} s",
          file=sys.stderr)
    rng = random.Random(arguments.seed)
    targets = {}
    for size, result in zip(SIZES, seeded[:2], strict=True):
        with engine.connect() as connection:
            seqs = [rng.randint(1, result.last_seq) for _ in range(500)]
            ids = connection.execute(text("SELECT id FROM messages WHERE conversation_id = :id AND seq IN "
                                          f"({', '.join(map(str, seqs))})"), {"id": result.conversation_id}).scalars()
        targets[size] = Target(readers[size]["token"], result.conversation_id, result.last_seq, result.last_revision,
                               list(ids))
    engine.dispose()
    for target in targets.values():
        target.socket = socketio.Client(reconnection=False)
        target.socket.connect(server.url, auth={"token": target.token}, transports=["websocket"], wait_timeout=10)
    return targets


def before_seq(target: Target, rng: random.Random) -> int:
    """A random page: a tenth at the oldest end."""
    return rng.randint(2, 60) if rng.random() < 0.1 else rng.randint(2, target.last_seq + 1)


Request = Callable[[Target, random.Random, str], object]  # True, or what went wrong


def kinds(http: requests.Session, url: str) -> dict[str, tuple[str, Request]]:
    """name -> (what the server logs it as: "http" or the socket event, the request given its request id)."""
    def get(path: str, target: Target, request_id: str) -> object:
        response = http.get(url + path, timeout=30,
                            headers={"Authorization": f"Bearer {target.token}", "X-Request-ID": request_id})
        return response.status_code == 200 or response.text[:200]

    def call(target: Target, event: str, payload: dict) -> object:
        answer = target.socket.call(event, payload, timeout=30)
        return bool(answer and answer.get("ok")) or str(answer)[:200]

    far = lambda target, rng: rng.randint(0, max(0, target.last_revision - 1_000))  # noqa: E731
    return {
        "history newest (REST)": ("http", lambda t, rng, rid: get(f"/api/conversations/{t.conversation_id}/messages",
                                                                   t, rid)),
        "history page (REST)": ("http", lambda t, rng, rid: get(
            f"/api/conversations/{t.conversation_id}/messages?before={before_seq(t, rng)}", t, rid)),
        "history page (socket)": ("messages:history", lambda t, rng, rid: call(
            t, "messages:history", {"conversation_id": t.conversation_id, "before": before_seq(t, rng)})),
        "around (REST)": ("http", lambda t, rng, rid: get(f"/api/messages/{rng.choice(t.ids)}/around", t, rid)),
        "around (socket)": ("messages:around", lambda t, rng, rid: call(
            t, "messages:around", {"message_id": rng.choice(t.ids)})),
        "resync small gap (REST)": ("http", lambda t, rng, rid: get(
            f"/api/conversations/{t.conversation_id}/changes?since={t.last_revision - 10}", t, rid)),
        "resync large gap (REST)": ("http", lambda t, rng, rid: get(
            f"/api/conversations/{t.conversation_id}/changes?since={far(t, rng)}", t, rid)),
        "resync small gap (socket)": ("sync", lambda t, rng, rid: call(t, "sync", {"conversations": [
            {"conversation_id": t.conversation_id, "since": t.last_revision - 10}]})),
        "resync large gap (socket)": ("sync", lambda t, rng, rid: call(t, "sync", {"conversations": [
            {"conversation_id": t.conversation_id, "since": far(t, rng)}]})),
        "conversation list (REST)": ("http", lambda t, rng, rid: get("/api/conversations", t, rid)),
    }


def server_durations(log: Path, offset: int, logged_as: str, request_ids: list[str]) -> list[float | None]:
    """The worker's own duration of each request (ms), from the log lines written since `offset`: HTTP
    requests by their X-Request-ID, socket events in the order they were sent (one at a time)."""
    lines = []
    with log.open("rb") as stream:
        stream.seek(offset)
        for raw in stream:
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
    if logged_as == "http":
        by_id = {line.get("request_id"): line["message"] for line in lines
                 if line.get("logger") == "switchboard.requests"}
        return [_ms(by_id.get(request_id)) for request_id in request_ids]
    events = [_ms(line["message"]) for line in lines if line.get("logger") == "switchboard.socket_events"
              and line["message"].startswith(f"socket event {logged_as} ")]
    return events if len(events) == len(request_ids) else [None] * len(request_ids)


def _ms(message: str | None) -> float | None:
    return float(message.rsplit(" ", 2)[1]) if message and message.endswith(" ms") else None


def percentile(values: list[float], fraction: float) -> float | None:
    values = sorted(value for value in values if value is not None)
    return round(values[min(len(values) - 1, int(fraction * len(values)))], 2) if values else None


def measure(engine: str, server: BenchServer, targets: dict[str, Target], arguments: argparse.Namespace) -> list[dict]:
    http, rng, worker = requests.Session(), random.Random(arguments.seed), server.worker_pid()
    log = server.workdir / "gunicorn.log"
    rows = []
    wanted = arguments.kinds.split(",") if arguments.kinds else [""]
    for kind, (logged_as, request) in kinds(http, server.url).items():
        if not any(part in kind for part in wanted):
            continue
        for size in SIZES:  # warm-up, not counted
            for _ in range(3):
                request(targets[size], rng, "warm")
        samples = {size: {"client": [], "server": [], "cpu": 0.0, "failed": []} for size in SIZES}
        for round_number in range(arguments.rounds):
            for size in SIZES if round_number % 2 == 0 else reversed(SIZES):
                target, sample, request_ids = targets[size], samples[size], []
                offset, cpu = log.stat().st_size, cpu_seconds(worker)
                for _ in range(arguments.block):
                    request_ids.append(uuid.uuid4().hex)
                    started = time.perf_counter()
                    outcome = request(target, rng, request_ids[-1])
                    sample["client"].append((time.perf_counter() - started) * 1000)
                    if outcome is not True:
                        sample["failed"].append(outcome)
                sample["cpu"] += cpu_seconds(worker) - cpu
                time.sleep(0.05)  # the log line is written after the answer
                sample["server"] += server_durations(log, offset, logged_as, request_ids)
        for size in SIZES:
            sample, count = samples[size], len(samples[size]["client"])
            rows.append({"scenario": "history", "engine": engine, "kind": kind, "size": size,
                         "messages": targets[size].last_seq, "requests": count,
                         "client_p50_ms": percentile(sample["client"], 0.5),
                         "client_p99_ms": percentile(sample["client"], 0.99),
                         "server_p50_ms": percentile(sample["server"], 0.5),
                         "server_p99_ms": percentile(sample["server"], 0.99),
                         "cpu_us_per_request": round(sample["cpu"] * 1e6 / count), "failed": len(sample["failed"]),
                         "errors": sample["failed"][:3]})
            print(json.dumps(rows[-1]), flush=True)
    return rows


FIGURES = (("client p50 ms", "client_p50_ms"), ("client p99 ms", "client_p99_ms"),
           ("server p99 ms", "server_p99_ms"), ("worker CPU us", "cpu_us_per_request"))


def summarize(rows: list[dict]) -> list[str]:
    """One line per engine and kind: each figure at 1M (big) and its ratio to the reference's."""
    lines = ["| engine | request | " + " | ".join(f"{label} (big) | ÷ reference" for label, _ in FIGURES) + " |",
             "|---|---|" + "---|---|" * len(FIGURES)]
    pairs = {}
    for row in rows:
        pairs.setdefault((row["engine"], row["kind"]), {})[row["size"]] = row
    for (engine, kind), pair in pairs.items():
        cells = []
        for _, key in FIGURES:
            big, reference = pair["big"][key], pair["reference"][key]
            cells += [f"{big:,}" if big is not None else "-",
                      f"{big / reference:.2f}" if big is not None and reference else "-"]
        lines.append(f"| {engine} | {kind} | " + " | ".join(cells) + " |")
    return lines


def run_engine(engine: str, scratch: Path, arguments: argparse.Namespace) -> list[dict]:
    folder = scratch / engine
    postgres = PostgresServer().start() if engine == "postgresql" else None
    database_url = (postgres.url.replace("postgresql://", "postgresql+psycopg://") if postgres
                    else f"sqlite:///{folder / 'switchboard.db'}")
    server = BenchServer("simple", ROOT / ".venv" / "bin", folder, config_file=True,
                         app_dir=arguments.checkout.resolve(),
                         env={"LOG_FORMAT": "json", **({"DATABASE_URL": postgres.url} if postgres else {})})
    targets = {}
    try:
        server.start()
        targets = prepare(server, database_url, arguments)
        return measure(engine, server, targets, arguments)
    finally:
        for target in targets.values():
            if target.socket is not None:
                target.socket.disconnect()
        server.stop()
        if postgres is not None:
            postgres.stop()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}",
          file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sb-history-", dir=arguments.db_dir) as scratch:
        for engine in arguments.engines.split(","):
            rows += run_engine(engine, Path(scratch), arguments)
    table = summarize(rows)
    print("\n".join(table))
    load_at_end = list(os.getloadavg())
    print(f"[bench] load average at the end {load_at_end}", file=sys.stderr)
    write_results(arguments, machine=machine, load_average_at_end=load_at_end, rows=rows, table=table)
    return 1 if any(row["failed"] for row in rows) else 0


if __name__ == "__main__":
    run(main)
