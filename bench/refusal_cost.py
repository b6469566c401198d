"""What one `message:send` refused by the send rate costs the server: its worker's CPU time per
refusal, read from /proc, which the machine's other load hardly changes (unlike latencies).

    .venv/bin/python bench/refusal_cost.py --checkout /tmp/before --checkout . [--count 3000]

For each checkout: gunicorn with one gevent worker (as bench/abuse.py serves it), the send rate
on (SEND_BURST=10, SEND_PER_MINUTE=1: hardly a send gets through meanwhile) and sockets never cut
for it (SOCKET_BUSY_DISCONNECT=0). One user's socket spends its burst, then sends `count`
messages one at a time, each waiting for its ack: all refused `rate_limited`. Twice: without
`client_id` (a flood), then each with a new `client_id` (what a retry may be: looked up once).
Figures: the worker's CPU µs per refusal and the ack's round trip (p50), for each checkout.
See docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import socketio
from server import BenchServer
from session import add_session_arguments, cpu_seconds, machine_description, run, write_results

LIMITS = {"SEND_BURST": "10", "SEND_PER_MINUTE": "1", "SOCKET_BUSY_DISCONNECT": "0",
          "LOGIN_ATTEMPTS_PER_MINUTE": "0"}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, action="append", required=True, help="a checkout (repeatable)")
    parser.add_argument("--count", type=int, default=3000, help="refused sends per kind")
    add_session_arguments(parser)
    return parser.parse_args()


def measure(server: BenchServer, count: int) -> dict:
    audience = server.create_audience(1)  # the sender and one other member
    conversation_id = audience.conversation_id
    client = socketio.Client(reconnection=False)
    client.connect(server.url, auth={"token": audience.sender_token}, transports=["websocket"], wait_timeout=20)
    worker = server.worker_pid()
    results = {}
    try:
        for kind in ("no client_id", "new client_id"):
            for _ in range(12):  # the burst, and then some: the bucket is empty
                client.call("message:send", {"conversation_id": conversation_id, "body": "spend"}, timeout=30)
            round_trips, codes = [], set()
            started = cpu_seconds(worker)
            for number in range(count):
                payload = {"conversation_id": conversation_id, "body": "refused"}
                if kind == "new client_id":
                    payload["client_id"] = f"c{number}-{uuid.uuid4().hex[:8]}"
                sent = time.perf_counter()
                ack = client.call("message:send", payload, timeout=30)
                round_trips.append((time.perf_counter() - sent) * 1000)
                codes.add(ack["error"]["code"] if not ack.get("ok") else "ok")
            used = cpu_seconds(worker) - started
            results[kind] = {"codes": sorted(codes), "cpu_us_per_refusal": used / count * 1e6,
                             "round_trip_ms_p50": statistics.median(round_trips)}
    finally:
        client.disconnect()
    return results


def main() -> int:
    arguments = parse_arguments()
    machine = machine_description()
    print(f"[refusals] {machine['cpus']} CPUs, load average {machine['load_average_at_start']}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="switchboard-refusals-", dir=arguments.db_dir) as workdir:
        for number, checkout in enumerate(arguments.checkout):
            server = BenchServer("simple", Path(sys.executable).parent, Path(workdir) / str(number),
                                 app_dir=checkout.resolve(), env=LIMITS).start()
            try:
                results[str(checkout)] = measure(server, arguments.count)
            finally:
                server.stop()
            for kind, figures in results[str(checkout)].items():
                print(f"[refusals] {checkout}: {kind:<14} {figures['cpu_us_per_refusal']:7.0f} µs CPU per refusal, "
                      f"ack p50 {figures['round_trip_ms_p50']:.2f} ms, answers {figures['codes']}", flush=True)
    machine["load_average_at_end"] = os.getloadavg()
    write_results(arguments, machine=machine, results=results)
    return 0


if __name__ == "__main__":
    run(main)
