"""CI smoke of bench/storm.py (issue 15): the reconnect storm runs end to end at a tiny size (50 clients,
SQLite, beside the bare Flask-SocketIO reference) and prints every figure as JSON lines and a table.
It asserts that it works (every client back and resynced, nothing lost, every send acknowledged),
never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts two gunicorn servers: not among the unit tests (README)

ROOT = Path(__file__).resolve().parents[2]
FIGURE_ROWS = 20  # bench/storm.py's FIGURES (with --gc-stats's four), then two rows of counts


def test_the_storm_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "storm.py"), "--clients", "50", "--engines", "sqlite",
         "--group-size", "10", "--sender-directs", "10", "--rate", "20", "--before", "1",
         "--gc-stats", "--json", str(tmp_path / "storm.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [row["variant"] for row in rows] == ["bare-flask-socketio", "sqlite"]
    reference, switchboard = rows
    for row in rows:  # every client cut, back and resynced, with its times measured
        assert row["clients"] == 50 and row["not_back"] == 0 and row["not_resynced"] == 0, row
        assert 0 < row["back_p50_s"] <= row["back_all_s"] <= row["resynced_all_s"], row
        assert row["worker_cpu_s"] >= 0, row
    assert switchboard["sender_sent"] > 0 and switchboard["sender_acknowledged"] == switchboard["sender_sent"]
    assert switchboard["messages_stored"] == switchboard["sender_sent"]  # each acknowledged send stored once
    assert (switchboard["lost"], switchboard["watermarks_behind"], switchboard["sender_never_acknowledged"],
            switchboard["acknowledged_not_stored"]) == (0, 0, 0, 0), switchboard
    assert switchboard["log_errors"] == 0, switchboard
    # The worker's collections from the drop on (bench/gc_stats): young ones always run in a storm; a full one
    # may not at this size, and then no object count is taken.
    assert switchboard["gc_young_s"] > 0 and switchboard["gc_full_collections"] >= 0, switchboard
    assert (switchboard["gc_tracked_max"] is None) == (switchboard["gc_full_collections"] == 0), switchboard
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0] == "| figure | bare-flask-socketio #0 | sqlite #0 |"
    assert len(table) == 2 + FIGURE_ROWS + 2
    for line in table[2:]:  # every figure measured for Switchboard
        if line.startswith("| objects tracked, most |") and switchboard["gc_tracked_max"] is None:
            continue
        assert line.split(" | ")[2].strip(" |") not in ("", "-"), line
    assert table[2].startswith("| all back (s) | ") and "×)" in table[2]  # also as a ratio to the reference's
    assert json.loads((tmp_path / "storm.json").read_text())["rows"] == rows
