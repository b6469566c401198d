"""What every benchmark session shares: the arguments --db-dir and --json, the machine it ran on, its
results written as JSON, and servers stopped on SIGTERM as on Ctrl-C."""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# Where the servers' temporary folders (SQLite, logs) go: memory where there is /dev/shm.
DEFAULT_DB_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    """`--db-dir` and `--json` (what write_results reads), which every session takes."""
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR,
                        help=f"where the servers' temporary folders (SQLite, logs) go (default {DEFAULT_DB_DIR})")
    parser.add_argument("--json", type=Path, help="also write the raw results there")


def machine_description() -> dict:
    cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.machine())
    return {"cpus": os.cpu_count(), "cpu_model": cpu_model, "python": platform.python_version(),
            "kernel": platform.release(), "load_average_at_start": os.getloadavg()}


def write_results(arguments: argparse.Namespace, **results) -> None:
    """The session's arguments and results as JSON at `--json`, if given."""
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps({"arguments": {k: str(v) for k, v in vars(arguments).items()},
                                              **results}, indent=1))


def run(main: Callable[[], int]) -> None:
    """Run a session's main; SIGTERM unwinds through its `finally`s (which stop the servers) like Ctrl-C."""
    signal.signal(signal.SIGTERM, _stop_on_signal)
    sys.exit(main())


def _stop_on_signal(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def raise_open_file_limit() -> None:
    """The open-file limit's soft value up to its hard value, as Switchboard's gunicorn.conf.py does for
    itself (on_starting), for a server or load generator started with it as preexec_fn: with the usual
    soft 1,024 a reference could hold no more connections (one descriptor each)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def stop_process(process: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds; nothing if it is gone already."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
