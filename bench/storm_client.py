"""The load generator of bench/storm.py: Socket.IO clients that are all cut at once and come back as
socket.io-client does (its backoff), then resync as docs/protocol.md tells clients to; and the
sender that keeps sending meanwhile. The wire (Engine.IO 4 over aiohttp) is bench/connect_client.py's.

    storm_client.py URL --tokens FILE [--reference]    the clients; commands on stdin, one a line:
      open            connect each, then list its conversations (each one's watermark W starts at the
                      listed last_revision)                   -> {"opened", "failed", "errors", "seconds"}
      drop            close every TCP connection at once, no goodbye; each reconnects -> {"dropped"}
      wait SECONDS    until every client is back and resynced, or SECONDS after the drop -> the figures
      state FILE      each client's watermark and messages held, per conversation, as JSON in FILE
      close
    storm_client.py URL --sender TOKEN --conversations 1,2,... --rate N
      sends N messages/s round the conversations (at most 16 unanswered, the server's queue), retries
      `unavailable` and `busy` with the same client_id; `stop` ends it -> its figures.
--reference: the bare server (bench/bare_server.py): reconnect only, nothing to resync.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import sys
import time
import uuid
from collections import Counter

import aiohttp
from connect_client import Refused, open_socket, websocket_url

CONNECT_TIMEOUT = 20  # socket.io-client's `timeout`
ACK_TIMEOUT = 20
GAP_WAIT = 1.0  # a revision gap still open after this is fetched (protocol.md: "wait a moment")
RETRYABLE = {"unavailable", "busy"}
EVENT_QUEUE = 16  # SOCKET_EVENT_QUEUE: a well-behaved client keeps at most this many unanswered


def backoff_delay(attempt: int, base: float = 1.0, maximum: float = 5.0, jitter: float = 0.5) -> float:
    """socket.io-client's reconnection delay (its Backoff: 1 s doubled per attempt, ±50 %, 5 s at most)."""
    milliseconds = base * 1000 * 2 ** attempt
    rand = random.random()
    deviation = math.floor(rand * jitter * milliseconds)
    milliseconds += -deviation if math.floor(rand * 10) & 1 == 0 else deviation
    return min(milliseconds, maximum * 1000) / 1000


class Wire:
    """One connected socket: emits with acks, hands events to `on_event`, answers pings."""

    def __init__(self, ws, on_event, on_close) -> None:
        self.ws, self.on_event, self.on_close = ws, on_event, on_close
        self.acks: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await self.packet(message.data)
        finally:
            for future in self.acks.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection lost"))
            self.on_close(self)

    async def packet(self, data: str) -> None:
        if data == "2":
            await self.ws.send_str("3")
        elif data.startswith("42"):
            name, *args = json.loads(data[2:])
            self.on_event(name, args[0] if args else None)
        elif data.startswith("43"):
            number, _, body = data[2:].partition("[")
            future = self.acks.pop(int(number), None)
            if future is not None and not future.done():
                future.set_result(json.loads("[" + body)[0])
        elif data.startswith("41"):  # the server disconnected this socket
            await self.ws.close()

    async def emit(self, event: str, payload: dict) -> dict:
        self.next_id += 1
        number, future = self.next_id, asyncio.get_running_loop().create_future()
        self.acks[number] = future
        try:
            await self.ws.send_str(f"42{number}" + json.dumps([event, payload]))
            return await asyncio.wait_for(future, ACK_TIMEOUT)
        finally:
            self.acks.pop(number, None)

    def cut(self) -> None:
        """Gone without a goodbye: no websocket close frame, no Engine.IO close, the TCP connection closed."""
        self.on_close = lambda wire: None
        self.reader.cancel()
        connection = self.ws._response.connection  # aiohttp keeps no public handle on the transport
        if connection is not None and connection.transport is not None:
            connection.transport.abort()
        self.ws._response.close()  # the aborted connection, released (nothing is sent)


