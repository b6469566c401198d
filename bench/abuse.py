"""Abuse benchmark: how long a quiet client waits for its `message:send` acks while someone else
abuses the server (issue 11, "One client must not stall everyone"), before and after a change.

    git worktree add /tmp/before <commit>      # the code before, served from the same .venv
    .venv/bin/python bench/abuse.py --before /tmp/before [--after DIR] [--duration 10 --rate 25]

Each checkout runs as production does: gunicorn with one gevent worker, its job consumer, a fresh
SQLite database on /dev/shm, scrypt password hashes. In every phase a quiet client sends `rate`
messages a second for `duration` seconds, on a schedule that a stalled server cannot slow down,
while one abuse runs in another process:

- reference: nothing else (the unloaded figure every other phase is divided by);
- burst-1000: one socket emits 1,000 sends at once; flood-5s: one socket emits as fast as it can
  for 5 seconds (tens of thousands); flood-tabs: one user sends 400 messages a second from 4
  sockets (tabs), each paced to stay below the socket's queue, so that every send is taken;
- guess-one-address: 8 threads (`--guess-threads`) post wrong passwords for one account, from one address;
  guess-distributed: the same over 100 accounts and 250 source addresses (127.0.0.x), so that
  per-account and per-address limits hardly bite and only the hashing's cost is left;
- big-images: 15 uploads in 6 s of a 1,580-byte lossless WebP of 6300x6300 pixels;
- huge-json: 2 clients posting 100 MB JSON bodies to POST /api/tokens, unauthenticated.

The quiet client's sends go round-robin over 30 users (a group each, under 1 send a second per
user), so that the send rate (SEND_BURST, SEND_PER_MINUTE) limits abusers only.
`--compare-limits` serves the `--after` checkout twice, with the abuse limits of issue 10 off
(SEND_PER_MINUTE=0, LOCKOUT_FAILURES=0) and on (their defaults), instead of before and after.

Unacknowledged sends count as the whole ack timeout. Between phases the server is left to
recover until a probe's acks are back to normal. Figures: p50, p99, max of send -> ack in ms,
and p99 as a ratio to the same checkout's reference. See docs/benchmarks.md.
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
import uuid
from pathlib import Path

import requests
from server import ROOT, BenchServer
from session import add_session_arguments, machine_description, run, write_results

BENCH = Path(__file__).resolve().parent
PHASES = ["reference", "burst-1000", "flood-5s", "flood-tabs", "guess-one-address", "guess-distributed",
          "big-images", "huge-json"]
PASSWORD = "bench password 1234"
DISTRIBUTED_ACCOUNTS = 100
QUIET_USERS = 30
# The abuse limits of issue 10, off and on (--compare-limits); sign-ups are never limited here (the
# scenario registers 130 accounts from one address).
LIMITS = {"no-limits": {"SEND_PER_MINUTE": "0", "LOCKOUT_FAILURES": "0"},
          "limits": {"SEND_BURST": "10", "SEND_PER_MINUTE": "60", "LOCKOUT_FAILURES": "10"}}
ADDRESSES = [f"127.0.0.{number}" for number in range(2, 252)]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="a checkout of the code before (e.g. a git worktree)")
    parser.add_argument("--after", type=Path, default=ROOT, help="the checkout after (default: this one)")
    parser.add_argument("--duration", type=float, default=10, help="seconds the quiet client sends, per phase")
    parser.add_argument("--rate", type=float, default=25, help="quiet sends per second")
    parser.add_argument("--ack-timeout", type=float, default=10, help="seconds an ack may take before it is lost")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated, from: " + ", ".join(PHASES))
    parser.add_argument("--guess-threads", type=int, default=8, help="password guessers at once")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for both servers (repeatable), e.g. PASSWORD_HASH_THREADS=2")
    parser.add_argument("--repeats", type=int, default=1, help="runs of every phase (medians are reported)")
    parser.add_argument("--compare-limits", action="store_true",
                        help="serve --after twice, with the abuse limits off and on, instead of before and after")
    add_session_arguments(parser)
    return parser.parse_args()


def start(role: str, job: dict) -> subprocess.Popen:
    """A load role of bench/abuse_load.py in a process of its own."""
    process = subprocess.Popen([sys.executable, str(BENCH / "abuse_load.py"), role], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=BENCH)
    process.stdin.write(json.dumps(job))
    process.stdin.close()
    return process


def result_of(process: subprocess.Popen, what: str) -> dict:
    output, errors = process.stdout.read(), process.stderr.read()
    if process.wait() != 0:
        raise RuntimeError(f"{what} failed:\n{errors[-3000:]}")
    return json.loads(output)


class Scenario:
    """The accounts and groups of one server: a quiet sender, a flooder, guessing victims, an uploader."""

    def __init__(self, server: BenchServer, image: Path) -> None:
        self.server, self.image = server, image
        session = requests.Session()
        listener = self.register(session)
        self.flooder, self.uploader, self.victim = (self.register(session) for _ in range(3))
        self.quiet = [self.register(session) for _ in range(QUIET_USERS)]
        self.quiet_groups = [self.group(session, quiet, listener) for quiet in self.quiet]
        self.flood_group = self.group(session, self.flooder, listener)
        self.upload_group = self.group(session, self.uploader, listener)
        self.distributed = [self.register(session)["username"] for _ in range(DISTRIBUTED_ACCOUNTS)]

    def register(self, session: requests.Session) -> dict:
        username = f"b{uuid.uuid4().hex[:12]}"
        response = session.post(f"{self.server.url}/api/accounts", timeout=60,
                                json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return {"username": username, "token": response.json()["token"], "id": response.json()["user"]["id"]}

    def group(self, session: requests.Session, owner: dict, member: dict) -> int:
        response = session.post(f"{self.server.url}/api/groups", timeout=60,
                                headers={"Authorization": f"Bearer {owner['token']}"},
                                json={"name": "abuse bench", "member_ids": [member["id"]]})
        response.raise_for_status()
        return response.json()["conversation"]["id"]

    def quiet_job(self, duration: float, rate: float, ack_timeout: float) -> dict:
        senders = [{"token": quiet["token"], "conversation_id": group} for quiet, group in
                   zip(self.quiet, self.quiet_groups, strict=True)]
        return {"url": self.server.url, "senders": senders, "duration": duration, "rate": rate,
                "ack_timeout": ack_timeout, "tag": uuid.uuid4().hex[:8]}

    def abuse(self, phase: str, duration: float, guessers: int) -> tuple[str, dict] | None:
        server = {"url": self.server.url, "host": "127.0.0.1", "port": self.server.port}
        flood = {**server, "token": self.flooder["token"], "conversation_id": self.flood_group, "linger": 2}
        return {
            "reference": None,
            "burst-1000": ("burst", {**flood, "count": 1000}),
            "flood-5s": ("burst", {**flood, "seconds": 5}),
            "flood-tabs": ("paced", {**flood, "sockets": 4, "rate": 100, "seconds": duration}),
            "guess-one-address": ("guess", {**server, "threads": guessers, "duration": duration,
                                            "addresses": ["127.0.0.1"], "usernames": [self.victim["username"]]}),
            "guess-distributed": ("guess", {**server, "threads": guessers, "duration": duration,
                                            "addresses": ADDRESSES, "usernames": self.distributed}),
            "big-images": ("images", {**server, "token": self.uploader["token"], "conversation_id": self.upload_group,
                                      "count": 15, "seconds": 6, "file": str(self.image)}),
            "huge-json": ("bodies", {**server, "senders": 2, "size": 100 * 1024 * 1024, "duration": duration,
                                     "pause": 1}),
        }[phase]


def run_phase(scenario: Scenario, phase: str, arguments: argparse.Namespace) -> dict:
    """The quiet client's latencies while the phase's abuse runs, and what the abuser got."""
    quiet = start("quiet", scenario.quiet_job(arguments.duration, arguments.rate, arguments.ack_timeout))
    time.sleep(1.5)  # connected and sending before the abuse starts
    abuse = scenario.abuse(phase, arguments.duration - 2, arguments.guess_threads)
    abuser = start(*abuse) if abuse else None
    measured = result_of(quiet, f"the quiet client ({phase})")
    abused = result_of(abuser, f"the abuser ({phase})") if abuser else {}
    return {"quiet": measured, "abuse": abused}


def recover(scenario: Scenario, reference_p99: float, limit_seconds: float = 300) -> float:
    """Probe until the quiet client's acks are back to normal; the seconds it took."""
    started = time.monotonic()
    normal = max(3 * reference_p99, 30.0)
    while time.monotonic() - started < limit_seconds:
        try:
            probe = result_of(start("quiet", scenario.quiet_job(1, 10, 5)), "a recovery probe")
        except RuntimeError:  # too busy to let the probe connect, still
            time.sleep(1)
            continue
        if not probe["timeouts"] and max(probe["latencies_ms"]) < normal:
            break
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def figures(run: dict) -> dict:
    latencies = run["quiet"]["latencies_ms"]
    return {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "max": max(latencies),
            "timeouts": run["quiet"]["timeouts"], "failures": run["quiet"]["failures"]}


