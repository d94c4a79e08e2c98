"""Tickets (工单): intake, the status machine, SLA deadlines and breaches, history and search.

SLA clocks (SPEC section 12) start when the ticket arrives, or at the next opening when it arrives
outside service hours (服务时间). A duration in minutes or hours counts service time only; one in
working days (`wd`) runs on the working clock (working days count whole, see clock.add_working_seconds)
from that start; days and weeks are elapsed time. The resolve clock stops while the ticket is pending;
the paused time, measured on the resolve duration's own clock, is kept in `paused_s`, so the deadline is
always `start + resolve + paused` on that clock. Leaving `pending` moves the stored deadline by the
paused time (each clock is additive), so an imported deadline is kept, not recomputed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import N_, _, is_chinese
from cs.core.text import clean_tags, clean_text
from cs.core.vocabulary import CATEGORIES, CHANNELS, PRIORITIES, STATUSES, VERDICTS, code_word, normalise
from cs.desk import agents as agents_mod
from cs.desk import customers
from cs.store.query import Filters, insert_sql, listing, one_or_refuse

FIELDS = (
    "id", "opened_at", "channel", "category", "priority", "status", "summary", "detail",
    "customer_name", "customer_phone", "building", "unit", "room", "agent", "department", "about_agent", "verdict",
    "tags", "first_response_at", "first_response_due_at", "resolved_at", "resolve_due_at", "closed_at",
    "resolution", "fcr", "breached", "satisfaction", "created_by", "updated_at",
)
ADDRESS = ("building", "unit", "room")
# Every column of the tickets table in its order: the one list that adding, importing and generating
# tickets write (FIELDS above is the JSON, which adds `breached` and leaves out bookkeeping columns).
COLUMNS = (
    "id", "opened_at", "channel", "category", "priority", "status", "summary", "detail", "customer_name",
    "customer_phone", "agent", "department", "about_agent", "verdict", "verdict_at", "tags", "first_response_at",
    "first_response_due_at", "resolved_at", "resolve_due_at", "pending_since", "paused_s", "closed_at",
    "resolution", "fcr", "satisfaction", "created_by", "updated_at", "building", "unit", "room",
)
INSERT_SQL = insert_sql("tickets", COLUMNS, named=True)
OPEN_STATUSES = ("open", "in_progress", "pending")
SORTABLE = {"id", "opened_at", "priority", "status", "agent", "category", "channel", "updated_at",
            "resolved_at", "first_response_at"}
# Orders that follow meaning rather than spelling; every sortable field is qualified with t.
SORT_SQL = {
    **{field: f"t.{field}" for field in SORTABLE},
    "priority": "CASE t.priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END",
    "status": "CASE t.status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'pending' THEN 2"
              " WHEN 'resolved' THEN 3 ELSE 4 END",
}
MAX_SUMMARY = 1000


# --- SLA ----------------------------------------------------------------------------------


def clock_seconds(duration: clock.Duration) -> int:
    """A duration's length on its own clock: a working day is 24 hours of the working clock."""
    return duration.amount * 86400 if duration.unit == "wd" else duration.seconds()


def run_clock(ctx, duration: clock.Duration, start: datetime, seconds: int) -> datetime:
    """`start` plus `seconds` on the clock `duration` runs on: service time for minutes and hours, the
    working clock for working days, elapsed time for days and weeks."""
    if duration.unit in ("m", "h"):
        return ctx.service_hours.add(start, seconds, ctx.tz)
    if duration.unit == "wd":
        return clock.add_working_seconds(start, seconds, ctx.tz, ctx.calendar)
    return start.astimezone(clock.UTC) + timedelta(seconds=seconds)


def measure_clock(ctx, duration: clock.Duration, a: datetime, b: datetime) -> int:
    """Seconds from `a` to `b` on the clock `duration` runs on (0 when b is not after a)."""
    if duration.unit in ("m", "h"):
        return ctx.service_hours.seconds_between(a, b, ctx.tz)
    if duration.unit == "wd":
        return clock.working_seconds_between(a, b, ctx.tz, ctx.calendar)
    return max(0, int((b - a).total_seconds()))


def sla(config: dict, priority: str) -> tuple[clock.Duration, clock.Duration]:
    entry = config["sla"][priority]
    return clock.parse_duration(entry["first_response"]), clock.parse_duration(entry["resolve"])


