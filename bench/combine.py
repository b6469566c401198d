"""Pool the paired runs of several bench/fanout.py sessions (their --json files) into one table.

    .venv/bin/python bench/combine.py bench/results/c50/*.json

On a shared machine one session's three pairs say little; pooled over sessions taken at different
times, the paired ratios gws / simple get a confidence interval (bootstrap of their geometric mean).
"""
from __future__ import annotations

import json
import math
import random
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from fanout import METRICS, value_at

RESAMPLES = 4000


def geometric_mean_interval(ratios: list[float], seed: int = 1) -> tuple[float, float, float]:
    """Geometric mean of the ratios and its 95% percentile-bootstrap interval (seeded: reproducible)."""
    logs = [math.log(ratio) for ratio in ratios]
    generator = random.Random(seed)
    means = sorted(statistics.fmean(generator.choices(logs, k=len(logs))) for _ in range(RESAMPLES))
    low, high = means[int(RESAMPLES * 0.025)], means[int(RESAMPLES * 0.975) - 1]
    return math.exp(statistics.fmean(logs)), math.exp(low), math.exp(high)


def load_pairs(paths: list[Path]) -> dict[tuple, list[tuple[dict, dict]]]:
    """(receivers, messages, windows) -> [(simple run, gws run)] over every file."""
    pairs = defaultdict(list)
    for path in paths:
        session = json.loads(path.read_text())
        runs = session["runs"]
        if not (runs.get("simple") and runs.get("gws")):
            continue
        first = runs["simple"][0]["phases"]
        shape = (first[0]["receivers"], first[0]["messages"], tuple(phase["window"] for phase in first))
        pairs[shape].extend(zip(runs["simple"], runs["gws"], strict=True))
    return pairs


def table(shape: tuple, pairs: list[tuple[dict, dict]], sessions: int) -> list[str]:
    receivers, messages, windows = shape
    lines = [f"\n##### {receivers} receivers x {messages} messages: {len(pairs)} pairs from {sessions} sessions"]
    for index, window in enumerate(windows):
        title = "sequential (1 in flight)" if window == 1 else f"pipelined ({window} in flight)"
        lines.append(f"\n== {title}")
        lines.append(f"{'metric':<24}{'simple median':>15}{'gws median':>15}{'gws/simple':>12}"
                     f"{'95% interval':>16}{'gws better':>12}")
        for label, path, higher_is_better in METRICS:
            simple = [value_at(pair[0]["phases"][index], path) for pair in pairs]
            gws = [value_at(pair[1]["phases"][index], path) for pair in pairs]
            ratios = [g / s for s, g in zip(simple, gws, strict=True)]
            mean, low, high = geometric_mean_interval(ratios)
            wins = "" if higher_is_better is None else \
                f"{sum((ratio > 1) == higher_is_better for ratio in ratios)}/{len(ratios)}"
            lines.append(f"{label:<24}{statistics.median(simple):>15.2f}{statistics.median(gws):>15.2f}"
                         f"{mean:>12.3f}{f'{low:.3f}..{high:.3f}':>16}{wins:>12}")
    return lines


def main(arguments: list[str]) -> int:
    paths = [Path(argument) for argument in arguments]
    if not paths:
        print(__doc__)
        return 2
    sessions_by_shape = defaultdict(int)
    for path in paths:
        session = json.loads(path.read_text())
        first = session["runs"].get("simple") or session["runs"].get("gws")
        if first:
            phases = first[0]["phases"]
            sessions_by_shape[(phases[0]["receivers"], phases[0]["messages"],
                               tuple(phase["window"] for phase in phases))] += 1
    for shape, pairs in load_pairs(paths).items():
        print("\n".join(table(shape, pairs, sessions_by_shape[shape])))
    print("\ngws/simple is the geometric mean of the paired ratios; the interval is a 95% bootstrap interval.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
