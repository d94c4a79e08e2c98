"""考核: the daily deductions, computed from facts, exactly and idempotently; listing, explaining, voiding.

`run(ctx, D)` works out every entry the rules give for business day D — one per (rule, agent, D,
source record) — and brings the stored entries to exactly that set: new facts add entries,
vanished facts remove them, changed rules update them. Voided entries are never touched: a void
is a supervisor's decision and survives every re-run. Each source reads only day D's records
through an index, so the cost follows the day's work, not the length of the history.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from cs.core import clock, i18n
from cs.core.errors import CSError
from cs.core.i18n import N_, Msg, _
from cs.core.text import clean_text
from cs.desk import agents as agents_mod
from cs.scoring import closing
from cs.scoring.units import bounds, is_over, month_days, number
from cs.scoring.violations import penalty
from cs.store.query import Filters, listing, one_or_refuse

FIELDS = ("id", "date", "agent", "rule", "label", "points", "fine", "action", "ref_type", "ref_id", "detail",
          "voided", "void_reason", "computed_at")


# --- what each source counts --------------------------------------------------------------
#
# Each source reads the facts as they stood at ctx.now (a later response, completion or verdict had not
# happened), so the day's entries computed for a report as of its window's end read the same later, and
# each entry's detail stays the same from one run to the next.


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
        if row["status"] == "done" and row["done_at"] <= ctx.now_db:
            state = Msg("done late at {at}", at=ctx.display(row["done_at"]))
        elif row["status"] == "cancelled" and row["ended_at"] <= ctx.now_db:
            state = Msg("cancelled after its deadline, at {at}", at=ctx.display(row["ended_at"]))
        elif row["status"] == "failed" and row["ended_at"] <= ctx.now_db:
            state = Msg("failed after its deadline, at {at}", at=ctx.display(row["ended_at"]))
        else:
            state = Msg("not done")
        yield row["agent"], "callback", row["id"], Msg("callback {id} due {due}: {state}", id=row["id"],
                                                       due=ctx.display(row["due_at"]), state=state)


def _first_response_late(ctx, day, start, end):
    """Tickets whose first-response deadline falls on D and passed unmet: answered after it, or not yet
    answered when D is judged. A response that met its deadline is never charged, whenever it came."""
    rows = ctx.db.all(
        "SELECT id, agent, first_response_at, first_response_due_at FROM tickets"
        " WHERE first_response_due_at >= ? AND first_response_due_at < ? AND first_response_due_at < ?"
        " AND (first_response_at IS NULL OR first_response_at > first_response_due_at)",
        (start, end, ctx.now_db),
    )
    for row in rows:
        answered = (Msg("answered {at}", at=ctx.display(row["first_response_at"]))
                    if row["first_response_at"] and row["first_response_at"] <= ctx.now_db else Msg("not answered"))
        yield row["agent"], "ticket", row["id"], Msg("ticket {id}: first response due {due}, {answered}",
                                                     id=row["id"], due=ctx.display(row["first_response_due_at"]),
                                                     answered=answered)


def _complaint_upheld(ctx, day, start, end):
    rows = ctx.db.all(
        "SELECT id, about_agent, summary FROM tickets WHERE verdict_at >= ? AND verdict_at < ? AND verdict = 'upheld'"
        " AND verdict_at <= ?",
        (start, end, ctx.now_db),
    )
    for row in rows:
        yield row["about_agent"], "ticket", row["id"], Msg("complaint {id} upheld (投诉成立): {summary}", id=row["id"],
                                                           summary=row["summary"])


def _handover_unfinished(ctx, day, start, end):
    """Handover items of D−1's shifts still not done at the end of D."""
    rows = ctx.db.all(
        "SELECT id, agent, text, acked_at FROM handovers WHERE date = ? AND ? >= ?"
        " AND (done_at IS NULL OR done_at >= ?)",
        ((day - timedelta(days=1)).isoformat(), ctx.now_db, end, end),
    )
    for row in rows:
        acked = row["acked_at"] is not None and row["acked_at"] <= ctx.now_db
        detail = (Msg("handover {id} (acked): {text}", id=row["id"], text=row["text"]) if acked
                  else Msg("handover {id} (open): {text}", id=row["id"], text=row["text"]))
        yield row["agent"], "handover", row["id"], detail


