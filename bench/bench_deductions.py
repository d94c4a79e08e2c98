"""Benchmark, run on demand: `cs deductions run` for one day of a 500-agent centre, on a database
holding one month of history and on one holding a year.

    python bench/bench_deductions.py [--agents 500] [--runs 7]

Both databases end with the same last month (same seed), so the day computed has the same records;
the year database has eleven more months before it. The cost should follow the day's records.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cs_command, median_seconds  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LAST_DAY = date(2026, 10, 31)
RUN_DAY = date(2026, 10, 15)
SHANGHAI = timezone(timedelta(hours=8))


def stamp(day: date, minutes: int) -> str:
    moment = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(minutes=minutes)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(path: Path, agents: int, days: int) -> None:
    from cs.store import db as db_mod

    database = db_mod.connect(path)
    handles = [f"a{n:03d}" for n in range(agents)]
    with database.transaction():
        database.executemany("INSERT INTO agents (handle, name, role, active, created_at) VALUES (?, ?, 'agent', 1,"
                             " '2025-01-01T00:00:00Z')", [(h, f"坐席{h}") for h in handles])
    first = LAST_DAY - timedelta(days=days - 1)
    for offset in range(days):
        day = first + timedelta(days=offset)
        rng = random.Random(day.toordinal())  # a day's records depend only on the day
        with database.transaction():
            _day(database, rng, day, handles)
    database.execute("ANALYZE")
    database.close()


def _day(database, rng, day, handles) -> None:
    tickets, callbacks, handovers, violations = [], [], [], []
    for handle in handles:
        for _ in range(6):
            opened = rng.randrange(9 * 60, 21 * 60)
            due = opened + 120
            responded = opened + rng.choice([5, 30, 60, 150])
            tickets.append((stamp(day, opened), "phone", "inquiry", "normal", "resolved", "咨询", handle,
                            stamp(day, responded), stamp(day, due), stamp(day, opened + 300),
                            stamp(day + timedelta(days=2), opened), "b", stamp(day, opened + 300)))
        for _ in range(2):
            due = rng.randrange(10 * 60, 21 * 60)
            # Old callbacks got done long ago; only the last days before the reported one stay pending.
            recent = day >= RUN_DAY - timedelta(days=2)
            status = rng.choice(["done", "done", "done", "pending"]) if recent else "done"
            done_at = stamp(day, due + rng.choice([-60, -10, 30])) if status == "done" else None
            callbacks.append(("回访", "complaint_followup", "phone", handle, status, stamp(day, due),
                              stamp(day, due - 600), stamp(day, due - 600), done_at, done_at,
                              stamp(day, due - 600)))
        if rng.random() < 0.2:
            # Handover items are done the next morning, but for the last days before the reported one.
            done = day < RUN_DAY - timedelta(days=2)
            handovers.append((stamp(day, 17 * 60 + 50), day.isoformat(), "day", handle, "交接事项",
                              "done" if done else "open", stamp(day + timedelta(days=1), 10 * 60) if done else None,
                              "b"))
        if rng.random() < 0.02:
            violations.append((handle, "off_task", stamp(day, 11 * 60), stamp(day, 11 * 60), "b"))
    database.executemany(
        "INSERT INTO tickets (opened_at, channel, category, priority, status, summary, agent, first_response_at,"
        " first_response_due_at, resolved_at, resolve_due_at, created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        tickets)
    database.executemany(
        "INSERT INTO callbacks (customer_name, reason, method, agent, status, due_at, not_before, created_at, done_at,"
        " ended_at, updated_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,'b')", callbacks)
    database.executemany(
        "INSERT INTO handovers (created_at, date, shift, agent, text, status, done_at, created_by)"
        " VALUES (?,?,?,?,?,?,?,?)",
        handovers)
    database.executemany("INSERT INTO violations (agent, rule, at, created_at, created_by) VALUES (?,?,?,?,?)",
                         violations)
    database.executemany("INSERT INTO roster (date, shift, agent, created_at, created_by) VALUES (?, 'day', ?, '', 'b')",
                         [(day.isoformat(), handle) for handle in handles])


def timed_runs(path: Path, runs: int) -> tuple[float, float, str]:
    """The first run (it writes the entries), then the median of re-runs (they only compare)."""
    command = cs_command("deductions", "run", "--date", RUN_DAY.isoformat(), "--json")
    env = {**os.environ, "CS_DB": str(path), "CS_NOW": "2026-11-01T00:30+08:00", "CS_TZ": "Asia/Shanghai"}
    start = time.perf_counter()
    first = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    first_s = time.perf_counter() - start
    entries = first.split('"entries": ')[1].split(",")[0]
    return first_s, median_seconds(command, env, runs), entries


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        month, year = Path(tmp) / "month.db", Path(tmp) / "year.db"
        start = time.perf_counter()
        build(month, args.agents, 31)
        build(year, args.agents, 365)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        month_first, month_again, month_entries = timed_runs(month, args.runs)
        year_first, year_again, year_entries = timed_runs(year, args.runs)
    print(f"deductions run for {RUN_DAY}, {args.agents} agents: one month of history {month_first * 1000:.0f} ms"
          f" (re-run {month_again * 1000:.0f} ms, {month_entries} entries); one year {year_first * 1000:.0f} ms"
          f" (re-run {year_again * 1000:.0f} ms, {year_entries} entries); ratio {year_first / month_first:.2f}x"
          f" first run, {year_again / month_again:.2f}x re-run")


if __name__ == "__main__":
    main()
