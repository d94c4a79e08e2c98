"""考核: the daily deductions and the monthly score, computed from facts, exactly and idempotently.

`run(ctx, D)` works out every entry the rules give for business day D — one per (rule, agent, D,
source record) — and brings the stored entries to exactly that set: new facts add entries,
vanished facts remove them, changed rules update them. Voided entries are never touched: a void
is a supervisor's decision and survives every re-run. Each source reads only day D's records
through an index, so the cost follows the day's work, not the length of the history.
"""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta

from cs.desk import agents as agents_mod
from cs.core import clock
from cs.core.errors import CSError
from cs.core.text import clean_text
from cs.store.query import Filters, listing, one_or_refuse

FIELDS = ("id", "date", "agent", "rule", "label", "points", "fine", "action", "ref_type", "ref_id", "detail",
          "voided", "void_reason", "computed_at")
WINDOWS = ("day", "week", "month", "year")


def number(value):
    """Points and fines as people write them: 1 and 10, not 1.0 and 10.0 (2.5 stays 2.5)."""
    value = round(float(value or 0), 6)  # SUM over REAL adds binary noise: 0.1 * 3 is 0.3 here
    return int(value) if value.is_integer() else value


# --- what each source counts --------------------------------------------------------------


def _bounds(ctx, day: date) -> tuple[str, str]:
    start, end = clock.day_bounds(day, ctx.tz)
    return clock.to_db(start), clock.to_db(end)


def _callback_overdue(ctx, day, start, end):
    """Callbacks due on D not done by their deadline (done late or still pending past it); a callback
    cancelled or failed before its deadline does not count."""
    rows = ctx.db.all(
        "SELECT id, agent, due_at, status, done_at, ended_at, customer_name FROM callbacks"
        " WHERE due_at >= ? AND due_at < ? AND due_at < ?"
        " AND NOT (status = 'done' AND done_at <= due_at)"
        " AND NOT (status IN ('cancelled', 'failed') AND ended_at <= due_at)",
        (start, end, ctx.now_db),
    )
    for row in rows:
        state = f"done late at {ctx.display(row['done_at'])}" if row["status"] == "done" else row["status"]
        yield row["agent"], "callback", row["id"], f"callback {row['id']} due {ctx.display(row['due_at'])}: {state}"


def _first_response_late(ctx, day, start, end):
    """Tickets opened on D whose first response missed its SLA, or had not come by the end of D."""
    rows = ctx.db.all(
        "SELECT id, agent, first_response_at, first_response_due_at FROM tickets"
        " WHERE opened_at >= ? AND opened_at < ? AND ? >= ?"
        " AND (first_response_at IS NULL OR first_response_at > first_response_due_at OR first_response_at >= ?)",
        (start, end, ctx.now_db, end, end),
    )
    for row in rows:
        answered = ctx.display(row["first_response_at"]) if row["first_response_at"] else "no response by the end of the day"
        yield row["agent"], "ticket", row["id"], (f"ticket {row['id']}: first response due "
                                                  f"{ctx.display(row['first_response_due_at'])}, {answered}")


def _complaint_upheld(ctx, day, start, end):
    rows = ctx.db.all(
        "SELECT id, about_agent, summary FROM tickets WHERE verdict_at >= ? AND verdict_at < ? AND verdict = 'upheld'",
        (start, end),
    )
    for row in rows:
        yield row["about_agent"], "ticket", row["id"], f"complaint {row['id']} upheld (投诉成立): {row['summary']}"


def _handover_unfinished(ctx, day, start, end):
    """Handover items created on D−1 still not done at the end of D."""
    prev_start, _ = _bounds(ctx, day - timedelta(days=1))
    rows = ctx.db.all(
        "SELECT id, agent, text, status FROM handovers WHERE created_at >= ? AND created_at < ? AND ? >= ?"
        " AND (done_at IS NULL OR done_at >= ?)",
        (prev_start, start, ctx.now_db, end, end),
    )
    for row in rows:
        yield row["agent"], "handover", row["id"], f"handover {row['id']} ({row['status']}): {row['text']}"


