"""CI smoke of bench/send.py (issue 15): the send scenario runs end to end at a tiny size against
the bare Flask-SocketIO reference and Switchboard on SQLite and on PostgreSQL, and prints every
figure as JSON lines and a table. It asserts that it works (every send acknowledged, each figure
measured), never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts gunicorn servers and PostgreSQL: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("bare-flask-socketio", "switchboard-sqlite", "switchboard-postgresql")
PHASES = ("saturation", "50% of saturation", "5/s")  # 5/s: below any saturation, however loaded the machine


def test_the_send_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "send.py"), "--senders", "2", "--window", "2", "--seconds", "1",
         "--warmup-seconds", "0.3", "--rates", "0.5,5", "--repeats", "1", "--json", str(tmp_path / "send.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(row["variant"], row["phase"]) for row in rows} == {
        (variant, phase) for variant in VARIANTS for phase in PHASES}
    for row in rows:  # every send acknowledged as stored, every figure measured
        assert "skipped" not in row and row["failed"] == {} and row["unanswered"] == 0, row
        assert row["acked"] > 0 and row["acked_per_s"] > 0 and row["cpu_us_per_message"] is not None, row
        assert row["ack_ms_p50"] is not None and row["ack_ms_p99"] >= row["ack_ms_p50"], row
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0] == ("| phase | figure | " + " | ".join(VARIANTS) + " | "
                        + " | ".join(f"{variant} / bare-flask-socketio" for variant in VARIANTS[1:]) + " |")
    assert len(table) == 2 + 4 * len(PHASES)  # header, rule, four figures per phase
    assert json.loads((tmp_path / "send.json").read_text())["rows"] == rows
