"""A CPU-time sampling profiler for a gunicorn worker (bench/fanout.py --cpu-profile).

py-spy samples wall time: on this shared 2-core machine a worker descheduled inside a `send()` (the
kernel often hands the core to the client it just woke) is counted as busy there, so its profiles
overstate the system calls (docs/benchmarks.md). This one samples the worker's own CPU time
(ITIMER_PROF: user and system time of the process; the kernel checks it at its timer tick, so in
practice a sample every 4 ms of CPU on this machine): a stack is counted only when the worker used
the CPU, in py-spy's raw (collapsed) format, which bench/profile_top.py reads.

Loaded by `PYTHONPATH=bench/cpu_sampler` with `SWITCHBOARD_CPU_PROFILE=<prefix>`; it starts in each
process gunicorn forks (the worker). SIGUSR2 to the worker writes the stacks sampled since the
last SIGUSR2 to `<prefix>.<worker pid>` and starts counting again (gunicorn sets SIGUSR2 back to its default in the
worker after the fork, so the handler is put back at each sample until it holds).
"""
from __future__ import annotations

import os

_prefix = os.environ.get("SWITCHBOARD_CPU_PROFILE")
INTERVAL = 0.002  # asked for; the kernel's tick decides (4 ms at 250 Hz)

if _prefix:
    import collections
    import signal

    _counts: collections.Counter = collections.Counter()

    def _dump(signum=None, frame=None) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)  # no sample while the counts are written
        stacks = list(_counts.items())
        _counts.clear()
        output = f"{_prefix}.{os.getpid()}"
        with open(output + ".tmp", "w") as file:
            for stack, count in stacks:
                file.write(f"{stack} {count}\n")
        os.replace(output + ".tmp", output)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def _sample(signum, frame) -> None:
        if signal.getsignal(signal.SIGUSR2) is not _dump:
            signal.signal(signal.SIGUSR2, _dump)
        frames = []
        while frame is not None:
            code = frame.f_code
            frames.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
            frame = frame.f_back
        _counts[";".join(reversed(frames))] += 1

    def _start_in_worker() -> None:
        signal.signal(signal.SIGPROF, _sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    os.register_at_fork(after_in_child=_start_in_worker)
