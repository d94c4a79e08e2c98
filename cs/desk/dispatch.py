"""Departments and dispatches (派单): a ticket the desk cannot settle goes to a department, which accepts it
(接单) and finishes it (完工), each on its own deadline (SPEC section 18; seed 004: 不能處理的事件當天交部門負責人,
由部門負責人決定處理辦法,并交相關人員完成).

A dispatch is `sent`, then `accepted`, then `done`, each step timestamped with who did it. Its deadlines run on
the same clocks as a ticket's SLA: `[sla.dispatch] accept` (default 30m, service time) from when it was sent,
and `done` (default 1wd, the working clock), or the `--due` the sender gives. Accepting and finishing are the
department's: its head, its contact, or a team leader or supervisor.
"""

from __future__ import annotations

import re
from datetime import datetime

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import clean_text
from cs.desk import agents as agents_mod
from cs.store.query import Filters, listing, one_or_refuse

DEPARTMENT_FIELDS = ("code", "name", "head", "contact", "active")
FIELDS = ("id", "ticket_id", "department", "status", "sent_at", "sent_by", "accept_due_at", "accepted_at",
          "accepted_by", "done_due_at", "done_at", "done_by", "note", "done_note", "overdue")
STATUSES = ("sent", "accepted", "done")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")


# --- departments --------------------------------------------------------------------------------------------


def department_json(row) -> dict:
    return {"code": row["code"], "name": row["name"], "head": row["head"], "contact": row["contact"],
            "active": bool(row["active"])}


def department(db, code: str) -> dict:
    """A department by code or by name (工程部)."""
    row = db.one("SELECT * FROM departments WHERE code = ? OR name = ? ORDER BY code = ? DESC LIMIT 1",
                 (code, code, code))
    if row is None:
        raise CSError(_("no department {code!r}; see 'cs dept list' or add one with 'cs dept add CODE --name NAME"
                        " --head HANDLE'").format(code=code))
    return department_json(row)


def add_department(ctx, code: str, *, name: str, head: str, contact: str | None = None) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, N_("adding a department"))
    if not _CODE.fullmatch(code):
        raise CSError(_("{code!r} is not a usable department code: letters, digits, _ and - (at most 40)").format(
            code=code))
    name = clean_text(name, N_("name"), 100, required=True)
    if ctx.db.one("SELECT 1 FROM departments WHERE code IN (?, ?) OR name IN (?, ?)", (code, name, code, name)):
        raise CSError(_("a department {code!r} or named {name!r} exists already; see 'cs dept list'").format(
            code=code, name=name))
    row = {"code": code, "name": name, "head": agents_mod.require_active(ctx.db, head, N_("department head")),
           "contact": agents_mod.require_active(ctx.db, contact, N_("department contact")) if contact else None,
           "created_at": ctx.now_db}
    ctx.db.execute("INSERT INTO departments (code, name, head, contact, active, created_at)"
                   " VALUES (:code, :name, :head, :contact, 1, :created_at)", row)
    after = department(ctx.db, code)
    ctx.db.audit(ctx.now_db, ctx.actor, "department.add", "department", code, None, after)
    return after


def update_department(ctx, code: str, *, name=None, head=None, contact=None, active=None) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, N_("changing a department"))
    before = department(ctx.db, code)
    changes = {}
    if name is not None:
        changes["name"] = clean_text(name, N_("name"), 100, required=True)
        if ctx.db.one("SELECT 1 FROM departments WHERE (code = ? OR name = ?) AND code <> ?",
                      (changes["name"], changes["name"], before["code"])):
            raise CSError(_("a department {code!r} or named {name!r} exists already; see 'cs dept list'").format(
                code=changes["name"], name=changes["name"]))
    if head is not None:
        changes["head"] = agents_mod.require_active(ctx.db, head, N_("department head"))
    if contact is not None:
        changes["contact"] = agents_mod.require_active(ctx.db, contact, N_("department contact")) if contact else None
    if active is not None:
        changes["active"] = 1 if active else 0
    if not changes:
        raise CSError(_("nothing to change; give at least one option (see 'cs dept update --help')"))
    for key, value in changes.items():  # one fixed statement per field: the column is never a value
        ctx.db.execute(_UPDATE_DEPARTMENT[key], (value, before["code"]))
    after = department(ctx.db, before["code"])
    ctx.db.audit(ctx.now_db, ctx.actor, "department.update", "department", before["code"], before, after)
    return after


_UPDATE_DEPARTMENT = {key: f"UPDATE departments SET {key} = ? WHERE code = ?"
                      for key in ("name", "head", "contact", "active")}


def list_departments(db, include_inactive: bool = False) -> list[dict]:
    rows = (db.all("SELECT * FROM departments ORDER BY code") if include_inactive
            else db.all("SELECT * FROM departments WHERE active = 1 ORDER BY code"))
    return [department_json(row) for row in rows]


