"""cs violation / deductions / score: the daily 考核 and the monthly score."""

from __future__ import annotations

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
    terminal_limit,
)
from cs.cli.shifts import local_day
from cs.core import clock
from cs.core.i18n import _, language
from cs.core.vocabulary import ACTIONS, APPEAL_STATUSES, label
from cs.scoring import deductions, scores, violations

# In 考核 tables "detail" explains an entry and "score" is the month's result.
LABELS = {"detail": ("说明", "Detail"), "score": ("得分", "Score"), "agent": ("坐席", "Agent")}

ENTRY_COLUMNS = ["id", "date", "agent", "rule", "label", "points", "fine", "action", "detail", "voided"]
SCORE_COLUMNS = ["rank", "agent", "name", "team", "base", "points", "fines", "actions", "score"]
VIOLATION_COLUMNS = ["id", "at", "agent", "rule", "label", "occurrence", "points", "fine", "action", "note"]


def _month(app, month):
    return month or clock.local_date(app.ctx.now, app.ctx.tz).strftime("%Y-%m")


@click.group()
def violation():
    """Manual violations (leaders and supervisors), with escalating fines."""


@violation.command("add")
@click.argument("agent", type=AGENT, shell_complete=completion.agents)
@click.argument("rule", shell_complete=completion.manual_rules)
@click.option("--at", type=TimeParam(), help="When it happened [default now].")
@click.option("--note")
@click.option("--ticket", "ticket_id", type=RECORD_ID,
              help="The ticket the incident is about: naming an upheld complaint makes it one incident, one deduction.")
@json_option
def violation_add(agent, rule, at, note, ticket_id, as_json):
    """Record that AGENT broke the manual RULE (e.g. off_task, hygiene, report_error)."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = violations.add_violation(ctx, agent, rule, at=app.business_time(at), note=note, ticket_id=ticket_id)
        deductions.after_violation(ctx, record)
    emit_written(record, as_json)


@violation.command("list")
@click.option("--month", type=MONTH, help="YYYY-MM [default this month].")
@click.option("--agent", type=AGENT, shell_complete=completion.agents)
@list_options("at,id", violations.VIOLATION_SORTABLE)
@output_options
def violation_list(month, agent, limit, sort, fmt):
    """Violations of a month, with their occurrence and penalty."""
    app, ctx = app_and_ctx()
    rows = violations.list_violations(ctx, month=_month(app, month), agent=agent, limit=terminal_limit(limit),
                                      sort=sort)
    emit_list(rows, fmt, VIOLATION_COLUMNS, enums={"action": ACTIONS})


@click.group("deductions")
def deductions_group():
    """Daily deductions (考核扣分): run, list, explain, void, close a month, appeals (申诉)."""


@deductions_group.command("run")
@click.option("--date", "day", type=TimeParam(), default="yesterday", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@output_options
def deductions_run(day, dry_run, fmt):
    """Compute a day's entries (idempotent: a re-run changes only what the facts changed)."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        summary = deductions.run(ctx, local_day(app, day), dry_run=dry_run)
    for message in summary["unattributed"]:
        click.echo(_("Warning: {message}").format(message=message), err=True)
    if summary["closed"] and fmt == "table":
        click.echo(_("{date}: its month is closed; nothing was computed or changed ({entries} entries stand)")
                   .format(date=summary["date"], entries=summary["entries"]), err=True)
    elif fmt == "table":
        line = (_("{date}: {entries} entries; would change: +{added} ~{updated} -{removed}") if dry_run
                else _("{date}: {entries} entries; changed: +{added} ~{updated} -{removed}"))
        click.echo(line.format(date=summary["date"], entries=summary["entries"], added=summary["added"],
                               updated=summary["updated"], removed=summary["removed"]), err=True)
        emit_list(summary["changes"], fmt, ["change", "agent", "rule", "points", "fine", "action", "detail"],
                  enums={"action": ACTIONS},
                  max_widths={"detail": 50}, labels=LABELS)
    else:
        emit_object(summary, fmt)


@deductions_group.command("list")
@click.option("--date", "day", type=TimeParam(), help="One day.")
@click.option("--month", type=MONTH, help="YYYY-MM [default this month].")
@click.option("--agent", type=AGENT, shell_complete=completion.agents)
@list_options("date,agent,rule,id", deductions.SORTABLE)
@output_options(workbook=True)
def deductions_list(day, month, agent, limit, sort, fmt):
    """Entries of a day or a month (default this month)."""
    app, ctx = app_and_ctx()
    if day is not None and month:
        raise click.UsageError(_("give --date or --month, not both"))
    chosen_day = local_day(app, day) if day is not None else None
    rows = deductions.query(ctx, day=chosen_day, month=None if chosen_day else _month(app, month), agent=agent,
                            limit=terminal_limit(limit), sort=sort)
    emit_list(rows, fmt, ENTRY_COLUMNS, max_widths={"detail": 50}, labels=LABELS, enums={"action": ACTIONS},
              title="扣分明细" if app.lang == "zh" else "Deductions")


