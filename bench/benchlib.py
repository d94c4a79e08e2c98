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
