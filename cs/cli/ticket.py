"""cs ticket ...: thin wrappers over cs.tickets and cs.tickets_io."""

from __future__ import annotations

import click

from cs.cli import AGENT, TimeParam, completion
from cs.cli.common import (
    RECORD_ID,
    app_and_ctx,
    at_option,
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
    resolve_until,
    short_time,
    terminal_limit,
)
from cs.cli.importing import import_options, report_import, run_import
from cs.core.i18n import _
from cs.core.vocabulary import CATEGORIES, CHANNELS, PRIORITIES, STATUSES, VERDICTS
from cs.desk import tickets

# Enumerated fields, shown as labels in tables and workbooks.
ENUMS = {"channel": CHANNELS, "category": CATEGORIES, "priority": PRIORITIES, "status": STATUSES, "verdict": VERDICTS}
LIST_COLUMNS = ["id", "opened_at", "channel", "category", "priority", "status", "agent", "customer_name",
                "summary", "breached"]
HISTORY_COLUMNS = ["at", "actor", "kind", "to_status", "text"]
CALLBACK_COLUMNS = ["id", "due_at", "status", "overdue", "agent", "reason", "attempts", "outcome"]


def sheet_title(lang: str) -> str:
    return "工单" if lang == "zh" else "Tickets"


def for_table(row: dict, lang: str) -> dict:
    from cs.core.vocabulary import label

    return {
        **row,
        "opened_at": short_time(row["opened_at"]),
        "channel": label(CHANNELS, row["channel"], lang),
        "category": label(CATEGORIES, row["category"], lang),
        "priority": label(PRIORITIES, row["priority"], lang),
        "status": label(STATUSES, row["status"], lang),
        "verdict": label(VERDICTS, row.get("verdict"), lang) or None,
    }


def history_row(event: dict, lang: str) -> dict:
    from cs.core.vocabulary import TICKET_EVENTS, label

    return {**event, "kind": label(TICKET_EVENTS, event["kind"], lang),
            "from_status": label(STATUSES, event.get("from_status"), lang) or None,
            "to_status": label(STATUSES, event.get("to_status"), lang) or None}


def address_options(func):
    """--building, --unit, --room: the caller's 住处 on a property desk (楼栋, 单元, 房号)."""
    func = click.option("--room", help="Room (房号).")(func)
    func = click.option("--unit", help="Unit (单元).")(func)
    return click.option("--building", help="Building (楼栋).")(func)


@click.group()
def ticket():
    """Tickets (工单): calls, visits, complaints, repairs."""