def _duty_missed(ctx, day, start, end):
    from cs.desk import shifts

    if ctx.now_db < end:
        return  # the day is not over: a duty can still be done
    for record in shifts.duty_status(ctx, day):
        if not record["done"]:
            yield record["agent"], "duty", f"{day.isoformat()}/{record['duty']}/{record['agent']}", (
                f"duty {record['duty']} ({record['label']}) not done on {day.isoformat()}")


def _manual(ctx, day, start, end, rule):
    rows = ctx.db.all("SELECT id, agent, at, note FROM violations WHERE rule = ? AND at >= ? AND at < ?",
                      (rule["code"], start, end))
    for row in rows:
        yield row["agent"], "violation", row["id"], (
            f"violation {row['id']} at {ctx.display(row['at'])}" + (f": {row['note']}" if row["note"] else ""))


SOURCES = {
    "callback_overdue": _callback_overdue,
    "first_response_late": _first_response_late,
    "complaint_upheld": _complaint_upheld,
    "handover_unfinished": _handover_unfinished,
    "duty_missed": _duty_missed,
}


# --- escalation (1st 10 yuan, 2nd 30, 3rd dismissal) ---------------------------------------


def window_start(ctx, moment_db: str, window: str) -> str:
    day = clock.local_date(clock.from_db(moment_db), ctx.tz)
    first = {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1),
             "year": day.replace(month=1, day=1)}[window]
    return _bounds(ctx, first)[0]


def occurrence(ctx, rule: dict, violation_id: int) -> int:
    """This violation's place among the agent's violations of the rule within the rule's window."""
    row = ctx.db.one("SELECT agent, at FROM violations WHERE id = ?", (violation_id,))
    since = window_start(ctx, row["at"], rule.get("window", "month"))
    return ctx.db.value(
        "SELECT COUNT(*) FROM violations WHERE agent = ? AND rule = ? AND at >= ?"
        " AND (at < ? OR (at = ? AND id <= ?))",
        (row["agent"], rule["code"], since, row["at"], row["at"], violation_id),
    )


def penalty(ctx, rule: dict, ref_type: str, ref_id) -> dict:
    points, fine, action = rule.get("points", 0), rule.get("fine", 0), None
    steps = rule.get("escalation")
    if steps and ref_type == "violation":
        step = steps[min(occurrence(ctx, rule, int(ref_id)), len(steps)) - 1]
        points, fine, action = step.get("points", points), step.get("fine", fine), step.get("action")
    return {"points": number(points), "fine": number(fine), "action": action}


# --- computing a day ----------------------------------------------------------------------


def expected(ctx, day: date) -> tuple[dict, list[str]]:
    """Every entry the rules give for `day`, keyed by (rule, agent, ref_type, ref_id); and the facts that
    could not be attributed to anybody."""
    start, end = _bounds(ctx, day)
    entries, unattributed = {}, []
    for rule in ctx.config["rule"]:
        source = rule["source"]
        found = _manual(ctx, day, start, end, rule) if source == "manual" else SOURCES[source](ctx, day, start, end)
        for agent, ref_type, ref_id, detail in found:
            if not agent:
                unattributed.append(f"{rule['code']}: {detail} (no agent to attribute it to)")
                continue
            key = (rule["code"], agent, ref_type, str(ref_id))
            entries[key] = {"date": day.isoformat(), "agent": agent, "rule": rule["code"], "label": rule["label"],
                            "ref_type": ref_type, "ref_id": str(ref_id), "detail": detail,
                            **penalty(ctx, rule, ref_type, ref_id)}
    return entries, unattributed


_COMPARED = ("label", "points", "fine", "action", "detail")


