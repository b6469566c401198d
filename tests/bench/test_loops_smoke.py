"""CI smoke of the one-process loops, bench/send_loop.py, bench/connect_loop.py and bench/history_loop.py (issue
15): each runs at a tiny size on this checkout and prints a figure per run and each checkout's median and ratio.
They assert that they work, never a speed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # benchmark scripts in processes of their own: not among the unit tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("loop", [["send_loop.py", "--sends", "5", "--principal", "session"],
                                  ["connect_loop.py", "--connects", "5", "--credential", "cookie"],
                                  ["connect_loop.py", "--connects", "5", "--credential", "token"],
                                  ["history_loop.py", "--requests", "5", "--engine", "postgresql"]],
                         ids=["send", "connect by cookie", "connect by token", "history on PostgreSQL"])
def test_a_loop_compares_checkouts_and_prints_its_figures(loop):
    script, *options = loop
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *options, "--pairs", "1", "--warmup", "5"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    per = {"send_loop.py": "send", "connect_loop.py": "connect", "history_loop.py": "request"}[script]
    assert len(re.findall(rf"^{re.escape(str(ROOT))}: [\d,]+ µs per {per}$", result.stdout, re.M)) == 1, result.stdout
    assert re.search(rf"^\| {re.escape(str(ROOT))} \| [\d,]+ µs per {per} \| 1\.00 × the first \|$", result.stdout,
                     re.M), result.stdout
