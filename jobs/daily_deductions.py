"""daily-deductions: compute the deductions of every past day not computed yet (catching up)."""

from __future__ import annotations

from datetime import timedelta

from cs.core import clock
from cs.scoring import deductions


def earliest_day(ctx):
    """The first day anything happened (a ticket opened, a callback due, a violation), but not before
    `scoring.start`: history imported from the centre's old sheets is not scored again."""
    from datetime import date

    first = ctx.db.value(
        "SELECT MIN(t) FROM (SELECT MIN(opened_at) AS t FROM tickets UNION ALL SELECT MIN(due_at) FROM callbacks"
        " UNION ALL SELECT MIN(at) FROM violations)"
    )
    if not first:
        return None
    day = clock.local_date(clock.from_db(first), ctx.tz)
    start = ctx.config["scoring"].get("start")
    return max(day, date.fromisoformat(start)) if start else day


def run(ctx, *, dry_run: bool = False) -> dict:
    first = earliest_day(ctx)
    yesterday = clock.local_date(ctx.now, ctx.tz) - timedelta(days=1)
    computed = {row["date"] for row in ctx.db.all("SELECT date FROM deduction_days")}
    days = []
    day = first
    while first and day <= yesterday:
        if day.isoformat() not in computed:
            with ctx.db.transaction():
                summary = deductions.run(ctx, day, dry_run=dry_run)
            days.append({key: summary[key] for key in ("date", "entries", "added", "updated", "removed")})
        day += timedelta(days=1)
    entries = sum(d["entries"] for d in days)
    text = f"{len(days)} day(s) computed, {entries} entries" if days else "nothing to compute"
    return {"days": days, "summary": text}
