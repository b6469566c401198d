"""Load generator for bench/fanout.py: one asyncio process, N receivers and one sender.

Runs in bench/.venv-client (python-socketio's AsyncClient over aiohttp). Reads one JSON job on
stdin, prints one JSON result on stdout. For each window size (1 = send, await the ack, send the
next; W = up to W sends in flight) the sender sends M messages to the group, and the phase ends
when every receiver has had every message (`message:new`), or at the job's timeout. With
`"deflate": true` every client offers permessage-deflate, as browsers do.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time

import socketio

CONNECT_CONCURRENCY = 10  # a connect storm would measure the login path, not the websocket server
BODY = "fan-out benchmark message, about the size of a short chat line; " * 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_of(pid: int) -> float:
    """CPU seconds of another process (the server's gunicorn worker), all its threads, from /proc:
    schedstat counts nanoseconds where the kernel has it, stat counts clock ticks (10 ms)."""
    total = 0.0
    for thread in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{thread}/schedstat") as schedstat:
                total += int(schedstat.read().split()[0]) / 1e9
        except (FileNotFoundError, ValueError, IndexError):
            with open(f"/proc/{pid}/task/{thread}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def percentiles(values: list[float]) -> dict:
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(values)}


class Phase:
    """Counts what each receiver got of one phase's messages (their client_id starts with `prefix`)."""

    def __init__(self, prefix: str, receivers: int, messages: int):
        self.prefix = prefix
        self.messages = messages
        self.counts = [0] * receivers
        self.remaining = receivers * messages
        self.sent_at: dict[str, float] = {}
        self.last_arrival: dict[str, float] = {}
        self.finished_at: float | None = None
        self.done = asyncio.Event()

    def received(self, receiver: int, message: dict) -> None:
        client_id = message.get("client_id") or ""
        if not client_id.startswith(self.prefix):
            return
        now = time.perf_counter()
        self.counts[receiver] += 1
        self.last_arrival[client_id] = now  # arrivals come in time order: the last one wins
        if self.counts[receiver] <= self.messages:
            self.remaining -= 1
            if self.remaining == 0:
                self.finished_at = now
                self.done.set()


class FanOut:
    def __init__(self, job: dict):
        self.job = job
        self.phase: Phase | None = None
        self.receivers: list[socketio.AsyncClient] = []
        self.sender: socketio.AsyncClient | None = None

    def _on_message(self, receiver: int):
        def on_message_new(payload):
            if self.phase is not None:
                self.phase.received(receiver, payload.get("message") or {})
        return on_message_new

    async def _connect(self, token: str, gate: asyncio.Semaphore, receiver: int | None) -> socketio.AsyncClient:
        # aiohttp offers permessage-deflate (as browsers do) only when told: compress=15
        client = socketio.AsyncClient(reconnection=False,
                                      websocket_extra_options={"compress": 15 if self.job.get("deflate") else 0})
        if receiver is not None:
            client.on("message:new", self._on_message(receiver))
        async with gate:
            await client.connect(self.job["url"], auth={"token": token}, transports=["websocket"], wait_timeout=20)
        return client

    async def connect_all(self) -> float:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        started = time.perf_counter()
        self.sender = await self._connect(self.job["sender_token"], gate, None)
        self.receivers = list(await asyncio.gather(*(
            self._connect(token, gate, index) for index, token in enumerate(self.job["receiver_tokens"]))))
        return time.perf_counter() - started

    async def disconnect_all(self) -> None:
        clients = [client for client in [self.sender, *self.receivers] if client is not None]
        await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)

    async def run_phase(self, window: int) -> dict:
        job = self.job
        messages, receivers = job["messages"], len(job["receiver_tokens"])
        phase = Phase(f"{job['tag']}-w{window}-", receivers, messages)
        self.phase = phase
        ack_latencies: list[float] = []
        failures: list[dict] = []
        gate = asyncio.Semaphore(window)

        async def send(number: int) -> None:
            client_id = f"{phase.prefix}{number}"
            async with gate:
                sent = time.perf_counter()
                phase.sent_at[client_id] = sent
                ack = await self.sender.call("message:send", {
                    "conversation_id": job["conversation_id"], "body": BODY, "client_id": client_id,
                }, timeout=job["timeout"])
                ack_latencies.append(time.perf_counter() - sent)
                if not (ack or {}).get("ok") or ack["message"]["client_id"] != client_id:
                    failures.append(ack)

        server_cpu, client_cpu = cpu_seconds_of(job["server_pid"]), time.process_time()
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(send(number) for number in range(messages))), job["timeout"])
        acked = time.perf_counter()
        try:
            await asyncio.wait_for(phase.done.wait(), max(1.0, job["timeout"] - (acked - started)))
        except TimeoutError:
            return {"window": window, "error": f"timed out: {phase.remaining} deliveries missing",
                    "counts": phase.counts}
        elapsed = phase.finished_at - started
        server_cpu = cpu_seconds_of(job["server_pid"]) - server_cpu
        client_cpu = time.process_time() - client_cpu
        self.phase = None
        fanout_latencies = [phase.last_arrival[cid] - phase.sent_at[cid] for cid in phase.sent_at]
        deliveries = receivers * messages
        return {
            "window": window,
            "messages": messages,
            "receivers": receivers,
            "elapsed_s": elapsed,
            "acks_elapsed_s": acked - started,
            "deliveries_per_s": deliveries / elapsed,
            "ack_latency_ms": {key: value * 1000 for key, value in percentiles(ack_latencies).items()},
            "fanout_latency_ms": {key: value * 1000 for key, value in percentiles(fanout_latencies).items()},
            "server_cpu_s": server_cpu,
            "server_cpu_us_per_delivery": server_cpu / deliveries * 1e6,
            "server_cpu_share": server_cpu / elapsed,  # near 1: the one worker was the bottleneck
            "client_cpu_share": client_cpu / elapsed,
            "failed_acks": len(failures),
            "duplicates": sum(max(0, count - messages) for count in phase.counts),
        }


async def main() -> None:
    job = json.load(sys.stdin)
    fanout = FanOut(job)
    try:
        connect_s = await asyncio.wait_for(fanout.connect_all(), job["timeout"])
        phases = [await fanout.run_phase(window) for window in job["windows"]]
    finally:
        await fanout.disconnect_all()
    json.dump({"connect_s": connect_s, "phases": phases}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
