"""CI smoke of bench/batched_store.py (issue 15, the send path): it runs at a tiny size on SQLite, stores
every message both ways (the script checks the count itself and exits non-zero otherwise) and prints its
figures as a JSON line. It asserts that it works, never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # a benchmark script in a process of its own: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]


def test_the_batched_store_experiment_runs_and_prints_its_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "batched_store.py"), "--batches", "4", "--messages", "16",
         "--rounds", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(row["engine"], row["batch"]) for row in rows] == [("sqlite", 4)]
    assert len(rows[0]["one unit per send"]) == len(rows[0]["batched"]) == 1 and rows[0]["ratio"] > 0