def run(ctx, day: date, *, dry_run: bool = False) -> dict:
    """Bring day `day`'s stored entries to what the facts give; return what changed."""
    if day > clock.local_date(ctx.now, ctx.tz):
        raise CSError(f"{day.isoformat()} has not happened yet; deductions are computed for past days")
    wanted, unattributed = expected(ctx, day)
    stored = {(row["rule"], row["agent"], row["ref_type"], row["ref_id"]): row
              for row in ctx.db.all("SELECT * FROM deductions WHERE date = ?", (day.isoformat(),))}
    added = [entry for key, entry in wanted.items() if key not in stored]
    updated = [entry for key, entry in wanted.items()
               if key in stored and not stored[key]["voided"]
               and any(stored[key][field] != entry[field] for field in _COMPARED)]
    removed = [dict(row) for key, row in stored.items() if key not in wanted and not row["voided"]]
    if not dry_run:
        _write(ctx, day, added, updated, removed)
    summary = {"date": day.isoformat(), "dry_run": dry_run, "added": len(added), "updated": len(updated),
               "removed": len(removed), "unchanged": len(wanted) - len(added) - len(updated),
               "entries": len(wanted), "unattributed": unattributed}
    summary["changes"] = ([{"change": "add", **_brief(e)} for e in added]
                          + [{"change": "update", **_brief(e)} for e in updated]
                          + [{"change": "remove", **_brief(e)} for e in removed])
    return summary


def _brief(entry) -> dict:
    brief = {key: entry[key] for key in ("agent", "rule", "points", "fine", "action", "ref_type", "ref_id", "detail")}
    return {**brief, "ref_id": ref_id_json(entry["ref_type"], entry["ref_id"])}


def ref_id_json(ref_type: str, ref_id: str):
    """The source record's id as its own JSON gives it: an integer, but for duties, which have no record id
    and are named DATE/DUTY/AGENT. (Stored as text, so one unique key covers every source.)"""
    return ref_id if ref_type == "duty" else int(ref_id)


def _write(ctx, day: date, added, updated, removed) -> None:
    db = ctx.db
    db.executemany(
        "INSERT INTO deductions (date, agent, rule, label, points, fine, action, ref_type, ref_id, detail,"
        " computed_at) VALUES (:date, :agent, :rule, :label, :points, :fine, :action, :ref_type, :ref_id, :detail,"
        " :computed_at)",
        [{**entry, "computed_at": ctx.now_db} for entry in added],
    )
    db.executemany(
        "UPDATE deductions SET label = :label, points = :points, fine = :fine, action = :action, detail = :detail,"
        " computed_at = :computed_at WHERE date = :date AND rule = :rule AND agent = :agent AND ref_type = :ref_type"
        " AND ref_id = :ref_id",
        [{**entry, "computed_at": ctx.now_db} for entry in updated],
    )
    db.executemany("DELETE FROM deductions WHERE id = ?", [(row["id"],) for row in removed])
    if added or updated or removed:
        db.audit(ctx.now_db, ctx.actor, "deductions.run", "deductions", day.isoformat(), None,
                 {"added": len(added), "updated": len(updated), "removed": len(removed)})
    if ctx.now_db < _bounds(ctx, day)[1]:
        return  # the day is not over: the daily job must compute it again once it is
    db.execute(
        "INSERT INTO deduction_days (date, computed_at, computed_by) VALUES (?, ?, ?)"
        " ON CONFLICT (date) DO UPDATE SET computed_at = excluded.computed_at, computed_by = excluded.computed_by",
        (day.isoformat(), ctx.now_db, ctx.actor),
    )


# --- reading, explaining, voiding ---------------------------------------------------------


def to_json(row) -> dict:
    return {
        "id": row["id"], "date": row["date"], "agent": row["agent"], "rule": row["rule"], "label": row["label"],
        "points": number(row["points"]), "fine": number(row["fine"]), "action": row["action"],
        "ref_type": row["ref_type"],
        "ref_id": ref_id_json(row["ref_type"], row["ref_id"]), "detail": row["detail"], "voided": bool(row["voided"]),
        "void_reason": row["void_reason"], "computed_at": row["computed_at"],
    }


