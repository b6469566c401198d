"""Real Redis and PostgreSQL servers for tests, on 127.0.0.1 free ports, in temporary folders.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import free_port, terminate, wait_for

LOCK_WAITS = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
              "AND (%(name)s::text IS NULL OR application_name = %(name)s)")
PG_BIN_CANDIDATES = [*sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True), "/usr/local/bin", "/usr/bin"]


def _pg_tool(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


class RedisServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: redis.Redis.from_url(self.url).ping(), what="redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class PostgresServer:
    """A throwaway cluster. Its folder is made under the system temp dir, not pytest's
    (pytest's is private to root, and the server runs as `postgres` when we are root)."""

    def __init__(self, database: str = "switchboard"):
        self.workdir = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
        self.datadir = self.workdir / "pgdata"
        self.port = free_port()
        self.database = database
        self.user = "switchboard"
        self.process: subprocess.Popen | None = None
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, command: list[str], **kwargs):
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.workdir, "postgres", "postgres")
            self.workdir.chmod(0o700)
        subprocess.run(self._run([_pg_tool("initdb"), "-D", str(self.datadir), "-A", "trust", "-U", self.user,
                                  "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
        self._serve()
        subprocess.run(self._run([_pg_tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                                  self.database]), check=True, capture_output=True)
        return self

    def _serve(self) -> None:
        self.process = subprocess.Popen(
            self._run([_pg_tool("postgres"), "-D", str(self.datadir), "-p", str(self.port), "-h", "127.0.0.1",
                       "-k", str(self.workdir), "-c", "fsync=off", "-c", "full_page_writes=off"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._ready, what="postgres")

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server (fast shutdown: open connections cut), then start it again on the same data
        and port after `down_seconds`."""
        self._fast_shutdown()
        time.sleep(down_seconds)
        self._serve()

    def create_database(self, name: str) -> str:
        """Another database in the same cluster (for servers that must not share one); its URL."""
        subprocess.run(self._run([_pg_tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                                  name]), check=True, capture_output=True)
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def _ready(self) -> bool:
        check = subprocess.run([_pg_tool("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                               capture_output=True)
        return check.returncode == 0

    def _fast_shutdown(self) -> None:
        """pg_ctl's fast shutdown: open connections are cut, and the server is gone when it returns."""
        subprocess.run(self._run([_pg_tool("pg_ctl"), "stop", "-m", "fast", "-D", str(self.datadir)]), check=True,
                       capture_output=True)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """A fast shutdown. (A SIGTERM is a smart one, which waits for the clients to leave: a test's pool
        never does, and `runuser` killed the server after 2 s.)"""
        if self.process is not None:
            try:
                self._fast_shutdown()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                terminate(self.process, timeout=15)
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def lock_waits(database_url: str, application_name: str | None = None) -> int:
    """How many statements wait on a lock in the cluster (only one server's, by its connections'
    application_name). Read on a connection of its own, each reading its own transaction: PostgreSQL shows the
    same pg_stat_activity for the whole of a transaction, so the connection that holds the lock (in one) would
    see its first reading again and again."""
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(LOCK_WAITS, {"name": application_name}).fetchone()[0]
