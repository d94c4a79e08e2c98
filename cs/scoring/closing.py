"""Closing a month (SPEC section 13): a closed month's 考核 is final. Runs for its days change nothing
(and say so, exit 0, so cron's catch-up goes on), voids and appeal decisions on its entries are refused
until a supervisor reopens it, with a reason."""

from __future__ import annotations

from datetime import date, timedelta

from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.text import clean_text
from cs.desk import agents as agents_mod
from cs.scoring.units import earliest_day, is_over, month_days


def is_closed(ctx, month: str) -> bool:
    return ctx.db.one("SELECT 1 FROM closed_months WHERE month = ?", (month,)) is not None


def day_is_closed(ctx, day: date) -> bool:
    return is_closed(ctx, day.strftime("%Y-%m"))


def refuse_if_closed(ctx, day_text: str, doing: str) -> None:
    month = day_text[:7]
    if is_closed(ctx, month):
        raise CSError(_("{month} is closed, so {doing} waits; a supervisor can reopen it:"
                        " cs deductions reopen --month {month} --reason WHY").format(month=month, doing=doing))


def close(ctx, month: str) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, _("closing a month"))
    first, after = month_days(month)
    month = first.strftime("%Y-%m")
    if is_closed(ctx, month):
        raise CSError(_("{month} is closed already").format(month=month))
    last = after - timedelta(days=1)
    if not is_over(ctx, last):
        raise CSError(_("{month} is not over yet; a month is closed once its last day has been judged").format(
            month=month))
    start = max(first, earliest_day(ctx) or after)
    judged = {row[0] for row in ctx.db.all("SELECT date FROM deduction_days WHERE date >= ? AND date < ?",
                                           (first.isoformat(), after.isoformat()))}
    missing = [start + timedelta(days=n) for n in range((after - start).days)
               if (start + timedelta(days=n)).isoformat() not in judged]
    if missing:
        more = _(" and {n} more").format(n=len(missing) - 1) if len(missing) > 1 else ""
        raise CSError(_("{month} has days not judged yet ({first}{more}); run 'cs jobs run daily-deductions' first,"
                        " then close it").format(month=month, first=missing[0].isoformat(), more=more))
    ctx.db.execute("INSERT INTO closed_months (month, closed_at, closed_by) VALUES (?, ?, ?)",
                   (month, ctx.now_db, ctx.actor))
    record = {"month": month, "closed": True, "closed_at": ctx.display(ctx.now_db), "closed_by": ctx.actor}
    ctx.db.audit(ctx.now_db, ctx.actor, "deductions.close", "month", month, None, record)
    return record


def reopen(ctx, month: str, reason: str) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, _("reopening a month"))
    month = month_days(month)[0].strftime("%Y-%m")
    reason = clean_text(reason, "reason", 500, required=True)
    row = ctx.db.one("SELECT * FROM closed_months WHERE month = ?", (month,))
    if row is None:
        raise CSError(_("{month} is not closed").format(month=month))
    ctx.db.execute("DELETE FROM closed_months WHERE month = ?", (month,))
    ctx.db.audit(ctx.now_db, ctx.actor, "deductions.reopen", "month", month, dict(row),
                 {"month": month, "closed": False, "reason": reason})
    return {"month": month, "closed": False, "closed_at": None, "closed_by": None}