def month_days(month: str) -> tuple[date, date]:
    """'2026-11' -> (first day, first day of the next month)."""
    try:
        year, number = map(int, month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise CSError(f"'{month}' is not a month; use YYYY-MM, e.g. 2026-11") from None
    return first, first + timedelta(days=_stdcal.monthrange(year, number)[1])


SORTABLE = {"id", "date", "agent", "rule", "points", "fine", "voided"}
VIOLATION_SORTABLE = {"id", "at", "agent", "rule"}


def query(ctx, *, day: date | None = None, month: str | None = None, agent: str | None = None,
          include_voided: bool = True, limit=None, sort="date,agent,rule,id") -> list[dict]:
    filters = Filters()
    if day:
        filters.add("date = :date", date=day.isoformat())
    if month:
        first, after = month_days(month)
        filters.add("date >= :first AND date < :after", first=first.isoformat(), after=after.isoformat())
    if agent:
        filters.add("agent = :agent", agent=agent)
    if not include_voided:
        filters.add("voided = 0")
    sql, params = listing("SELECT * FROM deductions", filters, sort, SORTABLE, limit=limit)
    return [{**to_json(row), "computed_at": ctx.display(row["computed_at"])} for row in ctx.db.all(sql, params)]


def explain(ctx, agent: str, day: date) -> list[dict]:
    """Every entry of the agent's day with the record behind it."""
    agents_mod.get(ctx.db, agent)
    entries = query(ctx, day=day, agent=agent)
    for entry in entries:
        entry["record"] = source_record(ctx, entry["ref_type"], entry["ref_id"])
    return entries


def source_record(ctx, ref_type: str, ref_id: str) -> dict | None:
    if ref_type == "ticket":
        from cs.desk import tickets

        return tickets.get(ctx, int(ref_id))
    if ref_type == "callback":
        from cs.desk import callbacks

        return callbacks.get(ctx, int(ref_id))
    if ref_type == "handover":
        from cs.desk import shifts

        return shifts.get_handover(ctx, int(ref_id))
    if ref_type == "violation":
        row = ctx.db.one("SELECT * FROM violations WHERE id = ?", (int(ref_id),))
        return None if row is None else {**dict(row), "at": ctx.display(row["at"]),
                                         "created_at": ctx.display(row["created_at"])}
    if ref_type == "duty":
        day, duty, agent = ref_id.split("/", 2)
        return {"date": day, "duty": duty, "agent": agent, "done": False}
    return None


def void(ctx, entry_id: int, reason: str) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, "voiding a deduction")
    reason = clean_text(reason, "reason", 500, required=True)
    row = ctx.db.one("SELECT * FROM deductions WHERE id = ?", (entry_id,)) or get(ctx, entry_id)  # get refuses
    if row["voided"]:
        raise CSError(f"deduction {entry_id} is already void ({row['void_reason']})")
    ctx.db.execute("UPDATE deductions SET voided = 1, void_reason = ?, voided_by = ?, voided_at = ? WHERE id = ?",
                   (reason, ctx.actor, ctx.now_db, entry_id))
    ctx.db.audit(ctx.now_db, ctx.actor, "deductions.void", "deduction", entry_id, {"voided": False},
                 {"voided": True, "void_reason": reason})
    return get(ctx, entry_id)


def get(ctx, entry_id: int) -> dict:
    row = one_or_refuse(ctx.db, "SELECT * FROM deductions WHERE id = ?", (entry_id,),
                        f"deduction {entry_id} not found; see 'cs deductions list'")
    return {**to_json(row), "computed_at": ctx.display(row["computed_at"])}


# --- violations ---------------------------------------------------------------------------


