"""Days, months and points as the 考核 counts them."""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _


def number(value):
    """Points and fines as people write them: 1 and 10, not 1.0 and 10.0 (2.5 stays 2.5)."""
    value = round(float(value or 0), 6)  # SUM over REAL adds binary noise: 0.1 * 3 is 0.3 here
    return int(value) if value.is_integer() else value


def bounds(ctx, day: date) -> tuple[str, str]:
    """The business day's start and end as stored timestamps: the moments that belong to `day` (a night
    shift's hours after midnight belong to the day it started on)."""
    start, end = ctx.business_days.bounds(day, ctx.tz)
    return clock.to_db(start), clock.to_db(end)


def over_at(ctx, day: date) -> str:
    """When `day` is over and may be judged: every shift that started on it has ended, plus [scoring] grace."""
    grace = clock.parse_duration(ctx.config["scoring"]["grace"])
    return clock.to_db(ctx.business_days.over_at(day, ctx.tz, timedelta(seconds=grace.seconds())))


def is_over(ctx, day: date) -> bool:
    return ctx.now_db >= over_at(ctx, day)


def month_days(month: str) -> tuple[date, date]:
    """'2026-11' -> (first day, first day of the next month)."""
    try:
        year, number = map(int, month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise CSError(_("'{month}' is not a month; use YYYY-MM, e.g. 2026-11").format(month=month)) from None
    return first, first + timedelta(days=_stdcal.monthrange(year, number)[1])


def earliest_day(ctx):
    """The first business day anything happened (a ticket opened, a callback due, a violation, a shift
    rostered), but not before `scoring.start`: history imported from the centre's old sheets is not scored
    again."""
    first = ctx.db.value(
        "SELECT MIN(t) FROM (SELECT MIN(opened_at) AS t FROM tickets UNION ALL SELECT MIN(due_at) FROM callbacks"
        " UNION ALL SELECT MIN(at) FROM violations)"
    )
    days = [ctx.business_day(clock.from_db(first))] if first else []
    rostered = ctx.db.value("SELECT MIN(date) FROM roster")
    days += [date.fromisoformat(rostered)] if rostered else []
    if not days:
        return None
    start = ctx.config["scoring"].get("start")
    return max(min(days), date.fromisoformat(start)) if start else min(days)