class Cursor:
    """One conversation's watermark W (protocol.md: Resync) and the messages applied since the start."""

    def __init__(self, start: int) -> None:
        self.start = self.watermark = start
        self.above: set[int] = set()  # revisions applied above W
        self.held: set[int] = set()  # ids of the messages whose revision is above the start
        self.gap_since: float | None = None

    def apply(self, message: dict) -> None:
        revision = message["revision"]
        if revision > self.start:
            self.held.add(message["id"])
        if revision > self.watermark:
            self.above.add(revision)
        self.rise()

    def rise(self) -> None:
        while self.watermark + 1 in self.above:
            self.watermark += 1
            self.above.discard(self.watermark)
        self.above = {revision for revision in self.above if revision > self.watermark}
        self.gap_since = (self.gap_since or time.monotonic()) if self.above else None


class Member:
    """One storm client: its token, its conversations' cursors, its socket."""

    def __init__(self, storm: Storm, token: str) -> None:
        self.storm, self.token = storm, token
        self.cursors: dict[int, Cursor] = {}
        self.wire: Wire | None = None
        self.back_at = self.resynced_at = None
        self.syncing: set[int] = set()

    async def connect(self) -> None:
        early: list[str] = []
        ws = await open_socket(self.storm.session, self.storm.ws_url, self.token, True, CONNECT_TIMEOUT, early)
        self.wire = Wire(ws, self.on_event, self.lost)
        for packet in early:  # events that came before the CONNECT, as socket.io-client buffers them
            await self.wire.packet(packet)

    def on_event(self, name: str, payload) -> None:
        if name in ("message:new", "message:updated"):
            message = payload["message"]
            cursor = self.cursors.get(message["conversation_id"])
            if cursor is not None:
                cursor.apply(message)

    def lost(self, wire: Wire) -> None:
        """The server closed the connection (not our drop): reconnect as after the drop."""
        if wire is self.wire:
            self.storm.counts["server_closed"] += 1
            self.wire = None
            asyncio.create_task(self.come_back(time.monotonic()))

    async def list_conversations(self) -> list[dict]:
        async with self.storm.session.get(self.storm.url + "/api/conversations",
                                          headers={"Authorization": f"Bearer {self.token}"}) as response:
            body = await response.json()
        if response.status != 200:
            raise Refused(json.dumps({"data": body.get("error", {})}))
        return body["conversations"]

    async def come_back(self, dropped_at: float) -> None:
        """Reconnect with socket.io-client's backoff, then resync; record when each was done."""
        attempt = 0
        while True:
            await asyncio.sleep(backoff_delay(attempt))
            attempt += 1
            try:
                await self.connect()
                break
            except Refused as refused:
                self.storm.counts[f"connect refused: {refused.data.get('code')}"] += 1
            except Exception as error:  # counted and shown, never hidden
                self.storm.counts[f"connect failed: {type(error).__name__}"] += 1
        self.back_at, wire = time.monotonic() - dropped_at, self.wire
        if not self.storm.reference:
            await self.resync(wire)
        if self.wire is wire:  # else lost again meanwhile: the next come_back records it
            self.resynced_at = time.monotonic() - dropped_at

    async def resync(self, wire: Wire) -> None:
        """Sync every conversation since its W, then the list once: a last_revision above W is a gap
        too, fetched once (what is sent meanwhile arrives live; a gap it leaves is close_gaps')."""
        await self.sync(set(self.cursors))
        while self.wire is wire:
            try:
                listed = await self.list_conversations()
            except Refused as refused:
                self.storm.counts[f"error: {refused.data.get('code')}"] += 1
                await asyncio.sleep(1)
                continue
            behind = {entry["id"] for entry in listed if entry["id"] in self.cursors
                      and entry["last_revision"] > self.cursors[entry["id"]].watermark}
            if behind:
                await self.sync(behind)
            return

    async def sync(self, conversation_ids: set[int]) -> None:
        """The `sync` event for these conversations until none has more or failed (retried after 1 s)."""
        pending = set(conversation_ids)
        while pending and self.wire is not None:
            cursors = [{"conversation_id": cid, "since": self.cursors[cid].watermark} for cid in sorted(pending)]
            try:
                answer = await self.wire.emit("sync", {"conversations": cursors})
            except (TimeoutError, ConnectionError):
                self.storm.counts["sync not acked"] += 1
                return
            if not answer.get("ok"):
                self.storm.counts[f"error: {answer['error']['code']}"] += 1
                await asyncio.sleep(1)
                continue
            pending = set()
            for result in answer["conversations"]:
                cid = result["conversation_id"]
                if "error" in result:
                    self.storm.counts[f"error: {result['error']['code']}"] += 1
                    pending.add(cid)
                    continue
                cursor = self.cursors[cid]
                for message in result["messages"]:
                    cursor.apply(message)
                cursor.watermark = max(cursor.watermark, result["revision"])
                cursor.rise()
                if result["has_more"]:
                    pending.add(cid)
            if pending and not any(result.get("has_more") for result in answer["conversations"]):
                await asyncio.sleep(1)  # only errors left: retry them in a moment

    async def close_gaps(self) -> None:
        """A gap still open after GAP_WAIT: fetch the changes since W (one request at a time)."""
        now = time.monotonic()
        due = {cid for cid, cursor in self.cursors.items()
               if cursor.gap_since is not None and now - cursor.gap_since > GAP_WAIT and cid not in self.syncing}
        if due and self.wire is not None and self.resynced_at is not None:
            self.storm.counts["gap syncs"] += len(due)
            self.syncing |= due
            try:
                await self.sync(due)
            finally:
                self.syncing -= due


