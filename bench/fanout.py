"""Fan-out benchmark: simple-websocket (gunicorn -k gevent) against gevent-websocket
(-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker), the two websocket servers
python-engineio can use in gevent mode; or WebSocket compression choices (WEBSOCKET_COMPRESSION)
beside the bare Flask-SocketIO server (bench/bare_server.py) in the same run.

    .venv/bin/python bench/fanout.py [--clients 50 --messages 200 --window 8 --repeats 3 --variant both]
    .venv/bin/python bench/fanout.py --clients 200 --messages 50 --deflate --bare --compression off,1024,0 \
        --before /tmp/before            # compression: ratios to the bare server (its clients offer none)

The servers run at once, each from its own venv with its own SQLite database; the runs alternate
(A B A B A B) after a warm-up of each, and the figures are printed as ratios to the first variant
(gws / simple; or each to the bare reference) of the same session (median of the paired ratios),
next to each variant's raw medians. `--deflate`: Switchboard's clients offer permessage-deflate as
browsers do (the bare reference's only with --bare-deflate). See docs/benchmarks.md.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connect import BareServer
from node_tools import NodeReference, load_generator
from server import ROOT, Audience, BenchServer
from session import add_session_arguments, machine_description, run, write_results
from venvs import BENCH, client_venv, gevent_websocket_venv, websocket_server_of

VARIANTS = {"simple": "simple-websocket", "gws": "gevent-websocket"}
BARE = "bare"  # bench/bare_server.py: ack and emit to the group's room, nothing stored
# SQLite on tmpfs: its calls block the one gevent worker, and on the shared disk the WAL checkpoints'
# fsyncs take as long as everyone else's I/O makes them: noise, the same for both variants.
# (label, path in a phase result, True when higher is better)
METRICS = [
    ("deliveries/s", ("deliveries_per_s",), True),
    ("ack p50 ms", ("ack_latency_ms", "p50"), False),
    ("ack p95 ms", ("ack_latency_ms", "p95"), False),
    ("ack p99 ms", ("ack_latency_ms", "p99"), False),
    ("fan-out p50 ms", ("fanout_latency_ms", "p50"), False),
    ("fan-out p95 ms", ("fanout_latency_ms", "p95"), False),
    ("fan-out p99 ms", ("fanout_latency_ms", "p99"), False),
    ("server CPU us/delivery", ("server_cpu_us_per_delivery",), False),
    ("server CPU share", ("server_cpu_share",), None),
    ("client CPU share", ("client_cpu_share",), None),
]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="receiving sockets, 1..499 (default 50)")
    parser.add_argument("--messages", type=int, default=200, help="messages per phase, 1..5000 (default 200)")
    parser.add_argument("--window", type=int, default=8, help="sends in flight in the pipelined phase (default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs of each variant, 1..10 (default 3)")
    parser.add_argument("--warmup-messages", type=int, default=30, help="messages of the discarded warm-up run")
    parser.add_argument("--variant", choices=["simple", "gws", "both"], default="both")
    parser.add_argument("--compression", help="WEBSOCKET_COMPRESSION values, each a Switchboard variant "
                        "(sb-<value>), e.g. off,1024,0; replaces --variant")
    parser.add_argument("--before", type=Path, help="also serve this checkout as sb-before (e.g. a git worktree "
                        "of the code before a change), with its own defaults")
    parser.add_argument("--checkout", type=Path, help="serve the sb-<value> variants from this checkout (e.g. a "
                        "git worktree of a commit, so that nobody's uncommitted work is measured; default: this one)")
    parser.add_argument("--bare", action="store_true", help="the bare Flask-SocketIO reference first: the "
                        "ratios are to it")
    parser.add_argument("--deflate", action="store_true", help="Switchboard's clients offer permessage-deflate")
    parser.add_argument("--bare-deflate", action="store_true", help="the bare reference's clients offer it too")
    parser.add_argument("--reference", choices=["node"], help="also the bare Node socket.io 4 server "
                        "(bench/node/reference-server.js, the same table as --bare's; its clients as Switchboard's)")
    parser.add_argument("--client", choices=["python", "node"], default="python", help="the load generator: "
                        "bench/fanout_client.py, or bench/node/load.js over 2 processes (bench/fanout_rates.py)")
    parser.add_argument("--cpu-profile", type=Path, help="write each Python server's CPU-time profile of each "
                        "measured run here (<variant>-run<N>.txt, py-spy's raw format: bench/cpu_sampler, "
                        "bench/profile_top.py)")
    parser.add_argument("--round-timeout", type=float, default=300, help="seconds allowed to one run")
    parser.add_argument("--deadline", type=float, default=1800, help="no new run starts after this many seconds")
    add_session_arguments(parser)
    arguments = parser.parse_args()
    for name, low, high in (("clients", 1, 499), ("messages", 1, 5000), ("window", 1, 64), ("repeats", 1, 10)):
        if not low <= getattr(arguments, name) <= high:
            parser.error(f"--{name} must be between {low} and {high}")
    return arguments


@dataclass
class Variant:
    """One server of the session: its name, whether its clients offer permessage-deflate, and how it starts
    (returns the running server and the audience: a sender and the receivers in one group)."""

    name: str
    deflate: bool
    start: Callable[[Path, int], tuple[object, Audience]]


def switchboard(name: str, venv_bin: Path, deflate: bool, app_dir: Path | None = None, env: dict | None = None):
    def start(workdir: Path, clients: int) -> tuple[BenchServer, Audience]:
        server = BenchServer("gws" if name == "gws" else "simple", venv_bin, workdir, app_dir=app_dir or ROOT,
                             env=env or {}).start()
        return server, server.create_audience(clients)
    return Variant(name, deflate, start)


def bare(deflate: bool, server_class: type = BareServer, name: str = BARE) -> Variant:
    """bench/bare_server.py (or `server_class`: NodeReference) with a table of one group holding the sender
    and every receiver (as Switchboard's sender gets its own message:new too)."""
    def start(workdir: Path, clients: int) -> tuple[BareServer, Audience]:
        workdir.mkdir(parents=True, exist_ok=True)
        table = workdir / "table.json"
        table.write_text(json.dumps({"tokens": {f"bare-{user}": user for user in range(clients + 1)},
                                     "conversations": {"1": list(range(clients + 1))}}))
        server = server_class(workdir, clients + 1, table=table).start()
        return server, Audience(1, "bare-0", [f"bare-{user}" for user in range(1, clients + 1)])
    return Variant(name if not deflate else f"{name}-deflate", deflate, start)


def run_round(variant: Variant, server, worker_pid: int, audience: Audience, client_bin: Path | None, messages: int,
              windows: list[int], tag: str, timeout: float) -> dict:
    """One run of the load generator against one server; returns its JSON result."""
    job = {"url": server.url, "sender_token": audience.sender_token, "receiver_tokens": audience.receiver_tokens,
           "conversation_id": audience.conversation_id, "messages": messages, "windows": windows,
           "tag": tag, "server_pid": worker_pid, "timeout": timeout, "deflate": variant.deflate}
    command = [str(client_bin / "python"), str(BENCH / "fanout_client.py")] if client_bin else load_generator("fanout")
    completed = subprocess.run(command, input=json.dumps(job),
                               capture_output=True, text=True, timeout=timeout * (len(windows) + 1) + 30)
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed against {variant.name}:\n{completed.stderr[-3000:]}\n"
                           f"server log:\n{server.log_tail()}")
    result = json.loads(completed.stdout)
    for phase in result["phases"]:
        if "error" in phase or phase["failed_acks"] or phase["duplicates"]:
            raise RuntimeError(f"{variant.name} run {tag} went wrong: {phase}\nserver log:\n{server.log_tail()}")
    return result


