"""Fan-out against the offered rate (issue 15): deliveries/s and fan-out p99 as the rate of messages to
one group rises, Switchboard beside the bare Flask-SocketIO server (bench/bare_server.py) and the bare
Node socket.io 4 server (bench/node/reference-server.js) in the same run, under the Node load generator
(bench/node/load.js, sharded over --processes; clients offer permessage-deflate as browsers do unless
--no-deflate).

    .venv/bin/python bench/fanout_rates.py                                   # 200 receivers, 2 sweeps each
    .venv/bin/python bench/fanout_rates.py --checkout /tmp/sb --json bench/results/fanout-rates/$(date +%s).json
    .venv/bin/python bench/plot.py bench/results/fanout-rates/NAME.json --out docs/benchmarks/fanout-rates.png

Each server serves one group of `clients` receivers and a sender (Switchboard: the documented command,
`gunicorn --config gunicorn.conf.py`, a fresh SQLite database, users registered and a group made over
the API; the references: the same members in a BARE_TABLE). A sweep (one load generator run) connects
everyone, then for each rate sends `rate` messages a second for `--seconds` on a fixed schedule (open
loop) and waits until every receiver has every message; the sweep stops after a rate whose fan-out p99
passed --stop-p99-ms (saturation). Then one closed-loop phase of --window sends in flight measures
saturation. Sweeps alternate servers (A B C A B C). Per phase: deliveries/s, fan-out p50/p99 (send ->
the last receiver has it), ack p99, the worker's CPU µs per delivery (/proc), each client process's CPU
share and the machine's idle share, and the sends the server refused, by code (`busy`: it sheds
load; their deliveries are not waited for, and such a phase does not count as kept within the
latency). JSON lines, then tables: per rate, and per server the deliveries/s with fan-out p99 <=
--p99-limit-ms, the saturation and the CPU per delivery, as ratios to the bare Flask-SocketIO server.
Nothing here asserts a speed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connect import BareServer
from node_tools import NodeReference, default_processes, load_generator, write_table
from server import ROOT, Audience, BenchServer
from session import add_session_arguments, machine_description, raise_open_file_limit, run, write_results

SERVERS = ("bare-node", "bare-flask-socketio", "switchboard")
REFERENCE = "bare-flask-socketio"
CONVERSATION = 1  # the references' group (their table)
CLIENT_SHARE_LIMIT = 0.7  # of a core, for one load generator process


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="receivers in the group, 1..2000 (default 200)")
    parser.add_argument("--rates", default="10,25,50,100,150,200,300,400,600,800",
                        help="messages a second to the group, in increasing order")
    parser.add_argument("--seconds", type=float, default=2.0, help="how long each rate is offered")
    parser.add_argument("--window", type=int, default=8, help="sends in flight of the closed-loop phase (0: none)")
    parser.add_argument("--window-messages", type=int, default=300, help="messages of the closed-loop phase")
    parser.add_argument("--repeats", type=int, default=2, help="sweeps of each server")
    parser.add_argument("--servers", default=",".join(SERVERS), help="which of " + ", ".join(SERVERS))
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the Switchboard checkout served")
    parser.add_argument("--processes", type=int, default=default_processes(), help="load generator processes")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--p99-limit-ms", type=float, default=100.0, help="the latency the summary's rate keeps to")
    parser.add_argument("--stop-p99-ms", type=float, default=1000.0, help="no higher rate after a p99 past this")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed to one phase")
    parser.add_argument("--summarize", type=Path, nargs="+", help="print the tables of --json results again, "
                        "several sessions of the same options pooled (their sweeps side by side); run nothing")
    add_session_arguments(parser)
    arguments = parser.parse_args(argv)
    arguments.rates = [float(rate) for rate in arguments.rates.split(",")]
    arguments.servers = arguments.servers.split(",")
    if unknown := set(arguments.servers) - set(SERVERS):
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if not 1 <= arguments.clients <= 2000:
        parser.error("--clients must be between 1 and 2000")
    return arguments


def start(name: str, workdir: Path, arguments: argparse.Namespace):
    """One server and its audience: the group's id, the sender's token and the receivers'."""
    if name == "switchboard":
        # Past saturation the open-loop sender has more sends in flight than SOCKET_EVENT_QUEUE admits: they
        # are refused `busy` (counted), and the socket is not cut for it, so that the sweep measures delivery
        # rather than the flood protection (bench/abuse.py measures that).
        server = BenchServer("simple", ROOT / ".venv" / "bin", workdir, app_dir=arguments.checkout.resolve(),
                             config_file=True, env={"SOCKET_BUSY_DISCONNECT": "0"}).start()
        return server, server.create_audience(arguments.clients)
    workdir.mkdir(parents=True, exist_ok=True)
    users = arguments.clients + 1
    tokens = {f"bare-{user}": user for user in range(users)}
    table = write_table(workdir / "table.json", tokens, {CONVERSATION: list(range(users))})
    server = (NodeReference if name == "bare-node" else BareServer)(workdir, users, table=table).start()
    return server, Audience(CONVERSATION, "bare-0", [f"bare-{user}" for user in range(1, users)])


