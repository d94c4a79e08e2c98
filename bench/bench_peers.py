"""Benchmark, run on demand: cs against the tools a user would pick instead, each measured in the same run.

    pip install sqlite-utils     # bench-only: the peer of the import
    python bench/bench_peers.py [--runs 21] [--rows 100000] [--agents 500] [--cache DIR] [--rebuild]

Prints one Markdown table, ready for the README:
  - `cs ticket import` of --rows JSONL tickets against the pipeline a SQLite user reaches for on the same file:
    `sqlite-utils insert --nl` + `sqlite-utils enable-fts --fts5 --tokenize trigram` + `sqlite-utils create-index
    opened_at` (doing less: no checks, customers, SLA or history); target at or below 1.0x;
  - `cs ticket add`, `cs ticket list --limit 20` and `cs callback list --overdue` on a year-scale desk (`cs demo
    --agents N --days 365`, cached as bench_scale.py caches it) against a hello-world Click command, the floor of
    any Click CLI (Click's import); target at or below 1.5x;
  - Taskwarrior's `task add` beside `cs ticket add`, when `task` is installed.
The commands run in --runs rounds, the floor before and after each round's commands: the ratio is the median of
each round's (a command against its own round's floor, so a second in which the machine runs slow weighs on both
sides), printed beside the fastest runs' ratio and the ratio of the processes' CPU time; the imports run five
times each, alternating, and the medians are divided. Run it from a regular install (`pip install .`), as users run cs: an
editable install adds an import hook to every Python start, the floor's included.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import make_jsonl  # noqa: E402
from bench_scale import centre, env_for, work_copy  # noqa: E402
from benchlib import cs_command  # noqa: E402

HELLO = '''import click


@click.command()
@click.option("--name", default="world")
def hello(name):
    click.echo(f"hello {name}")


hello()
'''
IMPORT_RUNS = 5


def timed(command: list[str], env: dict) -> float:
    return measured(command, env)[0]


def measured(command: list[str], env: dict) -> tuple[float, float]:
    """Wall time and the process's CPU time (user + system), which the machine's other work disturbs less."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=devnull, stderr=devnull)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), command)
    return wall, usage.ru_utime + usage.ru_stime


def sqlite_utils_pipeline(data: Path, db: Path) -> float:
    """The three sqlite-utils commands on a new file, wall time end to end."""
    tool = shutil.which("sqlite-utils")
    if tool is None:
        raise SystemExit("sqlite-utils is not installed: pip install sqlite-utils (a bench-only dependency)")
    env = dict(os.environ)
    return (timed([tool, "insert", str(db), "tickets", str(data), "--nl"], env)
            + timed([tool, "enable-fts", str(db), "tickets", "summary", "--fts5", "--tokenize", "trigram"], env)
            + timed([tool, "create-index", str(db), "tickets", "opened_at"], env))


