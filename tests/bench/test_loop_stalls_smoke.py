"""CI smoke of bench/loop_stalls.py (issue 15: a long read on SQLite must not stall the loop): on a tiny
database it runs every request in both modes and prints their figures as JSON lines and a table. It
asserts that it works, never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # a benchmark script in processes of its own: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]


def test_the_loop_stalls_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loop_stalls.py"), "--messages", "3000", "--small", "300",
         "--repeats", "1", "--folder", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(row["request"], row["mode"]) for row in rows} == {
        (request, mode) for request in (
            "back office: messages searched for 'message'", "back office: messages whose text contains 'lunch'",
            "back office: dashboard", "back office: the page of an account that wrote half the messages",
            "chat search: 'message' in a quiet group",
            "chat search: 'lunch' in a quiet group") for mode in ("in-place", "long")}
    assert all(0 < row["longest_stall_ms"] <= row["ms_median"] for row in rows), rows  # one run: within it
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows) // 2
