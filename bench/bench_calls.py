"""Benchmarks for call records (SPEC section 19), run on demand, not by the test suite:

    python bench/bench_calls.py [--calls 1000000] [--tickets 100000] [--agents 200] [--runs 7]

Prints, in one run:
  1. `cs calls import` of an Asterisk Master.csv holding --calls records (a year of a busy hotline, 20 agents'
     extensions), its rows a second and peak memory, against `cs ticket import` of --tickets JSONL tickets (the
     file bench_foundation.py uses): target, calls at least as fast a row;
  2. `cs staffing` (the default 4 weeks of samples, and 52) on a year-scale desk, `cs demo --agents N --days 365`
     (its hotline about 1.5 calls a ticket), median wall time against `cs report day` on the same desk: target,
     under a second.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import cs_import, make_jsonl  # noqa: E402
from benchlib import cs_command, median_seconds, run_measured  # noqa: E402

EXTENSIONS = [str(8001 + n) for n in range(20)]


def make_master_csv(path: Path, calls: int) -> None:
    """Asterisk's cdr_csv lines (no header, the documented field order, uniqueid logged) spread over a year."""
    rng = random.Random(21)
    first = datetime(2025, 12, 1, 9, 0, 0)
    step = 365 * 86400 / calls
    with path.open("w", encoding="utf-8") as out:
        for n in range(calls):
            start = first + timedelta(seconds=int(n * step))
            stamp = start.strftime("%Y-%m-%d %H:%M:%S")
            end_talk = start + timedelta(seconds=rng.randint(40, 400))
            if rng.random() < 0.93:
                extension = rng.choice(EXTENSIONS)
                answer = (start + timedelta(seconds=rng.randint(2, 30))).strftime("%Y-%m-%d %H:%M:%S")
                out.write(f'"","138{n % 100000000:08d}","600","from-pstn","","SIP/trunk-{n:08x}",'
                          f'"SIP/{extension}-{n:08x}","Dial","SIP/{extension},30","{stamp}","{answer}",'
                          f'"{end_talk:%Y-%m-%d %H:%M:%S}",300,280,"ANSWERED","DOCUMENTATION","{n}.{n % 97}",""\n')
            else:
                out.write(f'"","139{n % 100000000:08d}","600","from-pstn","","SIP/trunk-{n:08x}","","Queue",'
                          f'"support","{stamp}","","{end_talk:%Y-%m-%d %H:%M:%S}",40,0,"NO ANSWER",'
                          f'"DOCUMENTATION","{n}.{n % 97}",""\n')


def calls_import(path: Path, db_path: Path) -> tuple[float, int]:
    env = {**os.environ, "CS_DB": str(db_path), "CS_TZ": "Asia/Shanghai", "CS_AGENT": "boss"}
    subprocess.run(cs_command("agent", "add", "boss", "--name", "主管", "--role", "supervisor"), env=env, check=True,
                   stdout=subprocess.DEVNULL)
    for n, extension in enumerate(EXTENSIONS):
        subprocess.run(cs_command("agent", "add", f"kf{n:02d}", "--name", f"坐席{n}", "--extension", extension),
                       env=env, check=True, stdout=subprocess.DEVNULL)
    return run_measured(cs_command("calls", "import", str(path)), env)


def year_desk(path: Path, agents: int) -> dict:
    env = {**os.environ, "CS_LANG": "en"}
    started = time.perf_counter()
    subprocess.run(cs_command("demo", "--db", str(path), "--agents", str(agents), "--days", "365"), env=env,
                   check=True, stdout=subprocess.DEVNULL)
    import sqlite3

    conn = sqlite3.connect(path)
    counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("tickets", "calls")}
    conn.close()
    return {**counts, "build_s": time.perf_counter() - started}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        master, tickets = workdir / "Master.csv", workdir / "tickets.jsonl"
        make_master_csv(master, args.calls)
        make_jsonl(tickets, args.tickets)
        calls_s, calls_kib = calls_import(master, workdir / "calls.db")
        tickets_s, tickets_kib = cs_import(tickets, workdir / "tickets.db")
        call_rate, ticket_rate = args.calls / calls_s, args.tickets / tickets_s
        print(f"cs calls import of {args.calls:,} Master.csv records: {calls_s:.2f} s ({call_rate:,.0f} rows/s, "
              f"peak {calls_kib / 1024:.0f} MiB); cs ticket import of {args.tickets:,} JSONL tickets: {tickets_s:.2f} s "
              f"({ticket_rate:,.0f} rows/s, peak {tickets_kib / 1024:.0f} MiB); calls a row "
              f"{call_rate / ticket_rate:.1f}x as fast (target >= 1x)")

        desk = workdir / "year.db"
        built = year_desk(desk, args.agents)
        env = {**os.environ, "CS_DB": str(desk), "CS_LANG": "en"}
        report = median_seconds(cs_command("report", "day"), env, args.runs)
        staffing = median_seconds(cs_command("staffing"), env, args.runs)
        whole_year = median_seconds(cs_command("staffing", "--weeks", "52"), env, args.runs)
        print(f"year-scale desk ({args.agents} agents, 365 days: {built['tickets']:,} tickets, {built['calls']:,} "
              f"calls; built in {built['build_s']:.0f} s), medians of {args.runs} runs:")
        print(f"  cs report day {report * 1000:.0f} ms; cs staffing {staffing * 1000:.0f} ms "
              f"({staffing / report:.2f}x the day report); cs staffing --weeks 52 {whole_year * 1000:.0f} ms "
              f"({whole_year / report:.2f}x) (target < 1 s)")


if __name__ == "__main__":
    main()