# --- dispatches ---------------------------------------------------------------------------------------------


def dispatch_sla(config: dict) -> tuple[clock.Duration, clock.Duration]:
    entry = config["sla"]["dispatch"]
    return clock.parse_duration(entry["accept"]), clock.parse_duration(entry["done"])


def to_json(ctx, row) -> dict:
    return {"id": row["id"], "ticket_id": row["ticket_id"], "department": row["department"],
            "status": row["status"], "sent_at": ctx.display(row["sent_at"]), "sent_by": row["sent_by"],
            "accept_due_at": ctx.display(row["accept_due_at"]), "accepted_at": ctx.display(row["accepted_at"]),
            "accepted_by": row["accepted_by"], "done_due_at": ctx.display(row["done_due_at"]),
            "done_at": ctx.display(row["done_at"]), "done_by": row["done_by"], "note": row["note"],
            "done_note": row["done_note"],
            "overdue": is_overdue(row, ctx.now_db)}


def is_overdue(row, now_db: str) -> bool:
    """Not accepted by its accept deadline, or not done by its done deadline (as of `now_db`)."""
    if row["status"] == "sent" and now_db > row["accept_due_at"]:
        return True
    return row["status"] != "done" and now_db > row["done_due_at"]


def get(ctx, dispatch_id: int) -> dict:
    return to_json(ctx, _row(ctx, dispatch_id))


def _row(ctx, dispatch_id: int):
    return one_or_refuse(ctx.db, "SELECT * FROM dispatches WHERE id = ?", (dispatch_id,),
                         _("dispatch {id} not found; see 'cs dispatch list'").format(id=dispatch_id))


def open_dispatch(ctx, ticket_id: int, department_code: str, *, sent_at: datetime, due: datetime | None = None,
                  note: str | None = None) -> dict:
    """A new dispatch of the ticket to the department (the ticket is checked by the caller, flows.transfer)."""
    from cs.desk.tickets import clock_seconds, clock_start, run_clock

    dept = department(ctx.db, department_code)
    if not dept["active"]:
        raise CSError(_("department {code} is deactivated; reactivate it with 'cs dept update {code} --active'")
                      .format(code=dept["code"]))
    if ctx.db.one("SELECT 1 FROM dispatches WHERE ticket_id = ? AND department = ? AND status <> 'done'",
                  (ticket_id, dept["code"])):
        raise CSError(_("ticket {ticket} is already with {name}; see 'cs dispatch list --open'").format(
            ticket=ticket_id, name=dept["name"]))
    accept, done = dispatch_sla(ctx.config)
    start = clock_start(ctx, sent_at)
    accept_due = run_clock(ctx, accept, start, clock_seconds(accept))
    done_due = due if due is not None else run_clock(ctx, done, start, clock_seconds(done))
    if clock.to_db(done_due) <= clock.to_db(sent_at):
        raise CSError(_("--due {due} is not after the dispatch is sent ({sent})").format(
            due=ctx.display(clock.to_db(done_due)), sent=ctx.display(clock.to_db(sent_at))))
    row = {"ticket_id": ticket_id, "department": dept["code"], "sent_at": clock.to_db(sent_at), "sent_by": ctx.actor,
           "accept_due_at": clock.to_db(min(accept_due, done_due)), "done_due_at": clock.to_db(done_due),
           "note": clean_text(note, N_("note"), 2000) if note and note.strip() else None}
    dispatch_id = ctx.db.execute(
        "INSERT INTO dispatches (ticket_id, department, status, sent_at, sent_by, accept_due_at, done_due_at, note)"
        " VALUES (:ticket_id, :department, 'sent', :sent_at, :sent_by, :accept_due_at, :done_due_at, :note)",
        row).lastrowid
    after = get(ctx, dispatch_id)
    ctx.db.audit(ctx.now_db, ctx.actor, "dispatch.send", "dispatch", dispatch_id, None, after)
    return after


def accept(ctx, dispatch_id: int, at: datetime | None = None) -> dict:
    row = _row(ctx, dispatch_id)
    _refuse_unless_departments(ctx, row, N_("accepting a dispatch"))
    if row["status"] != "sent":
        raise CSError(_("dispatch {id} is {status} already").format(id=dispatch_id, status=_status_word(row)))
    at_db = _check_at(ctx, at, row)
    return _change(ctx, row, "accept", {"status": "accepted", "accepted_at": at_db, "accepted_by": ctx.actor})


