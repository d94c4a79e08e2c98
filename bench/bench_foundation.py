"""Benchmarks for the foundation, run on demand (not part of the test suite):

    python bench/bench_foundation.py [--runs 21] [--rows 100000]

Prints, in one run:
  1. `cs ticket add` median wall time as a multiple of `python -c pass` (target <= 5x);
  2. `cs ticket import` throughput over a JSONL file as a fraction of a plain
     json.loads + sqlite3.executemany baseline over the same file (target >= 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cs_command, median_seconds, run_measured  # noqa: E402


def bench_startup(workdir: Path, runs: int) -> dict:
    env = {**os.environ, "CS_DB": str(workdir / "startup.db"), "CS_TZ": "Asia/Shanghai", "CS_AGENT": "bench"}
    subprocess.run(cs_command("agent", "add", "bench", "--name", "Bench"), env=env, check=True,
                   stdout=subprocess.DEVNULL)
    baseline = median_seconds([sys.executable, "-c", "pass"], env, runs)
    add = median_seconds(cs_command("ticket", "add", "--channel", "phone", "--category", "inquiry",
                                    "--summary", "咨询会员积分", "--phone", "13800138000"), env, runs)
    return {"python_pass_s": baseline, "ticket_add_s": add, "ratio": add / baseline}


def make_jsonl(path: Path, rows: int) -> None:
    rng = random.Random(7)
    channels = ["phone", "visit", "online", "email"]
    categories = ["inquiry", "complaint", "repair", "booking"]
    with path.open("w", encoding="utf-8") as out:
        for n in range(rows):
            day = 1 + n * 28 // rows
            out.write(json.dumps({
                "opened_at": f"2026-10-{day:02d}T{9 + n % 10:02d}:{n % 60:02d}:00+08:00",
                "channel": rng.choice(channels),
                "category": rng.choice(categories),
                "priority": "normal",
                "status": "open",
                "summary": f"客户来电咨询第{n}号问题,空调漏水需要维修",
                "customer_name": "王先生",
                "customer_phone": f"138{n % 5000:08d}",
                "tags": ["demand"] if n % 7 == 0 else [],
            }, ensure_ascii=False) + "\n")


def baseline_import(path: Path, db_path: Path) -> float:
    """The plainest possible import: parse each line, executemany into a table with the same columns."""
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE tickets (opened_at, channel, category, priority, status, summary, customer_name,"
                 " customer_phone, tags)")
    with path.open(encoding="utf-8") as source:
        rows = []
        for line in source:
            item = json.loads(line)
            rows.append((item["opened_at"], item["channel"], item["category"], item["priority"], item["status"],
                         item["summary"], item["customer_name"], item["customer_phone"], json.dumps(item["tags"])))
            if len(rows) >= 1000:
                conn.executemany("INSERT INTO tickets VALUES (?,?,?,?,?,?,?,?,?)", rows)
                rows = []
        conn.executemany("INSERT INTO tickets VALUES (?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def same_schema_import(path: Path, db_path: Path) -> float:
    """json.loads + executemany into cs's own tables (indexes, full-text index, customers), no checks.

    Not the issue's baseline: it shows how much of cs's import time the schema itself costs.
    """
    from cs.store import db as db_mod

    database = db_mod.connect(db_path)
    conn = database.conn
    start = time.perf_counter()
    conn.execute("BEGIN")
    with path.open(encoding="utf-8") as source:
        batch = []
        next_id = 1
        for line in source:
            item = json.loads(line)
            batch.append((next_id, item["opened_at"], item["channel"], item["category"], item["priority"],
                          item["status"], item["summary"], item["customer_name"], item["customer_phone"],
                          json.dumps(item["tags"])))
            next_id += 1
            if len(batch) >= 1000:
                _write_same_schema(conn, batch)
                batch = []
        _write_same_schema(conn, batch)
    conn.execute("COMMIT")
    database.close()
    return time.perf_counter() - start


def _write_same_schema(conn, batch):
    conn.executemany("INSERT INTO customers (phone, name, created_at, updated_at) VALUES (?, ?, '', '')"
                     " ON CONFLICT (phone) DO NOTHING", [(r[8], r[7]) for r in batch])
    conn.executemany("INSERT INTO tickets (id, opened_at, channel, category, priority, status, summary,"
                     " customer_name, customer_phone, tags, first_response_due_at, resolve_due_at, created_by,"
                     " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,'','','bench','')", batch)
    conn.executemany("INSERT INTO ticket_fts (rowid, summary, detail, notes) VALUES (?, ?, '', '')",
                     [(r[0], r[6]) for r in batch])


def cs_import(path: Path, db_path: Path) -> tuple[float, int]:
    """Wall time and peak memory (KiB) of `cs ticket import` into a new database."""
    env = {**os.environ, "CS_DB": str(db_path), "CS_TZ": "Asia/Shanghai"}
    subprocess.run(cs_command("db", "init"), env=env, check=True, stdout=subprocess.DEVNULL)
    return run_measured(cs_command("ticket", "import", str(path)), env)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        startup = bench_startup(workdir, args.runs)
        data = workdir / "tickets.jsonl"
        make_jsonl(data, args.rows)
        base = baseline_import(data, workdir / "baseline.db")
        schema_floor = same_schema_import(data, workdir / "floor.db")
        ours, _ = cs_import(data, workdir / "cs.db")
    print(f"cs ticket add: median {startup['ticket_add_s'] * 1000:.1f} ms; python -c pass: "
          f"{startup['python_pass_s'] * 1000:.1f} ms; ratio {startup['ratio']:.2f}x (target <= 5x)")
    print(f"ticket import of {args.rows:,} JSONL lines: {ours:.2f} s ({args.rows / ours:,.0f} rows/s); "
          f"baseline json.loads + executemany {base:.2f} s ({args.rows / base:,.0f} rows/s); "
          f"fraction {base / ours:.2f} (target >= 0.5)")
    print(f"  for reference, the same rows unchecked into cs's own schema (indexes, full-text, customers): "
          f"{schema_floor:.2f} s, fraction {base / schema_floor:.2f}; cs's checks and SLA deadlines add "
          f"{ours - schema_floor:.2f} s")


if __name__ == "__main__":
    main()
