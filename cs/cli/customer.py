"""cs customer ...: customers (客户档案) by phone."""

from __future__ import annotations

import click

from cs.cli.callback import for_table as callback_row
from cs.cli.common import (
    app_and_ctx,
    emit_list,
    emit_object,
    emit_written,
    json_option,
    list_options,
    output_options,
    terminal_limit,
)
from cs.cli.ticket import CALLBACK_COLUMNS, address_options, for_table
from cs.cli.ticket import LIST_COLUMNS as TICKET_COLUMNS
from cs.core.i18n import _
from cs.desk import callbacks, customers, tickets

COLUMNS = ["phone", "name", "vip", "no_callback", "tickets", "last_contact_at"]


@click.group()
def customer():
    """Customers (客户档案), kept by phone number."""


@customer.command("list")
@click.option("--search", help="Part of a phone number or name.")
@click.option("--vip/--no-vip", default=None, help="Only VIP customers, or only others.")
@click.option("--building", help="Customers living in this building (楼栋).")
@list_options("-last_contact_at", customers.SORTABLE)
@output_options
def list_(search, vip, building, limit, sort, fmt):
    """List customers, most recent contact first."""
    _app, ctx = app_and_ctx()
    rows = customers.list_customers(ctx.db, ctx.display, search=search, vip=vip, building=building,
                                    limit=terminal_limit(limit), sort=sort)
    emit_list(rows, fmt, COLUMNS)


@customer.command("show")
@click.argument("phone")
@output_options
def show(phone, fmt):
    """A customer with their tickets and callbacks."""
    app, ctx = app_and_ctx()
    record = customers.get(ctx.db, phone, ctx.display)
    record["ticket_list"] = list(tickets.query(ctx, phone=record["phone"], sort="-opened_at,-id"))
    record["callback_list"] = list(callbacks.query(ctx, phone=record["phone"], sort="-due_at,-id"))
    emit_object(record, fmt, fields=COLUMNS, sections=[
        ("Tickets" if app.lang == "en" else "工单", [for_table(t, app.lang) for t in record["ticket_list"]],
         TICKET_COLUMNS),
        ("Callbacks" if app.lang == "en" else "回访", [callback_row(c, app.lang) for c in record["callback_list"]],
         CALLBACK_COLUMNS),
    ])


@customer.command("set")
@click.argument("phone")
@click.option("--name", help="Customer name.")
@click.option("--vip/--no-vip", default=None, help="Key customer (重点客户): always called back.")
@click.option("--no-callback/--allow-callback", "no_callback", default=None,
              help="谢绝回访: the customer declines callbacks.")
@click.option("--tag", multiple=True, help="Add a tag (e.g. a 小区 or 楼栋; a visit plan's scope tag:TAG).")
@click.option("--untag", multiple=True, help="Remove a tag.")
@address_options
@json_option
def set_(phone, name, vip, no_callback, tag, untag, building, unit, room, as_json):
    """Create or change a customer's record."""
    _app, ctx = app_and_ctx()
    with ctx.db.transaction():
        record = customers.set_flags(ctx.db, phone, at=ctx.now_db, actor=ctx.actor, display=ctx.display, name=name,
                                     vip=vip, no_callback=no_callback, tag=tag, untag=untag,
                                     address={"building": building, "unit": unit, "room": room})
        if no_callback:
            from cs.desk import flows

            cancelled, overdue = flows.decline_callbacks(ctx, record["phone"])
            if cancelled:
                click.echo(_("{cancelled} pending callback(s) cancelled: the customer declines callbacks").format(
                    cancelled=cancelled), err=True)
            if overdue:
                click.echo(_("Warning: {overdue} overdue callback(s) stay (they were owed); a leader may cancel"
                             " them").format(overdue=overdue), err=True)
    emit_written(record, as_json, key="phone")