def done(ctx, dispatch_id: int, at: datetime | None = None, note: str | None = None) -> dict:
    row = _row(ctx, dispatch_id)
    _refuse_unless_departments(ctx, row, N_("finishing a dispatch"))
    if row["status"] == "sent":
        raise CSError(_("dispatch {id} has not been accepted; accept it first: cs dispatch accept {id}").format(
            id=dispatch_id))
    if row["status"] == "done":
        raise CSError(_("dispatch {id} is done already").format(id=dispatch_id))
    at_db = _check_at(ctx, at, row, after=row["accepted_at"])
    changes = {"status": "done", "done_at": at_db, "done_by": ctx.actor}
    if note and note.strip():
        changes["done_note"] = clean_text(note, N_("note"), 2000)
    return _change(ctx, row, "done", changes)


def _status_word(row) -> str:
    from cs.core.vocabulary import DISPATCH_STATUSES, code_word

    return code_word(DISPATCH_STATUSES, row["status"])


def _refuse_unless_departments(ctx, row, doing: str) -> None:
    """Accepting and finishing are the department's (its head or contact), or a leader's or supervisor's."""
    dept = ctx.db.one("SELECT head, contact FROM departments WHERE code = ?", (row["department"],))
    if dept is not None and ctx.actor in (dept["head"], dept["contact"]):
        return
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, doing)


def _check_at(ctx, at: datetime | None, row, after: str | None = None) -> str:
    at_db = clock.to_db(at or ctx.now)
    if at_db > ctx.now_db:
        raise CSError(_("--at {at} is in the future; records describe what has happened").format(
            at=ctx.display(at_db)))
    earliest = after or row["sent_at"]
    if at_db < earliest:
        raise CSError(_("--at {at} is before the dispatch's previous step ({earliest})").format(
            at=ctx.display(at_db), earliest=ctx.display(earliest)))
    return at_db


def _change(ctx, row, kind: str, changes: dict) -> dict:
    before = {key: row[key] for key in changes}
    for key, value in changes.items():
        ctx.db.execute(_UPDATE_DISPATCH[key], (value, row["id"]))
    ctx.db.audit(ctx.now_db, ctx.actor, f"dispatch.{kind}", "dispatch", row["id"], before, changes)
    return get(ctx, row["id"])


_UPDATE_DISPATCH = {key: f"UPDATE dispatches SET {key} = ? WHERE id = ?"
                    for key in ("status", "accepted_at", "accepted_by", "done_at", "done_by", "done_note")}
SORTABLE = {"id", "ticket_id", "department", "status", "sent_at", "accept_due_at", "done_due_at"}


def query(ctx, *, open_only: bool = False, department_code: str | None = None, ticket_id: int | None = None,
          overdue: bool = False, limit=None, sort: str = "sent_at,id") -> list[dict]:
    filters = Filters()
    if open_only or overdue:
        filters.add("status <> 'done'")
    if overdue:
        filters.add("(done_due_at < :now OR (status = 'sent' AND accept_due_at < :now))", now=ctx.now_db)
    if department_code:
        filters.add("department = :department", department=department(ctx.db, department_code)["code"])
    if ticket_id is not None:
        filters.add("ticket_id = :ticket_id", ticket_id=ticket_id)
    sql, params = listing("SELECT * FROM dispatches", filters, sort, SORTABLE, limit=limit)
    return [to_json(ctx, row) for row in ctx.db.all(sql, params)]


def figures(ctx, start: str, end: str) -> list[dict]:
    """Per department, what happened in the window [start, end): dispatches sent, accepted (and of those, by
    their accept deadline), done (and by their done deadline); and those open past a deadline at the end."""
    rows = []
    for dept in ctx.db.all("SELECT code, name FROM departments ORDER BY code"):
        code = dept["code"]
        sent = ctx.db.value("SELECT COUNT(*) FROM dispatches WHERE department = ? AND sent_at >= ? AND sent_at < ?",
                            (code, start, end))
        accepted = ctx.db.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(accepted_at <= accept_due_at), 0) AS on_time FROM dispatches"
            " WHERE department = ? AND accepted_at >= ? AND accepted_at < ?", (code, start, end))
        finished = ctx.db.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(done_at <= done_due_at), 0) AS on_time FROM dispatches"
            " WHERE department = ? AND done_at >= ? AND done_at < ?", (code, start, end))
        judged = min(end, ctx.now_db)  # a window not over yet: late as of now, not as of its end
        late = ctx.db.value(
            "SELECT COUNT(*) FROM dispatches WHERE department = ? AND sent_at < ?"
            " AND (done_at IS NULL OR done_at >= ?) AND (done_due_at < ?"
            " OR ((accepted_at IS NULL OR accepted_at >= ?) AND accept_due_at < ?))",
            (code, judged, judged, judged, judged, judged))
        if sent or accepted["n"] or finished["n"] or late:
            rows.append({"department": code, "name": dept["name"], "sent": sent, "accepted": accepted["n"],
                         "accepted_on_time": accepted["on_time"], "done": finished["n"],
                         "done_on_time": finished["on_time"], "overdue_at_end": late})
    return rows
