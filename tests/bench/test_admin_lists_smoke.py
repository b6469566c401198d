"""CI smoke of bench/admin_lists.py (the back office's lists at 1,000,000 messages): on a tiny SQLite
database it opens every page as an operator and prints the figures as JSON lines and a table. It asserts
that it works (every page answered 200), never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # a benchmark script in processes of its own: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]


def test_the_admin_lists_benchmark_runs_and_prints_its_figures(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from admin_lists import pages

    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "admin_lists.py"), "--messages", "3000", "--small", "300",
         "--repeats", "1", "--engines", "sqlite", "--folder", str(tmp_path), "--json", str(tmp_path / "lists.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [row["page"] for row in rows] == list(pages(1, 2))
    assert all(row["status"] == 200 and row["ms_median"] > 0 for row in rows), rows
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows)
    assert json.loads((tmp_path / "lists.json").read_text())["rows"] == rows
