"""Graceful shutdown and rolling restarts, on two instances over PostgreSQL + Redis started with
gunicorn.conf.py. SIGTERM: the instance stops accepting, finishes the HTTP request and the socket
event in flight (the event's ack is written, its changes fanned out), then closes its sockets, whose
clients reconnect to the other instance and resync; nothing is left for graceful_timeout to cut. A rolling
restart of both instances under load loses no acknowledged message."""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
import requests
import socketio

from tests.engines import PostgresServer, RedisServer, lock_waits
from tests.faults.conftest import SmallChat, server_faults
from tests.integration.chat import create_group, history
from tests.servers import ROOT, ChatUser, LiveServer, free_port, wait_for
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

GRACEFUL_SECONDS = 8
USERS = 6
SECONDS = 8.0
RESTARTS = (0.25, 0.55)  # of the writing period: SIGTERM to the first instance, then to the second


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("graceful-redis")).start()
    env = {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url}
    instances = [LiveServer(tmp_path_factory.mktemp(f"graceful-{index}"), env=env, jobs=False,
                            graceful_timeout=GRACEFUL_SECONDS) for index in (1, 2)]
    instances[0].migrate()
    yield [instance.start() for instance in instances], postgres
    for instance in instances:
        if instance.process is not None:
            instance.stop()
    redis.stop()
    postgres.stop()


def sigterm(server: LiveServer) -> None:
    """SIGTERM to the instance's master, as systemd stops a service."""
    server.process.terminate()


def restart_when_exited(server: LiveServer) -> bool:
    """Once the SIGTERMed instance has exited, start it again on its port (its log goes on)."""
    if server.process.poll() is None:
        return False
    server.log.close()
    server.process = None
    server.start()
    return True


def shutdown_lines(server: LiveServer) -> list[str]:
    return [line for line in server.log_text().splitlines() if "shutting down: closed" in line]


