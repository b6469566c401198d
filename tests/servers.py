"""Real servers for integration tests: gunicorn (gevent worker) running wsgi:app on a
free 127.0.0.1 port, with its own database and job consumer, started and stopped by the fixtures."""
from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests
import socketio

from config import FAST_PASSWORD_HASH_METHOD

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Production refuses short or sample keys (config.check_secret_key): this one passes, and is only for tests.
LIVE_SECRET_KEY = "live-servers-of-the-integration-tests-only"
PASSWORD = "correct horse battery"  # every live test user's (ChatUser.register's default)
# Every server -> client event the tests' live sockets record (the `connect` fixture's default).
CHAT_EVENTS = ("message:new", "message:updated", "conversation:added", "conversation:removed",
               "conversation:read", "member:joined", "member:left")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception:  # noqa: BLE001  (still starting)
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


def terminate(process: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process is still there after `timeout` seconds."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class JobConsumer:
    """`flask jobs-worker`, the real job consumer process, with the settings of its server."""

    environment: dict
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> JobConsumer:
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([str(VENV_BIN / "flask"), "jobs-worker"], cwd=ROOT, env=self.environment,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: "Huey consumer started" in self.log_text() or self.process.poll() is not None,
                 what="the job consumer")
        if self.process.poll() is not None:
            raise RuntimeError(f"the job consumer exited:\n{self.log_text()}")
        return self

    def stop(self) -> None:
        """SIGTERM, as systemd and scripts/serve stop it: running jobs finish first."""
        terminate(self.process, timeout=40)
        self.process = None
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@functools.cache
def migrated_sqlite_file() -> Path:
    """A SQLite file the real migrations built (tests/database_apps.py), once per test process, in a
    folder removed when the process ends; live servers on SQLite start on copies of it."""
    from tests.database_apps import build_migrated_sqlite

    folder = Path(tempfile.mkdtemp(prefix="switchboard-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return build_migrated_sqlite(folder)


def server_environment(workdir: Path) -> dict:
    """The environment a server (or the worker's entry point) runs with in the tests: production's
    settings, its files in `workdir`."""
    return {
        **os.environ,
        "SWITCHBOARD_ENV": "production",
        "SECRET_KEY": LIVE_SECRET_KEY,
        "ALLOW_INSECURE_HTTP": "1",  # plain HTTP on 127.0.0.1
        # Production settings but for this: tests register and log in users by the hundred.
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH_METHOD,
        # And these limits are off (a test that checks them sets them): users and messages by the hundred.
        "SEND_PER_MINUTE": "0",
        "REGISTRATIONS_PER_HOUR": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'switchboard.db'}",
        "STORAGE_LOCAL_PATH": str(workdir / "files"),
        "JOBS_SQLITE_PATH": str(workdir / "jobs.db"),
        "JOBS_POLL_SECONDS": "0.2",
        "JOBS_RETRY_DELAY_SECONDS": "1",
        "SOCKETIO_ASYNC_MODE": "gevent",
        "HOME": str(workdir),
        "FLASK_APP": "app",
    }


@dataclass
class LiveServer:
    """One gunicorn instance, and its job consumer as scripts/serve runs them (`jobs=False`: none).
    `env` adds settings (DATABASE_URL, SOCKETIO_MESSAGE_QUEUE, ...)."""

    workdir: Path
    env: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    jobs: bool = True
    consumer: JobConsumer | None = None
    graceful_timeout: float = 2  # seconds a SIGTERM leaves for what is in flight (gunicorn.conf.py)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        return {**server_environment(self.workdir), **self.env}

    @contextmanager
    def app_beside(self, **settings) -> Iterator:
        """An app on this server's database and settings (`settings` win) in this process, its context pushed:
        rows changed as the back office or a script in another process changes them, not through the server."""
        from app import create_app
        from extensions import db

        app = create_app(settings or None, environ={**self.environment(), "SOCKETIO_ASYNC_MODE": "threading"})
        with app.app_context():
            yield app
            db.session.remove()

    def migrate(self, with_cli: bool = False) -> None:
        """The database at its latest revision. A new SQLite file is a copy of the one the real
        migrations built once in this test process (`migrated_sqlite_file`: a copy takes a millisecond,
        the command a few seconds); any other database, or `with_cli`, gets `flask db upgrade`, as
        scripts/serve runs it."""
        url = self.environment()["DATABASE_URL"]
        database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if database is not None and not database.exists() and not with_cli:
            database.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(migrated_sqlite_file(), database)
            return
        subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=self.environment(),
                       check=True, capture_output=True)

    def create_operator(self, username: str, password: str) -> None:
        """An operator account in this server's database, as an administrator makes one (flask create-admin)."""
        subprocess.run([str(VENV_BIN / "flask"), "create-admin", username, "--password", password], cwd=ROOT,
                       env=self.environment(), check=True, capture_output=True)

    def operator_token(self, username: str, password: str) -> str:
        """A new operator account (`create_operator`) and an API token it signed in for (POST /api/tokens)."""
        self.create_operator(username, password)
        answer = requests.post(self.url + "/api/tokens", json={"username": username, "password": password}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def start(self) -> LiveServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / f"gunicorn-{self.port}.log", "ab")  # a restarted server's log goes on
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),  # the production settings
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", str(self.graceful_timeout)],
            cwd=ROOT, env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_for(lambda: requests.get(self.url + "/healthz", timeout=1).ok, what=f"gunicorn on {self.port}")
        if self.jobs:
            self.consumer = JobConsumer(self.environment(), self.workdir / f"jobs-{self.port}.log").start()
        return self

    def worker_pids(self) -> list[int]:
        """The gunicorn workers of this instance (the master's children)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def kill_worker(self) -> int:
        """SIGKILL the worker, as the OOM killer or a crash would: no cleanup, no goodbye to its
        sockets. The gunicorn master starts a new one; returns the killed pid."""
        (worker,) = self.worker_pids()
        os.kill(worker, signal.SIGKILL)
        return worker

    def healthy(self) -> bool:
        try:
            return requests.get(self.url + "/healthz", timeout=0.5).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
            self.consumer = None
        terminate(self.process, timeout=10)
        self.process = None
        self.log.close()

    def log_text(self) -> str:
        return (self.workdir / f"gunicorn-{self.port}.log").read_text(errors="replace")

    def answer_after_sigterm(self, request: bytes) -> list[str]:
        """The head lines of the answer to `request` sent after this server's SIGTERM, on a keep-alive connection
        opened before it (still served while the listener is closed, as a proxy's reused upstream connection
        would bring it); the server has exited when this returns."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as kept:
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            healthy = b""
            while not healthy.endswith(b'{"ok":true}\n'):  # its whole answer: the next read is the request's alone
                chunk = kept.recv(4096)
                assert chunk, healthy
                healthy += chunk
            assert healthy.startswith(b"HTTP/1.1 200")
            self.process.terminate()
            wait_for(lambda: not self.healthy(), what="the listener closed")
            kept.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = kept.recv(4096)
                assert chunk, answer
                answer += chunk
        self.process.wait(timeout=30)
        return answer.split(b"\r\n\r\n")[0].decode().split("\r\n")


