"""Callbacks (回访): promises to call a customer back, kept on time and inside contact hours.

A callback's deadline (`due_at`) is a commitment: only `reschedule` moves it, and says why.
When to call (`not_before`, then `next_try_at` after a missed attempt) always falls inside the
centre's contact hours, so nobody is called while they rest (避免在客户休息时打扰). Every action
is kept as an event with who did it, when, what was said and the result (执行人/时间/内容/结果).
"""

from __future__ import annotations

import json
from datetime import datetime

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import clean_text
from cs.core.vocabulary import ATTEMPT_RESULTS, CALLBACK_STATUSES, METHODS, OUTCOMES, REASONS, code_word, normalise
from cs.desk import agents as agents_mod
from cs.desk import customers
from cs.store.query import Filters, listing, one_or_refuse

FIELDS = (
    "id", "ticket_id", "customer_name", "customer_phone", "reason", "method", "agent", "status", "due_at",
    "not_before", "next_try_at", "attempts", "outcome", "score", "note", "policy", "created_at", "done_at",
    "overdue",
)
# What a table of callbacks shows (`cs callback list`): the full record has three more times to convert, and a listing
# of a year's overdue callbacks is 800 rows.
LISTED = ("id", "due_at", "status", "overdue", "agent", "customer_name", "customer_phone", "reason", "method",
          "attempts", "next_try_at", "ticket_id")
SORTABLE = {"id", "due_at", "not_before", "next_try_at", "created_at", "done_at", "status", "agent", "reason"}
OUTCOME_SCORES = {"satisfied": 5, "neutral": 3, "dissatisfied": 1}
OVERDUE_SQL = "(c.status = 'pending' AND c.due_at < :now)"
PENDING_SQL = "c.status = 'pending'"


# --- JSON ---------------------------------------------------------------------------------


def to_json(ctx, row) -> dict:
    display = ctx.display
    return {
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "customer_name": row["customer_name"],
        "customer_phone": row["customer_phone"],
        "reason": row["reason"],
        "method": row["method"],
        "agent": row["agent"],
        "status": row["status"],
        "due_at": display(row["due_at"]),
        "not_before": display(row["not_before"]),
        "next_try_at": display(row["next_try_at"]),
        "attempts": row["attempts"],
        "outcome": row["outcome"],
        "score": row["score"],
        "note": row["note"],
        "policy": row["policy"],
        "created_at": display(row["created_at"]),
        "done_at": display(row["done_at"]),
        "overdue": row["status"] == "pending" and ctx.now_db > row["due_at"],
    }


_LISTED_COLUMNS = ", ".join(f"c.{field}" for field in LISTED if field != "overdue")


def _listed(ctx, rows):
    """The LISTED fields of stored callbacks (tuples in _LISTED_COLUMNS' order), as to_json gives them."""
    display, now_db = ctx.display, ctx.now_db
    for callback_id, due_at, status, agent, name, phone, reason, method, attempts, next_try_at, ticket_id in rows:
        yield {"id": callback_id, "due_at": display(due_at), "status": status,
               "overdue": status == "pending" and now_db > due_at, "agent": agent, "customer_name": name,
               "customer_phone": phone, "reason": reason, "method": method, "attempts": attempts,
               "next_try_at": display(next_try_at), "ticket_id": ticket_id}


def stored_row(ctx, callback_id: int):
    return one_or_refuse(ctx.db, "SELECT * FROM callbacks WHERE id = ?", (callback_id,),
                         _("callback {id} not found; see 'cs callback list'").format(id=callback_id))


def get(ctx, callback_id: int) -> dict:
    return to_json(ctx, stored_row(ctx, callback_id))


def show(ctx, callback_id: int) -> dict:
    record = get(ctx, callback_id)
    rows = ctx.db.all(
        "SELECT at, actor, kind, result, note FROM callback_events WHERE callback_id = ? ORDER BY at, id",
        (callback_id,),
    )
    record["history"] = [{**dict(r), "at": ctx.display(r["at"])} for r in rows]
    return record


