"""Reliability with real OS processes: concurrent writers and jobs, the busy timeout, kill -9 in the
middle of an import or a job, and online backups while others write (SPEC §2, §10, §11).

Every `cs` below is a separate process (`python -m cs`), as cron, scripts and people run it, against
a database file in the test's own directory. The clock is fixed (CS_NOW from conftest: Friday
2026-11-20 09:30 in Shanghai), so the outcome is the same whatever order the processes run in.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds any one `cs` process may take

LOCK_HOLDER = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "c.execute('COMMIT')\n"
)


# =========================================================================== helpers


def cs_env(**extra) -> dict:
    env = {**os.environ, **{key: str(value) for key, value in extra.items()}}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(REPO)) if p)
    return env


def cs_argv(*args) -> list[str]:
    return [sys.executable, "-m", "cs", *map(str, args)]


def run_cs(*args, timeout: float = TIMEOUT, **env) -> subprocess.CompletedProcess:
    """`cs ARGS` in its own process; CS_DB, CS_NOW ... come from the environment conftest set up."""
    return subprocess.run(cs_argv(*args), env=cs_env(**env), capture_output=True, text=True, timeout=timeout)


def start_cs(*args, **env) -> subprocess.Popen:
    return subprocess.Popen(cs_argv(*args), env=cs_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def show(result) -> str:
    return (f"cs {' '.join(result.args[3:])} -> exit {result.returncode}\n"
            f"stdout: {result.stdout[:600]}\nstderr: {result.stderr[:1500]}")


def ok(result) -> subprocess.CompletedProcess:
    assert result.returncode == 0, show(result)
    assert "Traceback" not in result.stderr, show(result)
    return result


def ok_inproc(result):
    assert result.exit_code == 0, result
    return result


def rows(path, sql: str, params=()) -> list[tuple]:
    """Read the database directly (a plain reader: in WAL mode it never blocks the writers)."""
    with closing(sqlite3.connect(str(path), timeout=30)) as conn:
        return conn.execute(sql, params).fetchall()


def value(path, sql: str, params=()):
    return rows(path, sql, params)[0][0]


def db_check(*global_args) -> dict:
    result = ok(run_cs(*global_args, "db", "check", "--json"))
    report = json.loads(result.stdout)
    assert report["ok"] is True, report
    assert report["integrity"] == ["ok"] and report["foreign_key_problems"] == [], report
    return report


def db_path() -> Path:
    return Path(os.environ["CS_DB"])


def read_position(pid: int, path: Path) -> int | None:
    """How far process `pid` has read the file at `path` (Linux: /proc/PID/fdinfo)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                        for line in info:
                            if line.startswith("pos:"):
                                return int(line.split()[1])
            except OSError:
                continue
    except OSError:
        return None
    return None


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, proc.returncode


needs_proc = pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")


# =========================================================================== 1. concurrency


SETUP_AT = "2026-11-09T09:00"  # setup tickets opened, callbacks promised (all due before NOW)
OWN = 10  # callbacks each completer finishes alone
RACED = 3  # callbacks both completers try to finish
ADDS = 14  # tickets each adder adds


