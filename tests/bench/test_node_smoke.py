"""CI smoke of the benchmark's Node pieces and its entry point (issue 15): bench/node's packages install
on a fresh checkout (npm ci, from its lock file), the bare Node reference authenticates, refuses and
fans out, the sharded load generator speaks both scenarios' protocols, and bench/run.py lists the
scenarios and runs one (fanout-rates, tiny) end to end with its figures. Never a speed."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts servers (Node, gunicorn) on 127.0.0.1

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def node_tools(monkeypatch):
    """bench/node_tools.py, imported as the scenarios import it (bench/ on the path, for this test only)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("node_tools")


@pytest.fixture
def reference(node_tools, tmp_path):
    server = node_tools.NodeReference(tmp_path / "node", users=6).start()
    yield server
    server.stop()


def test_the_node_load_generator_connects_in_shards_and_counts_a_refused_token(node_tools, reference, tmp_path):
    load_generator = node_tools.load_generator
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("bare-0\nbare-1\nbare-2\nnot-a-token\nbare-4\n")
    answers = subprocess.run(
        load_generator("connect", reference.url, "--tokens", str(tokens), "--processes", "2", "--concurrency", "4"),
        input="open 4\nopen 6\nclose\n", capture_output=True, text=True, timeout=120)
    assert answers.returncode == 0, answers.stderr[-2000:]
    first, second, closed = (json.loads(line) for line in answers.stdout.splitlines())
    # tokens in turn, from the number of connections held (as connect_client.py): the first batch uses
    # tokens 0-3, the second 3, 4, 0, 1, 2, 3; the reference refuses token 3 each time
    assert (first["opened"], first["failed"], first["held"]) == (3, 1, 3), first
    assert (second["opened"], second["failed"], second["held"]) == (4, 2, 7), second
    assert first["errors"] == {"Error: unauthorized (unauthorized)": 1}, first
    assert first["client_processes"] == 2 and len(first["client_cpu_shares"]) == 2, first
    assert 0 <= first["machine_idle_share"] <= 1, first
    assert closed == {"closed": True}


def test_the_node_reference_fans_out_to_the_group_and_the_load_generator_reports_every_figure(node_tools, tmp_path):
    load_generator = node_tools.load_generator
    table = node_tools.write_table(tmp_path / "table.json", {f"bare-{user}": user for user in range(5)},
                                   {7: [0, 1, 2, 3]})
    server = node_tools.NodeReference(tmp_path / "node", users=5, table=table).start()
    try:
        job = {"url": server.url, "sender_token": "bare-0", "receiver_tokens": ["bare-1", "bare-2", "bare-3"],
               "conversation_id": 7, "messages": 12, "windows": [1, 4], "rates": [50], "seconds": 0.4,
               "tag": "smoke", "server_pid": server.worker_pid(), "timeout": 30, "processes": 2}
        run = subprocess.run(load_generator("fanout"), input=json.dumps(job), capture_output=True, text=True,
                             timeout=120)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["client_processes"] == 2
    assert [(phase["window"], phase["rate"]) for phase in result["phases"]] == [(1, None), (4, None), (None, 50)]
    for phase in result["phases"]:
        assert "error" not in phase, phase
        assert phase["receivers"] == 3 and phase["failed_acks"] == 0 and phase["duplicates"] == 0, phase
        assert phase["deliveries_per_s"] > 0 and phase["fanout_latency_ms"]["p99"] > 0, phase
        assert phase["server_cpu_us_per_delivery"] >= 0 and len(phase["client_cpu_shares"]) == 3, phase
    assert result["phases"][2]["messages"] == 20  # 50 a second for 0.4 s


def test_a_receiver_outside_the_conversation_gets_nothing_and_the_phase_says_so(node_tools, tmp_path):
    load_generator = node_tools.load_generator
    table = node_tools.write_table(tmp_path / "table.json", {f"bare-{user}": user for user in range(5)},
                                   {7: [0, 1, 2, 3]})
    server = node_tools.NodeReference(tmp_path / "node", users=5, table=table).start()
    try:  # bare-4 is not in conversation 7: the phase never completes for it, and says so
        job = {"url": server.url, "sender_token": "bare-0", "receiver_tokens": ["bare-1", "bare-4"],
               "conversation_id": 7, "messages": 3, "windows": [1], "tag": "outsider",
               "server_pid": server.worker_pid(), "timeout": 2, "processes": 1}
        run = subprocess.run(load_generator("fanout"), input=json.dumps(job), capture_output=True, text=True,
                             timeout=60)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    (phase,) = json.loads(run.stdout)["phases"]
    assert phase["error"].startswith("timed out: 3 deliveries missing"), phase
    assert phase["counts"] == [3, 0]


def test_run_lists_only_scenarios_that_exist():
    listed = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--list"], capture_output=True,
                            text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    scenarios = dict(line.split(":")[0].split() for line in listed.stdout.splitlines())  # name -> bench/script
    assert {"connect", "fanout", "fanout-rates", "send", "redis"} <= set(scenarios)
    for script in scenarios.values():
        assert (ROOT / script).is_file(), script
    unknown = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "no-such-scenario"],
                             capture_output=True, text=True, timeout=30)
    assert unknown.returncode == 2 and "no-such-scenario" in unknown.stderr


@pytest.fixture(scope="module")
def tiny_fanout_rates(tmp_path_factory):
    """One tiny fanout-rates session through bench/run.py: its output and its --json file."""
    results = tmp_path_factory.mktemp("fanout-rates") / "rates.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "fanout-rates", "--clients", "4", "--rates", "20",
         "--seconds", "0.5", "--window", "2", "--window-messages", "6", "--repeats", "1", "--processes", "2",
         "--json", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    return result, results


def test_a_tiny_fanout_rates_run_through_bench_run_prints_every_figure(tiny_fanout_rates):
    result, results = tiny_fanout_rates
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    servers = ("bare-node", "bare-flask-socketio", "switchboard")
    assert {(row["server"], row["rate"], row["window"]) for row in rows} == {
        (server, phase_rate, window) for server in servers for phase_rate, window in ((20, None), (None, 2))}
    for row in rows:
        assert row["error"] is None and row["failed_acks"] == 0 and row["duplicates"] == 0, row
        assert row["deliveries_per_s"] > 0 and row["fanout_p99_ms"] > 0 and row["server_cpu_us_per_delivery"] > 0, row
        assert len(row["client_cpu_shares"]) == 3, row
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0].startswith("| messages/s | offered deliveries/s | bare-node deliveries/s")
    assert any(line.startswith("| 20 | 80 |") for line in table), table
    summary = {line.split(" | ")[0].strip("| ") for line in table}
    assert {"deliveries/s with fan-out p99 <= 100 ms", "saturation deliveries/s",
            "server CPU us/delivery at 20 messages/s"} <= summary, table
    assert json.loads(results.read_text())["rows"] == rows


def test_plot_draws_the_session_as_a_png(tiny_fanout_rates, tmp_path):
    """bench/plot.py builds bench/.venv-plot (matplotlib) on first use and draws the tiny session."""
    result, results = tiny_fanout_rates
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "plot" / "rates.png"
    plotted = subprocess.run([sys.executable, str(ROOT / "bench" / "plot.py"), str(results), "--out", str(out)],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert plotted.returncode == 0, plotted.stderr[-3000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