def cs_ticket_import(data: Path, db: Path) -> float:
    env = {**os.environ, "CS_DB": str(db), "CS_TZ": "Asia/Shanghai", "CS_LANG": "en"}
    subprocess.run(cs_command("db", "init"), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return timed(cs_command("ticket", "import", str(data)), env)


def imports(workdir: Path, rows: int) -> dict:
    data = workdir / "tickets.jsonl"
    make_jsonl(data, rows)
    ours, theirs = [], []
    for run in range(IMPORT_RUNS):
        theirs.append(sqlite_utils_pipeline(data, workdir / f"peer-{run}.db"))
        ours.append(cs_ticket_import(data, workdir / f"cs-{run}.db"))
        for name in (f"peer-{run}.db", f"cs-{run}.db"):
            (workdir / name).unlink()
    return {"cs": statistics.median(ours), "peer": statistics.median(theirs), "rows": rows}


def settle(command: list[str], env: dict, limit_s: float = 90) -> None:
    """Wait for the machine to be quiet after copying gigabytes: until the floor stops getting faster."""
    started, before = time.perf_counter(), None
    while time.perf_counter() - started < limit_s:
        now = statistics.median(timed(command, env) for _ in range(7))
        if before is not None and now > 0.97 * before:
            return
        before = now
        time.sleep(2)


def startup(year: Path, workdir: Path, runs: int) -> dict:
    """Median wall times, the commands taking turns run after run: whatever else the machine is doing (writing back
    the desk's copy, say) weighs on the floor and on cs alike."""
    hello = workdir / "hello.py"
    hello.write_text(HELLO)
    # The commands that only read run on the cached desk itself (a fresh copy of gigabytes reads slowly for a while
    # on some machines); `ticket add` writes, on a copy.
    desk = work_copy(year, workdir)
    env, cached = env_for(desk), env_for(year)
    settle([sys.executable, str(hello)], env)
    commands = {
        "floor": ([sys.executable, str(hello)], env),
        "cs ticket add": (cs_command("ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary",
                                     "咨询会员积分", "--phone", "13800138000"), env),
        "cs ticket list --limit 20": (cs_command("ticket", "list", "--limit", "20"), cached),
        "cs callback list --overdue": (cs_command("callback", "list", "--overdue"), cached),
    }
    task = shutil.which("task")
    if task:
        data = workdir / "taskdata"
        data.mkdir()
        rc = workdir / "taskrc"
        rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\n")
        commands["task add (Taskwarrior)"] = ([task, "add", "咨询会员积分", "project:cs"],
                                              {**os.environ, "TASKRC": str(rc), "TASKDATA": str(data)})
    floor = commands.pop("floor")
    times: dict = {label: [] for label in commands}
    paired: dict = {label: [] for label in commands}
    paired_cpu: dict = {label: [] for label in commands}
    floors, floor_cpu = [], []
    for _run in range(runs):
        # The floor before and after each round's commands: a command is compared with the floor of its own round,
        # so a second in which this virtual machine runs slow weighs on both sides of the ratio.
        before = measured(*floor)
        found = {label: measured(command, command_env) for label, (command, command_env) in commands.items()}
        after = measured(*floor)
        wall, cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        floors.append(wall)
        floor_cpu.append(cpu)
        for label, (seconds, used) in found.items():
            times[label].append(seconds)
            paired[label].append(seconds / wall)
            paired_cpu[label].append(used / cpu)
    return {"floor": statistics.median(floors), "floor_min": min(floors),
            "commands": {label: statistics.median(values) for label, values in times.items()},
            "min": {label: min(values) for label, values in times.items()},
            "ratio": {label: statistics.median(values) for label, values in paired.items()},
            "cpu": {label: statistics.median(values) for label, values in paired_cpu.items()}}


def versions() -> str:
    def output(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
        except (OSError, subprocess.CalledProcessError):
            return None

    from importlib.metadata import version

    parts = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}", f"Click {version('click')}",
             f"sqlite-utils {version('sqlite-utils')}"]
    task = output(["task", "--version"]) if shutil.which("task") else None
    if task:
        parts.append(f"Taskwarrior {task}")
    return ", ".join(part for part in parts if part)


def editable() -> bool:
    """Installed with pip install -e (PEP 610's direct_url.json says so)."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        found = distribution("cs-desk").read_text("direct_url.json")
    except PackageNotFoundError:
        return False
    return bool(found) and json.loads(found).get("dir_info", {}).get("editable", False)


def compiled() -> None:
    """Byte-compile the installed cs as pip does on a normal install: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile its modules on every start and measure the compiler."""
    import compileall

    import cs
    import jobs

    for package in (cs, jobs):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cs-bench")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if editable():
        print("note: cs is an editable install; its import hook runs at every Python start (the floor's too):"
              " pip install . measures what users run", file=sys.stderr)
    compiled()
    year, record = centre(args.cache, args.agents, 365, args.rebuild)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        started = startup(year, workdir, args.runs)
        imported = imports(workdir, args.rows)
    floor = started["floor"]
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {versions()}; year-scale desk: {args.agents} agents,"
          f" 365 days, {record['tickets']:,} tickets, {record['callbacks']:,} callbacks\n")
    print("| command | cs | peer (same run) | ratio (median of each round's; fastest runs; CPU time) | target |")
    print("|---|---|---|---|---|")
    ratio = imported["cs"] / imported["peer"]
    print(f"| `cs ticket import`, {imported['rows']:,} JSONL tickets | {imported['cs']:.2f} s | sqlite-utils insert +"
          f" enable-fts trigram + create-index: {imported['peer']:.2f} s | **{ratio:.2f}×** | ≤ 1.0× "
          f"{'✓' if ratio <= 1.0 else '✗'} |")
    for label, seconds in started["commands"].items():
        if label.startswith("task "):
            add = started["commands"]["cs ticket add"]
            print(f"| `{label}` | `cs ticket add` {add * 1000:.0f} ms | {seconds * 1000:.0f} ms | "
                  f"**{add / seconds:.2f}×** | for reference |")
            continue
        ratio, best, cpu = started["ratio"][label], started["min"][label] / started["floor_min"], started["cpu"][label]
        print(f"| `{label}` (year) | {seconds * 1000:.0f} ms | Click hello-world {floor * 1000:.0f} ms | "
              f"**{ratio:.2f}×**; {best:.2f}×; {cpu:.2f}× | ≤ 1.5× {'✓' if ratio <= 1.5 else '✗'} |")


if __name__ == "__main__":
    main()