@deductions_group.command("explain")
@click.argument("agent", type=AGENT, shell_complete=completion.agents)
@click.option("--date", "day", type=TimeParam(), default="yesterday", show_default=True)
@output_options
def deductions_explain(agent, day, fmt):
    """Every entry of AGENT's day with the record behind it."""
    app, ctx = app_and_ctx()
    entries = deductions.explain(ctx, agent, local_day(app, day))
    if fmt == "table":
        if not entries:
            click.echo(_("No matches."), err=True)
        print_explained(entries)
    else:
        emit_list(entries, fmt, None)


def print_explained(entries: list[dict]) -> None:
    """Each entry, what it is about, and the seed line it rests on."""
    for entry in entries:
        click.echo(_("#{id} {label} ({rule}): {points:g} points").format(id=entry["id"], label=entry["label"],
                                                                         rule=entry["rule"], points=-entry["points"])
                   + (_(", fine {fine:g}").format(fine=entry["fine"]) if entry["fine"] else "")
                   + (f", {label(ACTIONS, entry['action'], language())}" if entry["action"] else "")
                   + (_(" [void: {reason}]").format(reason=entry["void_reason"]) if entry["voided"] else ""))
        click.echo(f"    {entry['detail']}")
        if entry["seed"]:
            click.echo(f"    依据 {entry['seed']}")


@deductions_group.command("void")
@click.argument("entry_id", type=RECORD_ID)
@click.option("--reason", required=True, help="Why the entry does not count.")
@json_option
def deductions_void(entry_id, reason, as_json):
    """Void an entry (supervisors); it stays void through re-runs."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = deductions.void(ctx, entry_id, reason)
    emit_written(record, as_json)


@deductions_group.command("close")
@click.option("--month", type=MONTH, required=True, help="YYYY-MM, a month that has ended.")
@json_option
def deductions_close(month, as_json):
    """Close a month (supervisors): its 考核 is final until reopened."""
    from cs.scoring import closing

    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = closing.close(ctx, month)
    emit_written(record, as_json, key="month")


@deductions_group.command("reopen")
@click.option("--month", type=MONTH, required=True, help="YYYY-MM, a closed month.")
@click.option("--reason", required=True, help="Why the month's 考核 must change.")
@json_option
def deductions_reopen(month, reason, as_json):
    """Reopen a closed month (supervisors), saying why."""
    from cs.scoring import closing

    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = closing.reopen(ctx, month, reason)
    emit_written(record, as_json, key="month")


APPEAL_COLUMNS = ["id", "entry_id", "agent", "status", "reason", "filed_at", "decided_by", "note"]


@deductions_group.command("appeal")
@click.argument("entry_id", type=RECORD_ID)
@click.option("--reason", required=True, help="Why the entry is wrong (申诉理由).")
@json_option
def deductions_appeal(entry_id, reason, as_json):
    """Appeal an entry that charges you (申诉), within [scoring] appeal_days of its date."""
    from cs.scoring import appeals

    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = appeals.file(ctx, entry_id, reason)
    emit_written(record, as_json)


@deductions_group.command("appeals")
@click.option("--status", type=click.Choice(["open", "accepted", "rejected"]))
@click.option("--month", type=MONTH, help="Appeals of this month's entries.")
@click.option("--agent", type=AGENT, shell_complete=completion.agents)
@list_options("id", {"id", "entry_id", "agent", "status", "filed_at", "decided_at"})
@output_options
def deductions_appeals(status, month, agent, limit, sort, fmt):
    """Appeals (申诉) and their decisions."""
    from cs.scoring import appeals

    _app, ctx = app_and_ctx()
    rows = appeals.query(ctx, status=status, month=month, agent=agent, limit=terminal_limit(limit), sort=sort)
    emit_list(rows, fmt, APPEAL_COLUMNS, max_widths={"reason": 30, "note": 30}, enums={"status": APPEAL_STATUSES},
              labels={"reason": ("申诉理由", "Reason")})


@deductions_group.command("decide")
@click.argument("appeal_id", type=RECORD_ID)
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.option("--note", required=True, help="The decision's reasons, for the agent and the record.")
@json_option
def deductions_decide(appeal_id, decision, note, as_json):
    """Decide an appeal (the supervisor, or the agent's team leader); accepting voids the entry."""
    from cs.scoring import appeals

    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = appeals.decide(ctx, appeal_id, decision, note)
    emit_written(record, as_json)


@click.command("score")
@click.option("--month", type=MONTH, help="YYYY-MM [default this month].")
@output_options(workbook=True)
def score(month, fmt):
    """Monthly scores: base − points for every active agent, ranked."""
    app, ctx = app_and_ctx()
    emit_list(scores.scores(ctx, _month(app, month)), fmt, SCORE_COLUMNS, labels=LABELS, enums={"actions": ACTIONS},
              title="考核得分" if app.lang == "zh" else "Scores")