def value_at(phase: dict, path: tuple[str, ...]) -> float:
    for key in path:
        phase = phase[key]
    return phase


def summarize(runs: dict[str, list[dict]], windows: list[int]) -> list[str]:
    """Per metric: each variant's median, then each other variant's ratios to the first one (gws / simple;
    or to the bare reference) of the runs paired in time order: their median, range and in how many pairs
    that variant did better."""
    lines = []
    names = [name for name, series in runs.items() if series]
    first, others = names[0], names[1:]
    for index, window in enumerate(windows):
        title = "sequential (1 in flight)" if window == 1 else f"pipelined ({window} in flight)"
        lines.append(f"\n== {title}")
        width = max(15, *(len(name) + 9 for name in names))
        header = f"{'metric':<24}" + "".join(f"{name + ' median':>{width}}" for name in names)
        header += "".join(f"{f'{name}/{first}':>{width}}{'range':>14}{'better':>8}" for name in others)
        lines.append(header)
        for label, path, higher_is_better in METRICS:
            series = {name: [value_at(run["phases"][index], path) for run in runs[name]] for name in names}
            line = f"{label:<24}" + "".join(f"{statistics.median(series[name]):>{width}.2f}" for name in names)
            for name in others:
                pairwise = [value / reference for value, reference in zip(series[name], series[first], strict=True)]
                wins = "" if higher_is_better is None else \
                    f"{sum((ratio > 1) == higher_is_better for ratio in pairwise)}/{len(pairwise)}"
                line += (f"{statistics.median(pairwise):>{width}.3f}"
                         f"{f'{min(pairwise):.2f}..{max(pairwise):.2f}':>14}{wins:>8}")
            lines.append(line)
    return lines


