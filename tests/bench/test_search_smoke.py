"""CI smoke of bench/search.py (issue 15, search in the chat on SQLite): it seeds a tiny database, searches
it as both users and prints every figure as JSON lines and a table. It asserts that it works (every
search answered as the data says), never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # a benchmark script in a process of its own: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]


def test_the_search_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), "--messages", "3000", "--small", "300", "--repeats", "1",
         "--rounds", "1", "--folder", str(tmp_path), "--json", str(tmp_path / "search.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    found = {(row["user"], row["query"]): row["found"] for row in rows}
    assert set(found) == {(user, query) for user in ("busy", "quiet")
                          for query in ("lunch", "message", "invoice garden", "zzzqqq", "lu", "qz")}
    assert [found[user, query] for user in ("busy", "quiet") for query in ("message", "zzzqqq", "lu", "qz")] == [
        20, 0, 20, 0] * 2  # "message" is in every message, "zzzqqq" and "qz" in none
    assert all(row["ms_median"] > 0 and row["ms_max"] >= row["ms_median"] for row in rows), rows
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows)
    assert json.loads((tmp_path / "search.json").read_text())["rows"] == rows
