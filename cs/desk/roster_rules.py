"""The roster's rules (seed 001: 每月四天休息; 值晚班客服第二天不适合上全白班; 做六休一): what a roster breaks.

They are warnings, not refusals: a supervisor covering for a sick colleague may have to break one, and
the roster is hers to set. `cs roster set` warns of each break it makes; `cs roster check` lists a
month's. Each break is {agent, date, rule, detail}.
"""

from __future__ import annotations

from datetime import date, timedelta

from cs.core.i18n import _

LATE_END = 22 * 60  # a shift ending at or after 22:00 (or running past midnight) is a late shift
EARLY_START = 10 * 60  # one starting before 10:00 is a day shift for the rule


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _ends_late(shift: dict) -> bool:
    start, end = _minutes(shift["start"]), _minutes(shift["end"])
    return end <= start or end >= LATE_END


def _starts_early(shift: dict) -> bool:
    return _minutes(shift["start"]) < EARLY_START


def _worked(ctx, first: date, last: date, agents: list[str] | None) -> dict:
    """agent -> {day: [shift codes]} over [first, last]."""
    rows = ctx.db.all("SELECT date, shift, agent FROM roster WHERE date >= ? AND date <= ? ORDER BY date",
                      (first.isoformat(), last.isoformat()))
    worked: dict = {}
    for row in rows:
        if agents is None or row["agent"] in agents:
            worked.setdefault(row["agent"], {}).setdefault(date.fromisoformat(row["date"]), []).append(row["shift"])
    return worked


def _found(ctx, first: date, last: date, agents: list[str] | None) -> list[dict]:
    """The breaks around [first, last] with the days each spans. Runs of days are followed past both ends, so a
    run crossing a month's start counts whole; months are those [first, last] touches."""
    rules = ctx.config["roster"]
    reach = timedelta(days=rules["max_consecutive_days"] + 1)
    month_end = (last.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    since, until = min(first.replace(day=1), first - reach), max(month_end, last + reach)
    worked = _worked(ctx, since, until, agents)
    # A run reaching an end of what was read may go on beyond it: read further until every run has ended.
    while any(since in days for days in worked.values()) or any(until in days for days in worked.values()):
        since, until = since - timedelta(days=31), until + timedelta(days=31)
        worked = _worked(ctx, since, until, agents)
    shifts = {shift["code"]: shift for shift in ctx.config["shift"]}
    found = []
    for agent, days in worked.items():
        found += _runs_too_long(agent, days, rules["max_consecutive_days"])
        if rules["min_rest_days_per_month"]:
            found += _too_few_days_off(agent, days, first, last, rules["min_rest_days_per_month"])
        if rules["no_day_after_late"]:
            found += _day_after_late(agent, days, shifts)
    return found


def _public(items) -> list[dict]:
    shown = ({"agent": item["agent"], "date": item["date"].isoformat(), "rule": item["rule"], "detail": item["detail"]}
             for item in items)
    return sorted(shown, key=lambda item: (item["date"], item["agent"], item["rule"]))


def breaks(ctx, first: date, last: date, agents: list[str] | None = None) -> list[dict]:
    """Every break of the roster rules dated within [first, last], for `agents` (None: everybody)."""
    return _public(item for item in _found(ctx, first, last, agents) if first <= item["date"] <= last)


def _runs_too_long(agent: str, days: dict, limit: int) -> list[dict]:
    found, run = [], []
    for day in sorted(days) + [None]:
        if run and (day is None or day - run[-1] != timedelta(days=1)):
            if len(run) > limit:
                found.append({"agent": agent, "date": run[limit], "rule": "max_consecutive_days",
                              "detail": _("{days} days in a row ({first} to {last}); at most {limit} (做六休一)")
                                        .format(days=len(run), first=run[0].isoformat(), last=run[-1].isoformat(),
                                                limit=limit), "span": (run[0], run[-1])})
            run = []
        if day is not None:
            run.append(day)
    return found


def _too_few_days_off(agent: str, days: dict, first: date, last: date, minimum: int) -> list[dict]:
    import calendar

    found = []
    month = first.replace(day=1)
    while month <= last:
        length = calendar.monthrange(month.year, month.month)[1]
        worked = sorted(day for day in days if day.year == month.year and day.month == month.month)
        if worked and length - len(worked) < minimum:
            # The first day worked beyond what the month allows (its first day when the rule asks for more
            # days off than the month has).
            over = worked[max(0, length - minimum)]
            found.append({"agent": agent, "date": over, "rule": "min_rest_days_per_month",
                          "detail": _("{worked} days worked in {month}: {off} days off, at least {minimum}"
                                      " (每月四天休息)").format(worked=len(worked), month=month.strftime("%Y-%m"),
                                                            off=length - len(worked), minimum=minimum),
                          "span": (month, month + timedelta(days=length - 1))})
        month = month + timedelta(days=length)
    return found


def _day_after_late(agent: str, days: dict, shifts: dict) -> list[dict]:
    found = []
    for day, codes in days.items():
        late = [shifts[c] for c in codes if c in shifts and _ends_late(shifts[c])]
        early = [shifts[c] for c in days.get(day + timedelta(days=1), []) if c in shifts and _starts_early(shifts[c])]
        if late and early:
            found.append({"agent": agent, "date": day + timedelta(days=1), "rule": "no_day_after_late",
                          "detail": _("{late} {late_start}–{late_end} on {day}, then {early} {early_start}–{early_end}"
                                      " (值晚班客服第二天不适合上全白班)").format(
                                          late=late[0]["label"], late_start=late[0]["start"], late_end=late[0]["end"],
                                          day=day.isoformat(), early=early[0]["label"], early_start=early[0]["start"],
                                          early_end=early[0]["end"]), "span": (day, day + timedelta(days=1))})
    return found


def breaks_touching(ctx, day: date, agents: list[str]) -> list[dict]:
    """The breaks that involve `day` for these agents (a run through it, its month, the night before or after):
    what `cs roster set` warns of."""
    return _public(item for item in _found(ctx, day, day, agents) if item["span"][0] <= day <= item["span"][1])
