"""The load generator of bench/send.py: one asyncio process, one Socket.IO connection per sender
(Engine.IO 4 over aiohttp, spoken directly as bench/connect_client.py does: python-socketio's client
would cost more CPU than the server's ack path), each sending `message:send` into its own conversation.

Reads one JSON job on stdin: {"url", "senders": [{"token", "conversation_id"}], "server_pid",
"tag" (makes this job's client_ids its own), "phases": [...]}; prints one JSON result on stdout:
{"phases": [...]}. Phases, in order:
  {"kind": "closed", "window": W, "seconds": S}   each sender keeps W sends in flight for S seconds:
                                                   the saturation rate
  {"kind": "open", "rate": R | "fraction": F, "seconds": S}   R sends/s in all (or F x the last closed
                                                   phase's rate), spread evenly over the senders, each
                                                   send on its own schedule whatever the acks do:
                                                   send->ack latency from the scheduled moment
Each phase reports acks, failed acks (by error code), sends/s, send->ack p50/p99 and the server
worker's CPU seconds over the phase (from /proc, bench/session.py cpu_seconds).
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from session import cpu_seconds  # noqa: E402

BODY = "a stored message, about the length of a short chat line in a busy group"


class Sender:
    """One connection: sends `message:send` with an ack id, and resolves each ack as it comes."""

    def __init__(self, url: str, token: str, conversation_id: int, number: int) -> None:
        self.url, self.token, self.conversation_id, self.number = url, token, conversation_id, number
        self.pending: dict[int, tuple[float, asyncio.Future | None, Phase]] = {}
        self.next_ack = 0
        self.sent = 0

    async def connect(self, session: aiohttp.ClientSession) -> None:
        self.ws = await session.ws_connect(self.url, autoping=True, max_msg_size=0, compress=0)
        opened = await asyncio.wait_for(self.ws.receive_str(), 30)
        if not opened.startswith("0"):
            raise RuntimeError(f"no Engine.IO open packet: {opened[:80]!r}")
        await self.ws.send_str("40" + json.dumps({"token": self.token}))
        while True:  # frames the connect handler emits may come before the CONNECT
            packet = await asyncio.wait_for(self.ws.receive_str(), 30)
            if packet.startswith("40"):
                break
            if packet.startswith("44"):
                raise RuntimeError(f"refused: {packet[2:200]}")
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = message.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("43"):
                bracket = data.index("[")
                ack_id = int(data[2:bracket])
                started, waiter, phase = self.pending.pop(ack_id)
                phase.answered(time.perf_counter() - started, json.loads(data[bracket:])[0])
                if waiter is not None:
                    waiter.set_result(None)
            # message:new and other server events are read and dropped

    async def send(self, phase: Phase, started: float, wait: bool) -> None:
        ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.sent += 1
        waiter = asyncio.get_running_loop().create_future() if wait else None
        self.pending[ack_id] = (started, waiter, phase)
        payload = {"conversation_id": self.conversation_id, "body": BODY,
                   "client_id": f"s{self.number}-{self.sent}-{phase.tag}"}
        await self.ws.send_str(f"42{ack_id}" + json.dumps(["message:send", payload], separators=(",", ":")))
        if waiter is not None:
            await waiter


class Phase:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.latencies: list[float] = []
        self.failures: dict[str, int] = {}
        self.outstanding = 0
        self.drained = asyncio.Event()
        self.drained.set()

    def sending(self) -> None:
        self.outstanding += 1
        self.drained.clear()

    def answered(self, latency: float, ack: dict) -> None:
        if ack.get("ok"):
            self.latencies.append(latency)
        else:
            code = (ack.get("error") or {}).get("code", "?")
            self.failures[code] = self.failures.get(code, 0) + 1
        self.outstanding -= 1
        if self.outstanding == 0:
            self.drained.set()


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def closed_loop(senders: list[Sender], phase: Phase, window: int, seconds: float) -> None:
    deadline = time.perf_counter() + seconds

    async def keep_sending(sender: Sender) -> None:
        while time.perf_counter() < deadline:
            phase.sending()
            await sender.send(phase, time.perf_counter(), wait=True)

    await asyncio.gather(*(keep_sending(sender) for sender in senders for _ in range(window)))


async def open_loop(senders: list[Sender], phase: Phase, rate: float, seconds: float) -> None:
    """Each sender on its own schedule (rate / senders per second, staggered): a late ack never
    delays the next send, and latency counts from when the send was due (no coordinated omission)."""
    interval = len(senders) / rate
    start = time.perf_counter() + 0.05

    async def schedule(sender: Sender, offset: float) -> None:
        due = start + offset
        while due < start + seconds:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            phase.sending()
            await sender.send(phase, due, wait=False)
            due += interval

    await asyncio.gather(*(schedule(sender, interval * index / len(senders))
                           for index, sender in enumerate(senders)))


async def run_phase(senders: list[Sender], spec: dict, last_rate: float | None, server_pid: int,
                    tag: str, number: int) -> dict:
    phase = Phase(f"{tag}p{number}")
    cpu_before, client_before = cpu_seconds(server_pid), time.process_time()
    started = time.perf_counter()
    if spec["kind"] == "closed":
        await closed_loop(senders, phase, spec["window"], spec["seconds"])
        offered = None
    else:
        offered = spec.get("rate") or spec["fraction"] * (last_rate or 0)
        await open_loop(senders, phase, offered, spec["seconds"])
    try:
        await asyncio.wait_for(phase.drained.wait(), 60)
    except TimeoutError:
        pass  # reported as unanswered below
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(server_pid) - cpu_before
    acked = len(phase.latencies)
    return {"kind": spec["kind"], "window": spec.get("window"), "offered_per_s": round(offered, 1) if offered else None,
            "seconds": round(elapsed, 3), "acked": acked, "failed": phase.failures, "unanswered": phase.outstanding,
            "acked_per_s": round(acked / elapsed, 1),
            "cpu_us_per_message": round(cpu * 1e6 / acked) if acked else None,
            "worker_cpu_share": round(cpu / elapsed, 3), "client_cpu_share": round(
                (time.process_time() - client_before) / elapsed, 3),
            "ack_ms_p50": _ms(percentile(phase.latencies, 0.50)), "ack_ms_p99": _ms(percentile(phase.latencies, 0.99)),
            "ack_ms_max": _ms(max(phase.latencies, default=None))}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


async def main() -> None:
    job = json.load(sys.stdin)
    url = job["url"].replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    senders = [Sender(url, sender["token"], sender["conversation_id"], number)
               for number, sender in enumerate(job["senders"])]
    results, last_rate = [], None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        await asyncio.gather(*(sender.connect(session) for sender in senders))
        try:
            for number, spec in enumerate(job["phases"]):
                result = await run_phase(senders, spec, last_rate, job["server_pid"], job.get("tag", ""), number)
                if spec["kind"] == "closed":
                    last_rate = result["acked_per_s"]
                results.append(result)
        finally:
            for sender in senders:
                sender.reader.cancel()
                await sender.ws.close()
    json.dump({"phases": results}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