def _duty_missed(ctx, day, start, end):
    from cs.desk import shifts

    if not is_over(ctx, day):
        return  # the day is not over: a duty can still be done
    for record in shifts.duty_status(ctx, day):
        if not record["done"]:
            template = {"rota": N_("duty {duty} ({label}) not done on {day} (值日表: their turn)"),
                        "assigned": N_("duty {duty} ({label}) not done on {day} (assigned to them for the day)")}.get(
                record["assign"], N_("duty {duty} ({label}) not done on {day}"))
            # Each duty costs its own points (seed 000: 每天昨天统计试压卡 未完成扣2分).
            yield record["agent"], "duty", f"{day.isoformat()}/{record['duty']}/{record['agent']}", Msg(
                template, duty=record["duty"], label=record["label"], day=day.isoformat()), {
                "points": record["points"]}


def _handover_missing(ctx, day, start, end):
    """Each shift of D that ended with neither an item nor "无" in its memo (seed 001: 无论是否有事情未来得及处理,
    都必须填写备忘录) charges its rostered agents. The memo counts when filed by the shift's end plus [scoring]
    grace (the wrap-up after the last call); one filed later does not save the shift."""
    from cs.desk import shifts

    grace = clock.parse_duration(ctx.config["scoring"]["grace"]).seconds()
    for shift in ctx.config["shift"]:
        window = shifts.window(ctx, shift, day)
        closes = clock.to_db(window.end + timedelta(seconds=grace))
        if closes > ctx.now_db:
            continue  # the memo may still come
        agents = shifts.rostered(ctx, day, shift["code"])
        if not agents or ctx.db.one("SELECT 1 FROM handovers WHERE date = ? AND shift = ? AND created_at <= ?",
                                    (day.isoformat(), shift["code"], closes)):
            continue
        late = ctx.db.value("SELECT MIN(created_at) FROM handovers WHERE date = ? AND shift = ? AND created_at <= ?",
                            (day.isoformat(), shift["code"], ctx.now_db))
        times = {"shift": shift["code"], "day": day.isoformat(), "start": ctx.display(clock.to_db(window.start))[11:16],
                 "end": ctx.display(clock.to_db(window.end))[11:16]}
        detail = (Msg("{shift} shift of {day} ({start}–{end}) ended with no memo, not even \"无\""
                      " (one was filed late, at {late})", late=ctx.display(late), **times) if late
                  else Msg("{shift} shift of {day} ({start}–{end}) ended with no memo, not even \"无\"", **times))
        for agent in agents:
            yield agent, "shift", f"{day.isoformat()}/{shift['code']}", detail


def _manual(ctx, day, start, end, rule):
    rows = ctx.db.all("SELECT id, agent, at, note FROM violations WHERE rule = ? AND at >= ? AND at < ? AND at <= ?",
                      (rule["code"], start, end, ctx.now_db))
    for row in rows:
        yield row["agent"], "violation", row["id"], (
            Msg("violation {id} at {at}: {note}", id=row["id"], at=ctx.display(row["at"]), note=row["note"])
            if row["note"] else Msg("violation {id} at {at}", id=row["id"], at=ctx.display(row["at"])))


SOURCES = {
    "callback_overdue": _callback_overdue,
    "first_response_late": _first_response_late,
    "complaint_upheld": _complaint_upheld,
    "handover_unfinished": _handover_unfinished,
    "duty_missed": _duty_missed,
    "handover_missing": _handover_missing,
}


# --- computing a day ----------------------------------------------------------------------


def expected(ctx, day: date) -> tuple[dict, list[str]]:
    """Every entry the rules give for `day`, keyed by (rule, agent, ref_type, ref_id); and the facts that
    could not be attributed to anybody."""
    start, end = bounds(ctx, day)
    entries, unattributed = {}, []
    starts = {row["rule"]: row["since"] for row in ctx.db.all("SELECT rule, since FROM rule_starts")}
    for rule in ctx.config["rule"]:
        if starts.get(rule["code"], "") > day.isoformat():
            continue  # came with an upgrade after this day was judged: the day keeps the rules it had
        source = rule["source"]
        found = _manual(ctx, day, start, end, rule) if source == "manual" else SOURCES[source](ctx, day, start, end)
        for agent, ref_type, ref_id, detail, *own in found:
            if not agent:
                unattributed.append(_("{rule}: {detail} (no agent to attribute it to)").format(
                    rule=rule["code"], detail=detail))
                continue
            key = (rule["code"], agent, ref_type, str(ref_id))
            entries[key] = {"date": day.isoformat(), "agent": agent, "rule": rule["code"], "label": rule["label"],
                            "ref_type": ref_type, "ref_id": str(ref_id), **stored_detail(detail),
                            **penalty(ctx, {**rule, **(own[0] if own else {})}, ref_type, ref_id)}
    return _one_incident_one_deduction(ctx, entries), unattributed


