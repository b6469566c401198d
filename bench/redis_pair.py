"""Two processes over Redis against one (issue 15): what a delivery and a stored message cost in worker CPU
when Switchboard runs as two instances sharing PostgreSQL and Redis, beside one instance, in the same run.

    .venv/bin/python bench/redis_pair.py                     # 200 receivers, 3 alternating runs of each
    .venv/bin/python bench/redis_pair.py --receivers 6 --fanout-messages 6 --chat-senders 2 --chat-messages 4 \
        --repeats 1                                          # the CI smoke's size
    bench/run.py redis [the same options]

One PostgreSQL cluster and Redis servers on 127.0.0.1 (tests/engines.py); each variant its own database in
the cluster, and its own Redis (pub/sub channels are shared by every database of a Redis server):
- `one`: one instance, no Redis (the in-process bus): the reference;
- `two`: two instances sharing their database and Redis, as docs/deployment.md deploys them;
- `four` (only when asked): four such instances: how the cost grows with the number of instances (each one
  receives every frame published anywhere);
- `one-redis` (only when asked): one instance whose frames go through Redis all the same, which tells the
  Redis path's own cost apart from the second instance's.
Every instance is started with the documented command (`gunicorn --config gunicorn.conf.py --bind ...`, one
gevent worker) and the production settings of docs/deployment.md (`SOCKETIO_MESSAGE_QUEUE`); sends are
counted against SEND_PER_MINUTE as in production (in Redis for the pair), at a limit no sender reaches
(`--no-send-limit`: not counted). `--profile DIR` records every worker with py-spy during the measured runs
(bench/profile_top.py reads the files).

The same load on each variant (bench/redis_client.py, clients kept connected between runs):
- fan-out: a group of `--receivers` members spread over the instances in turn, `--fanout-senders` senders
  (also in turn) sharing `--fanout-messages`, `--window` in flight each; done when every receiver has had
  every message;
- stored messages: `--chat-senders` senders, each in a chat of its own, spread likewise, each sending
  `--chat-messages` with `--chat-window` in flight.
Figures per run, as JSON lines: throughput, p99 (ack; fan-out: last arrival), the summed worker CPU µs per
delivery and per stored message (every instance's worker, from /proc), Redis's and PostgreSQL's CPU per
unit; then a table of medians and the ratios of each variant to `one` (the median of the ratios of runs
paired in time order, runs alternate one, two, one, two...). Nothing here asserts a speed.
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from server import ROOT, BenchServer
from session import add_session_arguments, machine_description, run, write_results

sys.path.insert(0, str(ROOT))  # tests.engines: the throwaway PostgreSQL and Redis the tests use
from config import FAST_PASSWORD_HASH_METHOD  # noqa: E402
from tests.engines import PostgresServer, RedisServer  # noqa: E402

BENCH = Path(__file__).resolve().parent
REFERENCE = "one"
INSTANCES = {"one": 1, "two": 2, "four": 4, "one-redis": 1}
SEND_LIMIT = 10_000_000  # per sender and minute: every send counted, none refused
# (label, key in a run's figures, key inside it or None)
FIGURES = {
    "fanout": [("deliveries/s", "deliveries_per_s", None),
               ("worker CPU us/delivery", "worker_cpu_us_per_delivery", None),
               ("Redis CPU us/delivery", "redis_cpu_us_per_delivery", None),
               ("PostgreSQL CPU us/delivery", "postgres_cpu_us_per_delivery", None),
               ("PostgreSQL connections opened", "postgres_connections_opened", None),
               ("worker CPU us/message", "worker_cpu_us_per_message", None),
               ("ack p99 ms", "ack_ms", "p99"), ("fan-out p99 ms", "fanout_ms", "p99"),
               ("worker CPU share", "worker_cpu_share", None), ("client CPU share", "client_cpu_share", None)],
    "chat": [("stored messages/s", "messages_per_s", None),
             ("worker CPU us/message", "worker_cpu_us_per_message", None),
             ("Redis CPU us/message", "redis_cpu_us_per_message", None),
             ("PostgreSQL CPU us/message", "postgres_cpu_us_per_message", None),
             ("PostgreSQL connections opened", "postgres_connections_opened", None),
             ("ack p50 ms", "ack_ms", "p50"), ("ack p99 ms", "ack_ms", "p99"),
             ("worker CPU share", "worker_cpu_share", None), ("client CPU share", "client_cpu_share", None)],
    "idle": [("worker CPU ms/s", "workers_cpu_ms_per_s", None), ("Redis CPU ms/s", "redis_cpu_ms_per_s", None),
             ("PostgreSQL CPU ms/s", "postgres_cpu_ms_per_s", None)],
}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="one,two", help=f"of {', '.join(INSTANCES)} (default one,two)")
    parser.add_argument("--receivers", type=int, default=200, help="group members receiving (default 200)")
    parser.add_argument("--fanout-senders", type=int, default=2, help="group members sending (default 2)")
    parser.add_argument("--fanout-messages", type=int, default=200, help="messages per fan-out run (default 200)")
    parser.add_argument("--window", type=int, default=8, help="fan-out sends in flight per sender (default 8)")
    parser.add_argument("--chat-senders", type=int, default=16, help="senders in chats of their own (default 16)")
    parser.add_argument("--chat-messages", type=int, default=100, help="messages per chat sender per run (100)")
    parser.add_argument("--chat-window", type=int, default=4, help="sends in flight per chat sender (default 4)")
    parser.add_argument("--scenarios", default="fanout,chat", help="of fanout, chat (default both)")
    parser.add_argument("--idle", type=float, default=5,
                        help="seconds of each run with every socket connected and nothing sent (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs of each variant (default 3)")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--no-send-limit", action="store_true",
                        help="SEND_PER_MINUTE=0: sends are not counted (by default they are, against a limit no "
                             "sender reaches, as production counts them: in Redis for the pair)")
    parser.add_argument("--profile", type=Path, help="record each worker with py-spy during the measured runs "
                        "(raw collapsed stacks there; the CPU figures of those runs include py-spy's sampling)")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy binary (default: on PATH)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed to one run")
    parser.add_argument("--checkout", type=Path, action="append",
                        help="a Switchboard checkout to serve (default: this one); several: each is measured, "
                             "and compared with the first")
    parser.add_argument("--pythonpath", action="append",
                        help="for the checkout at the same place: a folder put first on the servers' import path "
                             "(a package to try, e.g. hiredis installed with pip --target), or - for none")
    add_session_arguments(parser)
    arguments = parser.parse_args(argv)
    arguments.variants = arguments.variants.split(",")
    arguments.scenarios = arguments.scenarios.split(",")
    if not arguments.scenarios or set(arguments.scenarios) - {"fanout", "chat"}:
        parser.error("--scenarios: fanout, chat or both")
    if unknown := set(arguments.variants) - set(INSTANCES):
        parser.error(f"unknown variants {sorted(unknown)}")
    if REFERENCE not in arguments.variants:
        arguments.variants.insert(0, REFERENCE)
    for name in ("receivers", "fanout_senders", "fanout_messages", "window", "chat_senders", "chat_messages",
                 "chat_window", "repeats"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return arguments


@dataclass
class Variant:
    """One deployment under test: its instances, its Redis (if any) and the load generator kept on it."""

    name: str
    deployment: str  # one of INSTANCES
    checkout: Path
    servers: list[BenchServer]
    redis: RedisServer | None
    database: str
    group: int = 0  # the place of its checkout (and import path) on the command line
    client: subprocess.Popen | None = None
    runs: list[dict] = field(default_factory=list)

    def command(self, line: str) -> dict:
        self.client.stdin.write(line + "\n")
        self.client.stdin.flush()
        answer = self.client.stdout.readline()
        if not answer:
            tails = "\n".join(server.log_tail() for server in self.servers)
            raise RuntimeError(f"the load generator of {self.name} stopped; server logs:\n{tails}")
        return json.loads(answer)

    def stop(self) -> None:
        if self.client is not None and self.client.poll() is None:
            try:
                self.client.stdin.write("close\n")
                self.client.stdin.flush()
                self.client.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.client.kill()
                self.client.wait()
        for server in self.servers:
            server.stop()
        if self.redis is not None:
            self.redis.stop()


def start_variant(name: str, deployment: str, checkout: Path, postgres: PostgresServer, workdir: Path,
                  send_limit: bool, pythonpath: str | None = None) -> Variant:
    """The instances of `deployment` served from `checkout`, on a database of their own in the cluster,
    with a Redis of their own."""
    redis = RedisServer(workdir / "redis").start() if deployment != "one" else None
    database = name.replace("-", "_").replace("@", "_")
    env = {"DATABASE_URL": postgres.create_database(database),
           "SOCKETIO_MESSAGE_QUEUE": redis.url if redis else "",
           "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH_METHOD,  # registering the users is not what is measured
           "SEND_PER_MINUTE": str(SEND_LIMIT if send_limit else 0)}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    servers = []
    variant = Variant(name, deployment, checkout, servers, redis, database)
    try:
        for number in range(INSTANCES[deployment]):
            servers.append(BenchServer("simple", ROOT / ".venv" / "bin", workdir / f"instance{number + 1}",
                                       app_dir=checkout, env=env, config_file=True).start())
    except BaseException:
        variant.stop()
        raise
    return variant


def register(url: str, count: int) -> list[tuple[int, str]]:
    """`count` new users: (id, bearer token) each."""
    session, users = requests.Session(), []
    for _ in range(count):
        response = session.post(f"{url}/api/accounts", timeout=30, json={
            "username": f"r{uuid.uuid4().hex[:12]}", "password": "bench password 1234"})
        response.raise_for_status()
        users.append((response.json()["user"]["id"], response.json()["token"]))
    return users


def create_group(url: str, token: str, name: str, member_ids: list[int]) -> int:
    response = requests.post(f"{url}/api/groups", timeout=60, headers={"Authorization": f"Bearer {token}"},
                             json={"name": name, "member_ids": member_ids})
    response.raise_for_status()
    return response.json()["conversation"]["id"]


def start_load(variant: Variant, postgres: PostgresServer, arguments: argparse.Namespace) -> None:
    """Users, the fan-out group and the chats; the load generator started and connected, each socket
    on the instances in turn."""
    urls = [server.url for server in variant.servers]
    senders = register(urls[0], arguments.fanout_senders)
    receivers = register(urls[0], arguments.receivers)
    chat_senders = register(urls[0], arguments.chat_senders)
    group = create_group(urls[0], senders[0][1], "redis bench",
                         [user_id for user_id, _ in senders[1:] + receivers])
    chats = [create_group(urls[0], token, "own chat", []) for _, token in chat_senders]
    job = {"receivers": [[urls[index % len(urls)], token] for index, (_, token) in enumerate(receivers)],
           "fanout_senders": [[urls[index % len(urls)], token] for index, (_, token) in enumerate(senders)],
           "fanout_conversation_id": group,
           "chat_senders": [[urls[index % len(urls)], token, chat]
                            for index, ((_, token), chat) in enumerate(zip(chat_senders, chats, strict=True))],
           "deflate": not arguments.no_deflate, "timeout": arguments.timeout,
           "workers": [server.worker_pid() for server in variant.servers],
           "redis": variant.redis.process.pid if variant.redis else None, "postgres": postgres.process.pid,
           "postgres_user": postgres.user, "postgres_database": variant.database}
    job_file = variant.servers[0].workdir / "load.json"
    job_file.write_text(json.dumps(job))
    variant.client = subprocess.Popen([sys.executable, str(BENCH / "redis_client.py"), str(job_file)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    variant.command("connect")
    time.sleep(3)  # the connects' presence batches (PRESENCE_BATCH_SECONDS) are out before anything is measured


def run_once(variant: Variant, tag: str, arguments: argparse.Namespace, fanout_messages: int,
             chat_messages: int) -> list[dict]:
    results = []
    for scenario, messages, window in (("fanout", fanout_messages, arguments.window),
                                       ("chat", chat_messages, arguments.chat_window)):
        if scenario not in arguments.scenarios:
            continue
        profilers = start_profilers(variant, arguments, f"{tag}-{scenario}") if tag != "warmup" else []
        try:
            result = variant.command(f"{scenario} {tag} {messages} {window}")
        finally:
            for profiler in profilers:
                profiler.send_signal(signal.SIGINT)  # py-spy writes what it has recorded
                profiler.wait(timeout=60)
        if "error" in result or result["failed_acks"] or result.get("duplicates"):
            tails = "\n".join(server.log_tail() for server in variant.servers)
            raise RuntimeError(f"{variant.name} {scenario} {tag} went wrong: {result}\nserver logs:\n{tails}")
        results.append({"variant": variant.name, "run": tag, **result,
                        "load_average_1min": round(os.getloadavg()[0], 2)})
    if tag != "warmup":  # the fixed cost of each process, which the figures per unit above include
        results.append({"variant": variant.name, "run": tag, **variant.command(f"idle {arguments.idle}"),
                        "load_average_1min": round(os.getloadavg()[0], 2)})
    return results


def start_profilers(variant: Variant, arguments: argparse.Namespace, what: str) -> list[subprocess.Popen]:
    """py-spy on each of the variant's workers, if --profile: one collapsed-stack file per worker."""
    if not arguments.profile:
        return []
    arguments.profile.mkdir(parents=True, exist_ok=True)
    profilers = []
    for number, server in enumerate(variant.servers):
        output = arguments.profile / f"{variant.name}-{what}-worker{number + 1}.txt"
        profilers.append(subprocess.Popen([arguments.py_spy, "record", "--format", "raw", "--rate", "200",
                                           "--nonblocking", "--pid", str(server.worker_pid()), "--output",
                                           str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1)  # py-spy attached before the run starts
    return profilers


def value(row: dict, key: str, inner: str | None) -> float:
    return row[key][inner] if inner else row[key]


def comparisons(variants: list[Variant]) -> list[tuple[Variant, Variant]]:
    """(variant, its reference): every deployment against `one` of the same checkout, then every variant
    of a later checkout (or import path) against the same deployment of the first (what a change bought)."""
    pairs = [(variant, reference) for variant in variants for reference in variants
             if variant.deployment != REFERENCE and reference.deployment == REFERENCE
             and reference.group == variant.group]
    pairs += [(variant, reference) for variant in variants for reference in variants
              if variant.group != 0 and reference.group == 0 and reference.deployment == variant.deployment]
    return pairs


def summarize(variants: list[Variant]) -> list[str]:
    """Per scenario and figure: each variant's median, and its ratios to its references (the median of
    the ratios of runs paired in time order, and their range)."""
    pairs = comparisons(variants)
    lines = ["| scenario | figure | " + " | ".join(variant.name for variant in variants) + " | " +
             " | ".join(f"{variant.name} / {reference.name} (range)" for variant, reference in pairs) + " |",
             "|---" * (2 + len(variants) + len(pairs)) + "|"]
    runs = min(len(variant.runs) for variant in variants)
    for scenario, figures in FIGURES.items():
        series = {variant.name: [row for row in variant.runs if row["scenario"] == scenario][:runs]
                  for variant in variants}
        if not any(series.values()):
            continue  # a scenario not run
        for label, key, inner in figures:
            values = {name: [value(row, key, inner) for row in rows] for name, rows in series.items()}
            medians = [f"{statistics.median(values[variant.name]):,.2f}" for variant in variants]
            ratios = []
            for variant, reference in pairs:
                paired = [mine / theirs for mine, theirs in zip(values[variant.name], values[reference.name],
                                                                 strict=True) if theirs]
                ratios.append(f"{statistics.median(paired):.3f} ({min(paired):.2f}..{max(paired):.2f})"
                              if paired else "-")
            lines.append(f"| {scenario} | {label} | " + " | ".join(medians) + " | " + " | ".join(ratios) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}; "
          f"variants {', '.join(arguments.variants)}", file=sys.stderr, flush=True)
    variants: list[Variant] = []
    postgres = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="sb-redis-", dir=arguments.db_dir) as scratch:
            try:
                checkouts = [path.resolve() for path in (arguments.checkout or [ROOT])]
                paths = [None if path == "-" else path for path in (arguments.pythonpath or [])]
                for number, checkout in enumerate(checkouts):
                    for deployment in arguments.variants:
                        name = deployment if len(checkouts) == 1 else f"{deployment}@{number + 1}"
                        variants.append(start_variant(name, deployment, checkout, postgres, Path(scratch) / name,
                                                      not arguments.no_send_limit,
                                                      paths[number] if number < len(paths) else None))
                        variants[-1].group = number
                        start_load(variants[-1], postgres, arguments)
                print("[bench] " + ", ".join(f"{variant.name}: {variant.checkout}" for variant in variants)
                      + (f"; import paths {paths}" if paths else ""),
                      file=sys.stderr, flush=True)
                for variant in variants:  # warm-up, not reported
                    run_once(variant, "warmup", arguments, max(1, arguments.fanout_messages // 4),
                             max(1, arguments.chat_messages // 4))
                for repeat in range(arguments.repeats):
                    for variant in variants:
                        rows = run_once(variant, f"run{repeat}", arguments, arguments.fanout_messages,
                                        arguments.chat_messages)
                        variant.runs += rows
                        for row in rows:
                            print(json.dumps(row), flush=True)
            finally:
                for variant in variants:
                    variant.stop()
    finally:
        postgres.stop()
    table = summarize(variants)
    print("\n".join(table))
    machine["load_average_at_end"] = os.getloadavg()
    print(f"[bench] load average at end {machine['load_average_at_end']}", file=sys.stderr)
    write_results(arguments, machine=machine, rows=[row for variant in variants for row in variant.runs],
                  table=table)
    return 0


if __name__ == "__main__":
    run(lambda: main(sys.argv[1:]))