def chosen_variants(arguments: argparse.Namespace) -> list[Variant]:
    """The session's servers, in order (the first is the one the ratios are to)."""
    app_bin = Path(sys.executable).parent
    variants = [bare(False)] if arguments.bare else []
    if arguments.bare and arguments.bare_deflate:
        variants.append(bare(True))
    if arguments.reference == "node":
        variants.append(bare(arguments.deflate, NodeReference, "node"))
    if arguments.before:
        variants.append(switchboard("sb-before", app_bin, arguments.deflate, app_dir=arguments.before.resolve()))
    if arguments.compression:
        checkout = arguments.checkout.resolve() if arguments.checkout else None
        variants += [switchboard(f"sb-{mode}", app_bin, arguments.deflate, app_dir=checkout,
                                 env={"WEBSOCKET_COMPRESSION": mode}) for mode in arguments.compression.split(",")]
    elif not arguments.before:
        names = list(VARIANTS) if arguments.variant == "both" else [arguments.variant]
        for name in names:
            venv_bin = gevent_websocket_venv() if name == "gws" else app_bin
            found = websocket_server_of(venv_bin)  # never measure the wrong server: the venv decides
            if found != VARIANTS[name]:
                raise SystemExit(f"{venv_bin.parent} would serve {found}, not {VARIANTS[name]}")
            variants.append(switchboard(name, venv_bin, arguments.deflate))
    return variants


def sample_cpu(directory: Path) -> Path:
    """Every gunicorn worker started from now on samples its CPU time (bench/cpu_sampler); returns the
    prefix of the files they write (`<prefix>.<pid>`)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH / "cpu_sampler"),
                                                             os.environ.get("PYTHONPATH")]))
    os.environ["SWITCHBOARD_CPU_PROFILE"] = str(directory / "worker")
    return directory / "worker"


def cpu_profile_written(prefix: Path, pid: int, destination: Path | None) -> None:
    """Ask the worker for the stacks sampled since it was last asked (SIGUSR2); keep them at `destination`
    (None: drop them, as before a measured run)."""
    written = Path(f"{prefix}.{pid}")
    written.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while not written.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker {pid} wrote no CPU profile (bench/cpu_sampler)")
        time.sleep(0.05)
    if destination is None:
        written.unlink()
    else:
        written.replace(destination)


def main() -> int:
    arguments = parse_arguments()
    profile_prefix = sample_cpu(arguments.cpu_profile) if arguments.cpu_profile else None
    variants = chosen_variants(arguments)
    windows = [1, arguments.window] if arguments.window > 1 else [1]
    started = time.monotonic()
    client_bin = client_venv() if arguments.client == "python" else None  # None: bench/node/load.js
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), Python {machine['python']}, "
          f"load average {machine['load_average_at_start']}", flush=True)
    print(f"[bench] {arguments.clients} receivers x {arguments.messages} messages, windows {windows}, "
          f"{arguments.repeats} runs per variant, order {' '.join([v.name for v in variants] * arguments.repeats)}",
          flush=True)

    runs: dict[str, list[dict]] = {variant.name: [] for variant in variants}
    servers: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-", dir=arguments.db_dir) as workdir:
        try:
            audiences = {}
            for variant in variants:
                servers[variant.name], audiences[variant.name] = variant.start(Path(workdir) / variant.name,
                                                                              arguments.clients)
            workers = {variant.name: servers[variant.name].worker_pid() for variant in variants}

            def one_round(variant: Variant, messages: int, tag: str) -> dict:
                return run_round(variant, servers[variant.name], workers[variant.name], audiences[variant.name],
                                 client_bin, messages, windows, tag, arguments.round_timeout)

            for variant in variants:
                one_round(variant, arguments.warmup_messages, "warmup")
                print(f"[bench] warmed up {variant.name}", flush=True)
            for repeat in range(arguments.repeats):
                for variant in variants:
                    if time.monotonic() - started > arguments.deadline:
                        print("[bench] deadline reached: reporting the runs done so far", flush=True)
                        break
                    profiled = profile_prefix is not None and not isinstance(servers[variant.name], NodeReference)
                    if profiled:  # what the worker did before this run is not this run's
                        cpu_profile_written(profile_prefix, workers[variant.name], None)
                    result = one_round(variant, arguments.messages, f"run{repeat}")
                    if profiled:
                        cpu_profile_written(profile_prefix, workers[variant.name],
                                            arguments.cpu_profile / f"{variant.name}-run{repeat}.txt")
                    result["load_average_1min"] = os.getloadavg()[0]  # how busy the shared machine was
                    runs[variant.name].append(result)
                    figures = ", ".join(f"w{phase['window']}: {phase['deliveries_per_s']:.0f} deliveries/s, "
                                        f"{phase['server_cpu_us_per_delivery']:.1f} us/delivery, "
                                        f"fan-out p99 {phase['fanout_latency_ms']['p99']:.1f} ms"
                                        for phase in result["phases"])
                    print(f"[bench] run {repeat + 1} {variant.name:<10} {figures} "
                          f"(load {result['load_average_1min']:.1f})", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    machine["load_average_at_end"] = os.getloadavg()
    common = min(len(series) for series in runs.values())
    runs = {name: series[:common] for name, series in runs.items()}  # pair the runs for the ratios
    if common == 0:
        print("[bench] no complete run")
        return 1
    print("\n".join(summarize(runs, windows)))
    print(f"\n[bench] load average at end {machine['load_average_at_end']}; "
          f"{time.monotonic() - started:.0f} s in all")
    write_results(arguments, machine=machine, runs=runs)
    return 0


if __name__ == "__main__":
    run(main)