@ticket.command("add")
@click.option("--channel", required=True, type=choice(CHANNELS, "channel"), help="How it came in (来电, 来访 ...).")
@click.option("--category", required=True, type=choice(CATEGORIES, "category"), help="What it is (咨询, 投诉 ...).")
@click.option("--summary", required=True, help="One line: what the customer wants.")
@click.option("--customer", help="Customer name.")
@click.option("--phone", help="Customer phone (normalised; +86 stripped).")
@click.option("--detail", help="Longer description.")
@click.option("--priority", type=choice(PRIORITIES, "priority"), default="normal", show_default=True)
@click.option("--agent", help="Owner [default: the actor, 首问负责制].", type=AGENT, shell_complete=completion.agents)
@click.option("--department", help="Department the ticket was sent to (转交).")
@click.option("--about", help="Agent a complaint is about.", type=AGENT, shell_complete=completion.agents)
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable), e.g. demand, system.")
@click.option("--opened-at", type=TimeParam(), help="When it came in [default now].")
@address_options
@json_option
def add(channel, category, summary, customer, phone, detail, priority, agent, department, about, tags, opened_at,
        building, unit, room, as_json):
    """Log a new ticket."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = tickets.add(ctx, channel=channel, category=category, summary=summary, customer=customer, phone=phone,
                             detail=detail, priority=priority, agent=agent, department=department, about=about,
                             tags=tags, opened_at=app.business_time(opened_at), building=building, unit=unit,
                             room=room)
    emit_written(record, as_json)


@ticket.command("list")
@click.option("--status", multiple=True, type=choice(STATUSES, "status"), help="Status (repeatable).")
@click.option("--category", type=choice(CATEGORIES, "category"))
@click.option("--channel", type=choice(CHANNELS, "channel"))
@click.option("--priority", type=choice(PRIORITIES, "priority"))
@click.option("--agent", help="Owner (handle or name).", type=AGENT, shell_complete=completion.agents)
@click.option("--phone", help="Customer phone.")
@click.option("--tag", help="Tickets carrying this tag.")
@click.option("--since", type=TimeParam(), help="Opened at or after TIME.")
@click.option("--until", type=TimeParam(), help="Opened before TIME (a date means through that day).")
@click.option("--open", "open_only", is_flag=True, help="Not resolved or closed.")
@click.option("--breached", is_flag=True, help="Missed an SLA deadline.")
@click.option("--search", help="Full text over summary, detail and notes (Chinese included).")
@address_options
@list_options("-opened_at,-id", tickets.SORTABLE)
@output_options(workbook=True)
def list_(status, category, channel, priority, agent, phone, tag, since, until, open_only, breached, search, building,
          unit, room, limit, sort, fmt):
    """List tickets, newest first."""
    app, ctx = app_and_ctx()
    rows = tickets.query(ctx, status=status, category=category, channel=channel, priority=priority, agent=agent,
                         phone=phone, tag=tag, since=resolve(app, since), until=resolve_until(app, until),
                         open_only=open_only,
                         breached=breached, search=search, building=building, unit=unit, room=room,
                         limit=terminal_limit(limit), sort=sort)
    if fmt == "table":
        rows = (for_table(row, app.lang) for row in rows)
    # for_table has shown the codes as labels already: the enumerations are for the workbook
    emit_list(rows, fmt, LIST_COLUMNS, max_widths={"summary": 36, "customer_name": 12},
              enums=None if fmt == "table" else ENUMS, title=sheet_title(app.lang))


@ticket.command("show")
@click.argument("ticket_id", type=RECORD_ID)
@output_options
def show(ticket_id, fmt):
    """One ticket with its history and callbacks."""
    app, ctx = app_and_ctx()
    from cs.desk import flows  # callbacks are loaded only by the commands that show or schedule them

    record = flows.show_ticket(ctx, ticket_id)
    if fmt == "table":
        from cs.cli.callback import for_table as callback_row

        shown = for_table(record, app.lang)
        shown["opened_at"] = record["opened_at"]  # the full time here, not the list's short form
        record = {**shown, "callbacks": [callback_row(c, app.lang) for c in record["callbacks"]],
                  "history": [history_row(event, app.lang) for event in record["history"]]}
    sections = [
        ("History" if app.lang == "en" else "处理记录", record["history"], HISTORY_COLUMNS),
        ("Callbacks" if app.lang == "en" else "回访", record["callbacks"], CALLBACK_COLUMNS),
    ]
    emit_object(record, fmt, fields=list(tickets.FIELDS), sections=sections)


@ticket.command("respond")
@change_options("ticket_id")
def respond(ticket_id, at, as_json):
    """Record the first response (once)."""
    change_record(tickets.respond, ticket_id, at, as_json)


@ticket.command("assign")
@change_options("ticket_id")
@click.argument("agent", type=AGENT, shell_complete=completion.agents)
def assign(ticket_id, at, as_json, agent):
    """Give a ticket to another agent."""
    change_record(tickets.assign, ticket_id, at, as_json, agent=agent)


@ticket.command("transfer")
@change_options("ticket_id")
@click.argument("department")
@click.option("--due", type=TimeParam(), help="When the department must be done [default: [sla.dispatch] done].")
@click.option("--note", help="What the department is asked to do.")
def transfer(ticket_id, at, as_json, department, due, note):
    """Send a ticket to a DEPARTMENT (code or name): a dispatch (派单) it must accept and finish; prints the
    dispatch's id."""
    from cs.desk import flows

    change_record(flows.transfer_ticket, ticket_id, at, as_json, department_code=department, due=due, note=note)


@ticket.command("note")
@change_options("ticket_id")
@click.argument("text")
def note(ticket_id, at, as_json, text):
    """Add a note to a ticket's history."""
    change_record(tickets.note, ticket_id, at, as_json, text=text)


@ticket.command("pend")
@change_options("ticket_id")
@click.option("--reason", help="What the ticket waits for.")
def pend(ticket_id, at, as_json, reason):
    """Wait on the customer or a department; pauses the resolution clock."""
    change_record(tickets.pend, ticket_id, at, as_json, reason=reason)


@ticket.command("resume")
@change_options("ticket_id")
def resume(ticket_id, at, as_json):
    """Take a pending ticket back into work."""
    change_record(tickets.resume, ticket_id, at, as_json)


