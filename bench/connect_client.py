"""The load generator of bench/connect.py: opens Socket.IO connections over the websocket transport
(Engine.IO 4, the protocol's own packets over aiohttp, as a browser's socket.io-client does it:
permessage-deflate offered unless --no-deflate) and keeps them open and answering pings.

Reads commands on stdin, one a line, answers one JSON line each on stdout:
  open N      open N more connections, `concurrency` at a time -> {"opened", "failed", "seconds", "errors"}
  close       close them all and exit
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time

import aiohttp


class Refused(RuntimeError):
    """The server refused the Socket.IO connect (CONNECT_ERROR); `data` is its `{code, message}`."""

    def __init__(self, packet: str) -> None:
        super().__init__(f"refused: {packet[:200]}")
        try:
            self.data = json.loads(packet).get("data") or {}
        except (ValueError, AttributeError):
            self.data = {}


def websocket_url(url: str) -> str:
    return url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"


async def open_socket(session: aiohttp.ClientSession, url: str, token: str, deflate: bool,
                      timeout: float = 30, early: list[str] | None = None) -> aiohttp.ClientWebSocketResponse:
    """One websocket to `url` (websocket_url), Engine.IO opened and the default namespace connected with
    `auth={"token": token}`; raises Refused if the server refuses, TimeoutError after `timeout` s a step.
    Packets that came before the CONNECT go to `early` if given (socket.io-client buffers them)."""
    # A server that cannot accept (out of file descriptors) leaves the connect unanswered: counted
    # as failed after `timeout`, as a silent handshake is below, never waited for forever.
    ws = await asyncio.wait_for(session.ws_connect(url, compress=15 if deflate else 0, autoping=True,
                                                   max_msg_size=0), timeout)
    try:
        opened = await asyncio.wait_for(ws.receive_str(), timeout)
        if not opened.startswith("0"):
            raise RuntimeError(f"no Engine.IO open packet: {opened[:80]!r}")
        await ws.send_str("40" + json.dumps({"token": token}))
        while True:  # events the server emits from its connect handler may come before the CONNECT
            packet = await asyncio.wait_for(ws.receive_str(), timeout)
            if packet.startswith("40"):
                return ws
            if packet.startswith("44"):
                raise Refused(packet[2:])
            if packet == "2":
                await ws.send_str("3")
            elif early is not None:
                early.append(packet)
    except BaseException:
        await ws.close()
        raise


class Connections:
    def __init__(self, url: str, tokens: list[str], concurrency: int, deflate: bool) -> None:
        self.url = websocket_url(url)
        self.tokens = tokens
        self.concurrency = concurrency
        self.deflate = deflate
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task] = []
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True),
                                             timeout=aiohttp.ClientTimeout(total=None))

    async def connect_one(self, number: int) -> None:
        ws = await open_socket(self.session, self.url, self.tokens[number % len(self.tokens)], self.deflate)
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self.keep_alive(ws)))

    @staticmethod
    async def keep_alive(ws) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
                await ws.send_str("3")

    async def open(self, count: int) -> dict:
        started, failed, errors = time.monotonic(), 0, {}
        gate = asyncio.Semaphore(self.concurrency)
        first = len(self.sockets)

        async def one(number: int):
            nonlocal failed
            async with gate:
                try:
                    await self.connect_one(number)
                except Exception as error:  # counted and shown, never hidden
                    failed += 1
                    reason = f"{type(error).__name__}: {str(error)[:120]}"
                    errors[reason] = errors.get(reason, 0) + 1

        await asyncio.gather(*(one(first + number) for number in range(count)))
        return {"opened": count - failed, "failed": failed, "seconds": time.monotonic() - started,
                "held": len(self.sockets), "errors": errors}

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        await self.session.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--tokens", required=True, help="a file with one token a line, used in turn")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-deflate", action="store_true")
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one descriptor a connection
    tokens = open(arguments.tokens).read().split()
    connections = Connections(arguments.url, tokens, arguments.concurrency, not arguments.no_deflate)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, *rest = line.split()
        if command == "open":
            print(json.dumps(await connections.open(int(rest[0]))), flush=True)
        elif command == "close":
            break
    await connections.close()
    print(json.dumps({"closed": True}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
