"""cs audit: the audit trail of every change."""

from __future__ import annotations

import click

from cs.cli import TimeParam
from cs.cli.common import app_and_ctx, emit_list, list_options, output_options, resolve, resolve_until, terminal_limit

COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "change"]
LABELS = {"action": ("操作", "Action"), "entity": ("对象", "Entity"), "entity_id": ("对象编号", "Entity id")}


@click.command("audit")
@click.option("--entity", help="ticket, callback, agent, customer, config, roster, handover, duty, violation, "
                               "deduction, deductions.")
@click.option("--id", "entity_id", metavar="ID", help="The entity's id (ticket number, agent handle, phone…).")
@click.option("--actor", help="Who made the change (--as).")
@click.option("--action", help="Action or its prefix, e.g. ticket.resolve or ticket.")
@click.option("--since", type=TimeParam(), help="Changes at or after TIME.")
@click.option("--until", type=TimeParam(), help="Changes before TIME (a date alone: through that day).")
@list_options("-id", ("id", "at", "actor", "action", "entity", "entity_id"))
@output_options
def audit(entity, entity_id, actor, action, since, until, limit, sort, fmt):
    """The audit trail: who changed what and when, with the record before and after (newest first).

    JSON gives `before` and `after` whole; the table shows the fields that changed.
    """
    from cs.store import audit as audit_mod

    app, ctx = app_and_ctx()
    rows = audit_mod.query(ctx, entity=entity, entity_id=entity_id, actor=actor, action=action,
                           since=resolve(app, since), until=resolve_until(app, until), limit=terminal_limit(limit),
                           sort=sort)
    if fmt in ("table", "csv", "tsv"):
        rows = [{**row, "change": audit_mod.change_summary(row)} for row in rows]
    emit_list(rows, fmt, COLUMNS, max_widths={"change": 60}, labels=LABELS)
