"""cs callback ...: callbacks (回访), thin wrappers over cs.callbacks."""

from __future__ import annotations

import click

from cs.cli import AGENT, TimeParam, completion
from cs.cli.common import (
    RECORD_ID,
    app_and_ctx,
    change_options,
    change_record,
    choice,
    emit_list,
    emit_object,
    emit_written,
    json_option,
    list_options,
    output_options,
    resolve,
    short_time,
    terminal_limit,
)
from cs.cli.importing import import_options, report_import, run_import
from cs.core.vocabulary import ATTEMPT_RESULTS, CALLBACK_STATUSES, METHODS, OUTCOMES, REASONS, label
from cs.desk import callbacks

COLUMNS = list(callbacks.LISTED)
HISTORY_COLUMNS = ["at", "actor", "kind", "result", "note"]
ENUMS = {"status": CALLBACK_STATUSES, "reason": REASONS, "method": METHODS, "outcome": OUTCOMES}
CALLER = {"agent": ("执行人", "Caller")}  # on a callback the agent is the one who calls back


def for_table(row: dict, lang: str) -> dict:
    return {
        **row,  # a copy: callers may show the record again
        "due_at": short_time(row["due_at"]),
        "next_try_at": short_time(row["next_try_at"]),
        "status": label(CALLBACK_STATUSES, row["status"], lang),
        "reason": label(REASONS, row["reason"], lang),
        "method": label(METHODS, row["method"], lang),
        "outcome": label(OUTCOMES, row.get("outcome"), lang),  # a listing's rows have none
    }


@click.group()
def callback():
    """Callbacks (回访): promised calls back to customers, inside contact hours."""


@callback.command("add")
@click.option("--ticket", "ticket_id", type=RECORD_ID, help="The ticket this callback follows up.")
@click.option("--phone", help="Customer phone (without --ticket).")
@click.option("--customer", help="Customer name.")
@click.option("--due", required=True, type=TimeParam(), help="Deadline: call back by then (e.g. +3d, +2wd).")
@click.option("--reason", type=choice(REASONS, "reason"), default="other", show_default=True)
@click.option("--method", type=choice(METHODS, "method"), default="phone", show_default=True)
@click.option("--agent", help="Who calls [default: the ticket's agent, else the actor].", type=AGENT, shell_complete=completion.agents)
@click.option("--not-before", type=TimeParam(), help="Not earlier than TIME [default now; moved into contact hours].")
@click.option("--note", help="What to talk about.")
@click.option("--customer-asked", is_flag=True,
              help="The customer chose the time: --not-before (or --due) may fall outside contact hours.")