def clock_start(ctx, opened: datetime) -> datetime:
    """When a ticket's SLA clocks start: on arrival, or at the next opening when it arrives outside service hours."""
    return ctx.service_hours.clock_start(opened, ctx.tz)


def due_times(ctx, opened: datetime, priority: str, paused_s: int = 0) -> tuple[str, str]:
    first_response, resolve = sla(ctx.config, priority)
    start = clock_start(ctx, opened)
    first_due = run_clock(ctx, first_response, start, clock_seconds(first_response))
    resolve_due = run_clock(ctx, resolve, start, clock_seconds(resolve) + paused_s)
    return clock.to_db(first_due), clock.to_db(resolve_due)


def _resolve_duration(ctx, priority: str) -> clock.Duration:
    return sla(ctx.config, priority)[1]


def is_breached(row, now_db: str) -> bool:
    first = row["first_response_at"]
    if (first is not None and first > row["first_response_due_at"]) or (
        first is None and now_db > row["first_response_due_at"]
    ):
        return True
    if row["resolved_at"] is not None:
        return row["resolved_at"] > row["resolve_due_at"]
    if row["status"] == "pending":
        return row["pending_since"] > row["resolve_due_at"]
    return now_db > row["resolve_due_at"]


BREACHED_SQL = """(
    (t.first_response_at IS NOT NULL AND t.first_response_at > t.first_response_due_at)
    OR (t.first_response_at IS NULL AND t.first_response_due_at < :now)
    OR (t.resolved_at IS NOT NULL AND t.resolved_at > t.resolve_due_at)
    OR (t.resolved_at IS NULL AND t.status = 'pending' AND t.pending_since > t.resolve_due_at)
    OR (t.resolved_at IS NULL AND t.status <> 'pending' AND t.resolve_due_at < :now)
)"""


def _projected_resolve_due(ctx, row) -> str:
    """While pending the deadline moves with the clock: show where it stands if work resumed now."""
    if row["status"] != "pending" or row["pending_since"] >= ctx.now_db:
        return row["resolve_due_at"]
    resolve = _resolve_duration(ctx, row["priority"])
    paused = measure_clock(ctx, resolve, clock.from_db(row["pending_since"]), ctx.now)
    return clock.to_db(run_clock(ctx, resolve, clock.from_db(row["resolve_due_at"]), paused))


# --- JSON ---------------------------------------------------------------------------------


def to_json(ctx, row) -> dict:
    display = ctx.display
    return {
        "id": row["id"],
        "opened_at": display(row["opened_at"]),
        "channel": row["channel"],
        "category": row["category"],
        "priority": row["priority"],
        "status": row["status"],
        "summary": row["summary"],
        "detail": row["detail"],
        "customer_name": row["customer_name"],
        "customer_phone": row["customer_phone"],
        "building": row["building"],
        "unit": row["unit"],
        "room": row["room"],
        "agent": row["agent"],
        "department": row["department"],
        "about_agent": row["about_agent"],
        "verdict": row["verdict"],
        "tags": json.loads(row["tags"]),
        "first_response_at": display(row["first_response_at"]),
        "first_response_due_at": display(row["first_response_due_at"]),
        "resolved_at": display(row["resolved_at"]),
        "resolve_due_at": display(_projected_resolve_due(ctx, row)),
        "closed_at": display(row["closed_at"]),
        "resolution": row["resolution"],
        "fcr": bool(row["fcr"]),
        "breached": is_breached(row, ctx.now_db),
        "satisfaction": row["satisfaction"],
        "created_by": row["created_by"],
        "updated_at": display(row["updated_at"]),
    }


def stored_row(ctx, ticket_id: int):
    return one_or_refuse(ctx.db, "SELECT * FROM tickets WHERE id = ?", (ticket_id,),
                         _("ticket {id} not found; see 'cs ticket list'").format(id=ticket_id))


def get(ctx, ticket_id: int) -> dict:
    return to_json(ctx, stored_row(ctx, ticket_id))


def history(ctx, ticket_id: int) -> list[dict]:
    rows = ctx.db.all(
        "SELECT at, actor, kind, from_status, to_status, text FROM ticket_events WHERE ticket_id = ? ORDER BY at, id",
        (ticket_id,),
    )
    return [{**dict(r), "at": ctx.display(r["at"])} for r in rows]