# --- when: deadlines and contact hours ----------------------------------------------------


def deadline(ctx, start: datetime, within: clock.Duration) -> datetime:
    """`3d`: three calendar days later; `3wd`: close of contact hours on the 3rd working day after; `24h`: hours."""
    if within.unit == "wd":
        day = ctx.calendar.add_workdays(clock.local_date(start, ctx.tz), within.amount)
        return ctx.contact_hours.close_of_day(day, ctx.tz)
    return clock.add_duration(start, within, ctx.tz, ctx.calendar)


def callable_from(ctx, moment: datetime) -> datetime:
    """The moment itself inside contact hours, else the next window's opening."""
    return ctx.contact_hours.next_open(moment, ctx.tz)


# --- creating -----------------------------------------------------------------------------


def _insert(ctx, values: dict, at_db: str, note_text: str | None) -> dict:
    row = {
        "ticket_id": None, "customer_name": None, "customer_phone": None, "agent": None, "note": None,
        "policy": None, **values, "status": "pending", "attempts": 0, "created_at": at_db,
        "created_by": ctx.actor, "updated_at": ctx.now_db,
    }
    row["next_try_at"] = row["not_before"]
    cur = ctx.db.execute(
        "INSERT INTO callbacks (ticket_id, customer_name, customer_phone, reason, method, agent, status, due_at,"
        " not_before, next_try_at, attempts, note, policy, created_at, created_by, updated_at) VALUES (:ticket_id,"
        " :customer_name, :customer_phone, :reason, :method, :agent, :status, :due_at, :not_before, :next_try_at,"
        " :attempts, :note, :policy, :created_at, :created_by, :updated_at)",
        row,
    )
    _event(ctx, cur.lastrowid, at_db, "created", None, note_text)
    record = get(ctx, cur.lastrowid)
    ctx.db.audit(ctx.now_db, ctx.actor, "callback.add", "callback", cur.lastrowid, None, record)
    return record


def add(
    ctx,
    *,
    due: datetime,
    ticket_id: int | None = None,
    phone: str | None = None,
    customer: str | None = None,
    reason: str = "other",
    method: str = "phone",
    agent: str | None = None,
    not_before: datetime | None = None,
    note: str | None = None,
    customer_asked: bool = False,
) -> dict:
    """A callback promised by hand, for a ticket or for a phone number. The first call waits for contact hours,
    unless the customer chose the time (`customer_asked`: 客户要求 22:30 回电), which the record then says."""
    if (ticket_id is None) == (phone is None):
        raise CSError(_("give either --ticket ID or --phone PHONE (not both)"))
    name, number, owner = customer, phone, None
    if ticket_id is not None:
        ticket = ctx.db.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        if ticket is None:
            raise CSError(_("ticket {id} not found; see 'cs ticket list'").format(id=ticket_id))
        name, number, owner = customer or ticket["customer_name"], ticket["customer_phone"], ticket["agent"]
    values = {
        "ticket_id": ticket_id,
        "customer_name": clean_text(name, N_("customer name"), 200),
        "customer_phone": customers.normalise_phone(number) if number else None,
        "reason": normalise(reason, REASONS, N_("reason")),
        "method": normalise(method, METHODS, N_("method")),
        "note": clean_text(note, N_("note")),
    }
    if agent:
        values["agent"] = agents_mod.require_active(ctx.db, agent)
    elif owner:
        values["agent"] = owner
    elif agents_mod.is_active_agent(ctx.db, ctx.actor):
        values["agent"] = ctx.actor
    if values["customer_phone"]:
        _refuse_declined(ctx, values["customer_phone"])
        customers.upsert(ctx.db, values["customer_phone"], values["customer_name"], ctx.now_db)
    elif values["method"] in ("phone", "sms"):
        raise CSError(_("a {method} callback needs a phone number; this ticket has none (use --method visit or mail,"
                        " or give the ticket a phone with 'cs ticket update ID --phone P')").format(
                            method=values["method"]))
    if customer_asked:
        if not_before is None:
            raise CSError(_("--customer-asked needs --not-before TIME: the time the customer chose"))
        if not_before < ctx.now:
            raise CSError(_("--not-before {at} has passed; the customer chose a time still to come").format(
                at=ctx.display(clock.to_db(not_before))))
        chosen = not_before
        values["not_before"] = clock.to_db(not_before)
        asked = f"客户要求的回电时间 {ctx.display(clock.to_db(chosen))[:16].replace('T', ' ')}"
        if not ctx.contact_hours.contains(chosen, ctx.tz):
            asked += "(在联系时间以外)"
        values["note"] = f"{asked}; {values['note']}" if values["note"] else asked
    else:
        values["not_before"] = clock.to_db(callable_from(ctx, not_before or ctx.now))
    values["due_at"] = clock.to_db(due)
    if values["due_at"] <= ctx.now_db:
        raise CSError(_("--due {at} has already passed; a callback promises a future call").format(
            at=ctx.display(values["due_at"])))
    if values["due_at"] < values["not_before"]:
        raise CSError(_("--due {at} is before the first moment the customer may be called ({first}); give a later"
                        " --due or an earlier --not-before").format(at=ctx.display(values["due_at"]),
                                                                   first=ctx.display(values["not_before"])))
    return _insert(ctx, values, ctx.now_db, values["note"])


