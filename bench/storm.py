"""The reconnect storm (issue 15): every client cut at once while a sender keeps sending; how long until
all are back and resynced, and whether anything failed, went unanswered or was lost. Switchboard on
SQLite and on PostgreSQL beside the bare Flask-SocketIO server (bench/bare_server.py, reconnect only)
in the same run.

    .venv/bin/python bench/storm.py                        # 2,000 clients; reference, SQLite, PostgreSQL
    .venv/bin/python bench/storm.py --clients 50 --engines sqlite --repeats 1    # the CI smoke's size
    .venv/bin/python bench/storm.py --env DATABASE_POOL_SIZE=20 --engines postgresql
    .venv/bin/python bench/storm.py --engines postgresql --checkout /tmp/before --checkout .  # before, after
    .venv/bin/python bench/storm.py --engines sqlite --no-reference --gc-stats   # and the collector's share

Each run starts one server with the documented command (`gunicorn --config gunicorn.conf.py`, one
gevent worker, a fresh database), registers `--clients` users in groups of `--group-size` and direct
chats (`--directs` started by each user), and a sender who is in every group and has direct chats
with the first `--sender-directs` users. The clients (bench/storm_client.py, sharded over `--shards`
processes) connect and list their conversations; the sender starts sending `--rate` messages/s round
its conversations; after `--before` seconds every client's TCP connection is closed at once with no
goodbye; each reconnects with socket.io-client's backoff (first delay 0.5–1.5 s) and resyncs as
docs/protocol.md says (`sync` since each watermark, then GET /api/conversations). Then the sender
stops, and each client's messages and watermarks are compared with the database.

Figures (JSON lines, then a table with the ratio of each time to the reference's): seconds until all
are back and until all are resynced (p50 and the last), clients not back or not resynced by
`--deadline`, connect failures and error acks by code, messages lost (in the database, missing from a
client), watermarks behind, sends never acknowledged, the sender's refusals and ack latency, the
worker's CPU seconds from the drop on, and the server log's `database unavailable` and error lines.
Speed is never asserted; the exit status is 1 when a client is not back or anything was lost.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from connect import BareServer
from server import ROOT, BenchServer, api_post
from session import add_session_arguments, cpu_seconds, machine_description, run, write_results
from sqlalchemy import create_engine, text

sys.path.insert(0, str(ROOT))
from tests.engines import PostgresServer  # noqa: E402  (the repository's root is on the path only now)

BENCH = Path(__file__).resolve().parent
REFERENCE = "bare-flask-socketio"
PASSWORD = "storm password 1234"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql", help="Switchboard's databases, in run order")
    parser.add_argument("--checkout", type=Path, action="append", help="a Switchboard checkout, e.g. a git worktree "
                        "of an older commit (default: this one); several are run in turn, each engine, each repeat")
    parser.add_argument("--no-reference", action="store_true", help="leave out the bare Flask-SocketIO server")
    parser.add_argument("--group-size", type=int, default=50, help="clients per group (each in one group)")
    parser.add_argument("--directs", type=int, default=1, help="direct chats each client starts")
    parser.add_argument("--sender-directs", type=int, default=100, help="clients with a direct chat with the sender")
    parser.add_argument("--rate", type=float, default=10, help="the sender's messages per second")
    parser.add_argument("--before", type=float, default=3, help="seconds of sending before the drop")
    parser.add_argument("--deadline", type=float, default=30, help="seconds after the drop before giving up")
    parser.add_argument("--shards", type=int, default=2, help="client processes")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for Switchboard's server")
    parser.add_argument("--profile", type=Path, help="record Switchboard's worker with py-spy from the drop to the "
                        "end of the wait (raw collapsed stacks there, for bench/profile_top.py)")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy binary (default: on PATH)")
    parser.add_argument("--gc-stats", action="store_true",
                        help="time the worker's garbage collections during the storm (bench/gc_stats)")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folders (logs, client states)")
    add_session_arguments(parser)
    return parser.parse_args(argv)


class Shard:
    """One storm_client.py process and its line commands."""

    def __init__(self, url: str, tokens: list[str], folder: Path, number: int, reference: bool) -> None:
        token_file = folder / f"tokens-{number}.txt"
        token_file.write_text("\n".join(tokens) + "\n")
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "storm_client.py"), url, "--tokens", str(token_file),
             *(["--reference"] if reference else [])], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("a storm client process stopped")
        return json.loads(line)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def all_shards(shards: list[Shard], line: str) -> list[dict]:
    """The same command to every shard at once, then their answers."""
    for shard in shards:
        shard.send(line)
    return [shard.answer() for shard in shards]


class Sender:
    def __init__(self, url: str, token: str, conversations: list[int], rate: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "storm_client.py"), url, "--sender", token, "--rate", str(rate),
             "--conversations", ",".join(map(str, conversations))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if not json.loads(self.process.stdout.readline() or '{"ready": false}')["ready"]:
            raise RuntimeError("the sender could not connect")

    def stop(self) -> dict:
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        figures = json.loads(self.process.stdout.readline())
        self.process.wait(timeout=30)
        return figures


def populate(url: str, clients: int, arguments: argparse.Namespace) -> tuple[list[str], str, list[int]]:
    """Users, groups and direct chats through the API: the clients' tokens, the sender's token and
    the sender's conversations."""
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    def post(path: str, body: dict, token: str | None = None) -> dict:
        return api_post(http, url, path, body, token)

    def register(_number: int) -> tuple[str, int]:
        body = post("/api/accounts", {"username": f"s{uuid.uuid4().hex[:12]}", "password": PASSWORD})
        return body["token"], body["user"]["id"]

    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(register, range(clients + 1)))
        (sender_token, sender_id), users = users[-1], users[:-1]
        size = arguments.group_size
        groups = list(pool.map(lambda start: post("/api/groups", {
            "name": f"storm {start // size}",
            "member_ids": [user_id for _token, user_id in users[start + 1:start + size]] + [sender_id]},
            users[start][0])["conversation"]["id"], range(0, clients, size)))
        pairs = [(users[number][0], users[(number + 7 * step + 1) % clients][1])
                 for number in range(clients) for step in range(arguments.directs) if clients > 1]
        list(pool.map(lambda pair: post("/api/direct", {"user_id": pair[1]}, pair[0]), pairs))
        directs = list(pool.map(lambda user: post("/api/direct", {"user_id": user[1]}, sender_token)
                                ["conversation"]["id"], users[:arguments.sender_directs]))
    return [token for token, _id in users], sender_token, groups + directs