def record_satisfaction(ctx, ticket_id: int, score: int, at_db: str) -> dict:
    """A callback reached the customer: their 1–5 satisfaction goes on the ticket."""
    row = stored_row(ctx, ticket_id)
    return _change(ctx, row, at_db, "satisfaction", {"satisfaction": score}, str(score))


# --- input checks -------------------------------------------------------------------------


# How each plain field's input becomes its stored value (CSError when unacceptable), for add, update
# and import alike.
FIELD_CHECKS = {
    "summary": lambda v: clean_text(v, N_("summary"), MAX_SUMMARY, required=True),
    "detail": lambda v: clean_text(v, N_("detail")),
    "resolution": lambda v: clean_text(v, N_("resolution")),
    "channel": lambda v: normalise(v, CHANNELS, N_("channel")),
    "category": lambda v: normalise(v, CATEGORIES, N_("category")),
    "priority": lambda v: normalise(v, PRIORITIES, N_("priority")),
    "status": lambda v: normalise(v, STATUSES, N_("status")),
    "verdict": lambda v: normalise(v, VERDICTS, N_("verdict")),
    "customer_name": lambda v: clean_text(v, N_("customer name"), 200),
    "customer_phone": lambda v: customers.normalise_phone(v) if v.strip() else None,
    "department": lambda v: clean_text(v, N_("department"), 200),
    "building": lambda v: clean_text(v, N_("building"), 100),  # a 住处 that is not 楼栋/单元/房号 is kept here whole
    "unit": lambda v: clean_text(v, N_("unit"), 40),
    "room": lambda v: clean_text(v, N_("room"), 40),
}


def _check_order(ctx, row, at_db: str) -> None:
    """A status change may not be dated before the ticket's latest one: history stays in order."""
    latest = ctx.db.value(
        "SELECT MAX(at) FROM ticket_events WHERE ticket_id = ? AND to_status IS NOT NULL", (row["id"],)
    )
    latest = max(filter(None, (latest, row["first_response_at"], row["resolved_at"], row["pending_since"])),
                 default=None)
    if latest and at_db < latest:
        raise CSError(_("--at {at} is before the ticket's last change ({latest}); record changes in the order they"
                        " happened").format(at=ctx.display(at_db), latest=ctx.display(latest)))


def _check_at(ctx, at: datetime, row=None, what: str = "--at") -> str:
    at_db = clock.to_db(at)
    if at_db > ctx.now_db:
        raise CSError(_("{option} {at} is in the future; records describe what has happened").format(
            option=what, at=ctx.display(at_db)))
    if row is not None and at_db < row["opened_at"]:
        raise CSError(_("{option} {at} is before the ticket was opened ({opened})").format(
            option=what, at=ctx.display(at_db), opened=ctx.display(row["opened_at"])))
    return at_db


# --- writing ------------------------------------------------------------------------------


def add(
    ctx,
    *,
    channel: str,
    category: str,
    summary: str,
    customer=None,
    phone=None,
    detail=None,
    priority="normal",
    agent=None,
    department=None,
    about=None,
    tags=(),
    opened_at: datetime | None = None,
    building=None,
    unit=None,
    room=None,
) -> dict:
    db = ctx.db
    opened = opened_at or ctx.now
    opened_db = _check_at(ctx, opened, what="--opened-at")
    given = {"channel": channel, "category": category, "priority": priority, "summary": summary, "detail": detail,
             "customer_name": customer, "customer_phone": phone, "department": department, "building": building,
             "unit": unit, "room": room}
    values = {key: FIELD_CHECKS[key](value) if value is not None else None for key, value in given.items()}
    values["summary"] = values["summary"] or FIELD_CHECKS["summary"]("")  # refuses an empty summary
    values["tags"] = json.dumps(clean_tags(tags), ensure_ascii=False)
    if agent:
        values["agent"] = agents_mod.require_active(db, agent)
    else:
        values["agent"] = ctx.actor if agents_mod.is_active_agent(db, ctx.actor) else None
    values["about_agent"] = agents_mod.require_active(db, about, N_("agent (--about)")) if about else None
    first_due, resolve_due = due_times(ctx, opened, values["priority"])
    if values["customer_phone"]:
        customers.upsert(db, values["customer_phone"], values["customer_name"], opened_db)
        _address_from_customer(db, values)
    cur = db.execute(INSERT_SQL, {
        **dict.fromkeys(COLUMNS), **values, "opened_at": opened_db, "status": "open", "paused_s": 0, "fcr": 0,
        "first_response_due_at": first_due, "resolve_due_at": resolve_due, "created_by": ctx.actor,
        "updated_at": ctx.now_db,
    })
    ticket_id = cur.lastrowid
    index_for_search(db, [(ticket_id, values["summary"], values["detail"])])
    _event(ctx, ticket_id, opened_db, "created", None, "open", values["summary"])
    ticket = get(ctx, ticket_id)
    db.audit(ctx.now_db, ctx.actor, "ticket.add", "ticket", ticket_id, None, ticket)
    return ticket


