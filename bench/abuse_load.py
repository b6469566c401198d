"""Load roles for bench/abuse.py, one process each, so that an abuser never takes CPU time (or the
GIL) from the quiet client's process: `python bench/abuse_load.py ROLE < job.json` prints one
JSON result. Runs in the app's .venv (python-socketio's threading client, requests).

- quiet: sends `message:send` at a fixed rate (open loop, so a stalled server cannot slow the
  sending down and hide its own stall) and records each send's time to its ack; the sends go
  round-robin over `senders` (a socket each), so that no one of them exceeds a per-user send rate;
- burst: one socket emits `count` sends at once, or as many as it can for `seconds`;
- paced: one user's `sockets` (tabs) each send `rate` messages a second for `seconds`, never more
  than a few in flight, so that each send is taken (stored, or refused by the send rate);
- guess: threads posting wrong passwords to POST /api/tokens, from one address or many;
- images: uploads of one small image file spread over `seconds`;
- bodies: senders posting huge JSON bodies to POST /api/tokens.
"""
from __future__ import annotations

import http.client
import json
import random
import socket
import sys
import threading
import time
from collections import Counter

import requests
import socketio

BODY = "quiet benchmark message, about the size of a short chat line"


def connect(url: str, token: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
    return client


def quiet(job: dict) -> dict:
    senders = [(connect(job["url"], sender["token"]), sender["conversation_id"]) for sender in job["senders"]]
    sent: dict[int, float] = {}
    latencies: dict[int, float] = {}
    failures: Counter = Counter()

    def acknowledged(number: int):
        def record(ack):
            latencies[number] = (time.perf_counter() - sent[number]) * 1000
            if not ack.get("ok"):
                failures[ack["error"]["code"]] += 1
        return record

    interval, started = 1 / job["rate"], time.perf_counter()
    number = 0
    while time.perf_counter() - started < job["duration"]:
        client, conversation_id = senders[number % len(senders)]
        sent[number] = time.perf_counter()
        client.emit("message:send", {"conversation_id": conversation_id, "body": BODY,
                                     "client_id": f"q{job['tag']}-{number}"}, callback=acknowledged(number))
        number += 1
        time.sleep(max(0.0, started + number * interval - time.perf_counter()))
    deadline = time.perf_counter() + job["ack_timeout"]
    while len(latencies) < number and time.perf_counter() < deadline:
        time.sleep(0.05)
    for client, _ in senders:
        client.disconnect()
    # A send never acknowledged counts as taking the whole timeout (and is reported apart).
    timeouts = number - len(latencies)
    return {"sent": number, "timeouts": timeouts, "failures": dict(failures),
            "latencies_ms": sorted(latencies.values()) + [job["ack_timeout"] * 1000] * timeouts}


def burst(job: dict) -> dict:
    client = connect(job["url"], job["token"])
    acks: Counter = Counter()
    started, emitted = time.perf_counter(), 0
    try:
        while (emitted < job["count"]) if job.get("count") else (time.perf_counter() - started < job["seconds"]):
            client.emit("message:send", {"conversation_id": job["conversation_id"], "body": f"flood {emitted}"},
                        callback=lambda ack: acks.update([ack["error"]["code"] if not ack.get("ok") else "ok"]))
            emitted += 1
    except socketio.exceptions.SocketIOError:
        pass  # disconnected by the server
    time.sleep(job.get("linger", 0))  # for the acks still on their way
    disconnected = not client.connected
    if client.connected:
        client.disconnect()
    return {"emitted": emitted, "acks": dict(acks), "disconnected_by_server": disconnected}


def paced(job: dict) -> dict:
    acks: Counter = Counter()

    def tab(client: socketio.Client, number: int) -> None:
        in_flight = threading.BoundedSemaphore(4)  # below SOCKET_EVENT_QUEUE: never answered `busy`
        started, sent = time.perf_counter(), 0
        while time.perf_counter() - started < job["seconds"]:
            if in_flight.acquire(timeout=1):
                def done(ack):
                    acks.update([ack["error"]["code"] if not ack.get("ok") else "ok"])
                    in_flight.release()
                client.emit("message:send", {"conversation_id": job["conversation_id"],
                                             "body": f"paced {number}-{sent}"}, callback=done)
                sent += 1
            time.sleep(max(0.0, started + sent / job["rate"] - time.perf_counter()))

    clients = [connect(job["url"], job["token"]) for _ in range(job["sockets"])]
    threads = [threading.Thread(target=tab, args=(client, number)) for number, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(job.get("linger", 0))
    for client in clients:
        if client.connected:
            client.disconnect()
    return {"acks": dict(acks), "sent": sum(acks.values())}


def guess(job: dict) -> dict:
    statuses: Counter = Counter()
    stop = time.perf_counter() + job["duration"]
    host, port = job["host"], job["port"]

    def guesser(seed: int) -> None:
        chooser = random.Random(seed)
        while time.perf_counter() < stop:
            address = chooser.choice(job["addresses"])
            connection = http.client.HTTPConnection(host, port, timeout=60, source_address=(address, 0))
            body = json.dumps({"username": chooser.choice(job["usernames"]), "password": f"guess {chooser.random()}"})
            try:
                connection.request("POST", "/api/tokens", body, {"Content-Type": "application/json"})
                statuses[connection.getresponse().status] += 1
            except OSError as error:
                statuses[type(error).__name__] += 1
            finally:
                connection.close()

    threads = [threading.Thread(target=guesser, args=(seed,)) for seed in range(job["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": {str(status): count for status, count in statuses.items()}}


def images(job: dict) -> dict:
    data = open(job["file"], "rb").read()
    statuses: Counter = Counter()
    started = time.perf_counter()
    for number in range(job["count"]):
        time.sleep(max(0.0, started + number * job["seconds"] / job["count"] - time.perf_counter()))
        response = requests.post(f"{job['url']}/api/conversations/{job['conversation_id']}/files", timeout=60,
                                 headers={"Authorization": f"Bearer {job['token']}"},
                                 files={"file": (f"huge-{number}.webp", data, "image/webp")})
        statuses[response.status_code] += 1
    return {"statuses": {str(status): count for status, count in statuses.items()}, "file_bytes": len(data)}


def bodies(job: dict) -> dict:
    statuses: Counter = Counter()
    stop = time.perf_counter() + job["duration"]
    chunk = b"a" * (1024 * 1024)

    def sender() -> None:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            statuses[post_huge_body(job["host"], job["port"], job["size"], chunk)] += 1
            time.sleep(max(0.0, job["pause"] - (time.perf_counter() - began)))

    threads = [threading.Thread(target=sender) for _ in range(job["senders"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": dict(statuses)}


def post_huge_body(host: str, port: int, size: int, chunk: bytes) -> str:
    """POST {"username": <`size` bytes of text>, "password": "x"} to /api/tokens, unauthenticated;
    the answer's status."""
    head, tail = b'{"username": "', b'", "password": "x"}'
    with socket.create_connection((host, port), timeout=120) as connection:
        connection.sendall(f"POST /api/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {size}\r\n\r\n".encode() + head)
        try:
            remaining = size - len(head) - len(tail)
            while remaining > 0:
                piece = chunk[:remaining]
                connection.sendall(piece)
                remaining -= len(piece)
            connection.sendall(tail)
        except OSError:
            pass  # the server answered and closed before the whole body was sent
        try:
            answer = connection.recv(64)
        except OSError as error:
            return type(error).__name__
    return answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "no answer"


ROLES = {"quiet": quiet, "burst": burst, "paced": paced, "guess": guess, "images": images, "bodies": bodies}

if __name__ == "__main__":
    print(json.dumps(ROLES[sys.argv[1]](json.load(sys.stdin))))
