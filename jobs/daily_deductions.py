"""daily-deductions: judge every day that is over and not judged yet (catching up), and compute the last
`[scoring] recheck_days` days again, so facts that arrived late (a back-filled duty, a verdict) count.

A day is over when every shift that started on it has ended, plus `[scoring] grace` (SPEC section 12):
with a night shift 17:30–08:30 the 00:30 run leaves yesterday alone until 09:00.
"""

from __future__ import annotations

from datetime import timedelta

from cs.core import clock
from cs.core.i18n import Msg
from cs.scoring import closing, deductions, units
from cs.scoring.units import earliest_day
from cs.store import upkeep
from jobs.runner import stop_requested


def last_day_over(ctx, first):
    """The latest day that is over (None when none since `first` is)."""
    day = clock.local_date(ctx.now, ctx.tz)
    while day >= first and not units.is_over(ctx, day):
        day -= timedelta(days=1)
    return day if day >= first else None


def before_start(ctx) -> None:
    """Once a day the whole file is looked at before anything is written to it: a damaged one is refused."""
    upkeep.refuse_if_damaged(ctx.db)


def run(ctx, *, dry_run: bool = False) -> dict:
    first = earliest_day(ctx)
    last = last_day_over(ctx, first) if first else None
    computed = {row["date"] for row in ctx.db.all("SELECT date FROM deduction_days")}
    days, rechecked = [], []
    day = first
    while last and day <= last and not stop_requested():
        if day.isoformat() not in computed and not closing.day_is_closed(ctx, day):
            with ctx.db.transaction():
                summary = deductions.run(ctx, day, dry_run=dry_run)
            days.append({key: summary[key] for key in ("date", "entries", "added", "updated", "removed")})
        day += timedelta(days=1)
    for day in _recheck_days(ctx, first, last, computed):
        if stop_requested():
            break
        with ctx.db.transaction():
            summary = deductions.run(ctx, day, dry_run=dry_run)
        if summary["added"] or summary["updated"] or summary["removed"]:
            rechecked.append({key: summary[key] for key in ("date", "entries", "added", "updated", "removed",
                                                            "changes")})
    return {"days": days, "rechecked": rechecked, "summary": _summary(days, rechecked)}


def _recheck_days(ctx, first, last, computed) -> list:
    """The last recheck_days days that are over and were judged before this run."""
    if not last:
        return []
    count = ctx.config["scoring"]["recheck_days"]
    recent = [last - timedelta(days=n) for n in range(count)]
    return sorted(day for day in recent if day >= first and day.isoformat() in computed
                  and not closing.day_is_closed(ctx, day))


def _summary(days, rechecked) -> Msg:
    parts = []
    if days:
        parts.append(Msg("{days} day(s) computed, {entries} entries", days=len(days),
                         entries=sum(d["entries"] for d in days)))
    for day in rechecked:
        parts.append(Msg("{date} rechecked: {added} added, {updated} updated, {removed} removed", date=day["date"],
                         added=day["added"], updated=day["updated"], removed=day["removed"]))
    return Msg("{parts}", parts=parts) if parts else Msg("nothing to compute")
