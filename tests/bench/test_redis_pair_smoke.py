"""CI smoke of bench/redis_pair.py (issue 15): one instance against two sharing PostgreSQL and Redis (started
as the tests start them, tests/engines.py), at a tiny size: every run completes (every delivery arrives,
every send is acknowledged) and every figure is printed, as JSON lines and as a table. Never a speed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts PostgreSQL, Redis and three gunicorn servers

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {"fanout": ("deliveries_per_s", "worker_cpu_us_per_delivery", "redis_cpu_us_per_delivery",
                      "postgres_cpu_us_per_delivery", "worker_cpu_us_per_message"),
           "chat": ("messages_per_s", "worker_cpu_us_per_message", "redis_cpu_us_per_message",
                    "postgres_cpu_us_per_message")}


def test_the_redis_pair_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "redis_pair.py"), "--receivers", "4", "--fanout-messages", "4",
         "--chat-senders", "2", "--chat-messages", "3", "--idle", "0.5", "--repeats", "1",
         "--json", str(tmp_path / "redis.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(row["variant"], row["scenario"]) for row in rows} == {
        (variant, scenario) for variant in ("one", "two") for scenario in ("fanout", "chat", "idle")}
    loaded = [row for row in rows if row["scenario"] != "idle"]
    for row in loaded:  # every send acknowledged, every delivery counted once, each figure measured
        assert row["failed_acks"] == 0 and row.get("duplicates", 0) == 0, row
        assert all(row[figure] > 0 for figure in FIGURES[row["scenario"]] if "redis" not in figure), row
        assert row["ack_ms"]["p99"] > 0, row
        redis_cpu = row[FIGURES[row["scenario"]][2]]
        assert (redis_cpu > 0) == (row["variant"] == "two"), row  # Redis works only for the pair
    fanout = [row for row in rows if row["scenario"] == "fanout"]
    assert all(row["receivers"] == 4 and row["messages"] == 4 for row in fanout)
    for row in rows:
        if row["scenario"] == "idle":  # what the processes spend with nothing sent: measured, whatever it is
            assert row["elapsed_s"] >= 0.5 and row["workers_cpu_ms_per_s"] >= 0, row
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0] == "| scenario | figure | one | two | two / one (range) |"
    assert len(table) == 2 + 10 + 9 + 3  # header, rule, the figures of each scenario
    assert json.loads((tmp_path / "redis.json").read_text())["rows"] == rows