# --- judging again the days a new fact reaches ------------------------------------------------
#
# The daily job rechecks the last [scoring] recheck_days. A violation recorded late (or back-dated), a void, or a
# verdict can change entries on days judged before that: those days are judged again at once, in the same
# transaction (recent days and days not judged yet are the job's; days of a closed month stay as they are).


def judge_again(ctx, days) -> None:
    rechecked_from = clock.local_date(ctx.now, ctx.tz) - timedelta(days=ctx.config["scoring"]["recheck_days"])
    for day in sorted(set(days)):
        if day < rechecked_from and is_over(ctx, day) and not closing.day_is_closed(ctx, day):
            run(ctx, day)


def after_violation(ctx, violation: dict) -> None:
    """`violation add`: its own day (it may be back-dated past the recheck), the days of the same agent's later
    offences of the rule (their step in the escalation moved), and the complaint it names (one incident)."""
    from cs.scoring.violations import manual_rule, same_incident

    row = ctx.db.one("SELECT agent, rule, at FROM violations WHERE id = ?", (violation["id"],))
    days = [ctx.business_day(clock.from_db(row["at"]))] + _later_offence_days(ctx, row["agent"], row["rule"], row["at"])
    rule = manual_rule(ctx, violation["rule"])  # the rule the violation was just recorded under
    if violation["ticket_id"] is not None and rule.get("replaces"):
        complaint = same_incident(ctx, rule, violation["id"])
        if complaint is not None:
            days.append(complaint["day"])
    judge_again(ctx, days)


def after_void(ctx, entry_row) -> None:
    """A voided entry: a voided violation is no offence (later steps of the escalation move down) and no longer
    takes a complaint's place; a voided complaint no longer takes a violation's."""
    if entry_row["ref_type"] == "violation":
        row = ctx.db.one("SELECT agent, rule, at, ticket_id FROM violations WHERE id = ?", (int(entry_row["ref_id"]),))
        if row is None:
            return
        days = _later_offence_days(ctx, row["agent"], row["rule"], row["at"])
        if row["ticket_id"] is not None:
            days += _verdict_days(ctx, row["ticket_id"])
        judge_again(ctx, days)
    elif entry_row["ref_type"] == "ticket":
        judge_again(ctx, _violation_days(ctx, int(entry_row["ref_id"])))


def after_verdict(ctx, ticket_id: int) -> None:
    """A verdict: the violations naming the complaint (one incident) are judged again with it."""
    judge_again(ctx, _violation_days(ctx, ticket_id) + _verdict_days(ctx, ticket_id))


def _later_offence_days(ctx, agent: str, rule: str, at: str) -> list:
    return [ctx.business_day(clock.from_db(row["at"])) for row in ctx.db.all(
        "SELECT at FROM violations WHERE agent = ? AND rule = ? AND at > ?", (agent, rule, at))]


def _violation_days(ctx, ticket_id: int) -> list:
    return [ctx.business_day(clock.from_db(row["at"]))
            for row in ctx.db.all("SELECT at FROM violations WHERE ticket_id = ?", (ticket_id,))]


def _verdict_days(ctx, ticket_id: int) -> list:
    verdict = ctx.db.value("SELECT verdict_at FROM tickets WHERE id = ? AND verdict_at IS NOT NULL", (ticket_id,))
    return [ctx.business_day(clock.from_db(verdict))] if verdict else []


def _weight(entry: dict) -> tuple:
    return (entry["points"] or 0, entry["fine"] or 0)


def _outweighs(rival: dict, entry: dict, *, or_equal: bool) -> bool:
    """Whether the other side of the incident takes this entry's place. A voided side is no rival (the
    supervisor's decision takes it out; the other stands on its own). A side whose day is closed is final:
    it wins when it holds a standing entry, and is no rival when it yielded before the close."""
    if rival["entry"] == "void":
        return False
    if rival["closed"]:
        return rival["entry"] == "standing"
    return _weight(rival) >= _weight(entry) if or_equal else _weight(rival) > _weight(entry)


