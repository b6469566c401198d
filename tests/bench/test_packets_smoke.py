"""CI smoke of bench/packets.py (issue 15), through bench/run.py: it builds and encodes each packet with
both packet classes and prints every figure as a JSON line and a table. It asserts that it works, never a
speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_packet_benchmark_runs_and_prints_its_figures():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "packets", "--repeats", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(row["case"], row["step"]) for row in rows} == {
        (case, step) for case in ("history page ack (50 messages)", "message:new (one message)")
        for step in ("build", "build and encode")}
    for row in rows:
        assert row["packet_us"] > 0 and row["text_packet_us"] > 0 and row["ratio"] > 0, row
    assert len([line for line in result.stdout.splitlines() if line.startswith("|")]) == 2 + len(rows)