def report(results: dict[str, dict[str, list[dict]]], phases: list[str]) -> list[str]:
    variants = list(results)
    lines = ["", f"{'phase':<20}" + "".join(f"{variant + ' p50':>13}{'p99':>9}{'max':>9}{'lost':>6}{'p99/ref':>9}"
                                           for variant in variants)]
    reference = {variant: statistics.median(figures(run)["p99"] for run in results[variant]["reference"])
                 for variant in variants if results[variant].get("reference")}
    for phase in phases:
        line = f"{phase:<20}"
        for variant in variants:
            runs = [figures(run) for run in results[variant].get(phase, [])]
            if not runs:
                line += " " * 46
                continue
            p99 = statistics.median(run["p99"] for run in runs)
            ratio = p99 / reference[variant] if reference.get(variant) else float("nan")
            line += (f"{statistics.median(run['p50'] for run in runs):>13.1f}{p99:>9.1f}"
                     f"{max(run['max'] for run in runs):>9.0f}{sum(run['timeouts'] for run in runs):>6}{ratio:>9.1f}")
        lines.append(line)
    lines.append("\nwhat the abusers got (last run):")
    for phase in phases:
        for variant in variants:
            if results[variant].get(phase) and results[variant][phase][-1]["abuse"]:
                lines.append(f"  {phase:<20} {variant:<7} {json.dumps(results[variant][phase][-1]['abuse'])}")
    return lines