def _one_incident_one_deduction(ctx, entries: dict) -> dict:
    """An upheld complaint and a violation naming it (violation add --ticket, a rule that `replaces`
    complaint_upheld) are one incident: the larger entry stands, never both; on a tie the violation, the
    supervisor's own judgement, stands. The two may fall on different days, so each side is decided from the
    facts alone, the same way on either day; a side whose day is closed is final and the other yields to it."""
    from cs.scoring.violations import replacing_violations, same_incident

    rules = {rule["code"]: rule for rule in ctx.config["rule"]}
    kept = {}
    for key, entry in entries.items():
        rule = rules[entry["rule"]]
        if rule["source"] == "complaint_upheld":
            rivals = replacing_violations(ctx, int(entry["ref_id"]), entry["agent"])
            if any(_outweighs(v, entry, or_equal=True) for v in rivals):
                continue
        elif rule["source"] == "manual" and rule.get("replaces"):
            complaint = same_incident(ctx, rule, int(entry["ref_id"]))
            if complaint is not None:
                if _outweighs(complaint, entry, or_equal=False):
                    continue
                entry = {**entry, **stored_detail(Msg(
                    "{detail} (one incident with complaint {ticket}, whose {points}-point entry this replaces)",
                    detail=Msg.from_parts(json.loads(entry["detail_msg"])), ticket=complaint["ticket_id"], points=number(complaint["points"])))}
        kept[key] = entry
    return kept


_COMPARED = ("label", "points", "fine", "action", "detail")


def run(ctx, day: date, *, dry_run: bool = False) -> dict:
    """Bring day `day`'s stored entries to what the facts give; return what changed. A closed month's
    days change nothing."""
    if day > clock.local_date(ctx.now, ctx.tz):
        raise CSError(_("{day} has not happened yet; deductions are computed for past days").format(
            day=day.isoformat()))
    if closing.day_is_closed(ctx, day):
        count = ctx.db.value("SELECT COUNT(*) FROM deductions WHERE date = ?", (day.isoformat(),))
        return {"date": day.isoformat(), "dry_run": dry_run, "provisional": False, "closed": True, "added": 0,
                "updated": 0, "removed": 0, "unchanged": count, "entries": count, "unattributed": [], "changes": []}
    wanted, unattributed = expected(ctx, day)
    stored = {(row["rule"], row["agent"], row["ref_type"], row["ref_id"]): row
              for row in ctx.db.all("SELECT * FROM deductions WHERE date = ?", (day.isoformat(),))}
    added = [entry for key, entry in wanted.items() if key not in stored]
    updated = [entry for key, entry in wanted.items()
               if key in stored and not stored[key]["voided"]
               and (any(stored[key][field] != entry[field] for field in _COMPARED)
                    or stored[key]["detail_msg"] is None)]  # judged before m013: its detail gets its parts
    removed = [dict(row) for key, row in stored.items() if key not in wanted and not row["voided"]]
    if not dry_run:
        _write(ctx, day, added, updated, removed)
    summary = {"date": day.isoformat(), "dry_run": dry_run, "provisional": not is_over(ctx, day), "closed": False,
               "added": len(added), "updated": len(updated),
               "removed": len(removed), "unchanged": len(wanted) - len(added) - len(updated),
               "entries": len(wanted), "unattributed": unattributed}
    summary["changes"] = ([{"change": "add", **_brief(e)} for e in added]
                          + [{"change": "update", **_brief(e)} for e in updated]
                          + [{"change": "remove", **_brief(e)} for e in removed])
    return summary


def stored_detail(detail: Msg) -> dict:
    """A detail as the database keeps it: in English (compared from one run to the next, and read by older
    versions) and in its parts (shown in the reader's language)."""
    english, parts = i18n.stored(detail)
    return {"detail": english, "detail_msg": parts}


def shown_detail(entry) -> str:
    """An entry's detail in the reader's language (one judged before migration m013 has only its English)."""
    return i18n.text_of(entry["detail"], entry["detail_msg"] if "detail_msg" in entry.keys() else None)


def _brief(entry) -> dict:
    brief = {key: entry[key] for key in ("agent", "rule", "points", "fine", "action", "ref_type", "ref_id")}
    brief["detail"] = shown_detail(entry)
    return {**brief, "points": number(brief["points"]), "fine": number(brief["fine"]),
            "ref_id": ref_id_json(entry["ref_type"], entry["ref_id"])}


def ref_id_json(ref_type: str, ref_id: str):
    """The source record's id as its own JSON gives it: an integer, but for duties, which have no record id
    and are named DATE/DUTY/AGENT. (Stored as text, so one unique key covers every source.)"""
    return ref_id if ref_type in ("duty", "shift") else int(ref_id)


