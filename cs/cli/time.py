"""cs time TIME...: show how TIME arguments are read."""

from __future__ import annotations

import click

from cs.cli import TimeParam
from cs.cli.common import app_and_ctx, emit_list, output_options

WEEKDAYS_ZH = "一二三四五六日"


@click.command("time")
@click.argument("times", nargs=-1, required=True, type=TimeParam())
@output_options
def time_(times, fmt):
    """Show how each TIME is understood (e.g. cs time tomorrow +2wd eom '2026-10-01 09:00')."""
    from cs.core import clock

    app, ctx = app_and_ctx()
    rows = []
    for spec in times:
        moment = ctx.resolve_time(spec)
        day = clock.local_date(moment, ctx.tz)
        rows.append({
            "input": spec.text,
            "time": ctx.display(moment),
            "weekday": day.strftime("%A") if app.lang == "en" else f"星期{WEEKDAYS_ZH[day.weekday()]}",
            "workday": ctx.calendar.is_workday(day),
            "contact_hours": ctx.contact_hours.contains(moment, ctx.tz),
            "service_hours": ctx.service_hours.contains(moment, ctx.tz),
            "business_day": ctx.business_day(moment).isoformat(),
        })
    emit_list(rows, fmt, None)