@ticket.command("resolve")
@change_options("ticket_id")
@click.option("--resolution", required=True, help="What was done.")
@click.option("--fcr", is_flag=True, help="Resolved at first contact (首次解决).")
def resolve_(ticket_id, at, as_json, resolution, fcr):
    """Resolve with the resolution given."""
    from cs.desk import flows

    change_record(flows.resolve_ticket, ticket_id, at, as_json, resolution=resolution, fcr=fcr)


@ticket.command("close")
@change_options("ticket_id")
def close(ticket_id, at, as_json):
    """Close a resolved ticket."""
    change_record(tickets.close, ticket_id, at, as_json)


@ticket.command("reopen")
@change_options("ticket_id")
@click.option("--reason", help="Why it is reopened.")
def reopen(ticket_id, at, as_json, reason):
    """Reopen a resolved or closed ticket."""
    change_record(tickets.reopen, ticket_id, at, as_json, reason=reason)


@ticket.command("verdict")
@click.argument("ticket_id", type=RECORD_ID)
@click.argument("verdict", type=choice(VERDICTS, "verdict"))
@at_option
@json_option
def verdict(ticket_id, verdict, at, as_json):
    """Record a complaint's verdict: upheld (投诉成立) or rejected (不成立)."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record, warnings = tickets.verdict(ctx, ticket_id, verdict, at=app.business_time(at))
        from cs.scoring import deductions

        deductions.after_verdict(ctx, ticket_id)  # one incident: the violations naming it are judged again
    for message in warnings:
        click.echo(_("Warning: {message}").format(message=message), err=True)
    emit_written(record, as_json)


@ticket.command("update")
@click.argument("ticket_id", type=RECORD_ID)
@click.option("--summary")
@click.option("--detail")
@click.option("--channel", type=choice(CHANNELS, "channel"))
@click.option("--category", type=choice(CATEGORIES, "category"))
@click.option("--priority", type=choice(PRIORITIES, "priority"), help="Recomputes the SLA deadlines.")
@click.option("--customer", "customer_name")
@click.option("--phone", "customer_phone", help="Customer phone ('' clears it).")
@click.option("--department", help="Department the ticket was sent to ('' clears it).")
@click.option("--about", "about_agent", help="Agent a complaint is about ('' clears it).",
              type=AGENT, shell_complete=completion.agents)
@click.option("--tag", "add_tags", multiple=True, help="Add a tag (repeatable).")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag (repeatable).")
@address_options
@at_option
@json_option
def update(ticket_id, at, as_json, add_tags, remove_tags, **fields):
    """Change a ticket's fields."""
    app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = tickets.update(ctx, ticket_id, at=app.business_time(at), add_tags=add_tags, remove_tags=remove_tags,
                                **fields)
    emit_written(record, as_json)


@ticket.command("import")
@import_options
@click.option("--allow-duplicates", is_flag=True,
              help="Import rows that repeat a ticket already stored or a row of the file (the same call twice).")
def import_(source, fmt, sheet_args, dry_run, as_json, allow_duplicates):
    """Import tickets from JSON, JSONL, CSV or an Excel .xlsx sheet. All or nothing.

    JSON records use the fields `export` writes. CSV (UTF-8 or GB18030) and .xlsx sheets may use the
    Chinese headers of a 来访来电记录表 (来电时间, 客户姓名, 联系电话, 类别, 内容, 处理结果, 受理人, 方式 …);
    dates such as 2026/11/18 9:05, 2026年11月18日 9时5分 and Excel dates are read.
    """
    from cs.exchange import tickets as tickets_io

    app = click.get_current_context().obj
    result = run_import(tickets_io, tickets.FIELDS, source, fmt, sheet_args, dry_run,
                        allow_duplicates=allow_duplicates)
    report_import(result, as_json, "ticket", lambda rows: emit_list(
        (for_table(row, app.lang) for row in rows), "table", LIST_COLUMNS, max_widths={"summary": 30}))


@ticket.command("export")
@click.option("--since", type=TimeParam(), help="Opened at or after TIME.")
@click.option("--until", type=TimeParam(), help="Opened before TIME (a date means through that day).")
@click.option("--status", multiple=True, type=choice(STATUSES, "status"))
@output_options(workbook=True, formats=("json", "jsonl", "csv", "tsv"), default="jsonl")
def export(since, until, status, fmt):
    """Write tickets as `import` reads them (CSV cells beginning = + - @ neutralised; xlsx cells are text)."""
    app, ctx = app_and_ctx()
    rows = tickets.query(ctx, status=status, since=resolve(app, since), until=resolve_until(app, until), sort="id")
    emit_list(rows, fmt, None, enums=ENUMS, title=sheet_title(app.lang))
