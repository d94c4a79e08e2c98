"""Benchmark, run on demand: `cs report shift` for a 500-agent centre on a database holding a week
of history and on one holding a year.

    python bench/bench_reports.py [--agents 500] [--runs 7]

The data comes from bench_deductions.build (same seed per day), so both databases hold the same
last week and the shift reported has the same records.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_deductions import RUN_DAY, build  # noqa: E402
from benchlib import cs_command, median_seconds  # noqa: E402


def median_render(path: Path, runs: int, fmt: str) -> float:
    command = cs_command("report", "shift", "--date", RUN_DAY.isoformat(), "--shift", "day", "--format", fmt)
    env = {**os.environ, "CS_DB": str(path), "CS_NOW": "2026-11-01T00:30+08:00", "CS_TZ": "Asia/Shanghai"}
    return median_seconds(command, env, runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        week, year = Path(tmp) / "week.db", Path(tmp) / "year.db"
        start = time.perf_counter()
        build(week, args.agents, 24)  # from 2026-10-08: the reported day is a week into it
        build(year, args.agents, 365)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        for fmt in ("html", "json"):
            small = median_render(week, args.runs, fmt)
            big = median_render(year, args.runs, fmt)
            print(f"report shift --format {fmt} for {RUN_DAY}, {args.agents} agents: a week of history "
                  f"{small * 1000:.0f} ms; a year {big * 1000:.0f} ms; ratio {big / small:.2f}x")


if __name__ == "__main__":
    main()
