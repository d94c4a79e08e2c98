"""Violations of the manual rules (上班做与工作无关的事 …), recorded by a leader or supervisor, and the
escalation that makes the n-th violation of a rule within its window cost more (1st 10 yuan, 2nd 30,
3rd dismissal)."""

from __future__ import annotations

from datetime import date, timedelta

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.text import clean_text
from cs.desk import agents as agents_mod
from cs.scoring.units import bounds, month_days, number
from cs.store.query import Filters, listing

VIOLATION_SORTABLE = {"id", "at", "agent", "rule"}


def window_start(ctx, moment_db: str, window: str) -> str:
    """Where the count of offences starts for one at `moment_db`: its day, week, month, quarter or year, or the
    beginning of time ('ever': the seeds' 第一次…第二次…第三次开除 sets no window, so none is assumed)."""
    if window == "ever":
        return ""
    day = ctx.business_day(clock.from_db(moment_db))
    first = {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1),
             "quarter": day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1),
             "year": day.replace(month=1, day=1)}[window]
    return bounds(ctx, first)[0]


def rule_start(ctx, code: str) -> str | None:
    """The first business day `code` applies from (YYYY-MM-DD), when a cs upgrade brought it to a desk with
    judged days; None: always."""
    return ctx.db.value("SELECT since FROM rule_starts WHERE rule = ?", (code,))


def occurrence(ctx, rule: dict, violation_id: int) -> int:
    """This violation's place among the agent's violations of the rule within the rule's window. A violation whose
    entry was voided (by a supervisor, or an appeal accepted) is no offence and is not counted."""
    row = ctx.db.one("SELECT agent, at FROM violations WHERE id = ?", (violation_id,))
    since = window_start(ctx, row["at"], rule.get("window", "month"))
    started = rule_start(ctx, rule["code"])
    if started:
        since = max(since, bounds(ctx, date.fromisoformat(started))[0])
    return ctx.db.value(
        "SELECT COUNT(*) FROM violations v WHERE v.agent = ? AND v.rule = ? AND v.at >= ?"
        " AND (v.at < ? OR (v.at = ? AND v.id <= ?))"
        " AND NOT EXISTS (SELECT 1 FROM deductions d WHERE d.ref_type = 'violation' AND d.ref_id = CAST(v.id AS TEXT)"
        " AND d.voided = 1)",
        (row["agent"], rule["code"], since, row["at"], row["at"], violation_id),
    )


def penalty(ctx, rule: dict, ref_type: str, ref_id) -> dict:
    points, fine, action = rule.get("points", 0), rule.get("fine", 0), None
    steps = rule.get("escalation")
    if steps and ref_type == "violation":
        step = steps[min(occurrence(ctx, rule, int(ref_id)), len(steps)) - 1]
        points, fine, action = step.get("points", points), step.get("fine", fine), step.get("action")
    return {"points": number(points), "fine": number(fine), "action": action}


def manual_rule(ctx, code: str) -> dict:
    for rule in ctx.config["rule"]:
        if rule["code"] == code and rule["source"] == "manual":
            return rule
    manual = ", ".join(r["code"] for r in ctx.config["rule"] if r["source"] == "manual") or _("none configured")
    raise CSError(_("'{code}' is not a manual rule; manual rules are: {manual}").format(code=code, manual=manual))