def _refuse_declined(ctx, phone: str) -> None:
    if ctx.db.one("SELECT 1 FROM customers WHERE phone = ? AND no_callback = 1", (phone,)):
        raise CSError(_("customer {phone} declined callbacks (谢绝回访); if they now agree, run"
                        " 'cs customer set {phone} --allow-callback' first").format(phone=phone))


# --- by quota (seed 003: 对维修用户50%以上回访; 对新用户实现10%以上回访; 必须保证重点客户的100%的回访) ------------


def quota_selects(k: int, sample, chosen_before: int | None = None) -> bool:
    """The k-th eligible customer of a month is selected while fewer than ceil(k × sample) have been: of n
    customers, exactly ceil(sample × n) are selected, spread evenly (the 1st, 3rd, 5th … at 50%), and a share
    raised mid-month catches up at once. Exact arithmetic: 30 × 0.1 is 3, not 3.0000000000000004."""
    import math
    from fractions import Fraction

    share = Fraction(str(sample))
    if chosen_before is None:  # the share was the same all month
        chosen_before = math.ceil((k - 1) * share)
    return chosen_before < math.ceil(k * share)


def _applies(ctx, policy: dict, ticket, vip: bool) -> bool:
    if "categories" in policy and ticket["category"] not in policy["categories"]:
        return False
    if policy.get("vip_only") and not vip:
        return False
    if policy.get("new_customers_only") and _had_a_ticket_before(ctx, ticket):
        return False
    return True


def _had_a_ticket_before(ctx, ticket) -> bool:
    """An earlier ticket of the customer, or one counted as a new customer's before (a ticket back-dated after
    the customer was counted new does not make them new twice)."""
    earlier = ctx.db.one(
        "SELECT 1 FROM tickets WHERE customer_phone = ? AND (opened_at < ? OR (opened_at = ? AND id < ?)) LIMIT 1",
        (ticket["customer_phone"], ticket["opened_at"], ticket["opened_at"], ticket["id"])) is not None
    new_once = [p["code"] for p in ctx.config["callback_policy"] if p.get("new_customers_only")]
    return earlier or any(ctx.db.one("SELECT 1 FROM quota_customers WHERE phone = ? AND policy = ? AND ticket_id <> ?",
                                     (ticket["customer_phone"], code, ticket["id"])) for code in new_once)


