"""Fan-out benchmark: simple-websocket (gunicorn -k gevent) against gevent-websocket
(-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker), the two websocket servers
python-engineio can use in gevent mode.

    .venv/bin/python bench/fanout.py [--clients 50 --messages 200 --window 8 --repeats 3 --variant both]

Both servers run at once, each from its own venv with its own SQLite database; the runs alternate
(A B A B A B) after a warm-up of each, and the figures are printed as ratios gws / simple of the
same session (median of the paired ratios), next to each variant's raw medians.
See docs/benchmarks.md.
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
from pathlib import Path

from server import BenchServer
from session import add_session_arguments, machine_description, run, write_results
from venvs import BENCH, client_venv, gevent_websocket_venv, websocket_server_of

VARIANTS = {"simple": "simple-websocket", "gws": "gevent-websocket"}
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
    parser.add_argument("--round-timeout", type=float, default=300, help="seconds allowed to one run")
    parser.add_argument("--deadline", type=float, default=1800, help="no new run starts after this many seconds")
    add_session_arguments(parser)
    arguments = parser.parse_args()
    for name, low, high in (("clients", 1, 499), ("messages", 1, 5000), ("window", 1, 64), ("repeats", 1, 10)):
        if not low <= getattr(arguments, name) <= high:
            parser.error(f"--{name} must be between {low} and {high}")
    return arguments


def run_round(server: BenchServer, worker_pid: int, audience, client_bin: Path, messages: int,
              windows: list[int], tag: str, timeout: float) -> dict:
    """One run of the load generator against one server; returns its JSON result."""
    job = {"url": server.url, "sender_token": audience.sender_token, "receiver_tokens": audience.receiver_tokens,
           "conversation_id": audience.conversation_id, "messages": messages, "windows": windows,
           "tag": tag, "server_pid": worker_pid, "timeout": timeout}
    completed = subprocess.run([str(client_bin / "python"), str(BENCH / "fanout_client.py")], input=json.dumps(job),
                               capture_output=True, text=True, timeout=timeout * (len(windows) + 1) + 30)
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed against {server.variant}:\n{completed.stderr[-3000:]}\n"
                           f"server log:\n{server.log_tail()}")
    result = json.loads(completed.stdout)
    for phase in result["phases"]:
        if "error" in phase or phase["failed_acks"] or phase["duplicates"]:
            raise RuntimeError(f"{server.variant} run {tag} went wrong: {phase}\nserver log:\n{server.log_tail()}")
    return result


def value_at(phase: dict, path: tuple[str, ...]) -> float:
    for key in path:
        phase = phase[key]
    return phase


def summarize(runs: dict[str, list[dict]], windows: list[int]) -> list[str]:
    """Per metric: each variant's median, then the ratios gws / simple of the runs paired in time order
    (their median and range) and in how many pairs gws did better."""
    lines = []
    both = all(runs.get(variant) for variant in VARIANTS)
    for index, window in enumerate(windows):
        title = "sequential (1 in flight)" if window == 1 else f"pipelined ({window} in flight)"
        lines.append(f"\n== {title}")
        header = f"{'metric':<24}" + "".join(f"{variant + ' median':>15}" for variant in VARIANTS if runs.get(variant))
        if both:
            header += f"{'gws/simple':>12}{'range':>14}{'gws better':>12}"
        lines.append(header)
        for label, path, higher_is_better in METRICS:
            medians, series = {}, {}
            for variant in VARIANTS:
                if runs.get(variant):
                    series[variant] = [value_at(run["phases"][index], path) for run in runs[variant]]
                    medians[variant] = statistics.median(series[variant])
            line = f"{label:<24}" + "".join(f"{medians[variant]:>15.2f}" for variant in medians)
            if both:
                pairwise = [gws / simple for gws, simple in zip(series["gws"], series["simple"], strict=True)]
                wins = "" if higher_is_better is None else \
                    f"{sum((ratio > 1) == higher_is_better for ratio in pairwise)}/{len(pairwise)}"
                line += (f"{statistics.median(pairwise):>12.3f}"
                         f"{f'{min(pairwise):.2f}..{max(pairwise):.2f}':>14}{wins:>12}")
            lines.append(line)
    return lines


def main() -> int:
    arguments = parse_arguments()
    variants = list(VARIANTS) if arguments.variant == "both" else [arguments.variant]
    windows = [1, arguments.window] if arguments.window > 1 else [1]
    started = time.monotonic()
    client_bin = client_venv()
    venv_bins = {"simple": Path(sys.executable).parent}
    if "gws" in variants:
        venv_bins["gws"] = gevent_websocket_venv()
    for variant in variants:  # never measure the wrong server: the venv decides which one engineio takes
        found = websocket_server_of(venv_bins[variant])
        if found != VARIANTS[variant]:
            raise SystemExit(f"{venv_bins[variant].parent} would serve {found}, not {VARIANTS[variant]}")
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), Python {machine['python']}, "
          f"load average {machine['load_average_at_start']}", flush=True)
    print(f"[bench] {arguments.clients} receivers x {arguments.messages} messages, windows {windows}, "
          f"{arguments.repeats} runs per variant, order {' '.join(variants * arguments.repeats)}", flush=True)

    runs: dict[str, list[dict]] = {variant: [] for variant in variants}
    servers: dict[str, BenchServer] = {}
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-", dir=arguments.db_dir) as workdir:
        try:
            for variant in variants:
                servers[variant] = BenchServer(variant, venv_bins[variant], Path(workdir) / variant).start()
            audiences = {variant: servers[variant].create_audience(arguments.clients) for variant in variants}
            workers = {variant: servers[variant].worker_pid() for variant in variants}
            for variant in variants:
                run_round(servers[variant], workers[variant], audiences[variant], client_bin,
                          arguments.warmup_messages, windows, "warmup", arguments.round_timeout)
                print(f"[bench] warmed up {variant}", flush=True)
            for repeat in range(arguments.repeats):
                for variant in variants:
                    if time.monotonic() - started > arguments.deadline:
                        print("[bench] deadline reached: reporting the runs done so far", flush=True)
                        break
                    result = run_round(servers[variant], workers[variant], audiences[variant], client_bin,
                                       arguments.messages, windows, f"run{repeat}", arguments.round_timeout)
                    result["load_average_1min"] = os.getloadavg()[0]  # how busy the shared machine was
                    runs[variant].append(result)
                    figures = ", ".join(f"w{phase['window']}: {phase['deliveries_per_s']:.0f} deliveries/s, "
                                        f"ack p50 {phase['ack_latency_ms']['p50']:.1f} ms"
                                        for phase in result["phases"])
                    print(f"[bench] run {repeat + 1} {variant:<6} {figures} (load {result['load_average_1min']:.1f})",
                          flush=True)
        finally:
            for server in servers.values():
                server.stop()
    machine["load_average_at_end"] = os.getloadavg()
    common = min(len(series) for series in runs.values())
    runs = {variant: series[:common] for variant, series in runs.items()}  # pair the runs for the ratios
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