def sweep(server, audience: Audience, arguments: argparse.Namespace, tag: str, warmup: bool = False) -> dict:
    """One run of the Node load generator against `server`: the rates, then the closed-loop window."""
    job = {"url": server.url, "sender_token": audience.sender_token, "receiver_tokens": audience.receiver_tokens,
           "conversation_id": audience.conversation_id, "tag": tag, "server_pid": server.worker_pid(),
           "timeout": arguments.timeout, "processes": arguments.processes, "deflate": not arguments.no_deflate,
           "seconds": arguments.seconds, "stop_p99_ms": arguments.stop_p99_ms}
    if warmup:
        job.update(messages=30, windows=[1], rates=[])
    else:
        job.update(messages=arguments.window_messages, windows=[arguments.window] if arguments.window else [],
                   rates=arguments.rates)
    phases = len(job["rates"]) + len(job["windows"])
    completed = subprocess.run(load_generator("fanout"), input=json.dumps(job), capture_output=True, text=True,
                               timeout=arguments.timeout * (phases + 2) + 60, preexec_fn=raise_open_file_limit)
    if completed.returncode != 0:
        raise RuntimeError(f"the load generator failed against {tag}:\n{completed.stderr[-3000:]}\n"
                           f"server log:\n{server.log_tail()}")
    return json.loads(completed.stdout)


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)  # None: no send of the phase was accepted


def rows_of(name: str, repeat: int, result: dict) -> list[dict]:
    rows = []
    for phase in result["phases"]:
        row = {"scenario": "fanout-rates", "server": name, "run": repeat, "rate": phase["rate"],
               "window": phase["window"], "error": phase.get("error"), "disconnects": phase.get("disconnects"),
               "refused": phase.get("refused")}
        if row["error"] and phase.get("counts"):  # who was short: every receiver alike, or a few cut off
            row["received_min_max"] = [min(phase["counts"]), max(phase["counts"])]
        if not row["error"]:
            row.update({
                "messages": phase["messages"], "receivers": phase["receivers"],
                "offered_deliveries_per_s": phase["offered_deliveries_per_s"],
                "deliveries_per_s": round(phase["deliveries_per_s"], 1),
                "fanout_p50_ms": rounded(phase["fanout_latency_ms"]["p50"]),
                "fanout_p99_ms": rounded(phase["fanout_latency_ms"]["p99"]),
                "ack_p99_ms": rounded(phase["ack_latency_ms"]["p99"]),
                "server_cpu_us_per_delivery": round(phase["server_cpu_us_per_delivery"], 2),
                "server_cpu_share": round(phase["server_cpu_share"], 3),
                "client_cpu_shares": phase["client_cpu_shares"], "machine_idle_share": phase["machine_idle_share"],
                "failed_acks": phase["failed_acks"], "duplicates": phase["duplicates"],
                "sender_disconnected": phase["sender_disconnected"]})
        rows.append(row)
    return rows