def own_server(tmp_path_factory, name: str, *, jobs: bool = True, env: dict | None = None,
               migrate_with_cli: bool = False) -> Iterator[LiveServer]:
    """A fixture's body (`yield from own_server(...)`): a migrated gunicorn of its own in a new folder
    `name`, with its job consumer unless `jobs=False` and the settings `env`, stopped after."""
    server = LiveServer(tmp_path_factory.mktemp(name), env=env or {}, jobs=jobs)
    server.migrate(with_cli=migrate_with_cli)
    yield server.start()
    server.stop()


def start_instances(workdirs: list[Path], env: dict, jobs: bool = True) -> list[LiveServer]:
    """gunicorn instances sharing the database and bus of `env`, as a scaled-out deployment
    runs them; the database is migrated once."""
    servers = [LiveServer(workdir, env=env, jobs=jobs) for workdir in workdirs]
    servers[0].migrate()
    return [server.start() for server in servers]


def instances_over_redis(tmp_path_factory, name: str, env: dict | None = None) -> Iterator[list[LiveServer]]:
    """A fixture's body (`yield from instances_over_redis(...)`): a Redis of its own (no other test's
    frames) and two instances sharing it and one SQLite database, without job consumers, with the
    settings `env`; all stopped after."""
    from tests.engines import RedisServer

    redis_server = RedisServer(tmp_path_factory.mktemp(f"{name}-redis")).start()
    shared = tmp_path_factory.mktemp(f"{name}-shared")
    servers = start_instances([tmp_path_factory.mktemp(f"{name}-a"), tmp_path_factory.mktemp(f"{name}-b")],
                              {"DATABASE_URL": f"sqlite:///{shared / 'switchboard.db'}",
                               "SOCKETIO_MESSAGE_QUEUE": redis_server.url, **(env or {})}, jobs=False)
    yield servers
    for server in servers:
        server.stop()
    redis_server.stop()


