"""cs roster / shift / handover / duty: who works when, what they hand over, what they tick off."""

from __future__ import annotations

from datetime import timedelta

import click

from cs.cli import AGENT, TimeParam, completion
from cs.cli.common import (
    MONTH,
    RECORD_ID,
    app_and_ctx,
    emit_list,
    emit_object,
    emit_written,
    json_option,
    list_options,
    output_options,
    resolve,
    sort_rows,
    terminal_limit,
)
from cs.core import clock
from cs.core.i18n import _
from cs.core.vocabulary import DUTY_ASSIGNMENTS, HANDOVER_STATUSES
from cs.desk import shifts

HANDOVER_COLUMNS = ["id", "date", "shift", "agent", "status", "text", "occurred_at", "party", "ticket_id", "created_at"]
ROSTER_COLUMNS = ["date", "shift", "label", "start", "end", "agents"]
DUTY_COLUMNS = ["date", "agent", "duty", "label", "points", "assign", "done", "done_by", "done_at", "note"]


def local_day(app, spec):
    """A day option: a date as given; a moment (or, by default, now) as its business day, so 03:00 in a
    night shift that began yesterday means yesterday."""
    ctx = app.ctx
    if spec is not None and spec.date_only:
        return clock.local_date(resolve(app, spec), ctx.tz)
    return ctx.business_day(resolve(app, spec) if spec is not None else None)


@click.group()
def roster():
    """The roster: who works which shift on which day."""


@roster.command("set")
@click.argument("day", metavar="DATE", type=TimeParam())
@click.argument("shift", shell_complete=completion.shifts)
@click.argument("agents", nargs=-1, type=AGENT, shell_complete=completion.agents)
@output_options
def roster_set(day, shift, agents, fmt):
    """Put AGENTS on SHIFT on DATE (replacing who was there; none clears it)."""
    from cs.desk import roster_rules

    app, ctx = app_and_ctx()
    target = local_day(app, day)
    with ctx.db.transaction():
        record = shifts.set_roster(ctx, target, shift, list(agents))
    for item in roster_rules.breaks_touching(ctx, target, record["agents"]):
        click.echo(_("Warning: {agent} on {date}: {detail}").format(agent=item["agent"], date=item["date"],
                                                                    detail=item["detail"]), err=True)
    emit_object(record, fmt)


@roster.command("check")
@click.option("--month", type=MONTH, help="YYYY-MM [default this month].")
@output_options
def roster_check(month, fmt):
    """The month's breaks of the roster rules ([roster]: days in a row, days off a month, a day shift after a
    late one), one row each; exit 0 either way (they are warnings: the roster is the supervisor's to set)."""
    from cs.desk import roster_rules
    from cs.scoring.units import month_days

    app, ctx = app_and_ctx()
    first, after = month_days(month or clock.local_date(ctx.now, ctx.tz).strftime("%Y-%m"))
    emit_list(roster_rules.breaks(ctx, first, after - timedelta(days=1)), fmt, ["agent", "date", "rule", "detail"])


@roster.command("show")
@click.option("--date", "day", type=TimeParam(), help="One day [default today].")
@click.option("--week", type=TimeParam(), help="The week (Mon-Sun) containing this day.")
@output_options
def roster_show(day, week, fmt):
    """Who works each shift of a day or a week."""
    app, ctx = app_and_ctx()
    if week is not None:
        monday = local_day(app, week)
        monday -= timedelta(days=monday.weekday())
        days = [monday + timedelta(days=n) for n in range(7)]
    else:
        days = [local_day(app, day)]
    emit_list(shifts.roster(ctx, days), fmt, ROSTER_COLUMNS)


@click.group()
def shift():
    """Shifts (班次) from the configuration."""


@shift.command("now")
@output_options
def shift_now(fmt):
    """The shifts running now and who is on them."""
    _app, ctx = app_and_ctx()
    emit_list(shifts.shifts_now(ctx), fmt, ROSTER_COLUMNS)


@click.group()
def handover():
    """The handover memo (交接班备忘录): what one shift leaves for the next."""


