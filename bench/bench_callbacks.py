"""Benchmark, run on demand: `cs callback list --overdue` on 1,000,000 callbacks vs on 1,000.

    python bench/bench_callbacks.py [--runs 15] [--big 1000000]

Both databases hold the same 50 overdue callbacks; the rest of the big one is history (done,
failed, cancelled) and callbacks not yet due. An index on pending deadlines makes the question
cost the same in both (target: big within 2x of small); a scan would grow with the history.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cs_command  # noqa: E402

NOW = "2026-11-20T09:30:00+08:00"
OVERDUE = 50


def build(path: Path, total: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from cs.store import db as db_mod

    database = db_mod.connect(path)
    rng = random.Random(total)
    rows = []
    for n in range(total):
        if n < OVERDUE:
            status, due = "pending", f"2026-11-{1 + n % 19:02d}T08:00:00Z"  # past: overdue
        elif rng.random() < 0.05:
            status, due = "pending", f"2026-12-{1 + n % 28:02d}T08:00:00Z"  # not yet due
        else:
            status = rng.choice(["done"] * 8 + ["failed", "cancelled"])
            due = f"20{20 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d}T08:00:00Z"  # history
        rows.append((None, "回访客户", None, "complaint_followup", "phone", None, status, due, due, None, 0,
                     "satisfied" if status == "done" else None, None, None, "complaint", due, "bench",
                     due if status == "done" else None, None if status == "pending" else due, due))
        if len(rows) >= 50_000:
            _insert(database, rows)
            rows = []
    _insert(database, rows)
    database.execute("ANALYZE")
    database.close()


def _insert(database, rows):
    with database.transaction():
        database.executemany(
            "INSERT INTO callbacks (ticket_id, customer_name, customer_phone, reason, method, agent, status, due_at,"
            " not_before, next_try_at, attempts, outcome, score, note, policy, created_at, created_by, done_at,"
            " ended_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def median_run(path: Path, runs: int) -> tuple[float, int]:
    command = cs_command("callback", "list", "--overdue", "--json")
    env = {**os.environ, "CS_DB": str(path), "CS_NOW": NOW, "CS_TZ": "Asia/Shanghai"}
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
        count = out.count('"id"')
    return statistics.median(times), count


def query_plan(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT c.* FROM callbacks c WHERE (c.status = 'pending' AND"
                        " c.due_at < '2026-11-20T01:30:00Z') ORDER BY c.due_at ASC, c.id ASC").fetchall()
    conn.close()
    return "; ".join(row[-1] for row in plan)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.db", Path(tmp) / "big.db"
        start = time.perf_counter()
        build(small, args.small)
        build(big, args.big)
        print(f"built {args.small:,} and {args.big:,} callbacks in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        small_s, small_n = median_run(small, args.runs)
        big_s, big_n = median_run(big, args.runs)
        plan = query_plan(big)
    print(f"cs callback list --overdue: {args.small:,} callbacks {small_s * 1000:.1f} ms ({small_n} rows); "
          f"{args.big:,} callbacks {big_s * 1000:.1f} ms ({big_n} rows); ratio {big_s / small_s:.2f}x (target <= 2x)")
    print(f"query plan: {plan}")


if __name__ == "__main__":
    main()