class Storm:
    def __init__(self, url: str, tokens: list[str], reference: bool, concurrency: int = 100) -> None:
        self.url, self.ws_url, self.reference, self.concurrency = url, websocket_url(url), reference, concurrency
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True),
                                             timeout=aiohttp.ClientTimeout(total=60))
        self.members = [Member(self, token) for token in tokens]
        self.counts: Counter = Counter()
        self.dropped_at = 0.0

    async def open(self) -> dict:
        started, errors = time.monotonic(), Counter()
        gate = asyncio.Semaphore(self.concurrency)

        async def one(member: Member) -> None:
            for attempt in range(5):  # as a client would: `unavailable` is retryable, after its backoff
                async with gate:
                    try:
                        await member.connect()
                        if not self.reference:
                            for entry in await member.list_conversations():
                                member.cursors[entry["id"]] = Cursor(entry["last_revision"])
                        return
                    except Exception as error:  # counted and shown
                        self.counts[f"before the drop: {type(error).__name__}"] += 1
                        if member.wire is not None:
                            member.wire.cut()
                            member.wire = None
                        if attempt == 4:
                            errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1
                await asyncio.sleep(backoff_delay(attempt))

        await asyncio.gather(*(one(member) for member in self.members))
        asyncio.create_task(self.watch_gaps())
        failed = sum(errors.values())
        return {"opened": len(self.members) - failed, "failed": failed, "errors": errors,
                "seconds": time.monotonic() - started}

    async def watch_gaps(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            for member in self.members:
                if any(cursor.gap_since for cursor in member.cursors.values()):
                    asyncio.create_task(member.close_gaps())

    def drop(self) -> dict:
        self.dropped_at = time.monotonic()
        for member in self.members:
            wire, member.wire = member.wire, None
            member.back_at = member.resynced_at = None
            if wire is not None:
                wire.cut()
        for member in self.members:
            asyncio.create_task(member.come_back(self.dropped_at))
        return {"dropped": len(self.members)}

    async def wait(self, seconds: float) -> dict:
        deadline = self.dropped_at + seconds
        while time.monotonic() < deadline and any(member.resynced_at is None for member in self.members):
            await asyncio.sleep(0.05)
        return {"clients": len(self.members),
                "back": [member.back_at for member in self.members if member.back_at is not None],
                "resynced": [member.resynced_at for member in self.members if member.resynced_at is not None],
                "counts": self.counts}

    def state(self, path: str) -> dict:
        with open(path, "w") as out:
            json.dump([{"token": member.token, "connected": member.wire is not None,
                        "conversations": {cid: {"start": cursor.start, "watermark": cursor.watermark,
                                                "held": sorted(cursor.held)}
                                          for cid, cursor in member.cursors.items()}}
                       for member in self.members], out)
        return {"written": len(self.members)}


class Sender:
    """Sends `rate` messages a second round its conversations until stopped, whatever the storm does."""

    def __init__(self, url: str, token: str, conversations: list[int], rate: float) -> None:
        self.storm = Storm(url, [token], reference=True)
        self.member = self.storm.members[0]
        self.member.cursors = {}
        self.conversations, self.rate = conversations, rate
        self.pending: dict[str, tuple[int, float]] = {}  # client_id -> (conversation, first sent)
        self.latencies: list[float] = []
        self.acknowledged: list[str] = []
        self.refused: Counter = Counter()
        self.gate = asyncio.Semaphore(EVENT_QUEUE)
        self.sent = 0
        self.running = True

    async def run(self) -> None:
        started = time.monotonic()
        tasks = []
        while self.running:
            conversation = self.conversations[self.sent % len(self.conversations)]
            client_id = f"storm-{uuid.uuid4().hex[:16]}"
            self.pending[client_id] = (conversation, time.monotonic())
            tasks.append(asyncio.create_task(self.send(client_id)))
            self.sent += 1
            await asyncio.sleep(max(0.0, started + self.sent / self.rate - time.monotonic()))
        await asyncio.gather(*tasks)

    async def send(self, client_id: str) -> None:
        conversation, first = self.pending[client_id]
        while client_id in self.pending:
            async with self.gate:
                wire = self.member.wire
                try:
                    if wire is None:
                        raise ConnectionError("not connected")
                    answer = await wire.emit("message:send", {"conversation_id": conversation, "client_id": client_id,
                                                              "body": f"storm message {client_id}"})
                except (TimeoutError, ConnectionError) as error:
                    self.refused[f"not acked: {type(error).__name__}"] += 1
                    if time.monotonic() - first > 60:
                        return  # given up: stays pending, counted as never acknowledged
                    await asyncio.sleep(1)
                    continue
            if answer.get("ok"):
                self.latencies.append(time.monotonic() - first)
                self.acknowledged.append(client_id)
                del self.pending[client_id]
                return
            code = answer["error"]["code"]
            self.refused[code] += 1
            if code not in RETRYABLE:
                return
            await asyncio.sleep(1)

    def figures(self) -> dict:
        latencies = sorted(self.latencies)
        return {"sent": self.sent, "acknowledged": len(latencies), "never_acknowledged": len(self.pending),
                "refusals": self.refused, "server_closed": self.storm.counts["server_closed"],
                "ack_p50_s": latencies[len(latencies) // 2] if latencies else None,
                "ack_p99_s": latencies[int(len(latencies) * 0.99)] if latencies else None,
                "ack_max_s": latencies[-1] if latencies else None, "acknowledged_ids": self.acknowledged}


async def commands(handle) -> None:
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, *rest = line.split()
        answer = await handle(command, rest)
        print(json.dumps(answer), flush=True)
        if command in ("close", "stop"):
            return


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--tokens", help="a file with one token a line: one client each")
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--sender", help="the sender's token")
    parser.add_argument("--conversations", help="the sender's conversations, comma-separated")
    parser.add_argument("--rate", type=float, default=40)
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one descriptor a connection
    if arguments.sender:
        sender = Sender(arguments.url, arguments.sender, [int(c) for c in arguments.conversations.split(",")],
                        arguments.rate)
        await sender.member.connect()
        sending = asyncio.create_task(sender.run())

        async def handle_sender(command: str, rest: list[str]) -> dict:
            sender.running = False
            await sending
            return sender.figures()
        print(json.dumps({"ready": True}), flush=True)
        await commands(handle_sender)
        await sender.storm.session.close()
        return
    storm = Storm(arguments.url, open(arguments.tokens).read().split(), arguments.reference)

    async def handle(command: str, rest: list[str]) -> dict:
        if command == "open":
            return await storm.open()
        if command == "drop":
            return storm.drop()
        if command == "wait":
            return await storm.wait(float(rest[0]))
        if command == "state":
            return storm.state(rest[0])
        return {"closed": True}
    await commands(handle)
    await storm.session.close()


if __name__ == "__main__":
    asyncio.run(main())
