"""Benchmark, run on demand: visit plans over a million customers, and quota bookkeeping on a year of tickets.

    python bench/bench_plan.py [--customers 1000000] [--agents 100] [--runs 5]

1. `cs callback plan` for a half-yearly plan over N and N/10 customers (all in scope): seconds, customers a
   second, and the second run (idempotent: nothing created) — flat means the time per customer is the same at
   both sizes, and the second run does not grow with the callbacks already made.
2. `cs ticket resolve` of a repair ticket (the quota's lookups: the customer's month row and the month's last k)
   on a year of a centre of --agents people against a week of the same centre: the year ÷ the week.

Prints one Markdown table, ready for the README's Benchmarks section.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T10:00+08:00"
PLAN = ('[[visit_plan]]\ncode = "half_year"\nlabel = "半年全面走访"\nrrule = "FREQ=MONTHLY;INTERVAL=6"\n'
        'scope = "all"\nmethod = "visit"\ntarget = 0.98\nstart = "2026-07-01"\n')


def cs(db: Path, *args: str, now: str = NOW) -> float:
    env = {**os.environ, "CS_DB": str(db), "CS_NOW": now, "CS_TZ": "Asia/Shanghai", "CS_AGENT": "bench",
           "PYTHONPATH": str(REPO)}
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "cs", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"cs {' '.join(args)} failed: {result.stderr}")
    return time.perf_counter() - began


def customers_desk(folder: Path, count: int) -> Path:
    db = folder / f"customers-{count}.db"
    cs(db, "db", "init")
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO customers (phone, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         ((f"1{n:010d}", f"住户{n}", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
                          for n in range(count)))
    plan = folder / "plan.toml"
    plan.write_text(PLAN, "utf-8")
    cs(db, "config", "load", "--merge", str(plan))
    return db


def plan_rows(folder: Path, counts: list[int]) -> list[tuple]:
    rows = []
    for count in counts:
        db = customers_desk(folder, count)
        first = cs(db, "callback", "plan")
        again = cs(db, "callback", "plan", now="2026-11-20T11:00+08:00")
        with sqlite3.connect(db) as conn:
            made = conn.execute("SELECT COUNT(*) FROM callbacks").fetchone()[0]
        rows.append((count, made, first, again))
        db.unlink()
    return rows


def resolve_seconds(folder: Path, agents: int, days: int, runs: int) -> float:
    db = folder / f"centre-{days}.db"
    cs(db, "demo", "--agents", str(agents), "--days", str(days), now=NOW)
    with sqlite3.connect(db) as conn:
        agent = conn.execute("SELECT handle FROM agents WHERE role = 'agent' LIMIT 1").fetchone()[0]
    times = []
    for n in range(runs):
        env_now = f"2026-11-20T1{n}:00+08:00"
        out = subprocess.run([sys.executable, "-m", "cs", "--as", agent, "ticket", "add", "--channel", "phone",
                              "--category", "repair", "--summary", "热水器维修", "--phone", f"1990000{n:04d}",
                              "--json"], env={**os.environ, "CS_DB": str(db), "CS_NOW": env_now, "PYTHONPATH": str(REPO),
                                              "CS_TZ": "Asia/Shanghai"}, capture_output=True, text=True)
        ticket = json.loads(out.stdout)["id"]
        times.append(cs(db, "--as", agent, "ticket", "resolve", str(ticket), "--resolution", "已修好",
                        now=env_now.replace(":00+", ":30+")))
    db.unlink()
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-plan-"))
    try:
        rows = plan_rows(folder, [options.customers // 10, options.customers])
        week = resolve_seconds(folder, options.agents, 7, options.runs)
        year = resolve_seconds(folder, options.agents, 365, options.runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("| measure | value |\n|---|---|")
    for count, made, first, again in rows:
        print(f"| `cs callback plan`, {count:,} customers: first run | {first:.1f} s ({made / first:,.0f} visits/s) |")
        print(f"| `cs callback plan`, {count:,} customers: run again (creates nothing) | {again:.2f} s |")
    small, large = rows
    per_small, per_large = small[2] / small[0], large[2] / large[0]
    print(f"| time per customer, {large[0]:,} ÷ {small[0]:,} | {per_large / per_small:.2f} (flat: about 1) |")
    print(f"| `cs ticket resolve` (a repair: the quota's bookkeeping), median of {options.runs} | week {week:.3f} s,"
          f" year {year:.3f} s: year ÷ week {year / week:.2f} (flat: about 1) |")


if __name__ == "__main__":
    main()
