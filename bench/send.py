"""Stored messages per second and send->ack latency, Switchboard on SQLite (WAL) and on PostgreSQL
beside a bare Flask-SocketIO gevent server that acks without storing (bench/bare_server.py), in the
same run (issue 15).

    .venv/bin/python bench/send.py                                   # 16 senders, 2 runs of each server
    .venv/bin/python bench/send.py --seconds 1 --senders 2 --repeats 1   # the CI smoke's size
    .venv/bin/python bench/send.py --checkout /tmp/before --checkout .   # two checkouts and the reference
    .venv/bin/python bench/send.py --engines sqlite                   # without PostgreSQL

Every server runs with one gevent worker (gunicorn -k gevent): Switchboard on a fresh database
(SQLite in --db-dir, PostgreSQL in a throwaway cluster of tests/engines.py, one database per
checkout), `senders` users each with a group of their own (and one other member, who is not
connected). bench/send_client.py connects the senders (raw Engine.IO over aiohttp) and runs,
against each server in turn (runs alternate servers): a warm-up, the saturation phase (closed
loop, `window` sends in flight per sender), then open-loop phases at fixed offered rates
(`--rates`: below 1 a fraction of that server's saturation, else sends/s in all; a rate above
what the server reached is skipped). Per phase: acked sends/s, the worker's CPU µs per stored
message (from /proc), send->ack p50/p99. Figures as JSON lines, then a table with medians and
each server's ratio to the reference (and, with several checkouts, each to the one before it and
the last to the first). Nothing here asserts a speed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from connect import BareServer
from server import ROOT, BenchServer
from session import add_session_arguments, machine_description, run, write_results

BENCH = Path(__file__).resolve().parent
REFERENCE = "bare-flask-socketio"
ENGINES = ("sqlite", "postgresql")
FIGURES = (("acked sends/s", "acked_per_s"), ("worker CPU us/message", "cpu_us_per_message"),
           ("send->ack p50 ms", "ack_ms_p50"), ("send->ack p99 ms", "ack_ms_p99"))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=16, help="senders, each in its own conversation")
    parser.add_argument("--window", type=int, default=4, help="sends in flight per sender at saturation")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each measured phase")
    parser.add_argument("--warmup-seconds", type=float, default=1.5)
    parser.add_argument("--rates", default="0.5,1000",
                        help="open-loop phases: a fraction of saturation (< 1) or sends/s in all (>= 1)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--engines", default=",".join(ENGINES), help="sqlite, postgresql or both")
    parser.add_argument("--checkout", type=Path, action="append", help="a Switchboard checkout (default: this one)")
    parser.add_argument("--py-spy", type=Path, help="py-spy's binary: record each Switchboard worker's saturation "
                        "phase as collapsed stacks (--profile-dir), for bench/profile_top.py")
    parser.add_argument("--profile-dir", type=Path, default=Path("bench/results/profiles"))
    add_session_arguments(parser)
    arguments = parser.parse_args(argv)
    arguments.engine_list = [engine for engine in arguments.engines.split(",") if engine]
    if not set(arguments.engine_list) <= set(ENGINES):
        parser.error(f"--engines takes {', '.join(ENGINES)}")
    if arguments.window > 15:
        parser.error("--window must stay below SOCKET_EVENT_QUEUE (16): past it sends are refused `busy`")
    return arguments


@dataclass
class Target:
    """One server under load: its name in the table, its worker, and its senders."""

    variant: str
    engine: str | None
    server: object
    senders: list[dict]


def start_targets(arguments: argparse.Namespace, scratch: Path, stack: list) -> list[Target]:
    """The reference, then Switchboard for each engine and checkout; each ready with its senders."""
    reference = BareServer(scratch / "reference", arguments.senders).start()
    stack.append(reference)
    targets = [Target(REFERENCE, None, reference,
                      [{"token": token, "conversation_id": number + 1} for number, token in
                       enumerate(reference.tokens())])]
    checkouts = [path.resolve() for path in (arguments.checkout or [ROOT])]
    postgres = None
    if "postgresql" in arguments.engine_list:
        sys.path.insert(0, str(ROOT))
        from tests.engines import PostgresServer  # a throwaway cluster on 127.0.0.1, as the tests use

        postgres = PostgresServer().start()
        stack.append(postgres)
    for engine in arguments.engine_list:
        for number, checkout in enumerate(checkouts):
            name = f"switchboard-{engine}" + ("" if len(checkouts) == 1 else f"@{checkout.name}")
            env = {}
            if engine == "postgresql":
                env["DATABASE_URL"] = postgres.create_database(f"send_{number}")
            server = BenchServer("simple", ROOT / ".venv" / "bin", scratch / name, app_dir=checkout,
                                 config_file=True, env=env)
            stack.append(server)
            server.start()
            senders = []
            for _ in range(arguments.senders):
                audience = server.create_audience(1)
                senders.append({"token": audience.sender_token, "conversation_id": audience.conversation_id})
            targets.append(Target(name, engine, server, senders))
    return targets


def phases(arguments: argparse.Namespace) -> list[dict]:
    specs = [{"kind": "closed", "window": arguments.window, "seconds": arguments.warmup_seconds, "name": "warm-up"},
             {"kind": "closed", "window": arguments.window, "seconds": arguments.seconds, "name": "saturation"}]
    for rate in (float(value) for value in arguments.rates.split(",") if value):
        if rate < 1:
            specs.append({"kind": "open", "fraction": rate, "seconds": arguments.seconds,
                          "name": f"{rate:.0%} of saturation"})
        else:
            specs.append({"kind": "open", "rate": rate, "seconds": arguments.seconds, "name": f"{rate:,.0f}/s"})
    return specs


def run_target(target: Target, arguments: argparse.Namespace, repeat: int) -> list[dict]:
    """One run of the load generator against one server: a row per phase (warm-up left out)."""
    specs = phases(arguments)
    worker = target.server.worker_pid()
    rows, saturation = [], None
    for index, spec in enumerate(specs):
        if spec["kind"] == "open" and "rate" in spec and saturation is not None and spec["rate"] > saturation:
            rows.append({"scenario": "send", "variant": target.variant, "run": repeat, "phase": spec["name"],
                         "skipped": f"above the saturation reached ({saturation:,.0f}/s)"})
            print(json.dumps(rows[-1]), flush=True)
            continue
        if spec["kind"] == "open" and "fraction" in spec:
            spec = {**spec, "rate": spec["fraction"] * saturation}
        job = {"url": target.server.url, "senders": target.senders, "server_pid": worker, "tag": f"r{repeat}-{index}-",
               "phases": [{key: value for key, value in spec.items() if key != "name"}]}
        timeout = spec["seconds"] + 120
        profiler = None
        if arguments.py_spy and spec["name"] == "saturation" and target.engine is not None:
            arguments.profile_dir.mkdir(parents=True, exist_ok=True)
            profiler = subprocess.Popen(
                [str(arguments.py_spy), "record", "--pid", str(worker), "--rate", "200", "--format", "raw",
                 "--duration", str(max(1, int(spec["seconds"]))), "--nonblocking",
                 "--output", str(arguments.profile_dir / f"{target.variant}-{repeat}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # py-spy attached before the load starts
        completed = subprocess.run([sys.executable, str(BENCH / "send_client.py")], input=json.dumps(job),
                                   capture_output=True, text=True, timeout=timeout)
        if profiler is not None:
            profiler.wait(timeout=60)
        if completed.returncode != 0:
            raise RuntimeError(f"the load generator failed against {target.variant}:\n{completed.stderr[-3000:]}\n"
                               f"server log:\n{target.server.log_tail()}")
        (result,) = json.loads(completed.stdout)["phases"]
        if spec["name"] == "saturation":
            saturation = result["acked_per_s"]
        if index == 0:
            continue
        rows.append({"scenario": "send", "variant": target.variant, "engine": target.engine, "run": repeat,
                     "phase": spec["name"], "load_average_1min": os.getloadavg()[0], **result})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def summarize(rows: list[dict], variants: list[str], phase_names: list[str]) -> list[str]:
    """Medians per server, phase and figure; each server's ratio to the reference, and with several
    checkouts of one engine, each one's ratio to the one before it (and the last to the first)."""
    def median(variant: str, phase: str, key: str) -> float | None:
        values = [row[key] for row in rows if row["variant"] == variant and row["phase"] == phase
                  and row.get(key) is not None]
        return statistics.median(values) if values else None

    pairs = [(variant, REFERENCE) for variant in variants[1:]]
    for engine in ENGINES:  # each checkout against the one before it (what that step bought), and the last
        checkouts = [variant for variant in variants if variant.startswith(f"switchboard-{engine}@")]
        pairs += list(zip(checkouts[1:], checkouts[:-1], strict=True))
        if len(checkouts) > 2:
            pairs.append((checkouts[-1], checkouts[0]))
    lines = ["| phase | figure | " + " | ".join(variants) + " | " +
             " | ".join(f"{top} / {bottom}" for top, bottom in pairs) + " |",
             "|---" * (2 + len(variants) + len(pairs)) + "|"]
    for phase in phase_names:
        for label, key in FIGURES:
            values = {variant: median(variant, phase, key) for variant in variants}
            shown = [f"{values[variant]:,.1f}" if values[variant] is not None else "-" for variant in variants]
            ratios = [f"{values[top] / values[bottom]:.2f}" if values[top] is not None and values[bottom] else "-"
                      for top, bottom in pairs]
            lines.append(f"| {phase} | {label} | " + " | ".join(shown) + " | " + " | ".join(ratios) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}",
          file=sys.stderr, flush=True)
    rows, stack = [], []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sb-send-", dir=arguments.db_dir) as scratch:
        try:
            targets = start_targets(arguments, Path(scratch), stack)
            for repeat in range(arguments.repeats):
                for target in targets:
                    rows += run_target(target, arguments, repeat)
        finally:
            for item in reversed(stack):
                item.stop()
    machine["load_average_at_end"] = os.getloadavg()
    names = [spec["name"] for spec in phases(arguments)[1:]]
    table = summarize([row for row in rows if "skipped" not in row], [target.variant for target in targets], names)
    print("\n".join(table))
    print(f"[bench] load average at end {machine['load_average_at_end']}; {time.monotonic() - started:.0f} s in all",
          file=sys.stderr)
    write_results(arguments, machine=machine, rows=rows, table=table)
    failed = [row for row in rows if row.get("failed") or row.get("unanswered")]
    for row in failed:
        print(f"[bench] {row['variant']} {row['phase']}: failed {row['failed']}, unanswered {row['unanswered']}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    run(lambda: main(sys.argv[1:]))