def _select(ctx, policy: dict, phone: str, ticket_id: int, at: datetime) -> bool:
    """Count the customer for the policy's month and say whether the quota selects them. A customer counted before
    in the month is not counted again (nor selected again); a policy for every one (sample 1) takes every ticket."""
    month = clock.local_date(at, ctx.tz).strftime("%Y-%m")
    sample = policy.get("sample", 1.0)
    seen = ctx.db.one("SELECT selected FROM quota_customers WHERE policy = ? AND month = ? AND phone = ?",
                      (policy["code"], month, phone))
    if seen is not None:
        return sample >= 1
    last = ctx.db.one("SELECT k, chosen FROM quota_customers WHERE policy = ? AND month = ? ORDER BY k DESC LIMIT 1",
                      (policy["code"], month))
    k, chosen = (last["k"] + 1, last["chosen"] or 0) if last else (1, 0)
    selected = sample >= 1 or quota_selects(k, sample, chosen)
    ctx.db.execute("INSERT INTO quota_customers (policy, month, phone, k, selected, ticket_id, at, sample, chosen)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (policy["code"], month, phone, k, int(selected), ticket_id,
                                                           clock.to_db(at), sample, chosen + selected))
    return selected


def schedule_for_resolution(ctx, ticket, at: datetime) -> list[dict]:
    """The callback the policies ask for when `ticket` (a tickets row) is resolved at `at`: policies are tried in
    order and the first that applies decides (one callback per resolved ticket); its quota selects the customer,
    and a VIP always (`[callback] vip_always`)."""
    phone = ticket["customer_phone"]
    if not phone:
        return []
    person = ctx.db.one("SELECT vip, no_callback FROM customers WHERE phone = ?", (phone,))
    if person is not None and person["no_callback"]:
        return []
    vip = person is not None and bool(person["vip"])
    policy = next((p for p in ctx.config["callback_policy"] if _applies(ctx, p, ticket, vip)), None)
    if policy is None or _pending_for(ctx, ticket["id"]):
        return []
    selected = _select(ctx, policy, phone, ticket["id"], at)
    if not selected and not (vip and policy.get("vip_always", ctx.config["callback"].get("vip_always", True))):
        return []
    delay = clock.parse_duration(policy.get("delay", "1h"))
    values = {
        "ticket_id": ticket["id"],
        "customer_name": ticket["customer_name"],
        "customer_phone": phone,
        "reason": policy.get("reason", "other"),
        "method": policy.get("method", "phone"),
        "agent": ticket["agent"],
        "policy": policy["code"],
        "not_before": clock.to_db(callable_from(ctx, clock.add_duration(at, delay, ctx.tz, ctx.calendar))),
        "due_at": clock.to_db(deadline(ctx, at, clock.parse_duration(policy["within"]))),
    }
    return [_insert(ctx, values, clock.to_db(at), f"policy {policy['code']}")]


def _pending_for(ctx, ticket_id: int) -> bool:
    """A policy's callback for the ticket still pending (it was resolved, reopened and resolved again)."""
    return ctx.db.one(
        "SELECT 1 FROM callbacks WHERE ticket_id = ? AND policy IS NOT NULL AND status = 'pending'", (ticket_id,)
    ) is not None


# --- working a callback -------------------------------------------------------------------


def _event(ctx, callback_id, at_db, kind, result=None, note=None, before=None):
    ctx.db.execute(
        "INSERT INTO callback_events (callback_id, at, actor, kind, result, note, before) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (callback_id, at_db, ctx.actor, kind, result, note, json.dumps(before, ensure_ascii=False) if before else None),
    )


# Each action's refusal when the callback is no longer pending, and the leader's decision it is once overdue
# (translated where shown).
_NEEDS_PENDING = {
    "an attempt": N_("callback {id} is {status}; an attempt needs a pending callback (see 'cs callback show {id}')"),
    "done": N_("callback {id} is {status}; done needs a pending callback (see 'cs callback show {id}')"),
    "rescheduling": N_("callback {id} is {status}; rescheduling needs a pending callback"
                       " (see 'cs callback show {id}')"),
    "cancelling": N_("callback {id} is {status}; cancelling needs a pending callback (see 'cs callback show {id}')"),
    "assigning": N_("callback {id} is {status}; assigning needs a pending callback (see 'cs callback show {id}')"),
}
_MOVING_OVERDUE = {"rescheduling": N_("rescheduling an overdue callback"),
                   "assigning": N_("assigning an overdue callback"),
                   "cancelling": N_("cancelling an overdue callback")}


