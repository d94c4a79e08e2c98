"""Days, months and points as the 考核 counts them."""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta

from cs.core import clock
from cs.core.errors import CSError


def number(value):
    """Points and fines as people write them: 1 and 10, not 1.0 and 10.0 (2.5 stays 2.5)."""
    value = round(float(value or 0), 6)  # SUM over REAL adds binary noise: 0.1 * 3 is 0.3 here
    return int(value) if value.is_integer() else value


def bounds(ctx, day: date) -> tuple[str, str]:
    """The business day's start and end as stored timestamps."""
    start, end = clock.day_bounds(day, ctx.tz)
    return clock.to_db(start), clock.to_db(end)


def month_days(month: str) -> tuple[date, date]:
    """'2026-11' -> (first day, first day of the next month)."""
    try:
        year, number = map(int, month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise CSError(f"'{month}' is not a month; use YYYY-MM, e.g. 2026-11") from None
    return first, first + timedelta(days=_stdcal.monthrange(year, number)[1])