def _address_from_customer(db, values: dict) -> None:
    """A ticket with no 住处 takes the customer's; one with a 住处 gives it to a customer who has none."""
    if any(values.get(key) for key in ADDRESS):
        customers.give_addresses(db, [values])
        return
    known = db.one("SELECT building, unit, room FROM customers WHERE phone = ?", (values["customer_phone"],))
    if known is not None:
        values.update({key: known[key] for key in ADDRESS})


def index_for_search(db, rows) -> None:
    """Add new tickets to the full-text index: rows of (id, summary, detail)."""
    db.executemany(
        "INSERT INTO ticket_fts (rowid, summary, detail, notes) VALUES (?, ?, ?, '')",
        [(ticket_id, summary, detail or "") for ticket_id, summary, detail in rows],
    )


def _event(ctx, ticket_id, at_db, kind, from_status=None, to_status=None, text=None, before=None):
    ctx.db.execute(
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, text, before)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (ticket_id, at_db, ctx.actor, kind, from_status, to_status, text,
         json.dumps(before, ensure_ascii=False) if before else None),
    )


def _change(ctx, row, at_db: str, kind: str, changes: dict, text=None) -> dict:
    """Write `changes` to the ticket, with a history event and an audit record of before/after."""
    before = {key: row[key] for key in changes}
    assignments = ", ".join(f"{key} = :{key}" for key in changes)
    ctx.db.execute(
        f"UPDATE tickets SET {assignments}, updated_at = :updated_at WHERE id = :id",
        {**changes, "updated_at": max(ctx.now_db, row["updated_at"]), "id": row["id"]},
    )
    to_status = changes.get("status")
    _event(ctx, row["id"], at_db, kind, row["status"] if to_status else None, to_status, text,
           {**before, "updated_at": row["updated_at"]})
    ctx.db.audit(ctx.now_db, ctx.actor, f"ticket.{kind}", "ticket", row["id"], before, changes)
    return get(ctx, row["id"])


