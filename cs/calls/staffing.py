"""How many agents each hour of a day needs (SPEC section 19), against those rostered.

For each hour of D: the calls expected are the mean of the same hour on the same weekday of the last `weeks` weeks,
leaving out days whose working-day status differs from D's (a holiday is not a Monday like the others); the
handling time is the mean seen over those hours' answered calls (over all the sample days' answered calls when an
hour answered none). Erlang C gives the agents answering `[calls] service_level` of them within `answer_within`,
no busier than `max_occupancy`; grossed up for `shrinkage`:

    required = ceil(max(Erlang C agents, ceil(traffic ÷ max_occupancy)) ÷ (1 − shrinkage))

Rostered: the agents on the roster whose shift covers the hour's start (a night shift begun on D-1 included).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cs.calls import erlang
from cs.calls.figures import answer_within_s
from cs.core import clock


def sample_days(ctx, day: date, weeks: int) -> list[date]:
    """The same weekday of the last `weeks` weeks, those whose working-day status is D's."""
    workday = ctx.calendar.is_workday(day)
    return [past for past in (day - timedelta(weeks=n) for n in range(1, weeks + 1))
            if ctx.calendar.is_workday(past) == workday]


def plan(ctx, day: date, weeks: int = 4) -> dict:
    settings = ctx.config["calls"]
    within = answer_within_s(ctx.config)
    samples = sample_days(ctx, day, weeks)
    calls = [0] * 24
    handled: list[list[float]] = [[] for _ in range(24)]
    for past in samples:
        start, end = clock.day_bounds(past, ctx.tz)
        for row in ctx.db.all("SELECT started_at, answered_at, ended_at FROM calls WHERE started_at >= ?"
                              " AND started_at < ?", (clock.to_db(start), clock.to_db(end))):
            hour = clock.from_db(row["started_at"]).astimezone(ctx.tz).hour
            calls[hour] += 1
            if row["answered_at"]:
                handled[hour].append((clock.from_db(row["ended_at"]) - clock.from_db(row["answered_at"]))
                                     .total_seconds())
    every = [seconds for hour in handled for seconds in hour]
    overall = sum(every) / len(every) if every else None
    coverage = _rostered_by_hour(ctx, day)
    hours = []
    for hour in range(24):
        expected = calls[hour] / len(samples) if samples else 0.0
        aht = sum(handled[hour]) / len(handled[hour]) if handled[hour] else overall
        needed = (erlang.required(erlang.traffic(expected, aht), aht, within, settings["service_level"],
                                  settings["max_occupancy"], settings["shrinkage"])
                  if expected and aht else 0)
        hours.append({"hour": f"{hour:02d}:00", "calls": round(expected, 2),
                      "aht_s": None if aht is None else round(aht, 1), "required": needed,
                      "rostered": len(coverage[hour])})
    return {"date": day.isoformat(), "weeks": weeks, "sample_days": [d.isoformat() for d in samples],
            "answer_within_s": within, "service_level": settings["service_level"],
            "max_occupancy": settings["max_occupancy"], "shrinkage": settings["shrinkage"], "hours": hours}


def _rostered_by_hour(ctx, day: date) -> list[set]:
    from cs.desk import shifts

    start_of_day, _end = clock.day_bounds(day, ctx.tz)
    covered: list[set] = [set() for _ in range(24)]
    # D's shifts, and those begun the day before: a night shift 22:00-06:00 of D-1 covers D's small hours.
    for shift, started in ((shift, started) for started in (day - timedelta(days=1), day)
                           for shift in ctx.config["shift"]):
        window = shifts.window(ctx, shift, started)
        agents = shifts.rostered(ctx, started, shift["code"])
        for hour in range(24):
            moment: datetime = start_of_day + timedelta(hours=hour)
            if window.start <= moment < window.end:
                covered[hour].update(agents)
    return covered
