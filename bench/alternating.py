"""The one-process loops' runner (bench/send_loop.py, bench/connect_loop.py): each measurement a new process
of the loop's script in a checkout (same venv), the checkouts in turn `pairs` times; prints each figure,
then each checkout's median and its ratio to the first checkout's."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path


def add_comparison_arguments(parser: argparse.ArgumentParser, pairs: int) -> None:
    """The options every loop takes: the checkouts, the rounds over them, and the child's own flag."""
    parser.add_argument("--checkout", type=Path, action="append", help="a Switchboard checkout (default: this one)")
    parser.add_argument("--pairs", type=int, default=pairs, help="alternating rounds over the checkouts")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process


def compare_checkouts(script: str, checkouts: list[Path], pairs: int, child_arguments: list[str], per: str) -> None:
    """Run `script --measure *child_arguments` in each checkout in turn; its last printed number is µs `per` one."""
    results: dict[Path, list[float]] = {checkout: [] for checkout in checkouts}
    print(f"[bench] load average {os.getloadavg()}", file=sys.stderr)
    for _ in range(pairs):
        for checkout in checkouts:
            completed = subprocess.run([sys.executable, str(Path(script).resolve()), "--measure", *child_arguments],
                                       cwd=checkout, capture_output=True, text=True, check=True)
            results[checkout].append(float(completed.stdout.split()[-1]))
            print(f"{checkout}: {results[checkout][-1]:,.0f} µs per {per}", flush=True)
    first = statistics.median(results[checkouts[0]])
    for checkout, values in results.items():
        median = statistics.median(values)
        print(f"| {checkout} | {median:,.0f} µs per {per} | {median / first:.2f} × the first |")
    print(f"[bench] load average {os.getloadavg()}", file=sys.stderr)