def half_sent_post(server: LiveServer, user: ChatUser, conversation_id: int, body: str) -> tuple[socket.socket, bytes]:
    """A REST send whose body is half sent: the request is in flight until the rest comes."""
    payload = json.dumps({"body": body, "client_id": "across-the-sigterm"}).encode()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    raw.sendall((f"POST /api/conversations/{conversation_id}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {user.token}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload[:10])
    return raw, payload[10:]


def read_status(raw: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = raw.recv(4096)
        assert chunk, "the connection closed without an answer"
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_sigterm_finishes_what_is_in_flight_then_sends_clients_elsewhere(deployment):
    (first, second), postgres = deployment
    alice, bob = ChatUser.register(first.url), ChatUser.register(first.url)
    group_id = create_group(alice, (bob,))
    hub = WireHub()
    leaving = hub.connect(first.url, alice.token, "alice@first")
    staying = hub.connect(second.url, bob.token, "bob@second")
    locker = psycopg.connect(postgres.url)
    try:
        # The send will wait for the conversation's row, which the test holds: it is in flight at the SIGTERM.
        locker.execute("SELECT id FROM conversations WHERE id = %s FOR UPDATE", (group_id,))
        send = leaving.emit("message:send", {"conversation_id": group_id, "body": "sent across the SIGTERM",
                                             "client_id": "socket-across"}, client_id="socket-across")
        wait_for(lambda: lock_waits(postgres.url) == 1, what="the send waiting")
        raw, rest = half_sent_post(first, alice, group_id, "posted across the SIGTERM")
        sigterm(first)
        wait_for(lambda: not first.healthy(), what="the listener closed")  # no new connection is accepted
        assert leaving.connected and not send.answered  # the event in flight holds its connection open
    finally:
        locker.rollback()
        locker.close()
    raw.sendall(rest)
    assert read_status(raw) == 201  # the request in flight was finished
    raw.close()
    hub.pump(lambda: not leaving.connected, what="the leaving instance closing the socket")
    assert send.answer["ok"] is True  # answered before the close
    kinds = [frame.kind for frame in leaving.frames]
    assert kinds.index("ack") < kinds.index("disconnect")
    hub.pump(lambda: {frame.payload["message"]["body"] for frame in staying.events("message:new")}
             == {"sent across the SIGTERM", "posted across the SIGTERM"}, what="both fanned out to the other instance")
    first.process.wait(timeout=GRACEFUL_SECONDS + 20)  # its exit itself may take a while on a busy machine
    assert "Worker graceful timeout" not in first.log_text()  # it had nothing left to cut at graceful_timeout
    assert shutdown_lines(first) and server_faults(first) == []

    again = hub.connect(second.url, alice.token, "alice@second")  # the client goes on at the other instance
    assert again.connected
    assert [message["body"] for message in history(replace(alice, server_url=second.url), group_id)] == [
        "sent across the SIGTERM", "posted across the SIGTERM"]
    hub.close()
    first.log.close()
    first.process = None
    first.start()


def test_a_rolling_restart_under_load_loses_no_acknowledged_message(deployment):
    servers, _postgres = deployment
    chat = SmallChat.start(servers[0].url, USERS, random.Random(29))
    stopping: list[LiveServer] = []

    def step(writing: bool) -> None:
        up = [server for server in servers if server not in stopping]
        for client in chat.clients:
            client.step(up, writing=writing)
        chat.hub.pump_once(0.005)

    try:
        started = time.monotonic()
        pending_restarts = [(started + at * SECONDS, server) for at, server in zip(RESTARTS, servers, strict=True)]
        # One instance at a time, the next once the one before is back (however long that takes on a slow
        # machine), and the clients writing until the last is back.
        while (restarting := bool(pending_restarts or stopping)) or time.monotonic() < started + SECONDS:
            if pending_restarts and not stopping and time.monotonic() >= pending_restarts[0][0]:
                _at, server = pending_restarts.pop(0)
                sigterm(server)
                stopping.append(server)
            for server in list(stopping):
                if restart_when_exited(server):
                    stopping.remove(server)
            step(writing=restarting or time.monotonic() < started + SECONDS)
        chat.finish(step)

        tally = chat.tally
        print(f"\nRolling restart: {tally.sends} sends ({tally.retries} retries, {tally.duplicates} duplicates), "
              f"{tally.edits} edits, {tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs")
        assert tally.connects > USERS  # the clients of each stopped instance reconnected elsewhere
        # Every send an instance ran before closing had its ack delivered: a retry never finds one stored.
        assert tally.duplicates == 0
        for server in servers:
            assert len(shutdown_lines(server)) >= 1
            assert "Worker graceful timeout" not in server.log_text()  # closed its sockets, did not wait to be cut
            assert server_faults(server) == []
        chat.check()
    finally:
        chat.hub.close()


class NginxFront:
    """nginx running the shipped site (deploy/nginx/switchboard.conf) in front of the two instances:
    its ports, certificate and upstream addresses swapped for the test's, nothing else."""

    def __init__(self, workdir: Path, instances: list[LiveServer]) -> None:
        self.workdir, self.http_port, self.https_port = workdir, free_port(), free_port()
        site = (ROOT / "deploy" / "nginx" / "switchboard.conf").read_text()
        upstreams = re.findall(r"server (?:127\.0\.0\.1|10\.0\.0\.\d+):8001", site)
        assert len(upstreams) == len(instances) == 2
        for upstream, instance in zip(upstreams, instances, strict=True):
            site = site.replace(upstream, f"server 127.0.0.1:{instance.port}")
        site = (site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};").replace("listen [::]:80;", "")
                .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;")
                .replace("listen [::]:443 ssl http2;", "")
                .replace("/etc/letsencrypt/live/chat.example.org/fullchain.pem", str(workdir / "cert.pem"))
                .replace("/etc/letsencrypt/live/chat.example.org/privkey.pem", str(workdir / "key.pem"))
                .replace("/var/www/letsencrypt", str(workdir)))
        (workdir / "site.conf").write_text(site)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=chat.example.org", "-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem")],
                       check=True, capture_output=True)
        temp = "".join(f"{kind}_temp_path {workdir / kind};\n" for kind in
                       ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (workdir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "") +
            f"pid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\nevents {{}}\n"
            f"http {{\naccess_log off;\n{temp}include {workdir / 'site.conf'};\n}}\n")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def start(self) -> NginxFront:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-c", str(self.workdir / "nginx.conf"), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: requests.get(self.url + "/healthz", verify=False, timeout=1).ok, what="nginx")
        return self

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def connects_logged(server: LiveServer) -> int:
    return server.log_text().count("socket connect ok")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # the test's own certificate
def test_through_the_shipped_nginx_site_clients_move_to_the_other_instance(deployment, tmp_path):
    """TLS, the WebSocket upgrade and the upstream of deploy/nginx/switchboard.conf, for real: a
    python-socketio client connected through nginx reconnects by itself when its instance stops, and
    nginx sends it to the other one."""
    servers, _postgres = deployment
    front = NginxFront(tmp_path, servers).start()
    client = socketio.Client(ssl_verify=False, reconnection_delay=0.1, reconnection_delay_max=0.5)
    connects: list[float] = []
    client.on("connect", lambda: connects.append(time.monotonic()))
    try:
        plain = requests.get(f"http://127.0.0.1:{front.http_port}/login", allow_redirects=False, timeout=5)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        user = replace(ChatUser.register(servers[0].url), server_url=front.url)
        before = [connects_logged(server) for server in servers]
        client.connect(front.url, auth={"token": user.token}, transports=["websocket"], wait_timeout=10)
        (holding,) = [server for server, count in zip(servers, before, strict=True) if connects_logged(server) > count]
        other = next(server for server in servers if server is not holding)

        sigterm(holding)
        wait_for(lambda: len(connects) >= 2 and client.connected, timeout=20, what="the reconnection through nginx")
        assert client.call("conversations:list", {}, timeout=10)["ok"] is True
        assert connects_logged(other) > before[servers.index(other)]  # nginx sent it to the other instance
        assert holding.process.wait(timeout=GRACEFUL_SECONDS + 20) == 0
        assert "Worker graceful timeout" not in holding.log_text()
    finally:
        client.disconnect()
        front.stop()
        for server in servers:
            if server.process is not None and server.process.poll() is not None:
                restart_when_exited(server)