def compare(database_url: str, states: list[dict], acknowledged: list[str]) -> dict:
    """Each client's final state against the database: messages missing, watermarks behind."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        messages = connection.execute(text("SELECT conversation_id, id, revision FROM messages")).all()
        last = dict(connection.execute(text("SELECT id, last_revision FROM conversations")).all())
        stored = {row[0] for row in connection.execute(
            text("SELECT client_id FROM messages WHERE client_id LIKE 'storm-%'"))}
    engine.dispose()
    by_conversation: dict[int, list[tuple[int, int]]] = {}
    for conversation_id, message_id, revision in messages:
        by_conversation.setdefault(conversation_id, []).append((message_id, revision))
    lost = behind = 0
    for state in states:
        for conversation_id, cursor in state["conversations"].items():
            expected = {message_id for message_id, revision in by_conversation.get(int(conversation_id), [])
                        if revision > cursor["start"]}
            lost += len(expected - set(cursor["held"]))
            behind += cursor["watermark"] < last[int(conversation_id)]
    return {"lost": lost, "watermarks_behind": behind, "messages_stored": len(stored),
            "acknowledged_not_stored": len(set(acknowledged) - stored)}


def storm(variant: str, server, tokens: list[str], sender_job, arguments, folder: Path) -> dict:
    """Connect, drop, wait; the figures of one run."""
    worker = server.worker_pid()
    size = -(-len(tokens) // arguments.shards)
    shards = [Shard(server.url, tokens[start:start + size], folder, start // size, variant == REFERENCE)
              for start in range(0, len(tokens), size)]
    sender = None
    try:
        opened = all_shards(shards, "open")
        if any(answer["failed"] for answer in opened):
            raise RuntimeError(f"{variant}: connects failed before the storm: {[a['errors'] for a in opened]}")
        sender = sender_job() if sender_job else None
        time.sleep(1)  # the sender's first sends (and the clients' first deliveries) behind
        quiet_cpu, quiet_started = cpu_seconds(worker), time.monotonic()
        time.sleep(max(0.0, arguments.before - 1))
        profiler = start_profiler(arguments, worker, f"{variant}-{len(tokens)}") if sender_job else None
        cpu_before, load, started, dropped_at = cpu_seconds(worker), os.getloadavg()[0], time.monotonic(), time.time()
        # What the worker spends a second on the sender alone (its sends and their deliveries)
        sending_cpu_per_s = (cpu_before - quiet_cpu) / (started - quiet_started)
        all_shards(shards, "drop")
        waited = all_shards(shards, f"wait {arguments.deadline}")
        cpu, storm_seconds = cpu_seconds(worker) - cpu_before, time.monotonic() - started
        storm_window = (dropped_at, time.time())
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it has recorded
            profiler.wait(timeout=60)
        sent = sender.stop() if sender else {}
        time.sleep(2)  # the last live events, and gaps they open, are handled
        state_files = [folder / f"state-{number}.json" for number in range(len(shards))]
        for shard, path in zip(shards, state_files, strict=True):
            shard.send(f"state {path}")
            shard.answer()
    finally:
        for shard in shards:
            shard.stop()
        if sender is not None and sender.process.poll() is None:
            sender.process.kill()
    back = sorted(time for answer in waited for time in answer["back"])
    resynced = sorted(time for answer in waited for time in answer["resynced"])
    counts: dict[str, int] = {}
    for answer in waited:
        for key, value in answer["counts"].items():
            counts[key] = counts.get(key, 0) + value
    row = {"scenario": "storm", "variant": variant, "clients": len(tokens), "load_average": round(load, 2),
           "back_p50_s": percentile(back, 50), "back_all_s": back[-1] if len(back) == len(tokens) else None,
           "resynced_p50_s": percentile(resynced, 50),
           "resynced_all_s": resynced[-1] if len(resynced) == len(tokens) else None,
           "not_back": len(tokens) - len(back), "not_resynced": len(tokens) - len(resynced),
           "counts": counts, "worker_cpu_s": round(cpu, 2), "storm_s": round(storm_seconds, 2),
           # the storm's own: the worker's CPU from the drop on, less what the sender alone cost as long
           "storm_cpu_ms_per_client": round(max(0.0, cpu - sending_cpu_per_s * storm_seconds) * 1000 / len(tokens), 2)}
    if variant != REFERENCE:
        states = [state for path in state_files for state in json.loads(path.read_text())]
        row.update(compare(server.database_url, states, sent.get("acknowledged_ids", [])))
        row.update({f"sender_{key}": value for key, value in sent.items() if key != "acknowledged_ids"})
        log = (server.workdir / "gunicorn.log").read_text(errors="replace")
        row["log_unavailable"] = log.count("database unavailable")
        row["log_errors"] = sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line)
        if arguments.gc_stats:
            row.update(gc_figures(folder, worker, storm_window))
    return row


def gc_stats_env(folder: Path) -> dict[str, str]:
    """The server's environment for bench/gc_stats/sitecustomize.py (its records: folder/gc-<pid>.json)."""
    path = [str(ROOT / "bench" / "gc_stats"), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"PYTHONPATH": os.pathsep.join(path), "GC_STATS_FILE": str(folder / "gc.json")}


