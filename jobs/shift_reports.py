"""shift-reports: write the 值班日志 of every shift that has ended and has no report yet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cs.core import clock, files
from cs.core.errors import CSError
from cs.core.i18n import Msg, _
from cs.desk import shifts
from cs.reports import figures as reports
from cs.scoring.units import earliest_day
from jobs.runner import stop_requested


def ended_shifts(ctx, since_day):
    day, today = since_day, clock.local_date(ctx.now, ctx.tz)
    while day <= today:
        for shift in ctx.config["shift"]:
            window = shifts.window(ctx, shift, day)
            if window.end <= ctx.now:
                yield window
        day += timedelta(days=1)


def run(ctx, *, dry_run: bool = False, out: str | None = None, fmt: str = "html", lang: str = "zh") -> dict:
    from cs.reports import render as report_render

    if not out:
        raise CSError(_("shift-reports needs --out DIR: where to write the reports"))
    directory = Path(out)
    if not dry_run:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CSError(_("cannot create {directory}: {error}").format(directory=directory,
                                                                       error=files.os_reason(exc))) from None
    first = earliest_day(ctx)
    written = {(row["date"], row["shift"]) for row in ctx.db.all("SELECT date, shift FROM shift_report_runs")}
    written_files = []
    for window in (ended_shifts(ctx, first) if first else ()):
        if (window.date.isoformat(), window.code) in written:
            continue
        if stop_requested():
            break
        report = reports.shift_report(ctx, day=window.date, shift_code=window.code)
        path = directory / reports.file_name(report, report_render.EXTENSIONS[fmt])
        if not dry_run:
            files.write_private(path, report_render.render(report, fmt, lang))
            with ctx.db.transaction():
                ctx.db.execute("INSERT INTO shift_report_runs (date, shift, path, written_at) VALUES (?, ?, ?, ?)",
                               (window.date.isoformat(), window.code, str(path), ctx.now_db))
        written_files.append(str(path))
    return {"files": written_files,
            "summary": Msg("{count} report(s) written", count=len(written_files)) if written_files
            else Msg("no new shift has ended")}
