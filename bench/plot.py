"""Plots of bench/fanout_rates.py's results (issue 15): deliveries/s and fan-out p99 against the offered
rate, each server a line (Switchboard and the bare references of the same run), medians of the runs.

    .venv/bin/python bench/plot.py bench/results/fanout-rates/NAME.json [MORE.json...] --out docs/benchmarks/NAME.png

Several files (e.g. one with clients offering permessage-deflate, one with --no-deflate) go on the same
axes, their lines told apart by what the clients offered. matplotlib lives in bench/.venv-plot (built
on first use from bench/requirements-plot.txt, as bench/venvs.py builds the others): this script starts
again from there when the Python that runs it has no matplotlib.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from venvs import BENCH, ensure_venv

STYLES = {"bare-node": ("tab:green", "s"), "bare-flask-socketio": ("tab:blue", "o"), "switchboard": ("tab:red", "D")}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, nargs="+", help="JSON written by bench/fanout_rates.py --json")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--p99-limit-ms", type=float, default=100.0, help="the latency line drawn")
    parser.add_argument("--title", help="default: the receivers, the machine and the date")
    return parser.parse_args(argv)


def series_of(paths: list[Path]) -> tuple[dict, dict]:
    """{(server, clients' offer): {offered deliveries/s: [(deliveries/s, p99 ms)...]}} and the first file's
    machine and arguments."""
    series: dict = defaultdict(lambda: defaultdict(list))
    first: dict = {}
    several = len({json.loads(path.read_text())["arguments"].get("no_deflate") for path in paths}) > 1
    for path in paths:
        results = json.loads(path.read_text())
        first = first or results
        offer = "clients without deflate" if results["arguments"].get("no_deflate") == "True" else "deflate offered"
        for row in results["rows"]:
            if row.get("error") or not row.get("offered_deliveries_per_s"):
                continue  # timed-out phases and the closed-loop window have no offered rate
            name = f"{row['server']} ({offer})" if several else row["server"]
            series[(name, row["server"], offer)][row["offered_deliveries_per_s"]].append(
                (row["deliveries_per_s"], row["fanout_p99_ms"]))
    return series, first


def draw(arguments: argparse.Namespace) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    series, first = series_of(arguments.results)
    figure, (throughput, latency) = pyplot.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    highest = 0.0
    for (name, server, offer), points in sorted(series.items()):
        color, marker = STYLES.get(server, ("tab:gray", "x"))
        offered = sorted(points)
        highest = max(highest, *offered)
        style = {"color": color, "marker": marker, "linestyle": "--" if offer == "clients without deflate" else "-",
                 "label": name}
        throughput.plot(offered, [statistics.median(d for d, _ in points[rate]) for rate in offered], **style)
        latency.plot(offered, [statistics.median(p for _, p in points[rate]) for rate in offered], **style)
    throughput.plot([0, highest], [0, highest], color="lightgray", linewidth=1, label="= offered")
    throughput.set(xlabel="offered deliveries/s", ylabel="deliveries/s", title="Throughput", xscale="log",
                   yscale="log")
    latency.axhline(arguments.p99_limit_ms, color="gray", linewidth=1, linestyle=":",
                    label=f"{arguments.p99_limit_ms:g} ms")
    latency.set(xlabel="offered deliveries/s", ylabel="fan-out p99 ms (send -> last receiver)", title="Latency",
                xscale="log", yscale="log")
    for axes in (throughput, latency):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="small")
    machine, options = first.get("machine", {}), first.get("arguments", {})
    figure.suptitle(arguments.title or (
        f"Fan-out to {options.get('clients', '?')} receivers, one worker, {machine.get('cpus', '?')} CPUs "
        f"({machine.get('cpu_model', '?')}), load average {machine.get('load_average_at_start', ['?'])[0]:.1f} "
        f"at start; {arguments.results[0].stem}"), fontsize="medium")
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(arguments.out, dpi=100)
    print(f"[bench] wrote {arguments.out}")


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # start again in the plotting venv
        venv_python = str(ensure_venv(".venv-plot", BENCH / "requirements-plot.txt") / "python")
        os.execv(venv_python, [venv_python, __file__, *argv])
    draw(arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
