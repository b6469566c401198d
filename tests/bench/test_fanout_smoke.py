"""CI smoke of bench/fanout.py's compression comparison (issue 15): at a tiny size, the bare Flask-SocketIO
reference and Switchboard with the default WEBSOCKET_COMPRESSION, clients offering permessage-deflate as
browsers do; every run delivers every message once and every figure is printed; with --cpu-profile each
Python server's measured run leaves its CPU-time profile (bench/cpu_sampler). Never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts two gunicorn servers: not among the unit tests (README)

ROOT = Path(__file__).resolve().parents[2]
METRICS = ("deliveries/s", "ack p99 ms", "fan-out p99 ms", "server CPU us/delivery", "client CPU share")


def test_the_fanout_benchmark_compares_compression_choices_to_the_bare_server(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fanout.py"), "--clients", "3", "--messages", "4", "--repeats", "1",
         "--warmup-messages", "2", "--window", "2", "--bare", "--deflate", "--compression", "1024",
         "--json", str(tmp_path / "fanout.json"), "--cpu-profile", str(tmp_path / "profiles")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    runs = json.loads((tmp_path / "fanout.json").read_text())["runs"]
    assert list(runs) == ["bare", "sb-1024"]
    for series in runs.values():
        (run,) = series
        assert [phase["window"] for phase in run["phases"]] == [1, 2]
        for phase in run["phases"]:  # everyone got every message, once; each figure measured
            assert (phase["receivers"], phase["messages"], phase["failed_acks"], phase["duplicates"]) == (3, 4, 0, 0)
            assert phase["deliveries_per_s"] > 0 and phase["server_cpu_s"] >= 0
    lines = result.stdout.splitlines()
    for metric in METRICS:
        rows = [line for line in lines if line.startswith(metric)]
        assert len(rows) == 2, metric  # one per phase: two medians and the ratio to the reference, its range
        # and (but for the CPU shares, which are neither better nor worse) in how many pairs it did better
        assert all(len(row[len(metric):].split()) == 5 - (metric == "client CPU share") for row in rows), rows
    assert "sb-1024/bare" in result.stdout
    # one profile per server and measured run, in py-spy's raw format (bench/profile_top.py reads it)
    assert sorted(path.name for path in (tmp_path / "profiles").iterdir()) == ["bare-run0.txt", "sb-1024-run0.txt"]
    for profile in (tmp_path / "profiles").iterdir():
        for line in profile.read_text().splitlines():
            stack, count = line.rsplit(" ", 1)
            assert int(count) > 0 and stack.endswith(")"), line
