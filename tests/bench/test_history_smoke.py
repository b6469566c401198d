"""CI smoke of bench/history.py (issue 15): the scenario runs end to end at a small size (20,000
messages beside 1,000) on SQLite, seeding through bench/seed.py and measuring every kind of request
over REST and Socket.IO, and prints its figures as JSON lines and a table. It asserts that it works
and that every figure was measured, never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts a gunicorn server: not among the unit tests (README)

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("client_p50_ms", "client_p99_ms", "server_p50_ms", "server_p99_ms", "cpu_us_per_request")


def test_the_history_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "history.py"), "--messages", "20000", "--others", "1",
         "--other-messages", "1000", "--engines", "sqlite", "--rounds", "2", "--block", "3",
         "--json", str(tmp_path / "history.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    kinds = {row["kind"] for row in rows}
    assert len(kinds) == 10 and {"conversation list (REST)", "history page (socket)", "resync large gap (socket)",
                                 "around (REST)"} <= kinds
    assert {(row["kind"], row["size"]) for row in rows} == {(kind, size) for kind in kinds
                                                           for size in ("big", "reference")}
    for row in rows:  # every request answered, every figure measured (the server's from its own log)
        assert row["failed"] == 0 and row["requests"] == 6, row
        assert all(row[figure] is not None for figure in FIGURES), row
        assert row["messages"] == (20000 if row["size"] == "big" else 1000), row
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(kinds)
    assert json.loads((tmp_path / "history.json").read_text())["rows"] == rows