# Each action's refusal when the ticket is in another state, and the states it names (translated where shown).
_NEEDS_STATE = {
    "a first response": N_("ticket {id} is {status}; a first response needs a ticket that is {allowed}"
                           " (see 'cs ticket show {id}')"),
    "assigning": N_("ticket {id} is {status}; assigning needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "pending": N_("ticket {id} is {status}; pending needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "resuming": N_("ticket {id} is {status}; resuming needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "resolving": N_("ticket {id} is {status}; resolving needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "closing": N_("ticket {id} is {status}; closing needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "reopening": N_("ticket {id} is {status}; reopening needs a ticket that is {allowed} (see 'cs ticket show {id}')"),
    "transferring": N_("ticket {id} is {status}; transferring needs a ticket that is {allowed}"
                       " (see 'cs ticket show {id}')"),
}
_EITHER_STATE = (N_("open or in_progress or pending"), N_("open or in_progress or pending or resolved"),
                 N_("open or in_progress"), N_("resolved or closed"))


def _refuse_state(row, action: str, allowed) -> None:
    if row["status"] not in allowed:
        if is_chinese():
            needed = "或".join(code_word(STATUSES, code) for code in allowed)
        else:
            needed = " or ".join(allowed)
            needed = _(needed) if len(allowed) > 1 else needed
        raise CSError(_(_NEEDS_STATE[action]).format(id=row["id"], status=code_word(STATUSES, row["status"]),
                                                     allowed=needed))


def _unpause(ctx, row, at: datetime) -> dict:
    """Leaving `pending`: the resolve deadline moves by the time spent waiting, on the resolve clock."""
    if row["status"] != "pending" or row["pending_since"] is None:
        return {}
    resolve = _resolve_duration(ctx, row["priority"])
    since = clock.from_db(row["pending_since"])
    paused = measure_clock(ctx, resolve, since, max(at, since))
    due = run_clock(ctx, resolve, clock.from_db(row["resolve_due_at"]), paused)
    return {"paused_s": row["paused_s"] + paused, "pending_since": None, "resolve_due_at": clock.to_db(due)}


def respond(ctx, ticket_id: int, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    if row["first_response_at"] is not None:
        raise CSError(_("ticket {id} was already answered at {at}").format(
            id=ticket_id, at=ctx.display(row["first_response_at"])))
    _refuse_state(row, "a first response", OPEN_STATUSES)
    _check_order(ctx, row, at_db)
    changes = {"first_response_at": at_db}
    if row["status"] == "open":
        changes["status"] = "in_progress"
    return _change(ctx, row, at_db, "responded", changes)


def transfer(ctx, ticket_id: int, department_name: str, at: datetime | None = None) -> dict:
    """The ticket goes to a department (its dispatch is flows.transfer_ticket's): `department` is set."""
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    _refuse_state(row, "transferring", OPEN_STATUSES)
    return _change(ctx, row, at_db, "transferred", {"department": department_name}, f"→ {department_name}")


def assign(ctx, ticket_id: int, agent: str, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    agents_mod.require_active(ctx.db, agent)
    _refuse_state(row, "assigning", OPEN_STATUSES + ("resolved",))
    _refuse_moving_a_charge(ctx, row, N_("reassigning a ticket that may already count in someone's 考核"))
    if row["agent"] == agent:
        raise CSError(_("ticket {id} is already assigned to {agent}").format(id=ticket_id, agent=agent))
    return _change(ctx, row, at_db, "assigned", {"agent": agent}, f"{row['agent'] or '-'} → {agent}")


def update(ctx, ticket_id: int, at: datetime | None = None, *, add_tags=(), remove_tags=(), **fields) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    if row["status"] == "closed":
        raise CSError(_("ticket {id} is closed; reopen it first with 'cs ticket reopen {id}'").format(id=ticket_id))
    changes = _field_changes(ctx, fields)
    if add_tags or remove_tags:
        tags = [t for t in json.loads(row["tags"]) if t not in clean_tags(remove_tags)]
        tags += [t for t in clean_tags(add_tags) if t not in tags]
        changes["tags"] = json.dumps(tags, ensure_ascii=False)
    changes = {key: value for key, value in changes.items() if row[key] != value}
    if row["verdict"] and changes.get("category", "complaint") != "complaint":
        raise CSError(_("ticket {id} is a complaint with the verdict {verdict}; it stays a complaint").format(
            id=ticket_id, verdict=code_word(VERDICTS, row["verdict"])))
    if not changes:
        raise CSError(_("nothing to change on ticket {id}; give an option with a new value").format(id=ticket_id))
    if "about_agent" in changes:  # naming whom a complaint is about decides whose 考核 it may cost
        agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, N_("naming whom a complaint is about"))
    if {"priority", "category"} & set(changes):
        _refuse_moving_a_charge(ctx, row, N_("changing the priority or category of a ticket that may already count"
                                             " in someone's 考核"))
    if "priority" in changes:
        # The pauses so far, measured again on the new priority's resolve clock (hours or working days).
        paused = paused_on(ctx, row, _resolve_duration(ctx, changes["priority"]))
        first_due, resolve_due = due_times(ctx, clock.from_db(row["opened_at"]), changes["priority"], paused)
        changes.update(first_response_due_at=first_due, resolve_due_at=resolve_due, paused_s=paused)
    if changes.get("customer_phone"):
        customers.upsert(ctx.db, changes["customer_phone"], changes.get("customer_name") or row["customer_name"], at_db)
    return _change(ctx, row, at_db, "updated", changes, ", ".join(sorted(changes)))


def paused_on(ctx, row, resolve: clock.Duration) -> int:
    """The time the ticket spent pending before now (finished pauses), on the clock of `resolve`. A ticket
    imported with its pause but no history keeps the stored pause."""
    events = ctx.db.all("SELECT at, kind FROM ticket_events WHERE ticket_id = ? AND kind IN ('pended', 'resumed',"
                        " 'resolved') ORDER BY at, id", (row["id"],))
    if not any(event["kind"] == "pended" for event in events):
        return row["paused_s"]
    total, since = 0, None
    for event in events:
        if event["kind"] == "pended":
            since = clock.from_db(event["at"])
        elif since is not None:
            total += measure_clock(ctx, resolve, since, clock.from_db(event["at"]))
            since = None
    return total


def _refuse_moving_a_charge(ctx, row, doing: str) -> None:
    """Once a ticket's first-response deadline has passed unmet, or its complaint has a verdict, it may already
    count in someone's 考核: changing whose it is or what its deadlines are is a leader's decision. `doing` says
    so (marked with N_)."""
    missed = row["first_response_due_at"] < ctx.now_db and (
        row["first_response_at"] is None or row["first_response_at"] > row["first_response_due_at"])
    if missed or row["verdict"] is not None:
        agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, doing)


def _field_changes(ctx, fields: dict) -> dict:
    def about(value):
        return agents_mod.require_active(ctx.db, value, N_("agent (--about)")) if value.strip() else None

    checks = {**FIELD_CHECKS, "about_agent": about}
    return {key: checks[key](value) for key, value in fields.items() if value is not None}


def note(ctx, ticket_id: int, text: str, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    text = clean_text(text, N_("note"), required=True)
    _event(ctx, ticket_id, at_db, "note", None, None, text)
    ctx.db.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (ctx.now_db, ticket_id))
    ctx.db.audit(ctx.now_db, ctx.actor, "ticket.note", "ticket", ticket_id, None, {"note": text})
    return get(ctx, ticket_id)


def pend(ctx, ticket_id: int, reason: str | None = None, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    _refuse_state(row, "pending", ("open", "in_progress"))
    _check_order(ctx, row, at_db)
    reason = clean_text(reason, N_("reason"))
    return _change(ctx, row, at_db, "pended", {"status": "pending", "pending_since": at_db}, reason)


def resume(ctx, ticket_id: int, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at = at or ctx.now
    at_db = _check_at(ctx, at, row)
    _refuse_state(row, "resuming", ("pending",))
    _check_order(ctx, row, at_db)
    return _change(ctx, row, at_db, "resumed", {"status": "in_progress", **_unpause(ctx, row, at)})


def resolve(ctx, ticket_id: int, resolution: str, fcr: bool = False, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at = at or ctx.now
    at_db = _check_at(ctx, at, row)
    _refuse_state(row, "resolving", OPEN_STATUSES)
    _check_order(ctx, row, at_db)
    changes = {
        "status": "resolved",
        "resolved_at": at_db,
        "resolution": clean_text(resolution, N_("resolution"), required=True),
        "fcr": 1 if fcr else 0,
        **_unpause(ctx, row, at),
    }
    if row["first_response_at"] is None:
        changes["first_response_at"] = at_db  # an unanswered ticket counts as answered at resolution
    return _change(ctx, row, at_db, "resolved", changes, changes["resolution"])


def close(ctx, ticket_id: int, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    _refuse_state(row, "closing", ("resolved",))
    _check_order(ctx, row, at_db)
    return _change(ctx, row, at_db, "closed", {"status": "closed", "closed_at": at_db})


def reopen(ctx, ticket_id: int, reason: str | None = None, at: datetime | None = None) -> dict:
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    _refuse_state(row, "reopening", ("resolved", "closed"))
    _check_order(ctx, row, at_db)
    changes = {"status": "in_progress", "resolved_at": None, "closed_at": None, "resolution": None, "fcr": 0}
    text = clean_text(reason, N_("reason")) or f"previous resolution: {row['resolution']}"  # stored: English
    return _change(ctx, row, at_db, "reopened", changes, text)


def verdict(ctx, ticket_id: int, value: str, at: datetime | None = None) -> tuple[dict, list[str]]:
    """Record 投诉成立/不成立 on a complaint; returns the ticket and warnings for the user."""
    row = stored_row(ctx, ticket_id)
    at_db = _check_at(ctx, at or ctx.now, row)
    if row["category"] != "complaint":
        raise CSError(_("ticket {id} is a {category}, not a complaint; only complaints take a verdict").format(
            id=ticket_id, category=code_word(CATEGORIES, row["category"])))
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, N_("recording a complaint's verdict"))
    if row["about_agent"] and row["about_agent"] == ctx.actor and agents_mod.supervisor_exists(ctx.db):
        raise CSError(_("ticket {id} is a complaint about {agent}; its verdict is for another leader or the"
                        " supervisor").format(id=ticket_id, agent=ctx.actor))
    code = normalise(value, VERDICTS, N_("verdict"))
    if row["verdict"] == code:
        raise CSError(_("ticket {id} already has the verdict {verdict}").format(id=ticket_id, verdict=code))
    warnings = []
    if code == "upheld" and not row["about_agent"]:
        warnings.append(
            _("ticket {id} names no agent it is about; set one with 'cs ticket update {id} --about AGENT' so the"
              " upheld complaint is attributed").format(id=ticket_id)
        )
    ticket = _change(ctx, row, at_db, "verdict", {"verdict": code, "verdict_at": at_db}, code)
    return ticket, warnings


# --- reading ------------------------------------------------------------------------------


def _search_clause(text: str, params: dict) -> str:
    """Every whitespace-separated term must match summary, detail or notes (trigram index for 3+ characters)."""
    clauses = []
    for n, term in enumerate(text.split()):
        key = f"term{n}"
        if len(term) >= 3:
            params[key] = '"' + term.replace('"', '""') + '"'
            clauses.append(f"t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :{key})")
        else:
            # The trigram index cannot look up terms shorter than three characters.
            params[key] = term.lower()
            clauses.append(
                f"t.id IN (SELECT rowid FROM ticket_fts WHERE instr(lower(summary), :{key}) > 0"
                f" OR instr(lower(detail), :{key}) > 0 OR instr(lower(notes), :{key}) > 0)"
            )
    return " AND ".join(clauses) if clauses else "1"


def query(
    ctx,
    *,
    status=(),
    category=None,
    channel=None,
    priority=None,
    agent=None,
    phone=None,
    tag=None,
    since: datetime | None = None,
    until: datetime | None = None,
    open_only=False,
    breached=False,
    search=None,
    building=None,
    unit=None,
    room=None,
    limit=None,
    sort="-opened_at,-id",
):
    """Tickets matching every filter given, as JSON dicts (a generator: lists can be large)."""
    filters = Filters(now=ctx.now_db)
    if status:
        filters.add_in("t.status", "st", [normalise(s, STATUSES, N_("status")) for s in status])
    if category:
        filters.add("t.category = :category", category=normalise(category, CATEGORIES, N_("category")))
    if channel:
        filters.add("t.channel = :channel", channel=normalise(channel, CHANNELS, N_("channel")))
    if priority:
        filters.add("t.priority = :priority", priority=normalise(priority, PRIORITIES, N_("priority")))
    if agent:
        filters.add("t.agent = :agent", agent=agent)
    if phone:
        filters.add("t.customer_phone = :phone", phone=customers.normalise_phone(phone))
    if building:
        filters.add("t.building = :building", building=building.strip())
    if unit:
        filters.add("t.unit = :unit", unit=unit.strip())
    if room:
        filters.add("t.room = :room", room=room.strip())
    if tag:
        filters.add("EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = :tag)", tag=tag)
    if since:
        filters.add("t.opened_at >= :since", since=clock.to_db(since))
    if until:
        filters.add("t.opened_at < :until", until=clock.to_db(until))
    if open_only:
        filters.add("t.status IN ('open', 'in_progress', 'pending')")
    if breached:
        filters.add(BREACHED_SQL)
    if search:
        # Control characters cannot be in the indexed text, and a NUL ends SQLite's query string.
        filters.add(_search_clause(clean_text(search, N_("search text")), filters.params))
    sql, params = listing("SELECT t.* FROM tickets t", filters, sort, SORTABLE, SORT_SQL, limit)
    for row in ctx.db.execute(sql, params):
        yield to_json(ctx, row)