def lossless_webp(folder: Path) -> Path:
    """1,580 bytes that claim 6300x6300 pixels (half a second of decoding)."""
    from PIL import Image

    path = folder / "huge.webp"
    Image.new("RGB", (6300, 6300), (0, 0, 0)).save(path, "WEBP", lossless=True)
    return path


def main() -> int:
    arguments = parse_arguments()
    phases = [phase for phase in arguments.phases.split(",") if phase]
    if "reference" not in phases:
        phases.insert(0, "reference")
    checkouts = {"after": arguments.after.resolve()}
    variant_settings = {"after": LIMITS["limits"]}
    if arguments.compare_limits:
        checkouts = {variant: arguments.after.resolve() for variant in LIMITS}
        variant_settings = LIMITS
    elif arguments.before:
        checkouts = {"before": arguments.before.resolve(), **checkouts}
    machine = machine_description()
    print(f"[abuse] {machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_at_start']}; "
          f"phases {', '.join(phases)}; {arguments.rate:g} quiet sends/s for {arguments.duration:g} s each", flush=True)
    settings = dict(setting.split("=", 1) for setting in arguments.env)
    results: dict[str, dict[str, list[dict]]] = {variant: {} for variant in checkouts}
    servers: dict[str, BenchServer] = {}
    with tempfile.TemporaryDirectory(prefix="switchboard-abuse-", dir=arguments.db_dir) as workdir:
        try:
            image = lossless_webp(Path(workdir))
            scenarios = {}
            for variant, checkout in checkouts.items():
                servers[variant] = BenchServer("simple", Path(sys.executable).parent, Path(workdir) / variant,
                                               app_dir=checkout, jobs=True,
                                               env={**variant_settings.get(variant, {}), **settings}).start()
                scenarios[variant] = Scenario(servers[variant], image)
                print(f"[abuse] {variant}: {checkout} on port {servers[variant].port}", flush=True)
            for repeat in range(arguments.repeats):
                for phase in phases:
                    for variant, scenario in scenarios.items():
                        run = run_phase(scenario, phase, arguments)
                        shown = figures(run)
                        reference = figures(results[variant]["reference"][0])["p99"] if phase != "reference" \
                            else shown["p99"]
                        run["recovery_seconds"] = recover(scenario, reference)
                        results[variant].setdefault(phase, []).append(run)
                        print(f"[abuse] run {repeat + 1} {phase:<18} {variant:<6} p50 {shown['p50']:7.1f} "
                              f"p99 {shown['p99']:8.1f} max {shown['max']:8.0f} ms, lost {shown['timeouts']}, "
                              f"recovered in {run['recovery_seconds']:.0f} s", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    print("\n".join(report(results, phases)))
    machine["load_average_at_end"] = os.getloadavg()
    print(f"\n[abuse] load average at end {machine['load_average_at_end']}")
    write_results(arguments, machine=machine, results=results)
    return 0


if __name__ == "__main__":
    run(main)