def gc_figures(folder: Path, worker: int, window: tuple[float, float]) -> dict:
    """The worker's collections from the drop to the end of the storm: full ones (count, seconds, the
    objects tracked after the largest) and young ones (seconds)."""
    records = json.loads((folder / f"gc-{worker}.json").read_text())
    during = [record for record in records if window[0] <= record[0] <= window[1]]
    full = [record for record in during if record[1] == 2]
    return {"gc_full_collections": len(full), "gc_full_s": round(sum(record[2] for record in full), 3),
            "gc_young_s": round(sum(record[2] for record in during if record[1] != 2), 3),
            "gc_tracked_max": max((record[3] for record in full), default=None)}


def start_profiler(arguments: argparse.Namespace, worker: int, what: str) -> subprocess.Popen | None:
    if not arguments.profile:
        return None
    arguments.profile.mkdir(parents=True, exist_ok=True)
    profiler = subprocess.Popen([arguments.py_spy, "record", "--format", "raw", "--rate", "200", "--nonblocking",
                                 "--pid", str(worker), "--output", str(arguments.profile / f"storm-{what}.txt")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # attached before the drop
    return profiler


def percentile(values: list[float], cut: int) -> float | None:
    return round(values[min(len(values) - 1, len(values) * cut // 100)], 3) if values else None


def run_variant(variant: str, arguments, scratch: Path, repeat: int, checkouts: dict[str, Path]) -> dict:
    folder = scratch / f"{variant}-{repeat}"
    folder.mkdir(parents=True)
    if variant == REFERENCE:
        server = BareServer(folder, arguments.clients).start()
        try:
            return storm(variant, server, server.tokens(), None, arguments, folder)
        finally:
            server.stop()
    engine = variant.split("@", 1)[0]
    postgres = PostgresServer().start() if engine == "postgresql" else None
    env = {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # registering 2,000 users is not what is measured
           **({"DATABASE_URL": postgres.url} if postgres else {}),
           **(gc_stats_env(folder) if arguments.gc_stats else {}),
           **dict(setting.split("=", 1) for setting in arguments.env)}
    server = BenchServer("simple", ROOT / ".venv" / "bin", folder, env=env, config_file=True,
                         app_dir=checkouts.get(variant, ROOT))
    server.database_url = postgres.url.replace("postgresql://", "postgresql+psycopg://") if postgres else \
        f"sqlite:///{folder / 'switchboard.db'}"
    try:
        server.start()
        tokens, sender_token, conversations = populate(server.url, arguments.clients, arguments)
        return storm(variant, server, tokens,
                     lambda: Sender(server.url, sender_token, conversations, arguments.rate), arguments, folder)
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()


FIGURES = (("all back (s)", "back_all_s"), ("back p50 (s)", "back_p50_s"), ("all resynced (s)", "resynced_all_s"),
           ("resynced p50 (s)", "resynced_p50_s"), ("not back", "not_back"), ("not resynced", "not_resynced"),
           ("worker CPU (s)", "worker_cpu_s"), ("storm's worker CPU per client (ms)", "storm_cpu_ms_per_client"),
           ("lost messages", "lost"), ("watermarks behind", "watermarks_behind"),
           ("sends", "sender_sent"), ("sends never acknowledged", "sender_never_acknowledged"),
           ("send ack p99 (s)", "sender_ack_p99_s"), ("send ack max (s)", "sender_ack_max_s"),
           ("'database unavailable' in the log", "log_unavailable"), ("errors in the log", "log_errors"),
           ("full collections in the storm (--gc-stats)", "gc_full_collections"),
           ("their seconds of worker CPU", "gc_full_s"), ("young collections' seconds", "gc_young_s"),
           ("objects tracked, most", "gc_tracked_max"))


def summarize(rows: list[dict]) -> list[str]:
    """One column per run; times also as ratios to the reference of the same repeat."""
    lines = ["| figure | " + " | ".join(f"{row['variant']} #{row['run']}" for row in rows) + " |",
             "|---" * (len(rows) + 1) + "|"]
    references = {row["run"]: row for row in rows if row["variant"] == REFERENCE}
    for label, key in FIGURES:
        if key.startswith("gc_") and all(key not in row for row in rows):
            continue  # not asked for (--gc-stats)
        cells = []
        for row in rows:
            value, reference = row.get(key), references.get(row["run"], {}).get(key)
            cell = "-" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:.3g}"
            if key.startswith(("back", "resynced", "storm_cpu")) and value and reference \
                    and row["variant"] != REFERENCE:
                cell += f" ({value / reference:.1f}×)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| connect failures and error acks | " + " | ".join(
        ", ".join(f"{key} {value}" for key, value in sorted(row["counts"].items())) or "none" for row in rows) + " |")
    lines.append("| sender's refusals | " + " | ".join(
        ", ".join(f"{key} {value}" for key, value in sorted(row.get("sender_refusals", {}).items())) or "none"
        for row in rows) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    checkouts = [path.resolve() for path in (arguments.checkout or [ROOT])]
    named = {engine if len(checkouts) == 1 else f"{engine}@{checkout.name}": checkout
             for engine in arguments.engines.split(",") for checkout in checkouts}
    variants = ([] if arguments.no_reference else [REFERENCE]) + list(named)
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}",
          file=sys.stderr)
    rows = []
    scratch = tempfile.mkdtemp(prefix="sb-storm-", dir=arguments.db_dir)
    try:
        for repeat in range(arguments.repeats):
            for variant in variants:
                row = {**run_variant(variant, arguments, Path(scratch), repeat, named), "run": repeat}
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        if arguments.keep:
            print(f"[bench] the servers' folders stay in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    table = summarize(rows)
    print("\n".join(table))
    write_results(arguments, machine=machine, rows=rows, table=table)
    failed = any(row["not_back"] or row.get("lost") or row.get("sender_never_acknowledged") for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