def _write(ctx, day: date, added, updated, removed) -> None:
    db = ctx.db
    db.executemany(
        "INSERT INTO deductions (date, agent, rule, label, points, fine, action, ref_type, ref_id, detail,"
        " detail_msg, computed_at) VALUES (:date, :agent, :rule, :label, :points, :fine, :action, :ref_type,"
        " :ref_id, :detail, :detail_msg, :computed_at)",
        [{**entry, "computed_at": ctx.now_db} for entry in added],
    )
    db.executemany(
        "UPDATE deductions SET label = :label, points = :points, fine = :fine, action = :action, detail = :detail,"
        " detail_msg = :detail_msg, computed_at = :computed_at WHERE date = :date AND rule = :rule AND agent = :agent AND ref_type = :ref_type"
        " AND ref_id = :ref_id",
        [{**entry, "computed_at": ctx.now_db} for entry in updated],
    )
    db.executemany("DELETE FROM deductions WHERE id = ?", [(row["id"],) for row in removed])
    if added or updated or removed:
        db.audit(ctx.now_db, ctx.actor, "deductions.run", "deductions", day.isoformat(), None,
                 {"added": len(added), "updated": len(updated), "removed": len(removed)})
    if not is_over(ctx, day):
        return  # provisional: the daily job computes the day again once it is over
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
        "ref_id": ref_id_json(row["ref_type"], row["ref_id"]), "detail": shown_detail(row),
        "voided": bool(row["voided"]),
        "void_reason": row["void_reason"], "computed_at": row["computed_at"],
    }


SORTABLE = {"id", "date", "agent", "rule", "points", "fine", "voided"}


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
    rules = {rule["code"]: rule for rule in ctx.config["rule"]}
    duties = {duty["code"]: duty for duty in ctx.config["duty"]}
    for entry in entries:
        entry["record"] = source_record(ctx, entry["ref_type"], entry["ref_id"])
        entry["seed"] = _seed_of(entry, rules, duties)
    return entries


def _seed_of(entry: dict, rules: dict, duties: dict) -> str | None:
    """The seed line the entry rests on: a duty's own, else its rule's (what a supervisor cites for the charge)."""
    if entry["ref_type"] == "duty":
        duty = duties.get(entry["ref_id"].split("/")[1], {})
        if duty.get("seed"):
            return duty["seed"]
    return rules.get(entry["rule"], {}).get("seed")


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
        points = next((d.get("points", 1) for d in ctx.config["duty"] if d["code"] == duty), None)
        return {"date": day, "duty": duty, "agent": agent, "done": False, "points": points}
    if ref_type == "shift":
        from cs.desk import shifts

        day, code = ref_id.split("/", 1)
        shift = next((s for s in ctx.config["shift"] if s["code"] == code), None)
        if shift is None:
            return None
        window = shifts.window(ctx, shift, date.fromisoformat(day))
        return {"date": day, "shift": code, "start": ctx.display(clock.to_db(window.start)),
                "end": ctx.display(clock.to_db(window.end)), "agents": shifts.rostered(ctx, window.date, code),
                "memo": False}
    return None


def void(ctx, entry_id: int, reason: str) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"supervisor"}, _("voiding a deduction"))
    reason = clean_text(reason, "reason", 500, required=True)
    row = ctx.db.one("SELECT * FROM deductions WHERE id = ?", (entry_id,)) or get(ctx, entry_id)  # get refuses
    if row["voided"]:
        raise CSError(_("deduction {id} is already void ({reason})").format(id=entry_id, reason=row["void_reason"]))
    closing.refuse_if_closed(ctx, row["date"], _("voiding its entries"))
    return set_void(ctx, entry_id, reason)


def set_void(ctx, entry_id: int, reason: str) -> dict:
    """Take an entry out of the score for good (a supervisor's void, or an accepted appeal)."""
    ctx.db.execute("UPDATE deductions SET voided = 1, void_reason = ?, voided_by = ?, voided_at = ? WHERE id = ?",
                   (reason, ctx.actor, ctx.now_db, entry_id))
    ctx.db.audit(ctx.now_db, ctx.actor, "deductions.void", "deduction", entry_id, {"voided": False},
                 {"voided": True, "void_reason": reason})
    after_void(ctx, ctx.db.one("SELECT * FROM deductions WHERE id = ?", (entry_id,)))
    return get(ctx, entry_id)


def get(ctx, entry_id: int) -> dict:
    row = one_or_refuse(ctx.db, "SELECT * FROM deductions WHERE id = ?", (entry_id,),
                        _("deduction {id} not found; see 'cs deductions list'").format(id=entry_id))
    return {**to_json(row), "computed_at": ctx.display(row["computed_at"])}
