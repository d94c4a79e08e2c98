"""shift-reports: write the 值班日志 of every shift that has ended and has no report yet."""

from __future__ import annotations

import json
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


def run(ctx, *, dry_run: bool = False, out: str | None = None, fmt: str = "html", lang: str = "zh",
        channels: dict | None = None) -> dict:
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
    delivery = Delivery(ctx, channels, fmt) if channels and not dry_run else None
    if delivery is not None:
        delivery.again()  # reports whose delivery failed or was cut short, first
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
                if delivery is not None:  # every delivery owed, with the report: a stop half-way loses none
                    delivery.owe(report)
            if delivery is not None:
                delivery.send(report, path)
        written_files.append(str(path))
    result = {"files": written_files,
              "summary": Msg("{count} report(s) written", count=len(written_files)) if written_files
              else Msg("no new shift has ended")}
    if delivery is not None:
        result.update(delivered=delivery.delivered, failed=bool(delivery.errors), errors=delivery.errors)
        if delivery.delivered or delivery.errors:
            result["summary"] = Msg("{written}; {sent} sent to the supervisors, {failed} failed", written=result[
                "summary"], sent=len(delivery.delivered), failed=len(delivery.errors))
    return result


class Delivery:
    """Each report to each supervisor on each channel, once (seed 001: 备份二发客服主管的邮箱). A delivery is recorded
    before it is sent and marked sent after; one that failed or was cut short is sent again by the next run, under
    the same key (the e-mail's Message-ID, the robots' alert_key)."""

    def __init__(self, ctx, channels: dict, fmt: str):
        self.ctx, self.channels, self.fmt = ctx, channels, fmt
        self.supervisors = [dict(row) for row in ctx.db.all(
            "SELECT * FROM agents WHERE role = 'supervisor' AND active = 1 ORDER BY handle")]
        self.delivered: list[dict] = []
        self.errors: list[str] = []

    def owe(self, report: dict) -> None:
        """Record every (supervisor, channel) the report is owed to, in the transaction that records the report."""
        self.ctx.db.executemany(
            "INSERT OR IGNORE INTO report_deliveries (date, shift, recipient, channel, delivery_key, state, attempts,"
            " intended_at) VALUES (?, ?, ?, ?, ?, 'sending', 0, ?)",
            [(report["date"], report["shift"]["code"], person["handle"], name,
              _key(report["date"], report["shift"]["code"], person["handle"], name), self.ctx.now_db)
             for person in self.supervisors for name in self.channels])

    def again(self) -> None:
        for row in self.ctx.db.all("SELECT d.*, r.path FROM report_deliveries d JOIN shift_report_runs r"
                                   " ON r.date = d.date AND r.shift = d.shift WHERE d.state <> 'sent' ORDER BY d.date"):
            if stop_requested():
                return
            person = next((p for p in self.supervisors if p["handle"] == row["recipient"]), None)
            if person is None or row["channel"] not in self.channels:
                continue  # no longer a supervisor, or the channel is gone: nobody to send it to
            if not Path(row["path"]).is_file():
                self.errors.append(_("{date} {shift}: the report {path} is gone, so it was not sent to {recipient};"
                                     " put the file back and the next run sends it").format(
                    date=row["date"], shift=row["shift"], path=row["path"], recipient=row["recipient"]))
                continue
            from datetime import date as date_type

            report = reports.shift_report(self.ctx, day=date_type.fromisoformat(row["date"]), shift_code=row["shift"])
            self._one(report, Path(row["path"]), person, row["channel"])

    def send(self, report: dict, path: Path) -> None:
        for person in self.supervisors:
            for name in self.channels:
                if stop_requested():
                    return
                done = self.ctx.db.one("SELECT state FROM report_deliveries WHERE date = ? AND shift = ? AND"
                                       " recipient = ? AND channel = ?",
                                       (report["date"], report["shift"]["code"], person["handle"], name))
                if done is None or done["state"] != "sent":
                    self._one(report, path, person, name)

    def _one(self, report: dict, path: Path, person: dict, name: str) -> None:

        from jobs.notify import DeliveryError

        ctx, day, code = self.ctx, report["date"], report["shift"]["code"]
        key = _key(day, code, person["handle"], name)
        with ctx.db.transaction():
            ctx.db.execute(
                "INSERT INTO report_deliveries (date, shift, recipient, channel, delivery_key, state, intended_at)"
                " VALUES (?, ?, ?, ?, ?, 'sending', ?) ON CONFLICT (date, shift, recipient, channel)"
                " DO UPDATE SET state = 'sending', attempts = attempts + 1, error = NULL",
                (day, code, person["handle"], name, key, ctx.now_db))
        body = path.read_text(encoding="utf-8")
        text = summary(report, path.name)
        subject = _("[cs] {date} {shift} shift report").format(date=day, shift=report["shift"]["label"])
        try:
            self.channels[name].deliver(person, 1, text if name != "email" or self.fmt == "html" else body, [], key,
                                        subject=subject, html=body if self.fmt == "html" else None)
        except DeliveryError as exc:
            self.errors.append(_("{recipient} via {channel}: {error}").format(recipient=person["handle"],
                                                                              channel=name, error=exc))
            with ctx.db.transaction():
                ctx.db.execute("UPDATE report_deliveries SET state = 'failed', error = ? WHERE date = ? AND shift = ?"
                               " AND recipient = ? AND channel = ?", (str(exc)[:500], day, code, person["handle"],
                                                                      name))
            return
        with ctx.db.transaction():
            ctx.db.execute("UPDATE report_deliveries SET state = 'sent', sent_at = ? WHERE date = ? AND shift = ?"
                           " AND recipient = ? AND channel = ?", (ctx.now_db, day, code, person["handle"], name))
        self.delivered.append({"date": day, "shift": code, "recipient": person["handle"], "channel": name,
                               "key": key})


def _key(day: str, shift: str, recipient: str, channel: str) -> str:
    """A delivery's idempotency key: the same report to the same person on the same channel, the same key."""
    import hashlib

    return hashlib.sha256(json.dumps(["report", day, shift, recipient, channel]).encode()).hexdigest()[:32]


def summary(report: dict, file_name: str) -> str:
    """The key figures of a shift report, for a chat message."""
    tickets, callbacks = report["tickets"], report["callbacks"]
    return _("{date} {shift} shift report: {received} received, {resolved} resolved, {breached} past their SLA;"
             " callbacks {done} done, {overdue} overdue; {deductions} deduction(s); the file: {file}").format(
        date=report["date"], shift=report["shift"]["label"], received=tickets["received"],
        resolved=tickets["resolved"], breached=tickets["breached"], done=callbacks["done"],
        overdue=callbacks["overdue"], deductions=len(report["deductions"]), file=file_name)