def test_concurrent_writers_and_jobs_lose_and_duplicate_nothing(cs):
    """Two processes add tickets and two complete callbacks while overdue-alerts and daily-deductions
    run in a loop: every command succeeds (no exit 75), nothing is lost or written twice."""
    path = db_path()
    ok_inproc(cs(["agent", "add", "alice", "--name", "Alice", "--team", "A"]))
    ok_inproc(cs(["agent", "add", "lee", "--name", "Lee", "--team", "A", "--role", "leader"]))
    setup_tickets, callback_ids = [], []
    for i in range(2 * OWN + RACED):
        ticket = ok_inproc(cs(["--now", SETUP_AT, "ticket", "add", "--channel", "phone", "--category", "complaint",
                               "--summary", f"setup-{i}", "--phone", f"1380000{i:04d}", "--agent", "alice",
                               "--json"])).json()["id"]
        due = f"2026-11-{10 + i % 10:02d}T10:00"
        callback = ok_inproc(cs(["--now", SETUP_AT, "callback", "add", "--ticket", str(ticket), "--due", due,
                                 "--json"])).json()["id"]
        setup_tickets.append(ticket)
        callback_ids.append(callback)
    raced = callback_ids[:RACED]
    own = [callback_ids[RACED:RACED + OWN], callback_ids[RACED + OWN:]]

    results: list[tuple[tuple, subprocess.CompletedProcess]] = []
    lock = threading.Lock()
    workers_done = threading.Event()
    errors: list[BaseException] = []

    def record(kind, result):
        with lock:
            results.append((kind, result))

    def guarded(body):
        def run():
            try:
                body()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
        return run

    def adder(name):
        for i in range(ADDS):
            # Both adders share five customers: their upserts collide on the same rows.
            record(("add",), run_cs("ticket", "add", "--channel", "phone", "--category", "inquiry",
                                 "--summary", f"{name}-{i}", "--phone", f"1390000{i % 5:04d}",
                                 "--customer", f"客户{i % 5}", "--agent", "alice"))

    def completer(mine):
        for callback in raced + mine:  # the raced ones first, so both processes go for them together
            kind = "race" if callback in raced else "done"
            record((kind, callback), run_cs("callback", "done", callback, "--outcome", "satisfied"))

    def job_loop(job):
        runs = 0
        while not workers_done.is_set() or runs < 2:
            record(("job", job), run_cs("jobs", "run", job, "--json"))
            runs += 1
            time.sleep(0.05)

    writers = [threading.Thread(target=guarded(lambda n=n: adder(n))) for n in ("add-a", "add-b")]
    writers += [threading.Thread(target=guarded(lambda m=m: completer(m))) for m in own]
    jobs = [threading.Thread(target=guarded(lambda j=j: job_loop(j))) for j in ("overdue-alerts", "daily-deductions")]
    for thread in jobs + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    workers_done.set()
    for thread in jobs:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in jobs + writers)

    # Every command succeeded; of two processes completing the same callback exactly one did.
    for kind, result in results:
        assert "Traceback" not in result.stderr, show(result)
        if kind[0] == "race":
            assert result.returncode in (0, 1), show(result)
            if result.returncode == 1:
                lines = result.stderr.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("Error: ") and "done" in lines[0], show(result)
        else:
            ok(result)
    race_codes = Counter((kind[1], result.returncode) for kind, result in results if kind[0] == "race")
    assert race_codes == Counter({**{(c, 0): 1 for c in raced}, **{(c, 1): 1 for c in raced}}), race_codes

    # Tickets: one row, one 'created' event and one search entry per add; ids as printed.
    adds = [result for kind, result in results if kind[0] == "add"]
    assert len(adds) == 2 * ADDS
    printed = [int(result.stdout.strip()) for result in adds]
    assert len(set(printed)) == len(printed)
    summaries = {int(i): s for i, s in rows(path, "SELECT id, summary FROM tickets")}
    assert len(summaries) == len(setup_tickets) + 2 * ADDS
    expected_summaries = sorted(f"{n}-{i}" for n in ("add-a", "add-b") for i in range(ADDS))
    assert sorted(summaries[i] for i in printed) == expected_summaries
    assert sorted(s for s in summaries.values() if s.startswith("add-")) == expected_summaries
    created = dict(rows(path, "SELECT ticket_id, COUNT(*) FROM ticket_events WHERE kind = 'created'"
                              " GROUP BY ticket_id"))
    assert created == {i: 1 for i in summaries}
    assert value(path, "SELECT COUNT(*) FROM ticket_fts") == len(summaries)
    assert value(path, "SELECT COUNT(*) FROM customers WHERE phone LIKE '1390000%'") == 5

    # Callbacks: each done exactly once, with exactly one 'done' event; its ticket scored once.
    assert rows(path, "SELECT DISTINCT status, outcome FROM callbacks") == [("done", "satisfied")]
    events = Counter(rows(path, "SELECT callback_id, kind FROM callback_events"))
    assert events == Counter({**{(c, "created"): 1 for c in callback_ids}, **{(c, "done"): 1 for c in callback_ids}})
    scored = dict(rows(path, "SELECT ticket_id, COUNT(*) FROM ticket_events WHERE kind = 'satisfaction'"
                             " GROUP BY ticket_id"))
    assert scored == {t: 1 for t in setup_tickets}
    assert {s for (s,) in rows(path, "SELECT satisfaction FROM tickets WHERE id IN (%s)"
                                     % ",".join(map(str, setup_tickets)))} == {5}

    # daily-deductions: every past day once, one entry per fact (the clock is fixed: no race changes them).
    job_runs = [(kind[1], result) for kind, result in results if kind[0] == "job"]
    days = [d for (d,) in rows(path, "SELECT date FROM deduction_days ORDER BY date")]
    assert days == [(date(2026, 11, 9) + timedelta(days=n)).isoformat() for n in range(11)]
    computed = [day["date"] for job, result in job_runs if job == "daily-deductions"
                for day in json.loads(result.stdout)["days"]]
    assert sorted(computed) == days  # each day computed by exactly one run
    by_rule = dict(rows(path, "SELECT rule, COUNT(*) FROM deductions GROUP BY rule"))
    assert by_rule == {"first_response_late": len(setup_tickets), "callback_overdue": len(callback_ids)}
    assert value(path, "SELECT COUNT(DISTINCT ref_id) FROM deductions WHERE rule = 'callback_overdue'") \
        == len(callback_ids)

    # overdue-alerts: no (callback or ticket, level, recipient) alerted twice; what was sent is what was recorded.
    sent = Counter()
    for job, result in job_runs:
        if job == "overdue-alerts":
            for alert in json.loads(result.stdout)["alerts"]:
                assert alert["status"] == "sent", alert
                sent[(alert["kind"], alert["ref_id"], alert["level"], alert["recipient"], alert["channel"])] += 1
    assert all(n == 1 for n in sent.values()), sent
    assert Counter(rows(path, "SELECT kind, ref_id, level, recipient, channel FROM alerts")) == sent

    # Every job run recorded and finished ok; none left 'running'.
    outcomes = Counter(rows(path, "SELECT job, outcome FROM job_runs"))
    assert outcomes == Counter({(job, "ok"): n for job, n in Counter(j for j, _ in job_runs).items()}), outcomes
    db_check()