def add_violation(ctx, agent: str, rule_code: str, *, at=None, note: str | None = None,
                  ticket_id: int | None = None) -> dict:
    agents_mod.require_role(ctx.db, ctx.actor, {"leader", "supervisor"}, _("recording a violation"))
    agents_mod.require_active(ctx.db, agent)
    if agent == ctx.actor and agents_mod.supervisor_exists(ctx.db):
        raise CSError(_("{agent} cannot record a violation against themselves; another leader or the supervisor"
                        " can").format(agent=agent))
    rule = manual_rule(ctx, rule_code)
    at_db = clock.to_db(at or ctx.now)
    if at_db > ctx.now_db:
        raise CSError(_("--at {at} is in the future; violations record what has happened").format(
            at=ctx.display(at_db)))
    from cs.scoring import closing

    closing.refuse_if_closed(ctx, ctx.business_day(at or ctx.now).isoformat(), _("recording a violation in it"))
    note = clean_text(note, "note", 2000)
    if ticket_id is not None and ctx.db.one("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)) is None:
        raise CSError(_("ticket {id} not found; see 'cs ticket list'").format(id=ticket_id))
    if ticket_id is not None and rule.get("replaces"):
        twice = [v["id"] for v in replacing_violations(ctx, ticket_id, agent)]
        if twice:
            raise CSError(_("violation {id} already charges {agent} for ticket {ticket}: one incident, one"
                            " deduction").format(id=twice[0], agent=agent, ticket=ticket_id))
    cur = ctx.db.execute(
        "INSERT INTO violations (agent, rule, at, note, created_at, created_by, ticket_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (agent, rule["code"], at_db, note, ctx.now_db, ctx.actor, ticket_id),
    )
    record = violation_json(ctx, ctx.db.one("SELECT * FROM violations WHERE id = ?", (cur.lastrowid,)), rule)
    ctx.db.audit(ctx.now_db, ctx.actor, "violation.add", "violation", cur.lastrowid, None, record)
    return record


def stored_entry(ctx, rule_code: str, agent: str, ref_type: str, ref_id) -> str | None:
    """'void', 'standing', or None (no entry stored) for one source record's entry."""
    voided = ctx.db.value("SELECT voided FROM deductions WHERE ref_type = ? AND ref_id = ? AND rule = ? AND agent = ?",
                          (ref_type, str(ref_id), rule_code, agent))
    return None if voided is None else ("void" if voided else "standing")


def same_incident(ctx, rule: dict, violation_id: int) -> dict | None:
    """For a violation of a rule that `replaces` complaint_upheld: the upheld complaint against the same agent that
    its ticket names, as {ticket_id, day, points, fine, closed, entry}; None when there is none (as of ctx.now).
    `entry` is the complaint's stored entry: 'void', 'standing' or None."""
    target = rule.get("replaces")
    complaint_rule = next((r for r in ctx.config["rule"] if r["code"] == target or r["source"] == target), None)
    if complaint_rule is None:
        return None
    row = ctx.db.one(
        "SELECT t.id, t.verdict_at FROM violations v JOIN tickets t ON t.id = v.ticket_id"
        " WHERE v.id = ? AND t.verdict = 'upheld' AND t.verdict_at <= ? AND t.about_agent = v.agent",
        (violation_id, ctx.now_db))
    if row is None:
        return None
    from cs.scoring import closing

    day = ctx.business_day(clock.from_db(row["verdict_at"]))
    agent = ctx.db.value("SELECT agent FROM violations WHERE id = ?", (violation_id,))
    return {"ticket_id": row["id"], "day": day, "rule": complaint_rule, "closed": closing.day_is_closed(ctx, day),
            "entry": stored_entry(ctx, complaint_rule["code"], agent, "ticket", row["id"]),
            **penalty(ctx, complaint_rule, "ticket", row["id"])}


def violation_json(ctx, row, rule: dict) -> dict:
    return {"id": row["id"], "agent": row["agent"], "rule": row["rule"], "label": rule["label"],
            "at": ctx.display(row["at"]), "note": row["note"], "ticket_id": row["ticket_id"],
            "occurrence": occurrence(ctx, rule, row["id"]),
            **{key: value for key, value in penalty(ctx, rule, "violation", row["id"]).items()},
            "created_by": row["created_by"]}


def replacing_violations(ctx, ticket_id: int, agent: str) -> list[dict]:
    """Violations of rules that replace complaint_upheld naming this complaint, against its agent (as of ctx.now),
    each with its penalty and whether its day is closed."""
    from cs.scoring import closing

    rules = {r["code"]: r for r in ctx.config["rule"] if r["source"] == "manual" and r.get("replaces")}
    found = []
    for row in ctx.db.all("SELECT id, rule, at FROM violations WHERE ticket_id = ? AND agent = ? AND at <= ?",
                          (ticket_id, agent, ctx.now_db)):
        if row["rule"] in rules:
            found.append({"id": row["id"], **penalty(ctx, rules[row["rule"]], "violation", row["id"]),
                          "closed": closing.day_is_closed(ctx, ctx.business_day(clock.from_db(row["at"]))),
                          "entry": stored_entry(ctx, row["rule"], agent, "violation", row["id"])})
    return found


def list_violations(ctx, *, month: str | None = None, agent: str | None = None, limit=None,
                    sort="at,id") -> list[dict]:
    filters = Filters()
    if month:
        first, after = month_days(month)
        filters.add("at >= :since AND at < :until", since=bounds(ctx, first)[0], until=bounds(ctx, after)[0])
    if agent:
        filters.add("agent = :agent", agent=agent)
    rules = {rule["code"]: rule for rule in ctx.config["rule"]}
    sql, params = listing("SELECT * FROM violations", filters, sort, VIOLATION_SORTABLE, limit=limit)
    return [violation_json(ctx, row, rules.get(row["rule"], {"code": row["rule"], "label": row["rule"]}))
            for row in ctx.db.all(sql, params)]