def _pending_row(ctx, callback_id: int, action: str, at: datetime | None):
    """The callback, refusing unless it is pending and `at` is neither in the future nor before its history."""
    row = stored_row(ctx, callback_id)
    if row["status"] != "pending":
        raise CSError(_(_NEEDS_PENDING[action]).format(id=callback_id,
                                                      status=code_word(CALLBACK_STATUSES, row["status"])))
    at_db = clock.to_db(at or ctx.now)
    if at_db > ctx.now_db:
        raise CSError(_("--at {at} is in the future; records describe what has happened").format(
            at=ctx.display(at_db)))
    latest = ctx.db.value("SELECT MAX(at) FROM callback_events WHERE callback_id = ?", (callback_id,))
    if latest and at_db < latest:
        raise CSError(_("--at {at} is before the callback's last change ({latest})").format(
            at=ctx.display(at_db), latest=ctx.display(latest)))
    if action in _MOVING_OVERDUE and row["due_at"] < ctx.now_db:
        # Past its deadline the callback already counts against its agent: moving it is a leader's decision.
        agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, _MOVING_OVERDUE[action])
    return row, at_db


def _change(ctx, row, at_db: str, kind: str, changes: dict, result=None, note=None) -> dict:
    before = {key: row[key] for key in changes}
    assignments = ", ".join(f"{key} = :{key}" for key in changes)
    ctx.db.execute(f"UPDATE callbacks SET {assignments}, updated_at = :updated_at WHERE id = :id",
                   {**changes, "updated_at": max(ctx.now_db, row["updated_at"]), "id": row["id"]})
    _event(ctx, row["id"], at_db, kind, result, note, {**before, "updated_at": row["updated_at"]})
    ctx.db.audit(ctx.now_db, ctx.actor, f"callback.{kind}", "callback", row["id"], before, changes)
    return get(ctx, row["id"])


def attempt(ctx, callback_id: int, result: str, note: str | None = None, at: datetime | None = None,
            force: bool = False) -> dict:
    """A try that did not reach the customer; after max_attempts the callback fails (客户无法联系). Two tries in the
    same minute would use up the attempts of a 3-day window in one go: a try before the next is due is refused,
    unless forced (the customer rang back and hung up), which the record says."""
    row, at_db = _pending_row(ctx, callback_id, "an attempt", at)
    result = normalise(result, ATTEMPT_RESULTS, N_("result"))
    note = clean_text(note, N_("note"))
    if row["next_try_at"] and at_db < row["next_try_at"]:
        if not force:
            why = (_("[callback] retry_after {retry_after} after the last try").format(
                       retry_after=ctx.config["callback"]["retry_after"])
                   if row["attempts"] else _("its not-before time, inside contact hours"))
            raise CSError(_("callback {id}'s next try is due {at} ({why}); a try before then needs --force, and a note"
                            " saying why").format(id=callback_id, at=ctx.display(row["next_try_at"]), why=why))
        note = f"提前尝试(--force); {note}" if note else "提前尝试(--force)"
    attempts = row["attempts"] + 1
    if attempts >= ctx.config["callback"]["max_attempts"]:
        changes = {"attempts": attempts, "status": "failed", "next_try_at": None, "ended_at": at_db}
    else:
        retry = clock.add_duration(clock.from_db(at_db), ctx.config["callback"]["retry_after"], ctx.tz, ctx.calendar)
        changes = {"attempts": attempts, "next_try_at": clock.to_db(callable_from(ctx, retry))}
    return _change(ctx, row, at_db, "attempt", changes, result, note)


def done(ctx, callback_id: int, outcome: str, score: int | None = None, note: str | None = None,
         at: datetime | None = None) -> dict:
    """The customer was reached: outcome and score recorded (flows.complete_callback copies it to the ticket)."""
    row, at_db = _pending_row(ctx, callback_id, "done", at)
    outcome = normalise(outcome, OUTCOMES, N_("outcome"))
    if score is not None and not 1 <= score <= 5:
        raise CSError(_("--score must be 1 to 5"))
    note = clean_text(note, N_("note"))
    changes = {"status": "done", "outcome": outcome, "score": score, "done_at": at_db, "ended_at": at_db,
               "next_try_at": None}
    if note:
        changes["note"] = note
    return _change(ctx, row, at_db, "done", changes, outcome, note)


