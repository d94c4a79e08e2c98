"""cs dept ... and cs dispatch ...: departments and the dispatches (派单) sent to them."""

from __future__ import annotations

import click

from cs.cli import AGENT, completion
from cs.cli.common import (
    RECORD_ID,
    app_and_ctx,
    change_options,
    change_record,
    emit_list,
    emit_object,
    emit_written,
    json_option,
    list_options,
    output_options,
    terminal_limit,
)
from cs.core.vocabulary import DISPATCH_STATUSES
from cs.desk import dispatch

DEPARTMENT_COLUMNS = ["code", "name", "head", "contact", "active"]
COLUMNS = ["id", "ticket_id", "department", "status", "sent_at", "accept_due_at", "accepted_at", "done_due_at",
           "done_at", "overdue"]


@click.group("dept")
def dept():
    """Departments a ticket can be sent to (工程部), with their head and contact."""


@dept.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The department's name, e.g. 工程部.")
@click.option("--head", required=True, type=AGENT, shell_complete=completion.agents,
              help="Its head (部门负责人): decides how a dispatch is handled; alerted when one is late.")
@click.option("--contact", type=AGENT, shell_complete=completion.agents,
              help="Who takes its dispatches; alerted first when one is late [default: the head].")
@json_option
def dept_add(code, name, head, contact, as_json):
    """Add a department."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = dispatch.add_department(ctx, code, name=name, head=head, contact=contact)
    emit_written(record, as_json, key="code")


@dept.command("update")
@click.argument("code")
@click.option("--name", help="A new name.")
@click.option("--head", type=AGENT, shell_complete=completion.agents, help="A new head.")
@click.option("--contact", type=AGENT, shell_complete=completion.agents, help="A new contact ('' clears it).")
@click.option("--active/--inactive", default=None, help="Take it out of use, or back.")
@json_option
def dept_update(code, name, head, contact, active, as_json):
    """Change a department."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = dispatch.update_department(ctx, code, name=name, head=head, contact=contact, active=active)
    emit_written(record, as_json, key="code")


@dept.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Inactive departments too.")
@output_options
def dept_list(include_inactive, fmt):
    """The departments."""
    _app, ctx = app_and_ctx()
    emit_list(dispatch.list_departments(ctx.db, include_inactive), fmt, DEPARTMENT_COLUMNS)


@click.group("dispatch")
def dispatch_group():
    """Dispatches (派单): tickets sent to a department, accepted (接单) and done (完工)."""


@dispatch_group.command("accept")
@change_options("dispatch_id")
def accept(dispatch_id, at, as_json):
    """The department takes the dispatch (接单)."""
    change_record(dispatch.accept, dispatch_id, at, as_json)


@dispatch_group.command("done")
@change_options("dispatch_id")
@click.option("--note", help="What was done.")
def done(dispatch_id, at, as_json, note):
    """The department has finished the work (完工)."""
    change_record(dispatch.done, dispatch_id, at, as_json, note=note)


@dispatch_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Not done yet.")
@click.option("--overdue", is_flag=True, help="Past their accept or done deadline.")
@click.option("--dept", "department", help="One department (code or name).")
@click.option("--ticket", "ticket_id", type=RECORD_ID, help="One ticket's dispatches.")
@list_options("sent_at,id", dispatch.SORTABLE)
@output_options(workbook=True)
def list_(open_only, overdue, department, ticket_id, limit, sort, fmt):
    """Dispatches, oldest first."""
    _app, ctx = app_and_ctx()
    rows = dispatch.query(ctx, open_only=open_only, overdue=overdue, department_code=department, ticket_id=ticket_id,
                          limit=terminal_limit(limit), sort=sort)
    emit_list(shown(ctx, rows, fmt), fmt, COLUMNS, enums={"status": DISPATCH_STATUSES}, title="派单")


def shown(ctx, rows, fmt):
    """A table names each department (工程部); JSON and CSV keep the code."""
    if fmt != "table":
        return rows
    names = {d["code"]: d["name"] for d in dispatch.list_departments(ctx.db, include_inactive=True)}
    return [{**row, "department": names.get(row["department"], row["department"])} for row in rows]


@dispatch_group.command("show")
@click.argument("dispatch_id", type=RECORD_ID)
@output_options
def show(dispatch_id, fmt):
    """One dispatch, every step with its time and who did it."""
    _app, ctx = app_and_ctx()
    emit_object(dispatch.get(ctx, dispatch_id), fmt, enums={"status": DISPATCH_STATUSES})
