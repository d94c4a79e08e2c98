"""Benchmark, run on demand: a year of a 500-seat centre, measured against baselines of the same run.

    python bench/bench_scale.py [--agents 500] [--runs 11] [--rows 100000] [--cache DIR] [--rebuild]

Builds a one-week and a one-year centre with the generator (`cs demo --agents N --days D`, same
seed and clock, so both end with the same week: the daily commands see the same day's records) and
caches them in DIR (default $XDG_CACHE_HOME/cs-bench); --rebuild builds them again. Commands run on
copies, so the cached files never change. Prints one Markdown table, ready for the README:

  - start-up: `cs --help`, `ticket add`, `ticket list --limit 20`, `callback list --overdue` on the
    year as multiples of `python -c pass` (target <= 4x);
  - import throughput as a fraction of plain json.loads + executemany (bench_foundation's baseline;
    target >= 0.7);
  - `jobs run overdue-alerts`, `deductions run` for one day, `report shift`, `report month`: the year
    as a multiple of the week (target <= 1.5x for the daily ones);
  - peak memory (the child's ru_maxrss) of `ticket import` at two sizes (past the 64 MiB page cache it
    gives SQLite), of `report month` on the two databases, and of a whole month's report against six
    days' (target: flat);
  - the generator's rate, end to end (the whole `cs demo` command), as tickets per second and as a
    fraction of the bare executemany rate measured above (target: 100,000 tickets/s).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import baseline_import, cs_import, make_jsonl, same_schema_import  # noqa: E402
from benchlib import cs_command, median_seconds, run_measured  # noqa: E402

NOW = "2026-11-06T18:30+08:00"  # a Friday evening: the day shift is over and November has six days
YESTERDAY = "2026-11-05"
LAST_MONTH = "2026-10"
SEED = 2026
DAILY = {  # the commands people and cron run every day, with what tells how much work they had
    "jobs run overdue-alerts": (["jobs", "run", "overdue-alerts"], ["callback", "list", "--overdue", "--json"]),
    f"deductions run --date {YESTERDAY}": (["deductions", "run", "--date", YESTERDAY],
                                          ["deductions", "list", "--date", YESTERDAY, "--json"]),
    "report shift": (["report", "shift"], None),
    "report month": (["report", "month"], None),
}


def env_for(db: Path) -> dict:
    return {**os.environ, "CS_DB": str(db), "CS_NOW": NOW, "CS_TZ": "Asia/Shanghai", "CS_LANG": "en",
            "CS_AGENT": "bench", "CS_FORMAT": "table"}


# --- the databases --------------------------------------------------------------------------------


def centre(cache: Path, agents: int, days: int, rebuild: bool) -> tuple[Path, dict]:
    """The cached database of `agents` people over `days` days, built now if missing, and its build record."""
    path = cache / f"centre-{agents}x{days}-seed{SEED}.db"
    record_path = path.with_suffix(".json")
    if rebuild or not path.exists() or not record_path.exists():
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), record_path):
            stale.unlink(missing_ok=True)
        print(f"building {path.name} …", file=sys.stderr)
        command = cs_command("demo", "--agents", str(agents), "--days", str(days), "--seed", str(SEED),
                             "--db", str(path))
        seconds, peak_kb = run_measured(command, env_for(path))
        record = {"agents": agents, "days": days, "wall_s": seconds, "peak_kb": peak_kb,
                  "size_bytes": path.stat().st_size, **_counts(path),
                  "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        record_path.write_text(json.dumps(record, indent=2))
    return path, json.loads(record_path.read_text())


def _counts(path: Path) -> dict:
    conn = sqlite3.connect(path)
    counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("tickets", "ticket_events", "callbacks", "callback_events", "customers")}
    conn.close()
    return counts


def work_copy(path: Path, workdir: Path) -> Path:
    copy = workdir / path.name
    shutil.copyfile(path, copy)
    # Written back before anything is timed: else the first commits' fsync waits for gigabytes of the copy.
    os.sync()
    return copy


# --- the figures ----------------------------------------------------------------------------------


def row(figure: str, result: str, baseline: str, ratio: float, target: str, met: bool) -> dict:
    return {"figure": figure, "result": result, "baseline": baseline, "ratio": ratio, "target": target,
            "met": met}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def startup(year: Path, runs: int) -> list[dict]:
    env = env_for(year)
    python = median_seconds([sys.executable, "-c", "pass"], env, runs)
    commands = {
        "cs --help": ["--help"],
        "cs ticket add": ["ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary",
                          "咨询会员积分", "--phone", "13800138000"],
        "cs ticket list --limit 20": ["ticket", "list", "--limit", "20"],
        "cs callback list --overdue": ["callback", "list", "--overdue"],
    }
    rows = []
    for label, args in commands.items():
        seconds = median_seconds(cs_command(*args), env, runs)
        rows.append(row(f"start-up: `{label}` (year)", ms(seconds), f"`python -c pass` {ms(python)}",
                        seconds / python, "≤ 4×", seconds / python <= 4))
    return rows


def imports(workdir: Path, lines: int) -> tuple[list[dict], float]:
    """Throughput at `lines`; peak memory at twice and four times as many. The import holds no rows, but
    it gives SQLite a 64 MiB page cache, which fills up over the first 150,000 lines or so: from there
    on its memory no longer grows with the file."""
    data, twice, four_times = workdir / "tickets.jsonl", workdir / "twice.jsonl", workdir / "four-times.jsonl"
    for path, count in ((data, lines), (twice, 2 * lines), (four_times, 4 * lines)):
        make_jsonl(path, count)
    bare = baseline_import(data, workdir / "baseline.db")
    floor = same_schema_import(data, workdir / "floor.db")
    ours, _ = cs_import(data, workdir / "import.db")
    _, twice_kb = cs_import(twice, workdir / "import-twice.db")
    _, four_kb = cs_import(four_times, workdir / "import-four-times.db")
    baseline = f"json.loads + executemany {bare:.2f} s ({lines / bare:,.0f} rows/s)"
    rows = [
        row(f"`cs ticket import`, {lines:,} JSONL lines", f"{ours:.2f} s ({lines / ours:,.0f} rows/s)", baseline,
            bare / ours, "≥ 0.7", bare / ours >= 0.7),
        row("  for reference: the same rows unchecked into cs's own tables (indexes, full-text, customers)",
            f"{floor:.2f} s", baseline, bare / floor, "the ceiling for any import into this schema", True),
        row(f"peak memory: `cs ticket import`, {4 * lines:,} vs {2 * lines:,} lines", f"{four_kb / 1024:.0f} MB",
            f"{twice_kb / 1024:.0f} MB", four_kb / twice_kb, "flat (≤ 1.1×)", four_kb / twice_kb <= 1.1),
    ]
    return rows, lines / bare


def daily(week: Path, year: Path, runs: int) -> list[dict]:
    rows = []
    for label, (args, work_args) in DAILY.items():
        command = cs_command(*args)
        for db in (week, year):  # a first run does what only a first run does (alerts sent, entries written)
            subprocess.run(command, env=env_for(db), check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        small = median_seconds(command, env_for(week), runs)
        big = median_seconds(command, env_for(year), runs)
        work = f" ({_work(work_args, week)} / {_work(work_args, year)})" if work_args else ""
        daily_command = label != "report month"
        rows.append(row(f"`cs {label}`, year ÷ week{work}", ms(big), f"week {ms(small)}", big / small,
                        "≤ 1.5×" if daily_command else "follows the month", big / small <= 1.5 or not daily_command))
    _, week_kb = run_measured(cs_command("report", "month"), env_for(week))
    _, year_kb = run_measured(cs_command("report", "month"), env_for(year))
    rows.append(row("peak memory: `cs report month`, year vs week", f"{year_kb / 1024:.0f} MB",
                    f"{week_kb / 1024:.0f} MB", year_kb / week_kb, "flat (≤ 1.1×)", year_kb / week_kb <= 1.1))
    whole_s, whole_kb = run_measured(cs_command("report", "month", "--month", LAST_MONTH), env_for(year))
    rows.append(row(f"peak memory: `cs report month --month {LAST_MONTH}` (a whole month) vs this month's six days,"
                    f" year", f"{whole_kb / 1024:.0f} MB in {ms(whole_s)}", f"{year_kb / 1024:.0f} MB",
                    whole_kb / year_kb, "flat (≤ 1.1×)", whole_kb / year_kb <= 1.1))
    return rows


def _work(args, db: Path) -> str:
    output = subprocess.run(cs_command(*args), env=env_for(db), check=True, capture_output=True, text=True).stdout
    return f"{len(json.loads(output)):,}"


def generator(records: list[dict], bare_rows_per_s: float) -> list[dict]:
    rows = []
    for record in records:
        rate = record["tickets"] / record["wall_s"]
        rows.append(row(f"generator: `cs demo --agents {record['agents']} --days {record['days']}`, end to end",
                        f"{record['tickets']:,} tickets, {record['ticket_events']:,} events, "
                        f"{record['callbacks']:,} callbacks, {record['size_bytes'] / 1e6:,.0f} MB in "
                        f"{record['wall_s']:.1f} s = {rate:,.0f} tickets/s, peak {record['peak_kb'] / 1024:.0f} MB",
                        f"bare executemany {bare_rows_per_s:,.0f} rows/s", rate / bare_rows_per_s,
                        "≥ 100,000 tickets/s", rate >= 100_000))
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| figure | result | baseline (same run) | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['figure']} | {r['result']} | {r['baseline']} | **{r['ratio']:.2f}** |"
                     f" {r['target']} {'✓' if r['met'] else '✗'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--rows", type=int, default=100_000, help="JSONL lines for the import figures")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cs-bench")
    parser.add_argument("--rebuild", action="store_true", help="build the cached databases again")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    # Measure cs as installed, with its bytecode compiled: kept under the cache, not in the checkout.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(args.cache / "pycache")
    week_db, week_record = centre(args.cache, args.agents, 7, args.rebuild)
    year_db, year_record = centre(args.cache, args.agents, 365, args.rebuild)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        week, year = work_copy(week_db, workdir), work_copy(year_db, workdir)
        rows = startup(year, args.runs)
        import_rows, bare_rate = imports(workdir, args.rows)
        rows += import_rows + daily(week, year, args.runs)
    rows += generator([week_record, year_record], bare_rate)
    print(f"cs scale benchmark, {time.strftime('%Y-%m-%d')}, {args.agents} agents, medians of {args.runs} runs,"
          f" now = {NOW}; databases built {year_record['built_at']}\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
