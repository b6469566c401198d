#!/usr/bin/env python3
"""Run one benchmark scenario by name; every other argument goes to the scenario (issue 15).

    bench/run.py --list                          # the scenarios, one a line
    bench/run.py connect --steps 2000 --repeats 1
    bench/run.py fanout-rates --clients 200 --json bench/results/fanout-rates/$(date +%s).json
    bench/run.py SCENARIO --help                 # the scenario's own options

The scenario runs from the app's virtualenv (.venv/bin/python) whatever Python started this, in the
same process (exec), so Ctrl-C and SIGTERM reach it and its exit status is this command's.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# name -> (script in bench/, what it measures); only scripts that exist
# (tests/bench/test_node_smoke.py::test_run_lists_only_scenarios_that_exist)
SCENARIOS = {
    "connect": ("connect.py", "authenticated connects/s and RSS per idle connection, beside the bare Flask-SocketIO "
                "and bare Node servers"),
    "fanout": ("fanout.py", "one group's fan-out, sequential and pipelined sends, between websocket server variants"),
    "fanout-rates": ("fanout_rates.py", "fan-out deliveries/s and p99 against the offered rate, beside the bare "
                     "Flask-SocketIO and bare Node servers (Node load generator)"),
    "send": ("send.py", "stored messages/s and send->ack p99, SQLite and PostgreSQL, beside the bare server"),
    "storm": ("storm.py", "reconnect storm: every client cut at once, back and resynced, beside the bare server"),
    "history": ("history.py", "history page, around and resync p50/p99 at 1,000,000 messages beside 1,000, "
                "SQLite and PostgreSQL, and the conversation list of a member far behind"),
    "redis": ("redis_pair.py", "two instances over Redis against one: worker CPU per delivery and stored message"),
    "batched-store": ("batched_store.py", "the send path's statements one unit per send against batched on Core, "
                      "in one process: what sharing the unit among sends could buy (a floor)"),
    "search": ("search.py", "search in the chat on SQLite at 1,000,000 messages: ms per search, a user of the busy "
               "group and one of a quiet group, this tree against others (--checkout)"),
    "loop-stalls": ("loop_stalls.py", "how long the event loop stalls while a long read (back-office search, "
                    "dashboard, a quiet group's chat search) runs on SQLite, in place and off the loop"),
    "admin-lists": ("admin_lists.py", "the back office's lists at 1,000,000 messages (every panel; the Messages "
                    "panel's sorts, searches and filters), SQLite and PostgreSQL, this tree against others"),
    "packets": ("packets.py", "building an outgoing Socket.IO packet: python-socketio's Packet against TextPacket"),
    "abuse": ("abuse.py", "what a quiet client waits for while another abuses the server (issue 11)"),
    "refusal-cost": ("refusal_cost.py", "worker CPU per rate-limited send (issue 11)"),
}


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    if argv[0] == "--list":
        width = max(map(len, SCENARIOS))
        for name, (script, description) in SCENARIOS.items():
            print(f"{name:<{width}}  bench/{script}: {description}")
        return 0
    name, *rest = argv
    if name not in SCENARIOS:
        print(f"unknown scenario {name!r}; bench/run.py --list shows them", file=sys.stderr)
        return 2
    script = BENCH / SCENARIOS[name][0]
    os.execv(python(), [python(), str(script), *rest])
    return 1  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