def satisfaction_score(record: dict) -> int:
    """The customer's 1–5 satisfaction: the score given, else satisfied 5, neutral 3, dissatisfied 1."""
    return record["score"] or OUTCOME_SCORES[record["outcome"]]


def reschedule(ctx, callback_id: int, to: datetime, note: str, at: datetime | None = None) -> dict:
    """Move the deadline: the only way it moves, and it says why."""
    row, at_db = _pending_row(ctx, callback_id, "rescheduling", at)
    note = clean_text(note, N_("note"), required=True)
    to_db = clock.to_db(to)
    if to_db <= ctx.now_db:
        raise CSError(_("--to {at} has already passed; a new deadline must be in the future").format(
            at=ctx.display(to_db)))
    if to_db == row["due_at"]:
        raise CSError(_("callback {id} is already due at {at}").format(id=callback_id, at=ctx.display(to_db)))
    text = f"{ctx.display(row['due_at'])} → {ctx.display(to_db)}: {note}"
    return _change(ctx, row, at_db, "rescheduled", {"due_at": to_db}, None, text)


def cancel(ctx, callback_id: int, reason: str, at: datetime | None = None) -> dict:
    row, at_db = _pending_row(ctx, callback_id, "cancelling", at)
    reason = clean_text(reason, N_("reason"), required=True)
    return _change(ctx, row, at_db, "cancelled", {"status": "cancelled", "next_try_at": None, "ended_at": at_db},
                   None, reason)


def assign(ctx, callback_id: int, agent: str, at: datetime | None = None) -> dict:
    row, at_db = _pending_row(ctx, callback_id, "assigning", at)
    agents_mod.require_active(ctx.db, agent)
    if row["agent"] == agent:
        raise CSError(_("callback {id} is already assigned to {agent}").format(id=callback_id, agent=agent))
    return _change(ctx, row, at_db, "assigned", {"agent": agent}, None, f"{row['agent'] or '-'} → {agent}")


# --- reading ------------------------------------------------------------------------------


def query(ctx, *, status=(), agent=None, overdue=False, due_before: datetime | None = None, reason=None,
          ticket_id=None, phone=None, limit=None, sort="due_at,id", listed_only=False):
    """Callbacks matching every filter given, as JSON dicts (a generator); with `listed_only`, only their LISTED
    fields (a table's)."""
    filters = Filters(now=ctx.now_db)
    statuses = sorted({normalise(s, CALLBACK_STATUSES, N_("status")) for s in status})
    if statuses == ["pending"]:
        filters.add(PENDING_SQL)  # written out, so the partial indexes of the pending callbacks apply
    elif statuses:
        filters.add_in("c.status", "st", statuses)
    if overdue:
        filters.add(OVERDUE_SQL)
    if agent:
        filters.add("c.agent = :agent", agent=agent)
    if due_before:
        filters.add("c.due_at < :due_before", due_before=clock.to_db(due_before))
    if reason:
        filters.add("c.reason = :reason", reason=normalise(reason, REASONS, N_("reason")))
    if ticket_id is not None:
        filters.add("c.ticket_id = :ticket_id", ticket_id=ticket_id)
    if phone:
        filters.add("c.customer_phone = :phone", phone=customers.normalise_phone(phone))
    sql, params = listing(f"SELECT {_LISTED_COLUMNS if listed_only else 'c.*'} FROM callbacks c", filters, sort,
                          SORTABLE, {field: f"c.{field}" for field in SORTABLE}, limit)
    if listed_only:
        yield from _listed(ctx, ctx.db.tuples(sql, params))
        return
    for row in ctx.db.execute(sql, params):
        yield to_json(ctx, row)
