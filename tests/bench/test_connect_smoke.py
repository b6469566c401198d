"""CI smoke of bench/connect.py (issue 15): the scenario runs end to end at a tiny size against the three
servers (the bare Flask-SocketIO reference, the bare Node socket.io reference (bench/node, npm ci on
first use) and Switchboard with the documented gunicorn command) and prints its figures as JSON lines
and a table. It asserts that it works, never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts two gunicorn servers: not among the unit tests (README)

ROOT = Path(__file__).resolve().parents[2]


def test_the_connect_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "connect.py"), "--steps", "12,30", "--users", "3", "--repeats", "1",
         "--warmup", "4", "--settle", "0.2", "--json", str(tmp_path / "connect.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(row["variant"], row["connections"]) for row in rows} == {
        (variant, step) for variant in ("bare-flask-socketio", "bare-node", "switchboard") for step in (12, 30)}
    for row in rows:  # every connect authenticated and held; each figure measured
        assert row["failed"] == 0 and row["opened"] > 0, row
        assert row["connects_per_s"] > 0 and row["cpu_us_per_connect"] is not None and row["rss_kb"] > 0, row
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0] == ("| connections | figure | bare-flask-socketio | bare-node | switchboard | "
                        "bare-node / reference | switchboard / reference |")
    assert len(table) == 2 + 2 * 3  # header, rule, three figures per step
    assert json.loads((tmp_path / "connect.json").read_text())["rows"] == rows