@dataclass
class ChatUser:
    """A registered user of a live server, with a bearer token and helpers for REST and sockets."""

    server_url: str
    username: str
    token: str
    id: int

    @classmethod
    def register(cls, server_url: str, name: str | None = None, password: str = PASSWORD):
        username = name or f"u{uuid.uuid4().hex[:10]}"
        response = requests.post(f"{server_url}/api/accounts", json={"username": username, "password": password},
                                 timeout=10)
        response.raise_for_status()
        body = response.json()
        return cls(server_url, username, body["token"], body["user"]["id"])

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.server_url + "/api" + path, headers=self.headers, timeout=10, **kwargs)

    def socket(self, events: tuple[str, ...] = ("message:new", "message:updated")) -> RecordingSocket:
        return RecordingSocket.connect(self.server_url, self.token, events)

    def on(self, server_url: str) -> ChatUser:
        """The same user with the same token, on another instance of a scaled-out deployment."""
        return replace(self, server_url=server_url)


class RecordingSocket:
    """A python-socketio client over the websocket transport that records the events it receives."""

    def __init__(self, client: socketio.Client, events: tuple[str, ...]):
        self.client = client
        self.received: dict[str, list] = {event: [] for event in events}
        for event in events:
            client.on(event, self._recorder(event))

    def _recorder(self, event: str):
        def record(payload):
            self.received[event].append(payload)
        return record

    @classmethod
    def connect(cls, server_url: str, token: str, events: tuple[str, ...]) -> RecordingSocket:
        client = socketio.Client(reconnection=False)
        recording = cls(client, events)
        client.connect(server_url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        return recording

    def call(self, event: str, payload: dict, timeout: float = 10):
        return self.client.call(event, payload, timeout=timeout)

    def disconnect(self) -> None:
        if self.client.connected:
            self.client.disconnect()


# A browser as the live tests drive it without a real one: a requests session logged in through the
# login form, its cookies copied as a thief would, python-socketio clients opened on them as the page does.
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


class Browser:
    """A browser: a requests session logged in through the login form (CSRF token and all)."""

    def __init__(self, server: LiveServer, username: str, password: str = PASSWORD, login: bool = True):
        self.server = server
        self.http = requests.Session()
        self.http.headers["User-Agent"] = FIREFOX
        self.sockets: list[socketio.Client] = []
        if login:
            page = self.http.get(server.url + "/login", timeout=10)
            response = self.http.post(server.url + "/login", timeout=10, allow_redirects=False, data={
                "username": username, "password": password, "csrf_token": csrf_in(page.text)})
            assert response.status_code == 302, response.text[:300]

    def copy(self, *names: str) -> Browser:
        """Another browser holding copies of these cookies (all of them by default)."""
        thief = Browser(self.server, "", login=False)
        for cookie in self.http.cookies:
            if not names or cookie.name in names:
                thief.http.cookies.set(cookie.name, cookie.value)
        return thief

    def me(self) -> int:
        return self.http.get(self.server.url + "/api/me", timeout=10).status_code

    def csrf(self) -> str:
        page = self.http.get(self.server.url + "/settings", timeout=10)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.server.url + "/api" + path, headers={"X-CSRFToken": self.csrf()},
                                 timeout=10, **kwargs)

    def post_form(self, page: str, action: str, **form) -> requests.Response:
        opened = self.http.get(self.server.url + page, timeout=10)
        assert opened.status_code == 200, opened.status_code
        return self.http.post(self.server.url + action, data={**form, "csrf_token": csrf_in(opened.text)},
                              timeout=30, allow_redirects=False)

    def session_id(self) -> str:
        (current,) = [one["id"] for one in self.api("GET", "/sessions").json()["sessions"] if one["current"]]
        return current

    def socket(self, server_url: str | None = None) -> socketio.Client:
        """The chat page's socket: opened with this browser's cookies, as a page does (on another
        instance of a scaled-out deployment with `server_url`)."""
        client = socketio.Client(reconnection=False)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.http.cookies)
        client.connect(server_url or self.server.url, headers={"Cookie": cookies}, transports=["websocket"],
                       wait_timeout=10)
        self.sockets.append(client)
        return client

    def close(self) -> None:
        for client in self.sockets:
            if client.connected:
                client.disconnect()


def csrf_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def round_trip(client: socketio.Client, group_id: int) -> None:
    """The socket still works: a message sent on it is stored and acknowledged."""
    ack = client.call("message:send", {"conversation_id": group_id, "body": "still here",
                                       "client_id": uuid.uuid4().hex}, timeout=10)
    assert ack["ok"] is True, ack


def cut(client: socketio.Client) -> bool:
    wait_for(lambda: not client.connected, timeout=10, what="the socket to be cut")
    return True
