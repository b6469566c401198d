"""One real Switchboard server for the benchmark: gunicorn, one worker, on a free 127.0.0.1 port,
with its own SQLite database and job queue in a temporary folder, optionally its job consumer
(`jobs=True`) and the code of another checkout (`app_dir`, e.g. a `git worktree` of an older
commit, served from the same venv); the users and group the benchmark needs."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from session import stop_process

ROOT = Path(__file__).resolve().parent.parent

# What `-k` gunicorn needs for each websocket server python-engineio can use under gevent.
WORKER_CLASSES = {
    "simple": "gevent",
    "gws": "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (requests.RequestException, OSError):
            pass  # still starting
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class Audience:
    """One group with a sender and `receivers` other members, and everyone's bearer token."""

    conversation_id: int
    sender_token: str
    receiver_tokens: list[str]


@dataclass
class BenchServer:
    """gunicorn from `venv_bin` with the worker class of `variant`; stop() ends it and its worker."""

    variant: str
    venv_bin: Path
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    app_dir: Path = ROOT
    env: dict = field(default_factory=dict)  # settings on top of the benchmark's own
    jobs: bool = False  # also run `flask jobs-worker`, as production does
    # Serve with gunicorn.conf.py, the documented command (worker_connections, the open-file limit),
    # instead of the bare command line below (gunicorn's defaults: 1,000 connections).
    config_file: bool = False
    consumer: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        return {
            **os.environ,
            "SWITCHBOARD_ENV": "production",
            "SECRET_KEY": "benchmark-server-key-not-for-any-real-deployment",
            "ALLOW_INSECURE_HTTP": "1",  # plain HTTP on 127.0.0.1
            "DATABASE_URL": f"sqlite:///{self.workdir / 'switchboard.db'}",
            "STORAGE_LOCAL_PATH": str(self.workdir / "files"),
            "JOBS_SQLITE_PATH": str(self.workdir / "jobs.db"),
            "SOCKETIO_ASYNC_MODE": "gevent",
            "SOCKETIO_MESSAGE_QUEUE": "",
            "FLASK_APP": "app",
            # Benchmarks register users and send messages by the thousand: these limits are off unless a
            # benchmark sets them (bench/abuse.py measures with them on).
            "SEND_PER_MINUTE": "0",
            "REGISTRATIONS_PER_HOUR": "0",
            **self.env,
        }

    def start(self) -> BenchServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(self.venv_bin / "flask"), "db", "upgrade"], cwd=self.app_dir, env=self.environment(),
                       check=True, capture_output=True, timeout=120)
        self.log = open(self.workdir / "gunicorn.log", "wb")
        command = [str(self.venv_bin / "gunicorn"), "--worker-class", WORKER_CLASSES[self.variant], "--workers", "1",
                   "--no-control-socket", "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "wsgi:app"]
        if self.config_file:
            command = [str(self.venv_bin / "gunicorn"), "--config", "gunicorn.conf.py",
                       "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2"]
        self.process = subprocess.Popen(
            command,
            cwd=self.app_dir, env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_until(lambda: requests.get(self.url + "/healthz", timeout=1).ok, 60, f"{self.variant} server")
        if self.jobs:
            self.consumer = subprocess.Popen([str(self.venv_bin / "flask"), "jobs-worker"], cwd=self.app_dir,
                                             env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def worker_pid(self) -> int:
        return gunicorn_worker_pid(self.process)

    def stop(self) -> None:
        for process in (self.consumer, self.process):
            stop_process(process)
        if self.process is not None:
            self.log.close()
        self.process = self.consumer = None

    def log_tail(self, lines: int = 30) -> str:
        text = (self.workdir / "gunicorn.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def create_audience(self, receivers: int) -> Audience:
        """Register a sender and `receivers` users, and a group with all of them (POST /api/groups)."""
        session = requests.Session()
        tokens, ids = [], []
        for _ in range(receivers + 1):
            response = session.post(f"{self.url}/api/accounts", timeout=30, json={
                "username": f"b{uuid.uuid4().hex[:12]}", "password": "bench password 1234"})
            response.raise_for_status()
            body = response.json()
            tokens.append(body["token"])
            ids.append(body["user"]["id"])
        response = session.post(f"{self.url}/api/groups", timeout=30,
                                headers={"Authorization": f"Bearer {tokens[0]}"},
                                json={"name": "fan-out bench", "member_ids": ids[1:]})
        response.raise_for_status()
        return Audience(response.json()["conversation"]["id"], tokens[0], tokens[1:])


def api_post(http: requests.Session, url: str, path: str, body: dict, token: str | None = None) -> dict:
    """A population request's JSON answer, sent again after a second when answered 503 `unavailable`, as
    docs/protocol.md tells a client to: a 503 changed nothing, so the same request goes again."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for _attempt in range(4):
        response = http.post(url + path, json=body, headers=headers, timeout=60)
        if response.status_code != 503 or response.json()["error"]["code"] != "unavailable":
            break
        print(f"[bench] {path} answered unavailable: sent again", file=sys.stderr)
        time.sleep(1)
    response.raise_for_status()
    return response.json()


def gunicorn_worker_pid(master: subprocess.Popen) -> int:
    """The gunicorn worker (the master's only child): the process whose CPU time we read."""
    return wait_until(lambda: _only_child(master.pid), 10, "the gunicorn worker")


def _only_child(pid: int) -> int | None:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the 2nd field after the parenthesised command name.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children[0] if len(children) == 1 else None