@handover.command("add")
@click.argument("text")
@click.option("--ticket", "ticket_id", type=RECORD_ID, help="The ticket it concerns.")
@click.option("--agent", "owner", help="Whose item it is [default: the actor].", type=AGENT, shell_complete=completion.agents)
@click.option("--occurred-at", "occurred_at", type=TimeParam(), help="When it happened (事发时间).")
@click.option("--party", help="Who it concerns (涉案当事人): a customer's or colleague's name.")
@json_option
def handover_add(text, ticket_id, owner, occurred_at, party, as_json):
    """Leave an item for the next shift, on the owner's current shift. TEXT 无 files the shift's "nothing left"
    memo (as `cs handover none`)."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = shifts.add_handover(ctx, text, ticket_id=ticket_id, owner=owner,
                                     occurred_at=resolve(app, occurred_at), party=party)
    emit_written(record, as_json)


@handover.command("none")
@click.option("--shift", "shift_code", help="The shift [default: the actor's current shift].",
              shell_complete=completion.shifts)
@click.option("--date", "day", type=TimeParam(), help="The shift's day [default: the current shift's].")
@json_option
def handover_none(shift_code, day, as_json):
    """File the shift's memo saying nothing is left (若无遗留事情,问题详情处填写"无"): done at once, never charged."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = shifts.add_nothing_left(ctx, shift_code=shift_code, day=local_day(app, day) if day else None)
    emit_written(record, as_json)


@handover.command("list")
@click.option("--open", "open_only", is_flag=True, help="Not done yet.")
@click.option("--date", "day", type=TimeParam(), help="Items of that day's shifts.")
@click.option("--shift", "shift_code", help="Items of that shift.", shell_complete=completion.shifts)
@list_options("created_at,id", shifts.HANDOVER_SORTABLE)
@output_options
def handover_list(open_only, day, shift_code, limit, sort, fmt):
    """Handover items, oldest first."""
    app, ctx = app_and_ctx()
    rows = shifts.list_handovers(ctx, open_only=open_only, day=local_day(app, day) if day else None,
                                 shift_code=shift_code, limit=terminal_limit(limit), sort=sort)
    emit_list(rows, fmt, HANDOVER_COLUMNS, max_widths={"text": 40}, enums={"status": HANDOVER_STATUSES})


@handover.command("ack")
@click.argument("handover_id", type=RECORD_ID)
@json_option
def handover_ack(handover_id, as_json):
    """The next shift has read the item."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = shifts.ack_handover(ctx, handover_id)
    emit_written(record, as_json)


@handover.command("done")
@click.argument("handover_id", type=RECORD_ID)
@click.option("--note", help="How it was finished.")
@json_option
def handover_done(handover_id, note, as_json):
    """The item is finished."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = shifts.done_handover(ctx, handover_id, note)
    emit_written(record, as_json)


@click.group()
def duty():
    """Daily duties (每日工作) for rostered agents."""


@duty.command("done")
@click.argument("code", shell_complete=completion.duties)
@click.option("--agent", help="Who did it [default: the actor].", type=AGENT, shell_complete=completion.agents)
@click.option("--date", "day", type=TimeParam(), help="The day [default today].")
@click.option("--note")
@output_options
def duty_done(code, agent, day, note, fmt):
    """Tick off a duty."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = shifts.duty_done(ctx, code, agent=agent, day=local_day(app, day), note=note)
    emit_object(record, fmt, enums={"assign": DUTY_ASSIGNMENTS})


@duty.command("assign")
@click.argument("code", shell_complete=completion.duties)
@click.argument("day", metavar="DATE", type=TimeParam())
@click.argument("agent", type=AGENT, shell_complete=completion.agents)
@output_options
def duty_assign(code, day, agent, fmt):
    """Give one day's duty to AGENT, over the rota and the roster (a leader's decision: a swap, a sick day)."""
    from cs.scoring import closing

    app, ctx = app_and_ctx()
    target = local_day(app, day)
    with ctx.db.transaction():
        closing.refuse_if_closed(ctx, target.isoformat(), _("assigning its duties"))  # the 考核 of that day is final
        record = shifts.assign_duty(ctx, code, target, agent)
    emit_object(record, fmt, enums={"assign": DUTY_ASSIGNMENTS})


@duty.command("list")
@click.option("--date", "day", type=TimeParam(), help="The day [default today].")
@list_options("agent", set(DUTY_COLUMNS))  # within an agent, the checklist's own order
@output_options
def duty_list(day, limit, sort, fmt):
    """Each duty of the day, whom it is given to (every rostered agent, the rota's turn, or a leader's
    assignment), done or missing, and what missing it costs."""
    app, ctx = app_and_ctx()
    rows = sort_rows(shifts.duty_status(ctx, local_day(app, day)), sort)
    emit_list(rows[:terminal_limit(limit)] if terminal_limit(limit) else rows, fmt, DUTY_COLUMNS,
              enums={"assign": DUTY_ASSIGNMENTS})
