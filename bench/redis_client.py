"""The load generator of bench/redis_pair.py: Socket.IO clients spread over one or more Switchboard
instances, spoken over Engine.IO directly (bench/connect_client.py's handshake, permessage-deflate offered
as browsers do unless the job says not), kept connected between runs.

    python bench/redis_client.py JOB.json

JOB: {"receivers": [[url, token], ...], "fanout_senders": [[url, token], ...], "fanout_conversation_id": N,
      "chat_senders": [[url, token, conversation_id], ...], "deflate": bool, "timeout": s,
      "workers": [pid, ...], "redis": pid | null, "postgres": pid, "postgres_user": name,
      "postgres_database": name}
Commands on stdin, one JSON line answered on stdout for each:
  connect                  open every socket            -> {"connected", "seconds"}
  fanout TAG MESSAGES W    the fan-out senders share MESSAGES to the group, W in flight each; done when every
                           receiver has had every one
  chat TAG MESSAGES W      each chat sender sends MESSAGES to its own chat, W in flight each
  idle SECONDS             nothing sent for SECONDS: what the servers spend anyway, per second
  close                    close every socket and exit
Each run answers its figures: throughput, ack and fan-out percentiles, and the CPU seconds the workers
(summed), Redis and PostgreSQL (every process of its cluster) spent during it, read from /proc.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from connect_client import Connections
from fanout_client import BODY, CLOCK_TICKS, Phase, cpu_seconds_of, percentiles

CONNECT_CONCURRENCY = 20
NEW_MESSAGE = '42["message:new",'


def descendants(root: int) -> list[int]:
    """`root` and every process under it (PostgreSQL's postmaster and its backends)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        found.append(pid)
        frontier.extend(parents.get(pid, []))
    return found


class CpuMeter:
    """CPU seconds of the servers behind one variant: workers summed, Redis, and the whole PostgreSQL
    cluster (shared by the variants; the others are idle meanwhile), and how many connections to this
    variant's database were opened."""

    def __init__(self, job: dict) -> None:
        self.workers, self.redis, self.postgres = job["workers"], job.get("redis"), job["postgres"]
        self.backend_title = f"postgres: {job['postgres_user']} {job['postgres_database']} "

    def _postgres(self) -> dict[int, tuple[bool, float]]:
        """pid -> (serves this variant's database, CPU seconds, with those of its children that ended: the
        postmaster's are the backends it reaped, such as a pool's overflow connections, closed on return)."""
        readings = {}
        for pid in descendants(self.postgres):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                reaped = (int(stat[13]) + int(stat[14])) / CLOCK_TICKS  # cutime + cstime
                readings[pid] = (title.startswith(self.backend_title), cpu_seconds_of(pid) + reaped)
            except OSError:  # a backend that ended meanwhile: its parent counts it once reaped
                pass
        return readings

    def read(self) -> dict:
        return {"workers": sum(cpu_seconds_of(pid) for pid in self.workers),
                "redis": cpu_seconds_of(self.redis) if self.redis else 0.0,
                "postgres": self._postgres(), "client": time.process_time()}

    @staticmethod
    def spent(before: dict, after: dict) -> dict:
        """Seconds per part between two readings; a backend born meanwhile counts from zero, one that
        ended meanwhile is missed (the pool keeps its connections, so they are few)."""
        # Per process: a backend born meanwhile counts from zero; one that ended meanwhile is in the
        # postmaster's reaped time, so what it had used before is taken off (else it counts twice).
        postgres = sum(seconds - before["postgres"].get(pid, (ours, 0.0))[1]
                       for pid, (ours, seconds) in after["postgres"].items())
        ended = [pid for pid in before["postgres"] if pid not in after["postgres"]]
        postgres -= sum(before["postgres"][pid][1] for pid in ended)
        opened = [pid for pid, (ours, _) in after["postgres"].items() if ours and pid not in before["postgres"]]
        return {part: after[part] - before[part] for part in ("workers", "redis", "client")} | {
            "postgres": postgres, "postgres_connections_opened": len(opened)}


class Clients(Connections):
    """The sockets opened on one instance: each is a receiver or a sender, found by its websocket."""

    def __init__(self, url: str, deflate: bool) -> None:
        super().__init__(url, [], CONNECT_CONCURRENCY, deflate)
        self.on_new_message: dict[object, Callable[[str], None]] = {}
        self.pending_acks: dict[object, dict[int, asyncio.Future]] = {}
        self.next_ack: dict[object, int] = {}

    async def open_socket(self, token: str, on_new_message: Callable[[str], None] | None):
        self.tokens.append(token)  # connect_one reads it after its first await: each socket its own index
        await self.connect_one(len(self.tokens) - 1)
        ws = self.sockets[-1]  # connect_one appended it without yielding since: it is this one
        self.pending_acks[ws], self.next_ack[ws] = {}, 0
        if on_new_message is not None:
            self.on_new_message[ws] = on_new_message
        return ws

    async def keep_alive(self, ws) -> None:
        """Answer pings, hand `message:new` frames to their socket's receiver, resolve acks."""
        async for message in ws:
            packet = message.data
            if not isinstance(packet, str):
                continue
            if packet == "2":
                await ws.send_str("3")
            elif packet.startswith(NEW_MESSAGE):
                receiver = self.on_new_message.get(ws)
                if receiver is not None:
                    receiver(packet)
            elif packet.startswith("43"):
                body = packet.index("[")
                future = self.pending_acks[ws].pop(int(packet[2:body]), None)
                if future is not None and not future.done():
                    future.set_result(json.loads(packet[body:])[0])

    async def call(self, ws, event: str, data: dict, timeout: float) -> dict:
        """Emit `event` with an ack id and wait for the ack."""
        number = self.next_ack[ws]
        self.next_ack[ws] = number + 1
        future = asyncio.get_running_loop().create_future()
        self.pending_acks[ws][number] = future
        await ws.send_str(f"42{number}" + json.dumps([event, data], separators=(",", ":")))
        return await asyncio.wait_for(future, timeout)


class Load:
    def __init__(self, job: dict) -> None:
        self.job = job
        self.meter = CpuMeter(job)
        self.instances: dict[str, Clients] = {}
        self.receivers: list = []
        self.fanout_senders: list = []
        self.chat_senders: list = []
        self.phase: Phase | None = None

    def _instance(self, url: str) -> Clients:
        if url not in self.instances:
            self.instances[url] = Clients(url, self.job["deflate"])
        return self.instances[url]

    def _receiver(self, index: int) -> Callable[[str], None]:
        def on_new_message(packet: str) -> None:
            if self.phase is not None and self.phase.prefix in packet:  # other phases' frames cost no parse
                self.phase.received(index, json.loads(packet[2:])[1]["message"])
        return on_new_message

    async def connect(self) -> dict:
        started = time.perf_counter()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(url: str, token: str, on_new_message=None):
            async with gate:
                clients = self._instance(url)
                return clients, await clients.open_socket(token, on_new_message)

        self.fanout_senders = [await one(url, token) for url, token in self.job["fanout_senders"]]
        self.chat_senders = [(*await one(url, token), conversation)
                             for url, token, conversation in self.job["chat_senders"]]
        self.receivers = await asyncio.gather(*(one(url, token, self._receiver(index))
                                                for index, (url, token) in enumerate(self.job["receivers"])))
        return {"connected": len(self.receivers) + len(self.fanout_senders) + len(self.chat_senders),
                "seconds": time.perf_counter() - started}

    async def _send_all(self, senders: list[tuple], messages_each: list[int], window: int, prefix: str,
                        sent_at: dict[str, float]) -> tuple[list[float], list]:
        """Every sender sends its share, `window` in flight each; ack latencies and failed acks."""
        latencies, failures = [], []
        timeout = self.job["timeout"]

        async def sender(number: int, clients: Clients, ws, conversation_id: int, count: int) -> None:
            gate = asyncio.Semaphore(window)

            async def send(sequence: int) -> None:
                client_id = f"{prefix}{number}-{sequence}"
                async with gate:
                    sent = sent_at[client_id] = time.perf_counter()
                    ack = await clients.call(ws, "message:send", {"conversation_id": conversation_id, "body": BODY,
                                                                  "client_id": client_id}, timeout)
                    latencies.append(time.perf_counter() - sent)
                    if not (ack or {}).get("ok") or ack["message"]["client_id"] != client_id:
                        failures.append(ack)

            await asyncio.gather(*(send(sequence) for sequence in range(count)))

        await asyncio.wait_for(asyncio.gather(*(
            sender(number, clients, ws, conversation_id, count)
            for number, ((clients, ws, conversation_id), count) in enumerate(zip(senders, messages_each, strict=True))
        )), timeout)
        return latencies, failures

    def _figures(self, units: int, elapsed: float, spent: dict, unit: str, plural: str) -> dict:
        return {f"{plural}_per_s": units / elapsed, "elapsed_s": elapsed,
                f"worker_cpu_us_per_{unit}": spent["workers"] / units * 1e6,
                f"redis_cpu_us_per_{unit}": spent["redis"] / units * 1e6,
                f"postgres_cpu_us_per_{unit}": spent["postgres"] / units * 1e6,
                "postgres_connections_opened": spent["postgres_connections_opened"],
                "worker_cpu_share": spent["workers"] / elapsed, "client_cpu_share": spent["client"] / elapsed,
                "cpu_s": spent}

    async def fanout(self, tag: str, messages: int, window: int) -> dict:
        """The group's senders share `messages`; every receiver must get each of them once."""
        conversation_id = self.job["fanout_conversation_id"]
        senders = [(clients, ws, conversation_id) for clients, ws in self.fanout_senders]
        shares = [messages // len(senders) + (number < messages % len(senders)) for number in range(len(senders))]
        phase = self.phase = Phase(f"{tag}-fanout-", len(self.receivers), messages)
        before, started = self.meter.read(), time.perf_counter()
        latencies, failures = await self._send_all(senders, shares, window, phase.prefix, phase.sent_at)
        try:
            await asyncio.wait_for(phase.done.wait(), self.job["timeout"])
        except TimeoutError:
            return {"error": f"timed out: {phase.remaining} deliveries missing", "failed_acks": len(failures)}
        elapsed = phase.finished_at - started
        spent = CpuMeter.spent(before, self.meter.read())
        self.phase = None
        deliveries = messages * len(self.receivers)
        fanout_latencies = [phase.last_arrival[client_id] - phase.sent_at[client_id] for client_id in phase.sent_at]
        return {"scenario": "fanout", "messages": messages, "receivers": len(self.receivers), "window": window,
                **self._figures(deliveries, elapsed, spent, "delivery", "deliveries"),
                "worker_cpu_us_per_message": spent["workers"] / messages * 1e6,
                "ack_ms": {key: value * 1000 for key, value in percentiles(latencies).items()},
                "fanout_ms": {key: value * 1000 for key, value in percentiles(fanout_latencies).items()},
                "failed_acks": len(failures), "duplicates": sum(max(0, count - messages) for count in phase.counts)}

    async def chat(self, tag: str, messages: int, window: int) -> dict:
        """Each chat sender sends `messages` to its own chat: the cost of storing, nearly no fan-out."""
        sent_at: dict[str, float] = {}
        before, started = self.meter.read(), time.perf_counter()
        latencies, failures = await self._send_all(self.chat_senders, [messages] * len(self.chat_senders), window,
                                                   f"{tag}-chat-", sent_at)
        elapsed = time.perf_counter() - started
        spent = CpuMeter.spent(before, self.meter.read())
        stored = messages * len(self.chat_senders)
        return {"scenario": "chat", "senders": len(self.chat_senders), "messages": stored, "window": window,
                **self._figures(stored, elapsed, spent, "message", "messages"),
                "ack_ms": {key: value * 1000 for key, value in percentiles(latencies).items()},
                "failed_acks": len(failures)}

    async def idle(self, seconds: float) -> dict:
        """What the servers spend with every socket connected and nothing sent: per second."""
        before, started = self.meter.read(), time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - started
        spent = CpuMeter.spent(before, self.meter.read())
        return {"scenario": "idle", "elapsed_s": elapsed,
                **{f"{part}_cpu_ms_per_s": spent[part] / elapsed * 1e3
                   for part in ("workers", "redis", "postgres")}}

    async def close(self) -> None:
        await asyncio.gather(*(clients.close() for clients in self.instances.values()), return_exceptions=True)


async def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    load = Load(job)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            command, *rest = line.split()
            if command == "connect":
                answer = await load.connect()
            elif command == "idle":
                answer = await load.idle(float(rest[0]))
            elif command in ("fanout", "chat"):
                tag, messages, window = rest[0], int(rest[1]), int(rest[2])
                answer = await getattr(load, command)(tag, messages, window)
            else:
                break
            print(json.dumps(answer), flush=True)
    finally:
        await load.close()


if __name__ == "__main__":
    asyncio.run(main())
