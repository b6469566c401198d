"""The benchmark's Node pieces (bench/node/): their npm packages installed on first use, the bare
socket.io 4 reference server, and the command of the Node load generator (issue 15).

bench/node/node_modules is installed with `npm ci` from bench/node/package-lock.json, again whenever
the lock file changes (as bench/venvs.py rebuilds a venv when its requirements change); it is not
the page's packages (the repository's package.json, installed by scripts/bootstrap).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests
from server import free_port, wait_until
from session import raise_open_file_limit, stop_process

NODE_DIR = Path(__file__).resolve().parent / "node"
LOCK_FILE = NODE_DIR / "package-lock.json"
STAMP = NODE_DIR / "node_modules" / ".lock-sha256"


def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        raise SystemExit("the Node reference and load generator need Node.js (`node`) and npm on the PATH")
    return found


def ensure_node_modules() -> Path:
    """bench/node/node_modules as bench/node/package-lock.json says, installed if it is not yet."""
    digest = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return NODE_DIR / "node_modules"
    # Two sessions starting at once must not run npm ci over each other.
    with open(NODE_DIR / ".install.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not (STAMP.exists() and STAMP.read_text().strip() == digest):
            print("[bench] installing bench/node/node_modules (npm ci) ...", file=sys.stderr, flush=True)
            # npm's own lines to stderr: a scenario's stdout carries its JSON lines and table
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                           timeout=600, stdout=sys.stderr)
            STAMP.write_text(digest + "\n")
    return NODE_DIR / "node_modules"


def write_table(path: Path, tokens: dict[str, int], conversations: dict[int, list[int]]) -> Path:
    """The references' table (BARE_TABLE): who a token is, and which users each conversation has."""
    path.write_text(json.dumps({"tokens": tokens, "conversations": {str(key): value
                                                                    for key, value in conversations.items()}}))
    return path


class NodeReference:
    """bench/node/reference-server.js: one Node process, the open-file limit raised as the others'.
    Without a table: the tokens `bare-0` ... for `users` users, as bench/bare_server.py."""

    variant = "bare-node"

    def __init__(self, workdir: Path, users: int = 1000, table: Path | None = None) -> None:
        self.port, self.workdir, self.users, self.table = free_port(), workdir, users, table
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> NodeReference:
        ensure_node_modules()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / "node-reference.log", "wb")
        command = [node_binary(), str(NODE_DIR / "reference-server.js"), "--port", str(self.port),
                   "--users", str(self.users), *(["--table", str(self.table)] if self.table else [])]
        self.process = subprocess.Popen(command, cwd=NODE_DIR, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=raise_open_file_limit)
        try:
            wait_until(lambda: requests.get(self.url + "/healthz", timeout=1).ok, 60, "the Node reference")
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"the Node reference did not start:\n{self.log_tail()}") from None
        return self

    def tokens(self) -> list[str]:
        return [f"bare-{number}" for number in range(self.users)]

    def worker_pid(self) -> int:
        """The process that serves (Node's one event loop): the one whose CPU time is measured."""
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)
        if self.process is not None:
            self.log.close()
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join((self.workdir / "node-reference.log").read_text(errors="replace").splitlines()[-lines:])


def load_generator(mode: str, *arguments: str) -> list[str]:
    """The command of bench/node/load.js in `mode` (connect or fanout), its packages installed."""
    ensure_node_modules()
    return [node_binary(), str(NODE_DIR / "load.js"), mode, *arguments]


def default_processes() -> int:
    """Load generator processes: two on this 2-core machine (each kept under ~70% of a core at the
    scenarios' sizes, as every result's client_cpu_shares shows), never more than the cores."""
    return max(1, min(2, os.cpu_count() or 1))
