"""Visit plans (走访计划, seed 004: 客服主任每半年对责任区内住户全面走访一次,走访率达98%以上; seed 003: 对普通用户,
以一个季度回访一次为佳): a recurrence rule (RFC 5545, python-dateutil's rrule) opens periods; each period gets one
callback per customer in the plan's scope, due at the period's end.

`cs callback plan` is idempotent: a customer's callback of a period exists once (a unique index), however often
the plan runs. A period that has already ended when the plan first runs for it is skipped and said so: a visit
can no longer be made in it, and a callback born overdue would charge its agent for a period nobody planned.
Customers are inserted in one statement per period, so a plan over a million customers is one pass of SQL.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from cs.core import clock
from cs.core.i18n import _
from cs.core.ratio import parts, rate
from cs.desk import agents as agents_mod


def rule(plan: dict):
    """The plan's recurrence, starting at local midnight of its `start` (a naive local time: the wall clock)."""
    from dateutil.rrule import rrulestr

    start = datetime.combine(date.fromisoformat(plan["start"]), time(0))
    return rrulestr(f"RRULE:{plan['rrule']}", dtstart=start)


def periods(plan: dict, tz, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The periods [start, end) of the rule that are running at `since` or begin by `until`: each occurrence to
    the next one. The rule is entered at `since` (however many periods lie before it: an hourly rule started
    years ago costs nothing), and at most 1,000 periods are listed."""
    recurrence = rule(plan)
    local = since.astimezone(tz).replace(tzinfo=None)
    first = recurrence.before(local, inc=True) or recurrence.after(local, inc=True)
    found = []
    while first is not None and len(found) < 1000:
        following = recurrence.after(first)
        if following is None or first.replace(tzinfo=tz) > until:
            break
        found.append((first.replace(tzinfo=tz), following.replace(tzinfo=tz)))
        first = following
    return found


def plan_start(ctx, plan: dict) -> dict:
    """`start` defaults to the first day of the month the plan was first loaded (the first configuration version
    that has its code)."""
    if plan.get("start"):
        return plan
    from cs.core import config

    history = config.entry_history(ctx.db, "visit_plan", plan["code"])
    loaded = history[0][0] if history else ctx.now_db
    return {**plan, "start": clock.local_date(clock.from_db(loaded), ctx.tz).replace(day=1).isoformat()}


def _scope_sql(scope: str) -> tuple[str, dict]:
    if scope == "all":
        return "", {}
    if scope == "vip":
        return " AND c.vip = 1", {}
    return " AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag)", {"tag": scope[len("tag:"):]}


def run(ctx, *, until: datetime | None = None) -> list[dict]:
    """Create the callbacks of every period of every plan that has begun by `until` (default now)."""
    until = until or ctx.now
    results = []
    for plan in ctx.config.get("visit_plan", []):
        plan = plan_start(ctx, plan)
        if plan.get("agent"):
            agents_mod.require_active(ctx.db, plan["agent"])
        for start, end in periods(plan, ctx.tz, ctx.now, until):
            results.append(_run_period(ctx, plan, start, end))
    return results


def _run_period(ctx, plan: dict, start: datetime, end: datetime) -> dict:
    period = clock.local_date(start, ctx.tz).isoformat()
    scope, params = _scope_sql(plan.get("scope", "all"))
    base = {"plan": plan["code"], "period": period}
    existing = ctx.db.value("SELECT COUNT(*) FROM callbacks WHERE policy = :plan AND plan_period = :period", base)
    summary = {"plan": plan["code"], "period_start": ctx.display(clock.to_db(start)),
               "period_end": ctx.display(clock.to_db(end)), "created": 0, "in_scope": existing, "superseded": 0,
               "skipped": None}
    not_before = clock.to_db(ctx.contact_hours.next_open(max(start, ctx.now), ctx.tz))
    if not existing and not_before >= clock.to_db(end):
        # Born overdue, a visit would charge its agent for a period nobody could work in.
        summary["skipped"] = _("the period ends before the next contact hours open: no visit can be made in it")
        return summary
    before = ctx.db.value("SELECT COALESCE(MAX(id), 0) FROM callbacks")
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
    summary["superseded"] = _supersede_other_periods(ctx, plan["code"], period, before)
    if created:
        ctx.db.audit(ctx.now_db, ctx.actor, "callback.plan", "visit_plan", plan["code"], None,
                     {"period": period, "created": created})
    return summary


def _supersede_other_periods(ctx, code: str, period: str, before: int) -> int:
    """A customer given a visit in this period whose visit of another period of the plan is pending and not yet
    due (the plan's start or rule changed): the older one is cancelled, so one customer is never owed two visits.
    One already overdue stays: it was owed, and it counts."""
    from cs.desk import callbacks

    stale = [row[0] for row in ctx.db.all(
        "SELECT old.id FROM callbacks new JOIN callbacks old ON old.customer_phone = new.customer_phone"
        " AND old.policy = new.policy AND old.plan_period IS NOT NULL AND old.plan_period <> new.plan_period"
        " AND old.status = 'pending' AND old.due_at > ? WHERE new.id > ? AND new.policy = ? AND new.plan_period = ?",
        (ctx.now_db, before, code, period))]
    for callback_id in stale:
        callbacks.cancel(ctx, callback_id, f"superseded by the plan's period of {period}")  # stored: English
    return len(stale)


def figures(ctx, end: str) -> list[dict]:
    """For the month report: each plan's period running at `end` (the latest begun before it): customers in
    scope, visited (their callback done before `end`), 走访率 and the target."""
    results = []
    moment = clock.from_db(end) - timedelta(seconds=1)  # the last instant of the window
    for plan in ctx.config.get("visit_plan", []):
        plan = plan_start(ctx, plan)
        running = [p for p in periods(plan, ctx.tz, moment, moment) if p[0] <= moment < p[1]]
        if not running:
            continue
        period = clock.local_date(running[0][0], ctx.tz).isoformat()
        row = ctx.db.one(
            "SELECT COUNT(*) AS in_scope, SUM(status = 'done' AND done_at < :end) AS visited FROM callbacks"
            " WHERE policy = :plan AND plan_period = :period", {"plan": plan["code"], "period": period, "end": end})
        in_scope, visited = row["in_scope"], row["visited"] or 0
        results.append({"code": plan["code"], "label": plan.get("label", plan["code"]), "period": period,
                        "in_scope": in_scope, "visited": visited,
                        "rate": rate(visited, in_scope), "rate_parts": parts(visited, in_scope),
                        "target": plan.get("target")})
    return results