def median_of(rows: list[dict], key: str) -> float | None:
    values = [row[key] for row in rows if not row["error"] and row.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(rows: list[dict], servers: list[str], arguments: argparse.Namespace) -> list[str]:
    """Per rate each server's medians; then per server what the issue's table asks, with ratios."""
    def shown(value, digits=0):
        return "-" if value is None else f"{value:,.{digits}f}"

    lines = ["| messages/s | offered deliveries/s | " + " | ".join(
        f"{server} deliveries/s | fan-out p99 ms | CPU us/delivery" for server in servers) + " |",
        "|---" * (2 + 3 * len(servers)) + "|"]
    for rate in arguments.rates:
        cells = []
        for server in servers:
            phases = [row for row in rows if row["server"] == server and row["rate"] == rate]
            if phases and all(row["error"] for row in phases):
                cells += ["timed out", "-", "-"]
            else:
                refused = sum(row.get("failed_acks") or 0 for row in phases)
                cells += [shown(median_of(phases, "deliveries_per_s")) + (f" ({refused} refused)" if refused else ""),
                          shown(median_of(phases, "fanout_p99_ms"), 1),
                          shown(median_of(phases, "server_cpu_us_per_delivery"), 1)]
        lines.append(f"| {rate:g} | {rate * arguments.clients:,.0f} | " + " | ".join(cells) + " |")

    def per_run(server: str, pick) -> float | None:
        values = [pick([row for row in rows if row["server"] == server and row["run"] == repeat])
                  for repeat in range(arguments.repeats)]
        values = [value for value in values if value is not None]
        return statistics.median(values) if values else None

    def within_limit(phases):  # the highest deliveries/s of a rate whose fan-out p99 kept to the limit
        kept = [row["deliveries_per_s"] for row in phases if row["rate"] and not row["error"]
                and not row["failed_acks"] and (row["fanout_p99_ms"] or 0) <= arguments.p99_limit_ms]
        return max(kept) if kept else None

    def saturation(phases):
        done = [row["deliveries_per_s"] for row in phases if not row["error"]]
        return max(done) if done else None

    # CPU per delivery at the highest rate every server ran without an error: the same load for all
    # ... below every server's saturation (in every run: no refusal, fan-out p99 within --stop-p99-ms), since
    # past it a server batches its writes and the cost per delivery falls as latency grows
    def kept_up(server: str, rate: float) -> bool:
        phases = [row for row in rows if row["server"] == server and row["rate"] == rate]
        return len(phases) == arguments.repeats and all(
            not row["error"] and not row["failed_acks"] and row["fanout_p99_ms"] <= arguments.stop_p99_ms
            for row in phases)

    common = [rate for rate in arguments.rates if all(kept_up(server, rate) for server in servers)]
    common_rate = common[-1] if common else None

    def cpu_at_common(phases):
        return median_of([row for row in phases if row["rate"] == common_rate], "server_cpu_us_per_delivery")

    figures = [(f"deliveries/s with fan-out p99 <= {arguments.p99_limit_ms:g} ms", within_limit, 0),
               ("saturation deliveries/s", saturation, 0),
               (f"server CPU us/delivery at {shown(common_rate)} messages/s", cpu_at_common, 1)]
    others = [server for server in servers if server != REFERENCE] if REFERENCE in servers else []

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines += ["", line(["figure", *servers, *(f"{server} / {REFERENCE}" for server in others)]),
              "|---" * (1 + len(servers) + len(others)) + "|"]
    for label, pick, digits in figures:
        values = {server: per_run(server, pick) for server in servers}
        ratios = [f"{values[server] / values[REFERENCE]:.2f}" if values[server] and values[REFERENCE] else "-"
                  for server in others]
        lines.append(line([label, *(shown(values[server], digits) for server in servers), *ratios]))
    # Whether the load generator limited anything: its busiest process over every phase (near 1: it did)
    # and the machine's lowest idle share (near 0: every process was short of cores, the server's too).
    busiest = {server: max((max(row["client_cpu_shares"]) for row in rows if row["server"] == server
                            and not row["error"]), default=None) for server in servers}
    lines.append(line(["load generator: busiest process's CPU share, any phase",
                       *(shown(busiest[server], 2) for server in servers), *("-" for _ in others)]))
    return lines


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.summarize:  # the first session's own options, not these
        sessions = [json.loads(path.read_text()) for path in arguments.summarize]
        session = sessions[0]["arguments"]  # as write_results stores them: each value's str()
        repeats = int(session["repeats"])
        rows = [{**row, "run": row["run"] + index * repeats} for index, results in enumerate(sessions)
                for row in results["rows"]]
        recorded = parse_arguments(["--rates", session["rates"].strip("[]").replace(" ", ""),
                                    "--servers", ",".join(json.loads(session["servers"].replace("'", '"'))),
                                    "--repeats", str(repeats * len(sessions)), "--clients", session["clients"],
                                    "--p99-limit-ms", session["p99_limit_ms"], "--stop-p99-ms", session["stop_p99_ms"]])
        print("\n".join(summarize(rows, recorded.servers, recorded)))
        return 0
    machine = machine_description()
    print(f"[bench] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}; "
          f"{arguments.clients} receivers, rates {arguments.rates} messages/s, {arguments.processes} client processes, "
          f"deflate {'not ' if arguments.no_deflate else ''}offered", file=sys.stderr, flush=True)
    started, rows, servers = time.monotonic(), [], {}
    with tempfile.TemporaryDirectory(prefix="sb-fanout-rates-", dir=arguments.db_dir) as scratch:
        try:
            audiences = {}
            for name in arguments.servers:
                servers[name], audiences[name] = start(name, Path(scratch) / name, arguments)
                sweep(servers[name], audiences[name], arguments, f"{name}-warmup", warmup=True)
            for repeat in range(arguments.repeats):
                for name in arguments.servers:  # alternating: A B C A B C
                    result = sweep(servers[name], audiences[name], arguments, f"{name}-{repeat}")
                    for row in rows_of(name, repeat, result):
                        row["load_average_1min"] = round(os.getloadavg()[0], 2)
                        rows.append(row)
                        print(json.dumps(row), flush=True)
        finally:
            for server in servers.values():
                server.stop()
    machine["load_average_at_end"] = os.getloadavg()
    table = summarize(rows, arguments.servers, arguments)
    print("\n".join(table))
    for row in rows:  # past ~70% of a core a load generator process may be what limits the phase
        if not row["error"] and max(row["client_cpu_shares"]) > CLIENT_SHARE_LIMIT:
            print(f"[bench] the load generator's busiest process used {max(row['client_cpu_shares']):.2f} of a core "
                  f"against {row['server']} at {row['rate'] or 'the window'}: this phase may be client-bound; "
                  f"rerun with --processes {arguments.processes + 1}", file=sys.stderr)
    print(f"[bench] load average at end {machine['load_average_at_end']}; {time.monotonic() - started:.0f} s in all",
          file=sys.stderr)
    write_results(arguments, machine=machine, rows=rows, table=table)
    # A refused send is the server shedding load (shown per phase in `refused`); a duplicate is a defect.
    return 1 if any(row.get("duplicates") for row in rows) else 0


if __name__ == "__main__":
    run(main)
