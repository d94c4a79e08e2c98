"""Visit plans (走访计划, seed 004: 客服主任每半年对责任区内住户全面走访一次,走访率达98%以上; seed 003: 对普通用户,
以一个季度回访一次为佳): a recurrence rule (RFC 5545, python-dateutil's rrule) opens periods; each period gets one
callback per customer in the plan's scope, due at the period's end.

`cs callback plan` is idempotent: a customer's callback of a period exists once (a unique index), however often
the plan runs. A period that has already ended when the plan first runs for it is skipped and said so: a visit
can no longer be made in it, and a callback born overdue would charge its agent for a period nobody planned.
Customers are inserted in one statement per period, so a plan over a million customers is one pass of SQL.
"""

from __future__ import annotations

from datetime import date, datetime, time

from cs.core import clock
from cs.core.errors import CSError
from cs.desk import agents as agents_mod


def rule(plan: dict):
    """The plan's recurrence, starting at local midnight of its `start` (a naive local time: the wall clock)."""
    from dateutil.rrule import rrulestr

    start = datetime.combine(date.fromisoformat(plan["start"]), time(0))
    return rrulestr(f"RRULE:{plan['rrule']}", dtstart=start)


def periods(plan: dict, tz, until: datetime) -> list[tuple[datetime, datetime]]:
    """The periods [start, end) that have begun by `until`: each occurrence of the rule to the next one."""
    found, previous = [], None
    for occurrence in rule(plan):
        moment = occurrence.replace(tzinfo=tz)
        if previous is not None:
            found.append((previous, moment))
        if moment > until:
            break
        previous = moment
        if len(found) > 10_000:
            raise CSError(f"visit plan {plan['code']}: its rule opens more than 10,000 periods by then; check rrule")
    return found


def plan_start(plan: dict, loaded_at: str, tz) -> dict:
    """`start` defaults to the first day of the month the plan was loaded."""
    if plan.get("start"):
        return plan
    return {**plan, "start": clock.local_date(clock.from_db(loaded_at), tz).replace(day=1).isoformat()}


def _scope_sql(scope: str) -> tuple[str, dict]:
    if scope == "all":
        return "", {}
    if scope == "vip":
        return " AND c.vip = 1", {}
    return " AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag)", {"tag": scope[len("tag:"):]}


def run(ctx, *, until: datetime | None = None) -> list[dict]:
    """Create the callbacks of every period of every plan that has begun by `until` (default now)."""
    until = until or ctx.now
    loaded_at = _loaded_at(ctx)
    results = []
    for plan in ctx.config.get("visit_plan", []):
        plan = plan_start(plan, loaded_at, ctx.tz)
        if plan.get("agent"):
            agents_mod.require_active(ctx.db, plan["agent"])
        for start, end in periods(plan, ctx.tz, until):
            results.append(_run_period(ctx, plan, start, end))
    return results


def _loaded_at(ctx) -> str:
    return ctx.db.value("SELECT MIN(created_at) FROM config_versions") or ctx.now_db


def _run_period(ctx, plan: dict, start: datetime, end: datetime) -> dict:
    period = clock.local_date(start, ctx.tz).isoformat()
    scope, params = _scope_sql(plan.get("scope", "all"))
    base = {"plan": plan["code"], "period": period}
    existing = ctx.db.value("SELECT COUNT(*) FROM callbacks WHERE policy = :plan AND plan_period = :period", base)
    summary = {"plan": plan["code"], "period_start": ctx.display(clock.to_db(start)),
               "period_end": ctx.display(clock.to_db(end)), "created": 0, "in_scope": existing, "skipped": None}
    if end <= ctx.now:
        if not existing:
            summary["skipped"] = "the period had ended before the plan first ran for it"
        return summary
    before = ctx.db.value("SELECT COALESCE(MAX(id), 0) FROM callbacks")
    not_before = clock.to_db(ctx.contact_hours.next_open(max(start, ctx.now), ctx.tz))
    note = f"走访计划 {plan.get('label', plan['code'])} {period}"
    ctx.db.execute(
        "INSERT OR IGNORE INTO callbacks (ticket_id, customer_name, customer_phone, reason, method, agent, status,"
        " due_at, not_before, next_try_at, attempts, note, policy, plan_period, created_at, created_by, updated_at)"
        " SELECT NULL, c.name, c.phone, 'visit_plan', :method, :agent, 'pending', :due, :not_before, :not_before, 0,"
        " :note, :plan, :period, :now, :actor, :now FROM customers c WHERE c.no_callback = 0" + scope  # noqa: S608
        + " ORDER BY c.phone",
        {**base, **params, "method": plan.get("method", "visit"), "agent": plan.get("agent"),
         "due": clock.to_db(end), "not_before": not_before, "note": note, "now": ctx.now_db, "actor": ctx.actor})
    created = ctx.db.execute(
        "INSERT INTO callback_events (callback_id, at, actor, kind, result, note, before)"
        " SELECT id, :now, :actor, 'created', NULL, :note, NULL FROM callbacks WHERE id > :before",
        {"now": ctx.now_db, "actor": ctx.actor, "note": note, "before": before}).rowcount
    summary.update(created=created, in_scope=existing + created)
    if created:
        ctx.db.audit(ctx.now_db, ctx.actor, "callback.plan", "visit_plan", plan["code"], None,
                     {"period": period, "created": created})
    return summary


def figures(ctx, end: str) -> list[dict]:
    """For the month report: each plan's period running at `end` (the latest begun before it): customers in
    scope, visited (their callback done before `end`), 走访率 and the target."""
    results = []
    moment = clock.from_db(end)
    loaded_at = _loaded_at(ctx)
    for plan in ctx.config.get("visit_plan", []):
        plan = plan_start(plan, loaded_at, ctx.tz)
        began = [p for p in periods(plan, ctx.tz, moment) if p[0] < moment]
        if not began:
            continue
        period = clock.local_date(began[-1][0], ctx.tz).isoformat()
        row = ctx.db.one(
            "SELECT COUNT(*) AS in_scope, SUM(status = 'done' AND done_at < :end) AS visited FROM callbacks"
            " WHERE policy = :plan AND plan_period = :period", {"plan": plan["code"], "period": period, "end": end})
        in_scope, visited = row["in_scope"], row["visited"] or 0
        results.append({"code": plan["code"], "label": plan.get("label", plan["code"]), "period": period,
                        "in_scope": in_scope, "visited": visited,
                        "rate": round(visited / in_scope, 4) if in_scope else None,
                        "rate_parts": {"numerator": visited, "denominator": in_scope},
                        "target": plan.get("target")})
    return results
