"""The steps that cross the desk's records, kept here so tickets and callbacks never import each other:
resolving a ticket schedules its callbacks (回访) by the policies; a callback that reached the customer
puts their satisfaction on the ticket; a ticket is shown with its callbacks."""

from __future__ import annotations

from datetime import datetime

from cs.core.i18n import _, language
from cs.core.vocabulary import REASONS, label
from cs.desk import callbacks, tickets


def transfer_ticket(ctx, ticket_id: int, department_code: str, *, due: datetime | None = None,
                    note: str | None = None, at: datetime | None = None) -> dict:
    """Send the ticket to a department: the ticket's `department` is set and a dispatch opens (one transaction)."""
    from cs.desk import dispatch

    dept = dispatch.department(ctx.db, department_code)
    tickets.transfer(ctx, ticket_id, dept["name"], at)
    return dispatch.open_dispatch(ctx, ticket_id, dept["code"], sent_at=at or ctx.now, due=due, note=note)


def resolve_ticket(ctx, ticket_id: int, resolution: str, fcr: bool = False, at: datetime | None = None) -> dict:
    """Resolve the ticket, then create the callbacks its policies call for (the same transaction)."""
    ticket = tickets.resolve(ctx, ticket_id, resolution, fcr=fcr, at=at)
    for callback in callbacks.schedule_for_resolution(ctx, tickets.stored_row(ctx, ticket_id), at or ctx.now):
        ctx.inform(_("callback {id} scheduled ({reason}), due {due} for {agent}").format(
            id=callback["id"], reason=label(REASONS, callback["reason"], language()), due=callback["due_at"],
            agent=callback["agent"] or _("nobody yet")))
    return ticket


def complete_callback(ctx, callback_id: int, outcome: str, score: int | None = None, note: str | None = None,
                      at: datetime | None = None) -> dict:
    """The customer was reached: the callback is done and its ticket gets their 1–5 satisfaction."""
    record = callbacks.done(ctx, callback_id, outcome, score=score, note=note, at=at)
    if record["ticket_id"] is not None:
        tickets.record_satisfaction(ctx, record["ticket_id"], callbacks.satisfaction_score(record),
                                    callbacks.stored_row(ctx, callback_id)["done_at"])
    return record


def decline_callbacks(ctx, phone: str) -> tuple[int, int]:
    """The customer declines callbacks (谢绝回访): their pending callbacks not yet due are cancelled, so nobody is
    charged for calls they asked not to get. Overdue ones stay: they were owed before (a leader may cancel them).
    Returns (cancelled, left overdue)."""
    rows = ctx.db.all("SELECT id, due_at FROM callbacks WHERE customer_phone = ? AND status = 'pending'", (phone,))
    cancelled = 0
    for row in rows:
        if row["due_at"] > ctx.now_db:
            callbacks.cancel(ctx, row["id"], "客户谢绝回访")
            cancelled += 1
    return cancelled, len(rows) - cancelled


def show_ticket(ctx, ticket_id: int) -> dict:
    """The ticket with its history and its callbacks."""
    ticket = tickets.get(ctx, ticket_id)
    ticket["history"] = tickets.history(ctx, ticket_id)
    ticket["callbacks"] = list(callbacks.query(ctx, ticket_id=ticket_id, sort="due_at,id"))
    return ticket