# =========================================================================== 2. the busy timeout


def _hold_lock(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_short_lock_is_waited_out_and_a_long_one_exits_75(cs, tmp_path):
    """Another process holds BEGIN EXCLUSIVE: for 2 s `cs ticket add` waits and succeeds; for longer
    than the 5 s busy timeout it gives up with exit 75 and one `Error:` line, having written nothing."""
    short_db, long_db = tmp_path / "short.db", tmp_path / "long.db"
    for path in (short_db, long_db):
        ok_inproc(cs(["--db", str(path), "agent", "add", "alice", "--name", "Alice"]))
    add = ("ticket", "add", "--channel", "phone", "--category", "inquiry", "--summary", "锁等待")
    holders = [_hold_lock(short_db, 2.0), _hold_lock(long_db, 12.0)]
    try:
        began = time.monotonic()
        procs = [start_cs(*add, CS_DB=short_db), start_cs(*add, CS_DB=long_db)]
        outputs, elapsed = [], []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            outputs.append((proc.returncode, out, err))
            elapsed.append(time.monotonic() - began)
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
    (short_code, short_out, short_err), (long_code, long_out, long_err) = outputs
    assert short_code == 0, short_err
    assert "Traceback" not in short_err
    assert elapsed[0] >= 1.5, f"the add finished after {elapsed[0]:.1f} s: it did not wait for the lock"
    assert rows(short_db, "SELECT id, summary FROM tickets") == [(int(short_out.strip()), "锁等待")]

    assert long_code == 75, (long_code, long_out, long_err)
    lines = long_err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "locked" in lines[0], long_err
    assert "Traceback" not in long_err and long_out == ""
    assert 4.5 <= elapsed[1] < 11.5, f"gave up after {elapsed[1]:.1f} s (busy timeout 5 s, lock held 12 s)"
    assert value(long_db, "SELECT COUNT(*) FROM tickets") == 0
    # Once the lock is gone the same command goes through (cron's retry).
    ok(run_cs(*add, CS_DB=long_db))
    assert value(long_db, "SELECT COUNT(*) FROM tickets") == 1


# =========================================================================== 3. kill -9


IMPORT_ROWS = 160_000


def _write_import_file(path: Path, count: int) -> None:
    tags = ('["demand"]', "[]")
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(
                f'{{"opened_at": "2026-10-{1 + n * 28 // count:02d}T{9 + n % 10:02d}:{n % 60:02d}:00+08:00",'
                f' "channel": "phone", "category": "repair", "priority": "normal", "status": "open",'
                f' "summary": "客户来电第{n}号: 空调漏水需要上门维修", "customer_name": "王先生",'
                f' "customer_phone": "138{n % 5000:08d}", "tags": {tags[n % 7 != 0]}}}\n'
            )


@needs_proc
def test_kill_9_during_a_large_import_leaves_nothing_and_the_import_can_run_again(tmp_path):
    """`cs ticket import` is one transaction: SIGKILL while it writes (uncommitted pages already
    spilled to the WAL) leaves a healthy database without a single imported row; run again, it
    imports everything."""
    path = db_path()
    source = tmp_path / "tickets.jsonl"
    _write_import_file(source, IMPORT_ROWS)
    size = source.stat().st_size
    ok(run_cs("db", "info"))  # the database exists before the import starts
    wal = Path(f"{path}-wal")

    proc = start_cs("ticket", "import", source)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert proc.poll() is None, f"the import ended before it was killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "the import made no progress"
            position = read_position(proc.pid, source) or 0
            spilled = wal.exists() and wal.stat().st_size > 1 << 20
            # Kill once uncommitted pages sit in the WAL, or at 85 % of the file if they never do:
            # before the end of the file, so the import cannot have committed.
            if (spilled and position > 0) or position > size * 0.85:
                break
            time.sleep(0.01)
    finally:
        kill9(proc)
    assert position < size * 0.95, "killed too late to be mid-import"

    db_check()
    for table in ("tickets", "customers", "ticket_fts", "ticket_events"):
        assert value(path, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert value(path, "SELECT COUNT(*) FROM audit WHERE action = 'ticket.import'") == 0

    again = ok(run_cs("ticket", "import", source, "--json"))
    assert json.loads(again.stdout)["imported"] == IMPORT_ROWS
    assert rows(path, "SELECT COUNT(*), MIN(id), MAX(id) FROM tickets") == [(IMPORT_ROWS, 1, IMPORT_ROWS)]
    assert value(path, "SELECT COUNT(*) FROM ticket_fts") == IMPORT_ROWS
    assert value(path, "SELECT COUNT(*) FROM audit WHERE action = 'ticket.import'") == 1
    db_check()


FIRST_DAY = date(2014, 1, 1)
LAST_DAY = date(2026, 11, 19)  # the day before NOW: the last day the job computes
PER_DAY = 2


def _deductions_per_day(path) -> dict:
    return dict(rows(path, "SELECT date, COUNT(*) FROM deductions GROUP BY date"))


def _assert_days_all_or_nothing(path, all_days: list[str]) -> set:
    computed = {d for (d,) in rows(path, "SELECT date FROM deduction_days")}
    per_day = _deductions_per_day(path)
    assert set(per_day) <= set(all_days)
    half_done = {day: per_day.get(day, 0) for day in all_days
                 if per_day.get(day, 0) != (PER_DAY if day in computed else 0)}
    assert not half_done, f"days with partial deductions: {dict(list(half_done.items())[:5])}"
    return computed


def _a_history_of_unanswered_tickets(cs, tmp_path) -> list[str]:
    """PER_DAY tickets a day from FIRST_DAY to LAST_DAY, never answered: one first_response_late entry each."""
    ok_inproc(cs(["agent", "add", "alice", "--name", "Alice"]))
    source = tmp_path / "history.jsonl"
    all_days = []
    with source.open("w", encoding="utf-8") as out:
        day = FIRST_DAY
        while day <= LAST_DAY:
            all_days.append(day.isoformat())
            for k in range(PER_DAY):
                out.write(json.dumps({"opened_at": f"{day.isoformat()}T{10 + k}:00:00+08:00", "channel": "phone",
                                      "category": "inquiry", "priority": "normal", "status": "open",
                                      "summary": f"{day} #{k}", "agent": "alice"}) + "\n")
            day += timedelta(days=1)
    ok(run_cs("ticket", "import", source))
    return all_days


def _kill_daily_deductions_after(path, computed_days: int) -> None:
    proc = start_cs("jobs", "run", "daily-deductions")
    try:
        deadline = time.monotonic() + TIMEOUT
        while value(path, "SELECT COUNT(*) FROM deduction_days") < computed_days:
            assert proc.poll() is None, f"the job ended before it was killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.005)
    finally:
        kill9(proc)


@needs_proc
def test_kill_9_during_daily_deductions_keeps_days_whole_and_the_next_run_completes(cs, tmp_path):
    """SIGKILL `cs jobs run daily-deductions` twice mid-run: every day's deductions are all there or not
    at all, the database is healthy, the next run computes exactly the remaining days, and the killed
    runs are recorded as failed."""
    path = db_path()
    all_days = _a_history_of_unanswered_tickets(cs, tmp_path)

    _kill_daily_deductions_after(path, len(all_days) // 10)
    db_check()
    first = _assert_days_all_or_nothing(path, all_days)
    assert 0 < len(first) < len(all_days), len(first)

    _kill_daily_deductions_after(path, len(all_days) // 2)
    db_check()
    second = _assert_days_all_or_nothing(path, all_days)
    assert first < second and len(second) < len(all_days), (len(first), len(second))

    done = ok(run_cs("jobs", "run", "daily-deductions", "--json"))
    caught_up = [d["date"] for d in json.loads(done.stdout)["days"]]
    assert sorted(caught_up) == sorted(set(all_days) - second)  # the rest, and nothing twice
    assert _assert_days_all_or_nothing(path, all_days) == set(all_days)
    assert value(path, "SELECT COUNT(*) FROM deductions") == PER_DAY * len(all_days)
    db_check()

    runs = rows(path, "SELECT outcome, summary, ended_at IS NOT NULL FROM job_runs"
                      " WHERE job = 'daily-deductions' ORDER BY id")
    assert [r[0] for r in runs] == ["failed", "failed", "ok"], runs
    assert all("interrupted" in r[1] for r in runs[:2]) and all(r[2] for r in runs), runs
    status = {row["job"]: row for row in json.loads(ok(run_cs("jobs", "status", "--json")).stdout)}
    assert status["daily-deductions"]["outcome"] == "ok"
    assert status["daily-deductions"]["last_end"] is not None


def test_sigterm_during_daily_deductions_finishes_the_day_in_hand_and_stops(cs, tmp_path):
    """SPEC section 16: SIGTERM ends the run after the unit in hand: the day being judged is completed, no later
    day is begun, the run exits 143 with one Error line and is recorded 'stopped by SIGTERM'; the next run
    judges exactly the rest."""
    import signal

    path = db_path()
    all_days = _a_history_of_unanswered_tickets(cs, tmp_path)
    proc = start_cs("jobs", "run", "daily-deductions")
    try:
        deadline = time.monotonic() + TIMEOUT
        while value(path, "SELECT COUNT(*) FROM deduction_days") < len(all_days) // 10:
            assert proc.poll() is None and time.monotonic() < deadline, "the job ended or made no progress"
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            kill9(proc)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and err.count("Error:") == 1 and "stopped by SIGTERM" in err
    judged = _assert_days_all_or_nothing(path, all_days)
    assert 0 < len(judged) < len(all_days), len(judged)
    runs = rows(path, "SELECT outcome, summary FROM job_runs WHERE job = 'daily-deductions' ORDER BY id")
    assert runs[-1][0] == "failed" and runs[-1][1].startswith("stopped by SIGTERM"), runs
    done = ok(run_cs("jobs", "run", "daily-deductions", "--json"))
    assert sorted(d["date"] for d in json.loads(done.stdout)["days"]) == sorted(set(all_days) - judged)
    db_check()


# =========================================================================== 4. backups


def _check_backup(path: Path) -> int:
    """A standalone, owner-only, healthy file holding a gap-free prefix of the tickets; returns N."""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
    assert not Path(f"{path}-wal").exists()
    ids = [i for (i,) in rows(path, "SELECT id FROM tickets ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1)), f"{path.name}: ids with gaps"
    created = [t for (t,) in rows(path, "SELECT ticket_id FROM ticket_events WHERE kind = 'created'"
                                        " ORDER BY ticket_id")]
    assert created == ids, f"{path.name}: tickets without their created event (or events twice)"
    assert value(path, "SELECT COUNT(*) FROM ticket_fts") == len(ids)
    db_check("--db", path)
    return len(ids)


def test_backups_taken_while_writers_run_are_consistent_and_complete(tmp_path):
    """`cs db backup` while three processes keep adding tickets: every backup is healthy, owner-only and
    holds a consistent prefix; the last one, copied elsewhere, holds every committed row."""
    path = db_path()
    ok(run_cs("agent", "add", "alice", "--name", "Alice"))
    stop = threading.Event()
    printed: list[int] = []
    failures: list[str] = []

    def writer(n):
        i = 0
        while not stop.is_set():
            result = run_cs("ticket", "add", "--channel", "phone", "--category", "inquiry",
                            "--summary", f"writer{n}-{i}", "--phone", f"13700{n}{i:05d}", "--agent", "alice")
            if result.returncode != 0 or "Traceback" in result.stderr:
                failures.append(show(result))
            else:
                printed.append(int(result.stdout.strip()))
            i += 1

    # A long-lived reader (a report, a dashboard) keeps the last writer from folding the WAL back into
    # the main file on exit: committed rows stay in the WAL, and a backup has to include them.
    with closing(sqlite3.connect(str(path))) as reader:
        reader.execute("SELECT COUNT(*) FROM tickets").fetchone()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        backups = []
        try:
            for k in range(4):
                deadline = time.monotonic() + TIMEOUT
                while value(path, "SELECT COUNT(*) FROM tickets") < 3 * (k + 1):
                    assert time.monotonic() < deadline and not failures, failures
                    time.sleep(0.05)
                target = tmp_path / "backups" / f"during-{k}.db"
                result = ok(run_cs("db", "backup", target))
                assert result.stdout.strip() == str(target)
                backups.append(target)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=TIMEOUT)
        assert not failures, failures
        live_count = value(path, "SELECT COUNT(*) FROM tickets")
        final = tmp_path / "backups" / "final.db"
        ok(run_cs("db", "backup", final))

        counts = [_check_backup(b) for b in backups]
        assert counts == sorted(counts) and 0 < counts[0], counts
        assert counts[-1] < live_count, "no backup was taken while the writers were adding"
        assert _check_backup(final) == live_count

        restored = tmp_path / "restored" / "cs.db"
        restored.parent.mkdir()
        shutil.copy2(final, restored)  # the one file is the whole backup
        live_info = json.loads(ok(run_cs("db", "info", "--json")).stdout)
        restored_info = json.loads(ok(run_cs("--db", restored, "db", "info", "--json")).stdout)
        assert restored_info["tables"] == live_info["tables"]
        exported = [json.loads(line) for line in ok(run_cs("--db", restored, "ticket", "export")).stdout.splitlines()]
        live = [json.loads(line) for line in ok(run_cs("ticket", "export")).stdout.splitlines()]
        assert exported == live
        assert sorted(printed) == [t["id"] for t in exported]  # every add that reported success is there
