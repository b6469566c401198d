"""The top entries of a py-spy profile in collapsed-stack form (`py-spy record --format raw`, as
bench/send.py --py-spy writes it): the share of samples in which each function is on the stack
(inclusive) and on top of it (self), for docs/benchmarks.md.

    .venv/bin/python bench/profile_top.py bench/results/profiles/switchboard-sqlite-0.txt [--top 40] [--match app]
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frames_of(stack: str) -> list[str]:
    """`function (path/file.py:line)` -> `function (file.py)`: one entry per function, whatever the line."""
    frames = []
    for frame in stack.split(";"):
        match = FRAME.match(frame)
        if match:
            frames.append(f"{match['function']} ({'/'.join(Path(match['file']).parts[-2:])})")
        else:
            frames.append(frame)
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose entry contains this text")
    arguments = parser.parse_args()
    inclusive, own, total = Counter(), Counter(), 0
    for line in arguments.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = frames_of(stack)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    print(f"{total} samples")
    print(f"{'inclusive':>9} {'self':>6}  function")
    for frame, samples in inclusive.most_common():
        if arguments.match not in frame:
            continue
        print(f"{samples / total:>8.1%} {own[frame] / total:>6.1%}  {frame}")
        arguments.top -= 1
        if arguments.top == 0:
            break


if __name__ == "__main__":
    main()
