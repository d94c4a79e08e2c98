"""What the benchmark scripts share: how to run the installed `cs`, and timing it."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def cs_command(*args: str) -> list[str]:
    """The installed `cs`, else `python -m cs` from this checkout."""
    found = shutil.which("cs")
    return ([found] if found else [sys.executable, "-m", "cs"]) + list(args)


def median_seconds(command: list[str], env: dict, runs: int) -> float:
    """Median wall time of `runs` runs of `command` (each must succeed)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_measured(command: list[str], env: dict) -> tuple[float, int]:
    """Wall time and peak resident memory in KiB (the child's own ru_maxrss) of one run of `command`,
    which must succeed."""
    import os

    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return elapsed, usage.ru_maxrss
