"""The benchmark's own virtualenvs, built on first use and rebuilt when their requirements change.

gevent-websocket must never reach the app's `.venv`: python-engineio switches to it as soon as
it is importable, which would change the server under every other test run.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
STAMP = ".requirements-sha256"


def _requirements_digest(requirements: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in requirements:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv(name: str, requirements: Path, also_hashed: tuple[Path, ...] = ()) -> Path:
    """Return bench/<name>/bin, creating the venv and installing `requirements` when needed."""
    venv = BENCH / name
    digest = _requirements_digest([requirements, *also_hashed])
    stamp = venv / STAMP
    if stamp.exists() and stamp.read_text().strip() == digest:
        return venv / "bin"
    print(f"[bench] building {venv.relative_to(ROOT)} from {requirements.relative_to(ROOT)} ...", flush=True)
    # The same interpreter as the app's .venv, so both servers run the same Python.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True)
    stamp.write_text(digest + "\n")
    return venv / "bin"


def client_venv() -> Path:
    """bench/.venv-client: python-socketio's asyncio client, for the load generator."""
    return ensure_venv(".venv-client", BENCH / "requirements-client.txt")


def gevent_websocket_venv() -> Path:
    """bench/.venv-gws: the app's requirements plus gevent-websocket."""
    return ensure_venv(".venv-gws", BENCH / "requirements-gws.txt", also_hashed=(ROOT / "requirements.txt",))


def websocket_server_of(venv_bin: Path) -> str:
    """Which websocket server python-engineio's gevent driver picks in that venv."""
    probe = ("import engineio.async_drivers.gevent as driver; "
             "print('simple-websocket' if driver.SimpleWebSocketWSGI else 'gevent-websocket')")
    return subprocess.run([str(venv_bin / "python"), "-c", probe], check=True, capture_output=True,
                          text=True).stdout.strip()
