"""Authenticated connects per second and memory per idle connection, Switchboard beside a bare
Flask-SocketIO gevent server (bench/bare_server.py) and a bare Node socket.io 4 server
(bench/node/reference-server.js, unless --no-node) in the same run (issue 15).

    .venv/bin/python bench/connect.py                          # 2,000 / 5,000 / 10,000 connections, 2 runs each
    .venv/bin/python bench/connect.py --steps 20,40 --users 3 --repeats 1   # the CI smoke's size
    .venv/bin/python bench/connect.py --checkout /tmp/before --checkout .  # two checkouts and the reference
    .venv/bin/python bench/connect.py --client node --processes 2           # the Node load generator
    .venv/bin/python bench/connect.py --no-node --repeats 1 --steps 4000 --profile bench/results/profiles \
        --py-spy /tmp/pyspy/bin/py-spy     # where a connect's CPU goes: py-spy on each worker during the steps

Each run starts one server (one gevent worker; Switchboard with the documented command,
`gunicorn --config gunicorn.conf.py`, on a fresh SQLite database, `users` registered in one group;
the reference with room for as many connections and the same open-file limit), then
bench/connect_client.py opens websocket connections with `auth={"token": ...}` (tokens used in
turn, `--concurrency` connects in flight, permessage-deflate offered as browsers do) up to each
step, and holds them idle. Per step:
connects/s (wall), the worker's CPU µs per connect (from /proc: what the rest of the machine's
load hardly changes), and the worker's RSS growth per held connection (KB, over a baseline taken
with `--warmup` connections open). Figures as JSON lines (stdout), then a table with medians and
the ratio of each server to the reference. Runs alternate servers. Nothing here asserts a speed.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from node_tools import NodeReference, default_processes, load_generator
from server import ROOT, BenchServer, free_port, gunicorn_worker_pid, wait_until
from session import (
    add_session_arguments,
    cpu_seconds,
    machine_description,
    raise_open_file_limit,
    run,
    stop_process,
    write_results,
)

BENCH = Path(__file__).resolve().parent
REFERENCE = "bare-flask-socketio"
NODE_REFERENCE = "node"  # bench/node/reference-server.js, the third column
FIGURES = (("connects/s", "connects_per_s"), ("worker CPU us/connect", "cpu_us_per_connect"),
           ("RSS KB/connection", "rss_kb_per_connection"))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="2000,5000,10000", help="connections held at each measurement")
    parser.add_argument("--users", type=int, default=50, help="Switchboard users whose tokens connect in turn")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=100, help="connects in flight")
    parser.add_argument("--warmup", type=int, default=20, help="connections open when the RSS baseline is read")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before RSS is read")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--checkout", type=Path, action="append", help="a Switchboard checkout (default: this one)")
    parser.add_argument("--no-node", action="store_true", help="leave out the bare Node socket.io reference")
    parser.add_argument("--client", choices=["python", "node"], default="python",
                        help="load generator: bench/connect_client.py, or bench/node/load.js sharded over --processes")
    parser.add_argument("--processes", type=int, default=default_processes(), help="Node load generator processes")
    parser.add_argument("--profile", type=Path, help="record each Python worker with py-spy while it takes the steps' "
                        "connects (raw collapsed stacks there, for bench/profile_top.py; those runs' CPU figures "
                        "include py-spy's sampling)")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy binary (default: on PATH)")
    add_session_arguments(parser)
    return parser.parse_args()


def rss_kb(pid: int) -> int:
    return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:"))


class BareServer:
    """bench/bare_server.py under gunicorn, one gevent worker, room for the largest step (12,000 worker
    connections; Switchboard's gunicorn.conf.py has 10,000) and Switchboard's open-file limit."""

    def __init__(self, workdir: Path, users: int, table: Path | None = None) -> None:
        self.port, self.workdir, self.users, self.table = free_port(), workdir, users, table
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> BareServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / "bare.log", "wb")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-k", "gevent", "-w", "1", "--worker-connections", "12000",
             "--graceful-timeout", "2", "--no-control-socket", "--bind", f"127.0.0.1:{self.port}", "bare_server:app"],
            cwd=BENCH,  # not the repository's root: gunicorn would read its gunicorn.conf.py
            env={**os.environ, "BARE_USERS": str(self.users),
                 **({"BARE_TABLE": str(self.table)} if self.table else {})},
            stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=raise_open_file_limit)
        try:
            wait_until(lambda: requests.get(self.url + "/healthz", timeout=1).ok, 60, "the bare server")
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"the bare server did not start:\n{self.log_tail()}") from None
        return self

    def tokens(self) -> list[str]:
        return [f"bare-{number}" for number in range(self.users)]

    def worker_pid(self) -> int:
        return gunicorn_worker_pid(self.process)

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join((self.workdir / "bare.log").read_text(errors="replace").splitlines()[-lines:])


def start(checkout: Path | str | None, workdir: Path, users: int):
    """The reference (no checkout), the Node reference ("node") or Switchboard from `checkout`, and the
    tokens its connects use in turn."""
    if checkout is None or checkout == NODE_REFERENCE:
        server = (BareServer if checkout is None else NodeReference)(workdir, users).start()
        return server, server.tokens()
    server = BenchServer("simple", ROOT / ".venv" / "bin", workdir, app_dir=checkout, config_file=True).start()
    audience = server.create_audience(users - 1)
    return server, [audience.sender_token, *audience.receiver_tokens]


def measure(variant: str, repeat: int, server, tokens: list[str], arguments: argparse.Namespace,
            steps: list[int]) -> list[dict]:
    worker = server.worker_pid()
    token_file = server.workdir / "tokens.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    options = ["--tokens", str(token_file), "--concurrency", str(arguments.concurrency),
               *(["--no-deflate"] if arguments.no_deflate else [])]
    client_command = [sys.executable, str(BENCH / "connect_client.py"), server.url, *options]
    if arguments.client == "node":
        client_command = load_generator("connect", server.url, *options, "--processes", str(arguments.processes))
    client = subprocess.Popen(client_command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              preexec_fn=raise_open_file_limit)

    def command(line: str) -> dict:
        client.stdin.write(line + "\n")
        client.stdin.flush()
        answer = client.stdout.readline()
        if not answer:
            raise RuntimeError(f"the load generator stopped; server log:\n{server.log_tail()}")
        return json.loads(answer)

    rows = []
    try:
        warm = command(f"open {arguments.warmup}")
        time.sleep(arguments.settle)
        baseline, held = rss_kb(worker), warm["held"]
        for step in steps:
            profiler = start_profiler(variant, repeat, step, worker, arguments)
            before = cpu_seconds(worker)
            opened = command(f"open {step - held}")
            cpu = cpu_seconds(worker) - before
            stop_profiler(profiler)
            time.sleep(arguments.settle)
            rss, count, held = rss_kb(worker), opened["opened"], opened["held"]
            rows.append({"scenario": "connect", "variant": variant, "run": repeat, "connections": held,
                         "opened": count, "failed": opened["failed"], "errors": opened["errors"],
                         "connects_per_s": round(count / opened["seconds"], 1) if count else 0.0,
                         "cpu_us_per_connect": round(cpu * 1e6 / count) if count else None,
                         "rss_kb": rss, "rss_kb_baseline": baseline,
                         # over every connection held past the baseline's
                         "rss_kb_per_connection": round((rss - baseline) / max(1, held - warm["held"]), 1),
                         # the Node load generator's processes: a share near 1 means the client limited the run
                         "client_cpu_shares": opened.get("client_cpu_shares"),
                         "machine_idle_share": opened.get("machine_idle_share")})
            print(json.dumps(rows[-1]), flush=True)
            if opened["failed"]:
                print(f"[bench] {variant}: {opened['failed']} connects failed: {opened['errors']}", file=sys.stderr)
    finally:
        try:
            command("close")
        except (RuntimeError, BrokenPipeError, json.JSONDecodeError):
            pass
        client.kill()
        client.wait()
    return rows


def start_profiler(variant: str, repeat: int, step: int, worker: int,
                   arguments: argparse.Namespace) -> subprocess.Popen | None:
    """py-spy on the worker (not Node's) for one step's connects, if --profile."""
    if not arguments.profile or variant == "bare-node":
        return None
    arguments.profile.mkdir(parents=True, exist_ok=True)
    output = arguments.profile / f"connect-{variant.replace('@', '-')}-{repeat}-{step}.txt"
    profiler = subprocess.Popen([arguments.py_spy, "record", "--format", "raw", "--rate", "200", "--nonblocking",
                                 "--pid", str(worker), "--output", str(output)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # attached before the connects start
    return profiler


def stop_profiler(profiler: subprocess.Popen | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes what it has recorded
        profiler.wait(timeout=60)


def summarize(rows: list[dict], variants: list[str], steps: list[int]) -> list[str]:
    """Medians per server and step, and each one's ratio to the reference's."""
    def median(variant: str, step: int, key: str) -> float | None:
        values = [row[key] for row in rows if row["variant"] == variant and row["connections"] >= step * 0.99
                  and row["connections"] <= step and row[key] is not None]
        return statistics.median(values) if values else None

    lines = ["| connections | figure | " + " | ".join(variants) + " | " +
             " | ".join(f"{variant} / reference" for variant in variants[1:]) + " |",
             "|---" * (2 + 2 * len(variants) - 1) + "|"]
    for step in steps:
        for label, key in FIGURES:
            values = [median(variant, step, key) for variant in variants]
            ratios = [f"{value / values[0]:.2f}" if value is not None and values[0] else "-" for value in values[1:]]
            shown = [f"{value:,.1f}" if value is not None else "-" for value in values]
            lines.append(f"| {step:,} | {label} | " + " | ".join(shown) + " | " + " | ".join(ratios) + " |")
    return lines


def main() -> int:
    arguments = parse_arguments()
    steps = sorted(int(step) for step in arguments.steps.split(","))
    checkouts = [path.resolve() for path in (arguments.checkout or [ROOT])]
    variants = {REFERENCE: None, **({} if arguments.no_node else {"bare-node": NODE_REFERENCE}),
                **{("switchboard" if len(checkouts) == 1 else f"switchboard@{path.name}"): path
                                    for path in checkouts}}
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}",
          file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sb-connect-", dir=arguments.db_dir) as scratch:
        for repeat in range(arguments.repeats):
            for variant, checkout in variants.items():
                server, tokens = start(checkout, Path(scratch) / f"{variant}-{repeat}", arguments.users)
                try:
                    rows += measure(variant, repeat, server, tokens, arguments, steps)
                finally:
                    server.stop()
    table = summarize(rows, list(variants), steps)
    print("\n".join(table))
    write_results(arguments, machine=machine, rows=rows, table=table)
    return 1 if any(row["failed"] for row in rows) else 0


if __name__ == "__main__":
    run(main)