@json_option
def add(ticket_id, phone, customer, due, reason, method, agent, not_before, note, customer_asked, as_json):
    """Promise a callback for a ticket or a phone number."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = callbacks.add(ctx, ticket_id=ticket_id, phone=phone, customer=customer, due=resolve(app, due),
                               reason=reason, method=method, agent=agent, not_before=resolve(app, not_before),
                               note=note, customer_asked=customer_asked)
    emit_written(record, as_json)


@callback.command("plan")
@click.option("--until", type=TimeParam(), help="Create the periods that have begun by TIME [default now].")
@output_options
def plan(until, fmt):
    """Create the visit plans' callbacks ([[visit_plan]]): one per customer in scope and period, due at the period's
    end. Idempotent: run it again (cron may), and nothing is created twice."""
    from cs.desk import visits

    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        rows = visits.run(ctx, until=resolve(app, until))
    emit_list(rows, fmt, ["plan", "period_start", "period_end", "in_scope", "created", "superseded", "skipped"])


@callback.command("list")
@click.option("--status", multiple=True, type=choice(CALLBACK_STATUSES, "status"), help="Status (repeatable).")
@click.option("--agent", help="Who calls.", type=AGENT, shell_complete=completion.agents)
@click.option("--overdue", is_flag=True, help="Pending and past their deadline.")
@click.option("--due-before", type=TimeParam(), help="Due before TIME.")
@click.option("--reason", type=choice(REASONS, "reason"))
@click.option("--ticket", "ticket_id", type=RECORD_ID)
@click.option("--phone")
@list_options("due_at,id", callbacks.SORTABLE)
@output_options(workbook=True)
def list_(status, agent, overdue, due_before, reason, ticket_id, phone, limit, sort, fmt):
    """List callbacks, earliest deadline first."""
    app, ctx = app_and_ctx()
    rows = callbacks.query(ctx, status=status, agent=agent, overdue=overdue, due_before=resolve(app, due_before),
                           reason=reason, ticket_id=ticket_id, phone=phone, limit=terminal_limit(limit), sort=sort,
                           listed_only=fmt == "table")
    if fmt == "table":
        rows = (for_table(row, app.lang) for row in rows)
    # for_table has shown the codes as labels already: the enumerations are for the workbook
    emit_list(rows, fmt, COLUMNS, max_widths={"customer_name": 12}, labels=CALLER,
              enums=None if fmt == "table" else ENUMS, title="回访" if app.lang == "zh" else "Callbacks")


@callback.command("import")
@import_options
def import_(source, fmt, sheet_args, dry_run, as_json):
    """Import callbacks from a 回访记录 sheet (.xlsx or CSV) or from JSON/JSONL/CSV. All or nothing.

    Sheets may use their own headers (客户姓名, 联系电话, 应回访时间, 回访时间, 回访结果, 回访内容, 回访人 …).
    A row with an outcome (满意/一般/不满意, or a 1-5 rating) is a callback made: done at its 回访时间.
    A row without one is owed: pending, due at its 应回访时间 (overdue if that has passed).
    """
    from cs.exchange import callbacks as callbacks_io

    app = click.get_current_context().obj
    result = run_import(callbacks_io, callbacks_io.FIELDS, source, fmt, sheet_args, dry_run)
    report_import(result, as_json, "callback", lambda rows: emit_list(
        (for_table(row, app.lang) for row in rows), "table", COLUMNS, max_widths={"customer_name": 10}))


@callback.command("show")
@click.argument("callback_id", type=RECORD_ID)
@output_options
def show(callback_id, fmt):
    """One callback with everything done on it (执行人, 时间, 内容, 结果)."""
    app, ctx = app_and_ctx()
    record = callbacks.show(ctx, callback_id)
    if fmt == "table":
        from cs.core.vocabulary import ATTEMPT_RESULTS, CALLBACK_EVENTS, OUTCOMES, label

        results = {**OUTCOMES, **ATTEMPT_RESULTS}
        record = {**for_table(record, app.lang), "due_at": record["due_at"], "next_try_at": record["next_try_at"],
                  "history": [{**event, "kind": label(CALLBACK_EVENTS, event["kind"], app.lang),
                               "result": label(results, event["result"], app.lang) or None}
                              for event in record["history"]]}
    emit_object(record, fmt, fields=list(callbacks.FIELDS),
                sections=[("History" if app.lang == "en" else "回访记录", record["history"], HISTORY_COLUMNS)])


@callback.command("done")
@change_options("callback_id")
@click.option("--outcome", required=True, type=choice(OUTCOMES, "outcome"))
@click.option("--score", type=click.IntRange(1, 5), help="Satisfaction 1-5 [default from outcome].")
@click.option("--note", help="What was said (内容).")
def done(callback_id, at, as_json, outcome, score, note):
    """The customer was reached: record the outcome."""
    from cs.desk import flows  # the ticket's satisfaction: loaded only here

    change_record(flows.complete_callback, callback_id, at, as_json, outcome=outcome, score=score, note=note)


@callback.command("attempt")
@change_options("callback_id")
@click.option("--result", required=True, type=choice(ATTEMPT_RESULTS, "result"))
@click.option("--note")
@click.option("--force", is_flag=True, help="Record a try before the next try is due (the note should say why).")
def attempt(callback_id, at, as_json, result, note, force):
    """A try that did not reach the customer (not before the next try is due, unless --force)."""
    change_record(callbacks.attempt, callback_id, at, as_json, result=result, note=note, force=force)


@callback.command("reschedule")
@change_options("callback_id")
@click.option("--to", required=True, type=TimeParam(), help="The new deadline.")
@click.option("--note", required=True, help="Why the deadline moves.")
def reschedule(callback_id, at, as_json, to, note):
    """Move the deadline (needs a note saying why)."""
    change_record(callbacks.reschedule, callback_id, at, as_json, to=to, note=note)


@callback.command("cancel")
@change_options("callback_id")
@click.option("--reason", required=True, help="Why.")
def cancel(callback_id, at, as_json, reason):
    """Cancel a pending callback."""
    change_record(callbacks.cancel, callback_id, at, as_json, reason=reason)


@callback.command("assign")
@change_options("callback_id")
@click.argument("agent", type=AGENT, shell_complete=completion.agents)
def assign(callback_id, at, as_json, agent):
    """Give a callback to another agent."""
    change_record(callbacks.assign, callback_id, at, as_json, agent=agent)