def manual_rule(ctx, code: str) -> dict:
    for rule in ctx.config["rule"]:
        if rule["code"] == code and rule["source"] == "manual":
            return rule
    manual = ", ".join(r["code"] for r in ctx.config["rule"] if r["source"] == "manual") or "none configured"
    raise CSError(f"'{code}' is not a manual rule; manual rules are: {manual}")


def add_violation(ctx, agent: str, rule_code: str, *, at=None, note: str | None = None) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, "recording a violation")
    agents_mod.require_active(ctx.db, agent)
    rule = manual_rule(ctx, rule_code)
    at_db = clock.to_db(at or ctx.now)
    if at_db > ctx.now_db:
        raise CSError(f"--at {ctx.display(at_db)} is in the future; violations record what has happened")
    note = clean_text(note, "note", 2000)
    cur = ctx.db.execute(
        "INSERT INTO violations (agent, rule, at, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
        (agent, rule["code"], at_db, note, ctx.now_db, ctx.actor),
    )
    record = violation_json(ctx, ctx.db.one("SELECT * FROM violations WHERE id = ?", (cur.lastrowid,)), rule)
    ctx.db.audit(ctx.now_db, ctx.actor, "violation.add", "violation", cur.lastrowid, None, record)
    return record


def violation_json(ctx, row, rule: dict) -> dict:
    return {"id": row["id"], "agent": row["agent"], "rule": row["rule"], "label": rule["label"],
            "at": ctx.display(row["at"]), "note": row["note"], "occurrence": occurrence(ctx, rule, row["id"]),
            **{key: value for key, value in penalty(ctx, rule, "violation", row["id"]).items()},
            "created_by": row["created_by"]}


def list_violations(ctx, *, month: str | None = None, agent: str | None = None, limit=None,
                    sort="at,id") -> list[dict]:
    filters = Filters()
    if month:
        first, after = month_days(month)
        filters.add("at >= :since AND at < :until", since=_bounds(ctx, first)[0], until=_bounds(ctx, after)[0])
    if agent:
        filters.add("agent = :agent", agent=agent)
    rules = {rule["code"]: rule for rule in ctx.config["rule"]}
    sql, params = listing("SELECT * FROM violations", filters, sort, VIOLATION_SORTABLE, limit=limit)
    return [violation_json(ctx, row, rules.get(row["rule"], {"code": row["rule"], "label": row["rule"]}))
            for row in ctx.db.all(sql, params)]


# --- the monthly score --------------------------------------------------------------------


def scores(ctx, month: str) -> list[dict]:
    """A row for every active agent: base − points of the month's non-voided entries, ranked."""
    first, after = month_days(month)
    base = ctx.config["scoring"]["base"]
    totals = {row["agent"]: row for row in ctx.db.all(
        "SELECT agent, SUM(points) AS points, SUM(fine) AS fines, GROUP_CONCAT(action, ';') AS actions"
        " FROM deductions WHERE date >= ? AND date < ? AND voided = 0 GROUP BY agent",
        (first.isoformat(), after.isoformat()))}
    rows = []
    for agent in agents_mod.list_agents(ctx.db, sort="handle"):
        total = totals.get(agent["handle"])
        points = number(total["points"]) if total else 0
        actions = sorted(set(filter(None, (total["actions"] or "").split(";")))) if total else []
        rows.append({"agent": agent["handle"], "name": agent["name"], "team": agent["team"], "base": base,
                     "points": points, "fines": number(total["fines"]) if total else 0, "actions": actions,
                     "score": number(base - points)})
    rows.sort(key=lambda row: (-row["score"], row["agent"]))
    for position, row in enumerate(rows):
        # Competition ranking: equal scores share a rank, the next rank skips (1, 2, 2, 4).
        row["rank"] = rows[position - 1]["rank"] if position and row["score"] == rows[position - 1]["score"] else position + 1
    return rows
