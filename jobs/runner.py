"""Running a cron job: one at a time (a file lock), every run recorded, failures reported.

A second run while one is going exits 0 at once, saying so: cron will simply try again at the
next tick. A run that was killed leaves its record 'running'; the next run marks it failed. SIGTERM
or SIGINT asks a run to stop: the job finishes the unit in hand (the message in flight, the day being
judged, the report being written), records it, and stops; a second signal stops it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time

from cs.core import i18n
from cs.core.errors import CSError
from cs.core.i18n import Msg, _

# Job name -> module, imported only when the job runs.
JOB_NAMES = {"overdue-alerts": "jobs.overdue_alerts", "daily-deductions": "jobs.daily_deductions",
             "shift-reports": "jobs.shift_reports"}


def names() -> dict:
    return JOB_NAMES


_stop: dict = {"signal": None}


def stop_requested() -> str | None:
    """The name of the signal that asked this run to stop, or None. Jobs look between units of work."""
    return _stop["signal"]


class StoppedAtOnce(BaseException):
    """A second SIGTERM or SIGINT: the run stops where it is (its open transaction rolls back; a message in
    flight is sent again next run under its key)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped at once by a second {signal.Signals(signum).name}")
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + signum


def _ask_to_stop(signum, frame) -> None:
    if _stop["signal"] is not None:
        raise StoppedAtOnce(signum)
    _stop["signal"] = signal.Signals(signum).name


@contextlib.contextmanager
def stoppable():
    """SIGTERM and SIGINT ask the run to stop instead of killing it mid-message."""
    import threading

    _stop["signal"] = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _ask_to_stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def exclusive(db_path: str, job: str):
    """Yield True holding the job's lock, or False when another run holds it. The lock is keyed by the
    database's real path: the same desk reached through a link or another spelling shares it."""
    from cs.core import files

    path = f"{os.path.realpath(db_path)}.{job}.lock"
    try:
        fd = files.open_desk_file(path, os.O_RDWR)
    except OSError as exc:
        raise files.describe_os_error(exc, path, _("open the lock file")) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def start(ctx, job: str) -> int:
    with ctx.db.transaction():
        english, parts = i18n.stored(Msg("interrupted (no end recorded)"))
        ctx.db.execute("UPDATE job_runs SET outcome = 'failed', ended_at = ?, summary = ?, summary_msg = ?"
                       " WHERE job = ? AND outcome = 'running'", (ctx.now_db, english, parts, job))
        return ctx.db.execute("INSERT INTO job_runs (job, started_at, outcome) VALUES (?, ?, 'running')",
                              (job, ctx.now_db)).lastrowid


def finish(ctx, run_id: int, outcome: str, summary, elapsed_s: float) -> None:
    """The end is the run's `now` plus how long it took (now is fixed for the whole run). A Msg summary is kept in
    English and in its parts, so `jobs status` shows it in its reader's language."""
    from datetime import timedelta

    from cs.core import clock

    ended = clock.to_db(ctx.now + timedelta(seconds=elapsed_s))
    with ctx.db.transaction():
        english, parts = i18n.stored(summary)
        ctx.db.execute("UPDATE job_runs SET ended_at = ?, outcome = ?, summary = ?, summary_msg = ? WHERE id = ?",
                       (ended, outcome, english, parts, run_id))


def status(ctx, db_path: str | None = None) -> list[dict]:
    """The latest run of each job. A run recorded 'running' whose process no longer holds the job's lock was
    killed: it is shown 'interrupted' at once (the next run records it failed)."""
    rows = []
    for job in names():
        row = ctx.db.one("SELECT * FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1", (job,))
        outcome, summary = (row["outcome"], i18n.text_of(row["summary"], row["summary_msg"])) if row else (None, None)
        if outcome == "running" and db_path is not None and _lock_is_free(db_path, job):
            outcome, summary = "interrupted", _("its process is gone (killed?); no end was recorded")
        rows.append({"job": job, "last_start": ctx.display(row["started_at"]) if row else None,
                     "last_end": ctx.display(row["ended_at"]) if row else None, "outcome": outcome,
                     "summary": summary})
    return rows


def _lock_is_free(db_path: str, job: str) -> bool:
    with exclusive(db_path, job) as acquired:
        return acquired


def run(ctx, db_path: str, job: str, *, dry_run: bool, options: dict) -> tuple[dict | None, bool]:
    """Run `job`; returns (its result, whether it succeeded), or (None, True) when another run holds the lock."""
    import importlib

    if job not in names():
        raise CSError(_("no job '{job}'; jobs are: {jobs}").format(job=job, jobs=", ".join(names())))
    module = importlib.import_module(names()[job])
    with exclusive(db_path, job) as acquired:
        if not acquired:
            return None, True
        if hasattr(module, "before_start"):
            module.before_start(ctx)
        run_id = None if dry_run else start(ctx, job)
        began = time.monotonic()
        with stoppable():
            try:
                result = module.run(ctx, dry_run=dry_run, **options)
            except StoppedAtOnce as exc:
                if run_id is not None:
                    finish(ctx, run_id, "failed", Msg("stopped at once by a second {signal}; what was done is"
                                                      " recorded", signal=exc.signal_name), time.monotonic() - began)
                error = CSError(_("stopped at once by a second {signal}; what was done is recorded, the rest is left"
                                  " for the next run").format(signal=exc.signal_name))
                error.exit_code = exc.exit_code
                raise error from None
            except BaseException as exc:
                if run_id is not None:
                    finish(ctx, run_id, "failed", f"{type(exc).__name__}: {exc}", time.monotonic() - began)
                raise
            stopped = stop_requested()
        summary = result.get("summary") or json.dumps(result)[:500]
        if stopped:
            result["stopped"] = stopped
            summary = Msg("stopped by {signal}: {summary}", signal=stopped, summary=summary)
        result["summary"] = str(summary)  # printed and in --json: the reader's language
        ok = not result.get("failed") and not stopped
        if run_id is not None:
            finish(ctx, run_id, "ok" if ok else "failed", summary, time.monotonic() - began)
        return result, ok
