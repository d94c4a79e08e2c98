"""Reports: the shift report (值班日志), the day report and the monthly 考核 report, as data.

Every figure is computed here from stored facts for a window [start, end); the templates only lay
it out. Each rate carries its numerator and denominator (`*_parts`) and is null when there is
nothing to divide by. Phones are masked. Queries read only the window's records through indexes,
so a report costs the same on a week of history as on years of it.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import date, timedelta

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.ratio import parts, rate
from cs.core.vocabulary import ACTIONS, CATEGORIES, CHANNELS, REASONS
from cs.desk import customers, shifts
from cs.scoring.units import number
from cs.store.query import in_clause

BUCKETS = ("demand", "system", "complaint", "transfer")
BUCKET_LABELS = {"demand": "市场需求", "system": "系统问题", "complaint": "市场投诉", "transfer": "转交问题"}
OUTCOMES = ("satisfied", "neutral", "dissatisfied")


# --- the pieces of a report ---------------------------------------------------------------


# What the figures read of a ticket. A month of a large centre is 100,000 tickets, so they come as a
# stream, and only what the figures need is kept (see ticket_figures).
_TICKET = ("SELECT id, opened_at, channel, category, priority, status, summary, agent, department, tags,"
           " first_response_at, first_response_due_at, resolved_at, resolve_due_at, pending_since, fcr,"
           " updated_at, building, unit, room FROM tickets")
_BATCH = 500


def ticket_figures(ctx, start: str, end: str, agents: list[str] | None, *, details: bool = True) -> tuple[dict, list]:
    """Tickets received in the window, resolved in it, still open at its end, responses (median and mean),
    SLA breaches, FCR; and the received tickets that fall in a report bucket (see `buckets`). Every figure
    is as of the window's end: each ticket as it stood then (later events undone), so the report read
    again later says the same; `agents` restricts every figure to the tickets that were theirs then.

    One pass over the window's tickets keeps their response times, not the tickets: memory follows
    the window's size only by 8 bytes a ticket. Without `details` (the month report) the per-hour
    chart and the bucket lists are left out."""
    from cs.desk.tickets import is_breached

    judged_at = min(end, ctx.now_db)  # as of the window's end (or now, if earlier)
    received = open_at_end = breached = 0
    waits, by_channel, by_category, opened, bucketed = [], {}, {}, [], []
    rows = ctx.db.execute(_TICKET + " WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id", (start, end))
    for row in as_of_end(ctx, "ticket", rows, end):
        if agents is not None and row["agent"] not in agents:
            continue
        received += 1
        if row["first_response_at"]:
            waits.append((clock.from_db(row["first_response_at"]) - clock.from_db(row["opened_at"])).total_seconds())
        if row["resolved_at"] is None:
            open_at_end += 1
        breached += is_breached(row, judged_at)
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + 1
        by_category[row["category"]] = by_category.get(row["category"], 0) + 1
        if details:
            opened.append(row["opened_at"])
            if row["tags"] != "[]" or row["category"] == "complaint" or row["department"]:
                bucketed.append(row)
    resolved, fcr = _resolved_in(ctx, start, end, agents)
    figures = {
        "received": received,
        "resolved": resolved,
        "open_at_end": open_at_end,
        "first_response_median_s": statistics.median(waits) if waits else None,
        "first_response_mean_s": round(statistics.fmean(waits), 1) if waits else None,
        "reply_rate": rate(len(waits), received),
        "reply_rate_parts": parts(len(waits), received),
        "breached": breached,
        "fcr_rate": rate(fcr, resolved),
        "fcr_rate_parts": parts(fcr, resolved),
        "by_channel": dict(sorted(by_channel.items())),
        "by_category": dict(sorted(by_category.items())),
    }
    if details:
        figures["by_hour"] = _by_hour(ctx, opened, start, end)
    return figures, bucketed


def _resolved_in(ctx, start: str, end: str, agents) -> tuple[int, int]:
    """Tickets resolved in the window and still resolved at its end, and how many of them at first contact."""
    counts = _resolved_by_agent(ctx, start, end)
    chosen = counts.values() if agents is None else (counts[a] for a in agents if a in counts)
    pairs = list(chosen)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _resolved_by_agent(ctx, start: str, end: str) -> dict:
    """agent -> [resolved, at first contact] in one pass over the window: the tickets resolved then by their
    stored time, and those reopened since by their history."""
    now_resolved = ctx.db.execute(_TICKET + " WHERE resolved_at >= ? AND resolved_at < ?", (start, end))
    reopened = [row[0] for row in ctx.db.execute(
        "SELECT DISTINCT e.ticket_id FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
        " WHERE e.kind = 'resolved' AND e.at >= ? AND e.at < ?"
        " AND (t.resolved_at IS NULL OR t.resolved_at < ? OR t.resolved_at >= ?)",
        (start, end, start, end))]
    counts: dict = {}
    for row in as_of_end(ctx, "ticket", itertools.chain(now_resolved, _by_ids(ctx, _TICKET, reopened)), end):
        if row["resolved_at"] is not None and start <= row["resolved_at"] < end:
            pair = counts.setdefault(row["agent"], [0, 0])
            pair[0] += 1
            pair[1] += row["fcr"]
    return counts


def _by_ids(ctx, select: str, ids: list[int]):
    for first in range(0, len(ids), _BATCH):
        batch = ids[first:first + _BATCH]
        yield from ctx.db.execute(f"{select} WHERE id IN ({', '.join('?' * len(batch))})", batch)


def as_of_end(ctx, kind: str, rows, end: str):
    """Tickets or callbacks as they stood at `end`: each change recorded at or after `end` undone (its event
    keeps the fields it replaced). Only records updated since `end` are looked up, in batches."""
    table = {"ticket": "ticket_events", "callback": "callback_events"}[kind]
    pending: list = []
    for row in rows:
        if row["updated_at"] < end:
            yield row  # nothing recorded on it since: as it stands is as it stood
            continue
        pending.append(row)
        if len(pending) >= _BATCH:
            yield from _undo_later(ctx, table, kind, pending, end)
            pending = []
    yield from _undo_later(ctx, table, kind, pending, end)


def _undo_later(ctx, table: str, kind: str, records: list, end: str):
    import json

    befores: dict[int, list[str]] = {}
    if records:
        key = f"{kind}_id"
        for event in ctx.db.execute(f"SELECT {key}, before FROM {table} WHERE {key} IN"
                                    f" ({', '.join('?' * len(records))}) AND at >= ? AND before IS NOT NULL"
                                    f" ORDER BY at DESC, id DESC", (*(r["id"] for r in records), end)):
            befores.setdefault(event[0], []).append(event[1])
    for row in records:
        record = dict(row)
        for before in befores.get(record["id"], ()):
            record.update(json.loads(before))
        yield _times_before(record, end) if kind == "ticket" else _callback_before(record, end)


def _times_before(ticket: dict, end: str) -> dict:
    """What a ticket's own times say of `end`, for history recorded before changes kept what they replaced:
    a response, resolution or pause at or after `end` had not happened."""
    for key in ("first_response_at", "resolved_at"):
        if ticket[key] is not None and ticket[key] >= end:
            ticket[key] = None
    if ticket["resolved_at"] is None and ticket["status"] in ("resolved", "closed"):
        ticket["status"] = "in_progress"
    if ticket["pending_since"] is not None and ticket["pending_since"] >= end:
        ticket["status"], ticket["pending_since"] = "in_progress", None
    return ticket


def _callback_before(callback: dict, end: str) -> dict:
    """A callback finished at or after `end` was still pending then."""
    if callback["ended_at"] is not None and callback["ended_at"] >= end:
        callback.update(status="pending", ended_at=None, done_at=None, outcome=None)
    return callback


def _by_hour(ctx, opened: list[str], start: str, end: str) -> list[dict]:
    """Tickets per local hour across the window (the report's chart)."""
    first = clock.from_db(start).astimezone(ctx.tz).replace(minute=0, second=0)
    last = clock.from_db(end).astimezone(ctx.tz)
    hours = []
    moment = first
    while moment < last:
        hours.append(moment)
        moment += timedelta(hours=1)
    counts = {hour.strftime("%Y-%m-%dT%H"): 0 for hour in hours}
    for opened_at in opened:
        key = clock.from_db(opened_at).astimezone(ctx.tz).strftime("%Y-%m-%dT%H")
        if key in counts:
            counts[key] += 1
    return [{"hour": key[-2:] + ":00", "tickets": count} for key, count in counts.items()]


def address(row) -> str | None:
    """A ticket's 住处 as a property desk writes it: 3栋2单元301 (None when it has none)."""
    building, unit, room = row["building"], row["unit"], row["room"]
    if not (building or unit or room):
        return None
    unit_text = f"{unit}单元" if unit and not unit.endswith("单元") else (unit or "")
    return f"{building or ''}{unit_text}{room or ''}"


def buckets(received) -> tuple[dict, dict]:
    """The four report buckets of seed 001: 市场需求, 系统问题, 市场投诉, 转交问题."""
    import json

    items = {name: [] for name in BUCKETS}
    for row in received:
        tags = json.loads(row["tags"])
        if "demand" in tags:
            items["demand"].append(row)
        if "system" in tags:
            items["system"].append(row)
        if row["category"] == "complaint":
            items["complaint"].append(row)
        if row["department"]:
            items["transfer"].append(row)
    listed = {name: [{"id": r["id"], "summary": r["summary"], "department": r["department"],
                      "address": address(r)} for r in rows]
              for name, rows in items.items()}
    return {name: len(rows) for name, rows in items.items()}, listed


def callback_figures(ctx, start: str, end: str, agents: list[str] | None) -> dict:
    """Callbacks due in the window (less those cancelled before their deadline), done in it, overdue at its
    end, cancelled and failed; each callback as it stood at the window's end, `agents` its agent then."""
    agent_sql, agent_params = in_clause("agent", agents)
    due = cancelled = failed = 0
    for row in _due_in(ctx, start, end):
        if agents is not None and row["agent"] not in agents:
            continue
        if _called_off(row):
            cancelled += 1
            continue
        due += 1
        failed += row["status"] == "failed"
    # Counted by SQLite: a month of a large centre finishes tens of thousands of callbacks. A finished
    # callback never changes again, so what ended in the window reads the same later.
    done, on_time, *by_outcome = ctx.db.one(
        f"SELECT COUNT(*), COALESCE(SUM(done_at <= due_at), 0), COALESCE(SUM(outcome = 'satisfied'), 0),"
        f" COALESCE(SUM(outcome = 'neutral'), 0), COALESCE(SUM(outcome = 'dissatisfied'), 0) FROM callbacks"
        f" WHERE ended_at >= ? AND ended_at < ? AND status = 'done'{agent_sql}", (start, end, *agent_params))
    overdue = [row for row in _overdue_at(ctx, end) if agents is None or row["agent"] in agents]
    satisfaction = dict(zip(OUTCOMES, by_outcome))
    surveyed = sum(satisfaction.values())
    return {
        "due": due,
        "done": done,
        "done_on_time": on_time,
        "overdue": len(overdue),
        "cancelled": cancelled,
        "failed": failed,
        "satisfaction": satisfaction,
        "satisfaction_rate": rate(satisfaction["satisfied"], surveyed),
        "satisfaction_rate_parts": parts(satisfaction["satisfied"], surveyed),
        "overdue_items": [{
            "id": r["id"], "ticket_id": r["ticket_id"], "customer_name": r["customer_name"],
            "customer_phone": customers.mask_phone(r["customer_phone"]), "agent": r["agent"],
            "reason": r["reason"], "due_at": ctx.display(r["due_at"]), "attempts": r["attempts"],
            "overdue_hours": round((clock.from_db(end) - clock.from_db(r["due_at"])).total_seconds() / 3600, 1),
        } for r in overdue],
    }


_CALLBACK = "SELECT * FROM callbacks"


def _due_in(ctx, start: str, end: str):
    """Callbacks due in the window as they stood at its end: due in it now, or rescheduled out of it since."""

    ids = {row[0] for row in ctx.db.all("SELECT id FROM callbacks WHERE due_at >= ? AND due_at < ?", (start, end))}
    ids |= _rescheduled_since(ctx, end, lambda due: start <= due < end)
    return (row for row in as_of_end(ctx, "callback", _by_ids(ctx, _CALLBACK, sorted(ids)), end)
            if start <= row["due_at"] < end)


def _called_off(callback) -> bool:
    """Cancelled before its deadline: no longer owed, so not due (one cancelled after it was owed, and missed)."""
    return callback["status"] == "cancelled" and callback["ended_at"] <= callback["due_at"]


def _rescheduled_since(ctx, end: str, was_due) -> set[int]:
    """Callbacks rescheduled at or after `end` whose deadline before that satisfied `was_due`."""
    import json

    found = set()
    for event in ctx.db.all("SELECT callback_id, before FROM callback_events WHERE kind = 'rescheduled' AND at >= ?"
                            " AND before IS NOT NULL", (end,)):
        if was_due(json.loads(event["before"]).get("due_at", "")):
            found.add(event["callback_id"])
    return found


def _overdue_at(ctx, end: str) -> list:
    """Callbacks overdue at `end`: pending then with their deadline before it. Pending now (partial index),
    finished only since (index on ended_at), or rescheduled since: looked up apart and merged, each as it
    stood at `end` (a UNION ... ORDER BY would walk all of history)."""
    ids = {row[0] for row in ctx.db.all("SELECT id FROM callbacks WHERE status = 'pending' AND due_at < ?", (end,))}
    ids |= {row[0] for row in ctx.db.all("SELECT id FROM callbacks WHERE ended_at >= ? AND +due_at < ?", (end, end))}
    ids |= _rescheduled_since(ctx, end, lambda due: due < end)
    rows = [row for row in as_of_end(ctx, "callback", _by_ids(ctx, _CALLBACK, sorted(ids)), end)
            if row["status"] == "pending" and row["due_at"] < end]
    return sorted(rows, key=lambda row: (row["due_at"], row["id"]))


def deduction_entries(ctx, day: date, agents: list[str] | None, as_of: str) -> list[dict]:
    """The entries the rules give for `day` as the facts stood at `as_of` (computed, not read from the stored
    table, so the report says the same when read again); an entry counts as void if it was voided by then.
    `cs deductions list` shows the stored entries, which later facts and decisions may change."""
    from cs.scoring import deductions

    then = ctx.replace(now=clock.from_db(as_of))
    entries, _unattributed = deductions.expected(then, day)
    voided = {(row["rule"], row["agent"], row["ref_type"], row["ref_id"]) for row in ctx.db.all(
        "SELECT rule, agent, ref_type, ref_id FROM deductions WHERE date = ? AND voided = 1 AND voided_at < ?",
        (day.isoformat(), as_of))}
    found = [{"agent": e["agent"], "rule": e["rule"], "label": e["label"], "points": e["points"], "fine": e["fine"],
              "action": e["action"], "ref_type": e["ref_type"],
              "ref_id": deductions.ref_id_json(e["ref_type"], e["ref_id"]), "detail": deductions.shown_detail(e),
              "voided": key in voided}
             for key, e in entries.items() if agents is None or e["agent"] in agents]
    return sorted(found, key=lambda e: (e["agent"], e["rule"], e["ref_type"], str(e["ref_id"])))


def open_handover(ctx, end: str) -> list[dict]:
    """Handover items not done at the window's end: what the next shift must pick up."""
    # Not done now (partial index), or done only after the end (index on done_at).
    rows = _merged(ctx.db.all("SELECT * FROM handovers WHERE status <> 'done' AND created_at < ?", (end,)),
                   ctx.db.all("SELECT * FROM handovers WHERE done_at >= ? AND +created_at < ?", (end, end)),
                   key=lambda row: (row["created_at"], row["id"]))
    return [{"id": r["id"], "date": r["date"], "shift": r["shift"], "agent": r["agent"], "text": r["text"],
             "ticket_id": r["ticket_id"], "status": _status_at(r, end), "created_at": ctx.display(r["created_at"]),
             "occurred_at": ctx.display(r["occurred_at"]), "party": r["party"]}
            for r in rows]


def _merged(*row_lists, key) -> list:
    """Rows of several lookups, each once (by id), in `key` order."""
    unique = {row["id"]: row for rows in row_lists for row in rows}
    return sorted(unique.values(), key=key)


def _status_at(row, end: str) -> str:
    """The item's state at the end of the window (it may have been acked or done since)."""
    return "acked" if row["acked_at"] is not None and row["acked_at"] < end else "open"


# --- whole reports ------------------------------------------------------------------------


def _window_report(ctx, kind: str, day: date, start: str, end: str, roster: list[str], *, shift=None,
                   agent=None, judged: str | None = None) -> dict:
    """A shift or day report; its deductions are the day's as of `judged` (default the window's end)."""
    judged = judged or end
    scope = [agent] if agent else None
    tickets, bucketed = ticket_figures(ctx, start, end, scope)
    counts, listed = buckets(bucketed)
    report = {
        "kind": kind,
        "date": day.isoformat(),
        "shift": shift,
        "agent": agent,
        "start": ctx.display(start),
        "end": ctx.display(end),
        "generated_at": ctx.display(ctx.now_db),
        "complete": ctx.now_db >= end,
        "agents": roster,
        "tickets": tickets,
        "callbacks": callback_figures(ctx, start, end, scope),
        "buckets": counts,
        "bucket_items": listed,
        "deductions": deduction_entries(ctx, day, [agent] if agent else (roster if kind == "shift" else None),
                                        min(judged, ctx.now_db)),
        "handover": [item for item in open_handover(ctx, end) if agent is None or item["agent"] == agent],
        "dispatches": dispatch_figures(ctx, start, end),
        "calls": hotline_figures(ctx, start, end, scope),
    }
    mentioned = {*roster, *(c["agent"] for c in report["callbacks"]["overdue_items"]),
                 *(row["agent"] for row in report["calls"]["by_agent"]),
                 *(d["agent"] for d in report["deductions"]), *(h["agent"] for h in report["handover"])}
    report["names"] = agent_names(ctx, mentioned)
    return report


def hotline_figures(ctx, start: str, end: str, agents: list[str] | None = None) -> dict:
    """The hotline over the window (SPEC section 19): offered, answered, 接通率, within three rings, ASA, AHT;
    per shift and per agent."""
    from cs.calls.figures import call_figures

    return call_figures(ctx, start, end, agents)


def dispatch_figures(ctx, start: str, end: str) -> list[dict]:
    """Per department: dispatches sent, accepted and done in the window, on time or not (SPEC section 18)."""
    from cs.desk import dispatch

    return dispatch.figures(ctx, start, end)


def agent_names(ctx, handles) -> dict:
    """handle -> full name of the agents a report mentions (SPEC section 17: reports show names)."""
    handles = sorted(h for h in handles if h)
    names = {}
    for chunk in range(0, len(handles), 500):
        part = handles[chunk:chunk + 500]
        names.update((row["handle"], row["name"]) for row in ctx.db.all(
            f"SELECT handle, name FROM agents WHERE handle IN ({', '.join('?' * len(part))})", part))
    return names


def shift_report(ctx, *, day: date | None = None, shift_code: str | None = None, agent: str | None = None) -> dict:
    """The 值班日志 of one shift; by default the latest shift that has ended."""
    if day is None and shift_code is None:
        window = shifts.latest_ended(ctx, ctx.now)
        if window is None:
            raise CSError(_("no shift has ended yet; give --date and --shift"))
    else:
        config = shifts.shift_config(ctx, shift_code) if shift_code else _only_shift(ctx)
        window = shifts.window(ctx, config, day or clock.local_date(ctx.now, ctx.tz))
    if agent:
        from cs.desk import agents as agents_mod

        agents_mod.get(ctx.db, agent)
    roster = shifts.rostered(ctx, window.date, window.code)
    shift = {"code": window.code, "label": window.label}
    return _window_report(ctx, "shift", window.date, clock.to_db(window.start), clock.to_db(window.end), roster,
                          shift=shift, agent=agent)


def _only_shift(ctx) -> dict:
    configured = ctx.config["shift"]
    if len(configured) != 1:
        raise CSError(_("give --shift: {shifts}").format(
            shifts=", ".join(f"{s['code']} ({s['label']})" for s in configured)))
    return configured[0]


def day_report(ctx, *, day: date | None = None) -> dict:
    day = day or clock.local_date(ctx.now, ctx.tz) - timedelta(days=1)
    from cs.scoring import units

    start, end = units.bounds(ctx, day)  # the business day: a night shift's hours after midnight included
    return _window_report(ctx, "day", day, start, end, shifts.agents_on(ctx, day), judged=units.over_at(ctx, day))


def month_report(ctx, *, month: str | None = None) -> dict:
    """Scores and ranks, KPIs, and callback effectiveness per reason (回访工作效果评估)."""
    from cs.scoring import appeals, scores, units

    month = month or clock.local_date(ctx.now, ctx.tz).strftime("%Y-%m")
    first, after = units.month_days(month)
    start, end = clock.to_db(clock.day_bounds(first, ctx.tz)[0]), clock.to_db(clock.day_bounds(after, ctx.tz)[0])
    tickets, _details = ticket_figures(ctx, start, end, None, details=False)
    # The callback figures and the per-reason table count one base: the callbacks due in the month (less
    # those cancelled before their deadline), done or not, whenever done.
    by_reason = callbacks_by_reason(ctx, start, end)
    satisfied, surveyed = (sum(row["satisfaction_rate_parts"][key] for row in by_reason)
                           for key in ("numerator", "denominator"))
    report = {
        "kind": "month",
        "month": month,
        "start": ctx.display(start),
        "end": ctx.display(end),
        "generated_at": ctx.display(ctx.now_db),
        "complete": ctx.now_db >= end,
        "scores": scores.scores(ctx, month),
        "kpis": {
            "received": tickets["received"], "resolved": tickets["resolved"], "breached": tickets["breached"],
            "first_response_median_s": tickets["first_response_median_s"],
            "first_response_mean_s": tickets["first_response_mean_s"],
            "reply_rate": tickets["reply_rate"], "reply_rate_parts": tickets["reply_rate_parts"],
            "fcr_rate": tickets["fcr_rate"], "fcr_rate_parts": tickets["fcr_rate_parts"],
            "callbacks_due": sum(row["due"] for row in by_reason),
            "callbacks_done": sum(row["done"] for row in by_reason),
            "satisfaction_rate": rate(satisfied, surveyed), "satisfaction_rate_parts": parts(satisfied, surveyed),
        },
        "callbacks_by_reason": by_reason,
        "callbacks_by_reason_base": CALLBACKS_BY_REASON_BASE,
        "callbacks_by_policy": callbacks_by_policy(ctx, month, start, end),
        "visit_plans": visit_plan_figures(ctx, end),
        "appeals": appeals.query(ctx, month=month),
        "dispatches": dispatch_figures(ctx, start, end),
        "calls": hotline_figures(ctx, start, end),
    }
    report["names"] = agent_names(ctx, {*(s["agent"] for s in report["scores"]),
                                        *(row["agent"] for row in report["calls"]["by_agent"]),
                                        *(a[key] for a in report["appeals"] for key in ("agent", "decided_by"))})
    return report


def week_report(ctx, *, week_of: date | None = None, team: str | None = None) -> dict:
    """The 组长's weekly check (seed 001: 回复率 / 平均响应时间 / 首次响应时间, 每周): Monday to Sunday of the week
    holding `week_of` (default: the last whole week), per agent of the team (every agent and leader without one):
    tickets received and answered, reply rate, first-response mean and median, FCR, callback satisfaction, and
    the points of the week's entries. Every figure as of the week's end, as the other reports."""
    today = clock.local_date(ctx.now, ctx.tz)
    day = week_of or today - timedelta(days=7)
    monday = day - timedelta(days=day.weekday())
    start = clock.to_db(clock.day_bounds(monday, ctx.tz)[0])
    end = clock.to_db(clock.day_bounds(monday + timedelta(days=7), ctx.tz)[0])
    # Every agent and leader at work now, and anyone since deactivated who had tickets that week (teams are
    # today's: the desk keeps no history of them).
    worked = {row[0] for row in ctx.db.all("SELECT DISTINCT agent FROM tickets WHERE opened_at >= ? AND opened_at < ?"
                                           " AND agent IS NOT NULL", (start, end))}
    people = [dict(a) for a in ctx.db.all("SELECT handle, name, team, role, active FROM agents ORDER BY handle")
              if a["role"] != "supervisor" and (a["active"] or a["handle"] in worked)
              and (team is None or a["team"] == team)]
    if team is not None and not people:
        raise CSError(_("no agent is in team '{team}'; see 'cs agent list'").format(team=team))
    handles = {a["handle"] for a in people}
    waits: dict = {h: [] for h in handles}
    received = dict.fromkeys(handles, 0)
    for row in as_of_end(ctx, "ticket", ctx.db.execute(_TICKET + " WHERE opened_at >= ? AND opened_at < ?"
                                                       " ORDER BY opened_at, id", (start, end)), end):
        if row["agent"] in handles:
            received[row["agent"]] += 1
            if row["first_response_at"]:
                waits[row["agent"]].append(
                    (clock.from_db(row["first_response_at"]) - clock.from_db(row["opened_at"])).total_seconds())
    by_agent = _resolved_by_agent(ctx, start, end)  # one pass for everybody, not one an agent
    resolved = {h: tuple(by_agent.get(h, (0, 0))) for h in handles}
    surveyed = {h: [0, 0] for h in handles}
    for row in _due_in(ctx, start, end):
        if row["agent"] in handles and row["status"] == "done":
            surveyed[row["agent"]][1] += 1
            surveyed[row["agent"]][0] += row["outcome"] == "satisfied"
    first_day, after = monday.isoformat(), (monday + timedelta(days=7)).isoformat()
    points = {row["agent"]: row["points"] for row in ctx.db.all(
        "SELECT agent, SUM(points) AS points FROM deductions WHERE date >= ? AND date < ? AND voided = 0"
        " GROUP BY agent", (first_day, after))}
    hotline = hotline_figures(ctx, start, end, sorted(handles) if team is not None else None)
    rows = []
    for person in people:
        h = person["handle"]
        answered, (done, fcr), (satisfied, reached) = len(waits[h]), resolved[h], surveyed[h]
        rows.append({
            "agent": h, "name": person["name"], "team": person["team"], "received": received[h],
            "answered": answered, "reply_rate": rate(answered, received[h]),
            "reply_rate_parts": parts(answered, received[h]),
            "first_response_mean_s": round(statistics.fmean(waits[h]), 1) if waits[h] else None,
            "first_response_median_s": statistics.median(waits[h]) if waits[h] else None,
            "resolved": done, "fcr_rate": rate(fcr, done), "fcr_rate_parts": parts(fcr, done),
            "satisfaction_rate": rate(satisfied, reached), "satisfaction_rate_parts": parts(satisfied, reached),
            "points": number(points.get(h) or 0),
            "calls": _agent_calls(hotline, h),
        })
    return {"kind": "week", "start": ctx.display(start), "end": ctx.display(end),
            "generated_at": ctx.display(ctx.now_db), "complete": ctx.now_db >= end, "team": team, "agents": rows,
            "calls": hotline, "names": agent_names(ctx, (row["agent"] for row in hotline["by_agent"]))}


def _agent_calls(hotline: dict, handle: str) -> dict:
    """One agent's figures from the hotline's `by_agent` rows (an agent who took no call: zeros and nulls)."""
    from cs.calls.figures import Sums, figures

    for row in hotline["by_agent"]:
        if row["agent"] == handle:
            return {key: value for key, value in row.items() if key not in ("agent", "name")}
    return figures(Sums(), hotline["answer_within_s"])


WEEK_COLUMNS = ["agent", "name", "team", "received", "answered", "reply_rate", "first_response_mean_s",
                "first_response_median_s", "resolved", "fcr_rate", "satisfaction_rate", "points"]


def week_sheets(report: dict, lang: str) -> list:
    """The week report as one sheet, a row per agent."""
    from cs.exchange.workbook import Sheet

    text = TEXT[lang]
    headers = {column: text.get(WEEK_TEXT.get(column, column), column) for column in WEEK_COLUMNS}
    return [Sheet(text["week"], WEEK_COLUMNS, headers, report["agents"], percent=RATE_COLUMNS),
            *call_sheets(report, lang)]


CALL_COLUMNS = ["offered", "answered", "answer_rate", "abandoned", "answered_within", "answered_within_rate",
                "asa_s", "aht_s"]


def call_sheets(report: dict, lang: str) -> list:
    """The hotline as two sheets, per shift and per agent, each under a row for the whole period."""
    from cs.exchange.workbook import Sheet

    text = TEXT[lang]
    calls = report["calls"]
    within = str(calls["answer_within_s"])  # the label says what [calls] answer_within is: 15 s, about three rings
    headers = {"offered": text["offered"], "answered": text["answered_calls"], "answer_rate": text["answer_rate"],
               "abandoned": text["abandoned"], "answered_within": text["within_rings"].replace("{s}", within),
               "answered_within_rate": text["within_rate"].replace("{s}", within), "asa_s": text["asa_s"],
               "aht_s": text["aht"]}
    whole = {"name": text["all_calls"], **{key: calls[key] for key in CALL_COLUMNS}}
    names = report.get("names") or {}
    by_shift = [whole, *({**row, "name": row["label"] or text["outside_shifts"]} for row in calls["by_shift"])]
    by_agent = [whole, *({**row, "name": names.get(row["agent"]) or row["agent"] or text["no_agent"]}
                         for row in calls["by_agent"])]
    return [Sheet(f"{text['hotline']}·{text['by_shift']}", ["name", *CALL_COLUMNS],
                  {**headers, "name": text["shift_col"]}, by_shift, percent=RATE_COLUMNS),
            Sheet(f"{text['hotline']}·{text['by_agent']}", ["agent", "name", *CALL_COLUMNS],
                  {**headers, "agent": text["agent_only"], "name": text["name"]}, by_agent, percent=RATE_COLUMNS)]


# Columns of the workbooks that hold fractions: shown as percentages (55.6%), kept as numbers for Excel's sums.
RATE_COLUMNS = frozenset({"reply_rate", "fcr_rate", "satisfaction_rate", "completion_rate", "on_time_rate",
                          "compliance", "rate", "target", "answer_rate", "answered_within_rate"})


# The week report's columns, by their label in TEXT.
WEEK_TEXT = {"first_response_mean_s": "mean", "first_response_median_s": "median", "fcr_rate": "fcr",
             "satisfaction_rate": "satisfaction_rate", "points": "points", "agent": "agent_only"}


def visit_plan_figures(ctx, end: str) -> list[dict]:
    from cs.desk import visits

    return visits.figures(ctx, end)


def callbacks_by_policy(ctx, month: str, start: str, end: str) -> list[dict]:
    """Compliance with each policy's quota in the month (seed 003: 对维修用户50%以上回访 …), counted in customers as
    the quota is: those that became eligible, the ceil(sample × eligible) it requires (the share in force at the
    month's last count), those it selected; of these, whose callback was done, done by its own deadline, or is not
    due yet; compliance = done on time ÷ required, at most 1. `callbacks` is every callback the policy made (VIPs
    and, for a policy of every one, repeat tickets included). A callback's deadline may fall after the month: the
    figures are as of when the report is made, and settle once the last deadline has passed."""
    import math
    from fractions import Fraction

    counted: dict = {}
    for row in ctx.db.all("SELECT policy, k, selected, ticket_id, sample FROM quota_customers WHERE month = ?"
                          " ORDER BY policy, k", (month,)):
        counted.setdefault(row["policy"], []).append(row)
    made: dict = {}
    for row in ctx.db.all("SELECT policy, COUNT(*) AS n FROM callbacks WHERE policy IS NOT NULL AND plan_period IS NULL"
                          " AND created_at >= ? AND created_at < ? GROUP BY policy", (start, end)):
        made[row["policy"]] = row["n"]
    order = [p["code"] for p in ctx.config["callback_policy"]]
    result = []
    for code in order + sorted((set(counted) | set(made)) - set(order)):
        rows = counted.get(code, [])
        if not rows and code not in made:
            continue
        last_sample = rows[-1]["sample"] if rows and rows[-1]["sample"] is not None else next(
            (p.get("sample", 1) for p in ctx.config["callback_policy"] if p["code"] == code), 1)
        required = math.ceil(Fraction(str(last_sample)) * len(rows))
        chosen = [row for row in rows if row["selected"]]
        done = on_time = not_due = 0
        for row in chosen:
            callback = ctx.db.one("SELECT status, done_at, due_at FROM callbacks WHERE ticket_id = ? AND policy = ?"
                                  " ORDER BY id LIMIT 1", (row["ticket_id"], code))
            if callback is None:
                continue
            done += callback["status"] == "done"
            on_time += callback["status"] == "done" and callback["done_at"] <= callback["due_at"]
            not_due += callback["status"] == "pending" and callback["due_at"] > ctx.now_db
        counted_on_time = min(on_time, required)
        result.append({"policy": code, "label": _policy_label(ctx, code), "eligible": len(rows), "required": required, "selected": len(chosen),
                       "callbacks": made.get(code, 0), "done": done, "done_on_time": on_time,
                       "not_yet_due": not_due, "compliance": rate(counted_on_time, required),
                       "compliance_parts": parts(counted_on_time, required)})
    return result


def _policy_label(ctx, code: str) -> str:
    """What the centre calls a policy: its own `label`, else the Chinese name of its reason (维修回访), else its code."""
    policy = next((p for p in ctx.config["callback_policy"] if p["code"] == code), {})
    return policy.get("label") or REASONS.get(policy.get("reason"), (code,))[0]


# The base of the month report's per-reason table: the same callbacks as kpis.callbacks_due.
CALLBACKS_BY_REASON_BASE = "due"


def callbacks_by_reason(ctx, start: str, end: str) -> list[dict]:
    """Completion, on-time and satisfaction rates per reason, on the base of the key figures: the callbacks
    due in the window, less those cancelled before their deadline, as they stood at its end."""
    counted: dict[str, dict] = {}
    for row in _due_in(ctx, start, end):
        if _called_off(row):
            continue
        counts = counted.setdefault(row["reason"], dict.fromkeys(("due", "done", "failed", "on_time", "satisfied"), 0))
        done = row["status"] == "done"
        counts["due"] += 1
        counts["done"] += done
        counts["failed"] += row["status"] == "failed"
        counts["on_time"] += done and row["done_at"] <= row["due_at"]
        counts["satisfied"] += done and row["outcome"] == "satisfied"
    result = []
    for reason in REASONS:
        if reason not in counted:
            continue
        due, done, failed, on_time, satisfied = (counted[reason][key] for key in
                                                 ("due", "done", "failed", "on_time", "satisfied"))
        result.append({
            "reason": reason, "due": due, "done": done, "failed": failed, "done_on_time": on_time,
            "completion_rate": rate(done, due), "completion_rate_parts": parts(done, due),
            "on_time_rate": rate(on_time, due), "on_time_rate_parts": parts(on_time, due),
            "satisfaction_rate": rate(satisfied, done), "satisfaction_rate_parts": parts(satisfied, done),
        })
    return result


TEXT = {
    "zh": {
        "shift_title": "值班日志", "day_title": "客服日报", "month_title": "月度考核报告", "window": "时段",
        "agents": "值班人员", "generated": "生成时间", "incomplete": "（时段尚未结束，数据截至生成时间）",
        "tickets": "工单", "received": "受理", "resolved": "解决", "open_at_end": "结束时未结",
        "median": "首次响应中位数", "mean": "平均响应时间", "reply_rate": "回复率", "week": "周报",
        "by_policy": "回访配额执行情况", "policy": "回访策略", "eligible": "应纳入客户", "required": "配额要求",
        "selected": "已选中", "compliance": "达标率", "not_yet_due": "未到期", "done_on_time": "按时完成", "visit_plans": "走访计划", "in_scope": "应走访",
        "visited": "已走访", "visit_rate": "走访率", "target": "目标", "period": "周期",
        "answered": "已回复", "received_n": "受理", "breached": "超时", "fcr": "首次解决率", "by_channel": "按渠道",
        "by_category": "按类别", "per_hour": "每小时受理量", "callbacks": "回访", "due": "到期",
        "done": "完成", "on_time": "按时完成", "overdue": "逾期", "satisfaction": "满意度",
        "satisfied": "满意", "neutral": "一般", "dissatisfied": "不满意", "satisfaction_rate": "满意率",
        "overdue_list": "逾期回访", "buckets": "问题分类", "deductions": "当日考核扣分",
        "handover": "交接事项（待下一班处理）", "occurred": "事发时间", "party": "当事人", "none": "无", "customer": "客户", "phone": "电话",
        "agent": "坐席", "reason": "原因", "due_at": "期限", "hours_over": "逾期(小时)", "rule": "规则",
        "points": "扣分", "fine": "罚款", "detail": "说明", "text": "内容", "status": "状态", "ticket": "工单",
        "scores": "考核得分", "rank": "排名", "unranked": "主管,不排名", "name": "姓名", "team": "班组",
        "base": "基础分",
        "fines": "罚款", "actions": "处理", "score": "得分", "kpis": "关键指标", "by_reason": "回访工作效果评估",
        "completion": "完成率", "on_time_rate": "按时率", "failed": "无法联系", "void": "已作废",
        "minutes": "分钟", "month": "月份", "agent_only": "坐席", "cancelled": "已取消(不计到期)",
        "appeals": "申诉", "entry": "扣分", "decision": "处理意见", "appeal_open": "待处理",
        "appeal_accepted": "已采纳(扣分作废)", "appeal_rejected": "已驳回",
        "hours": "小时", "max": "最高", "per_hour_unit": "件",
        "staffing_title": "人手需求", "staffing_basis": "预测依据", "service_level": "服务水平",
        "max_occupancy": "最高占用率", "shrinkage": "缺勤率", "required_n": "需要", "rostered_n": "已排班",
        "short": "红色为人手不足", "hour": "时段", "calls_expected": "预计来电", "aht": "平均处理时长(秒)",
        "hotline": "热线", "by_shift": "按班次", "by_agent": "按坐席", "outside_shifts": "班次外",
        "no_agent": "（无坐席）", "within_rate": "{s}秒内接听率", "all_calls": "全部",
        "shift_col": "班次", "asa_s": "平均应答速度(秒)", "offered": "呼入", "answered_calls": "接通", "answer_rate": "接通率", "abandoned": "放弃",
        "within_rings": "{s}秒内接听", "asa": "平均应答速度", "aht_s": "平均处理时长",
        "dispatches": "派单", "dept": "部门", "sent_n": "派单", "accepted_n": "接单", "done_n": "完工", "in_time": "按时",
        "overdue_at_end": "逾期未完",
        "handover_open": "待处理", "handover_acked": "已确认", "handover_done": "已完成",
        "base_due": "基数：本月到期的回访（截止前取消的不计），与关键指标的“到期”相同；完成、按时、无法联系均指其中的回访",
    },
    "en": {
        "shift_title": "Shift report", "day_title": "Daily report", "month_title": "Monthly review",
        "window": "Window", "agents": "On duty", "generated": "Generated",
        "incomplete": "(the window has not ended; figures as of generation)",
        "tickets": "Tickets", "received": "Received", "resolved": "Resolved", "open_at_end": "Open at end",
        "median": "First-response median", "mean": "First-response mean", "reply_rate": "Reply rate", "week": "Week",
        "by_policy": "Callback quotas", "policy": "Policy", "eligible": "Eligible", "required": "Required",
        "selected": "Selected", "compliance": "Compliance", "not_yet_due": "Not yet due", "done_on_time": "Done on time", "visit_plans": "Visit plans", "in_scope": "In scope",
        "visited": "Visited", "visit_rate": "Visit rate", "target": "Target", "period": "Period",
        "answered": "Answered", "received_n": "Received", "breached": "SLA breaches", "fcr": "First-contact resolution",
        "by_channel": "By channel", "by_category": "By category", "per_hour": "Tickets per hour",
        "callbacks": "Callbacks", "due": "Due", "done": "Done", "on_time": "Done on time", "overdue": "Overdue",
        "satisfaction": "Satisfaction", "satisfied": "Satisfied", "neutral": "Neutral",
        "dissatisfied": "Dissatisfied", "satisfaction_rate": "Satisfaction rate", "overdue_list": "Overdue callbacks",
        "buckets": "Issue buckets", "deductions": "Deductions of the day", "handover": "Handover for the next shift",
        "occurred": "Occurred", "party": "Party",
        "none": "None", "customer": "Customer", "phone": "Phone", "agent": "Agent", "reason": "Reason",
        "due_at": "Due", "hours_over": "Hours over", "rule": "Rule", "points": "Points", "fine": "Fine",
        "detail": "Detail", "text": "Item", "status": "Status", "ticket": "Ticket", "scores": "Scores",
        "rank": "Rank", "unranked": "supervisor, unranked", "name": "Name", "team": "Team", "base": "Base",
        "fines": "Fines", "actions": "Actions",
        "score": "Score", "kpis": "Key figures", "by_reason": "Callback effectiveness by reason",
        "completion": "Completion", "on_time_rate": "On time", "failed": "Unreachable", "void": "void",
        "minutes": "min", "month": "Month", "agent_only": "Agent", "cancelled": "Cancelled (not due)",
        "appeals": "Appeals", "entry": "entry", "decision": "Decision", "appeal_open": "open",
        "appeal_accepted": "accepted (entry void)", "appeal_rejected": "rejected",
        "hours": "h", "max": "max", "per_hour_unit": "",
        "staffing_title": "Staffing", "staffing_basis": "Forecast from", "service_level": "Service level",
        "max_occupancy": "Max occupancy", "shrinkage": "Shrinkage", "required_n": "Required", "rostered_n": "Rostered",
        "short": "red: short", "hour": "Hour", "calls_expected": "Calls expected", "aht": "AHT (s)",
        "hotline": "Hotline", "by_shift": "By shift", "by_agent": "By agent",
        "outside_shifts": "outside every shift", "no_agent": "(no agent)", "within_rate": "Answered within {s} s, share",
        "all_calls": "All", "shift_col": "Shift", "asa_s": "ASA (s)", "offered": "Offered", "answered_calls": "Answered", "answer_rate": "Answer rate",
        "abandoned": "Abandoned", "within_rings": "Answered within {s} s", "asa": "ASA", "aht_s": "AHT",
        "dispatches": "Dispatches", "dept": "Department", "sent_n": "Sent", "accepted_n": "Accepted", "done_n": "Done",
        "in_time": "on time", "overdue_at_end": "Overdue at end",
        "handover_open": "open", "handover_acked": "acked", "handover_done": "done",
        "base_due": "Base: callbacks due in the month, less those cancelled before their deadline (the key figures'"
                    " Due); done, on time and unreachable count those of them",
    },
}


def labels(lang: str) -> dict:
    """Names of channels, categories, reasons and buckets for the templates."""
    index = 0 if lang == "zh" else 1
    return {
        "text": TEXT[lang],
        "channel": {code: pair[index] for code, pair in CHANNELS.items()},
        "category": {code: pair[index] for code, pair in CATEGORIES.items()},
        "reason": {code: pair[index] for code, pair in REASONS.items()},
        "action": {code: pair[index] for code, pair in ACTIONS.items()},
        "bucket": BUCKET_LABELS if lang == "zh" else {"demand": "Market demand", "system": "System problems",
                                                     "complaint": "Market complaints", "transfer": "Transferred"},
    }


def month_sheets(ctx, report: dict, lang: str) -> list:
    """The month report as a workbook: scores and ranks, key figures, callback effectiveness by reason, and every
    deduction entry of the month (what the pay review reads line by line)."""
    from cs.core.labels import LABELS
    from cs.core.vocabulary import REASONS
    from cs.exchange.workbook import Percent, Sheet
    from cs.scoring import deductions

    text, index = TEXT[lang], 0 if lang == "zh" else 1
    labels = {key: pair[index] for key, pair in LABELS.items()}
    kpis = report["kpis"]
    unit = {"median": "（秒）" if lang == "zh" else " (s)", "mean": "（秒）" if lang == "zh" else " (s)"}
    figures = [{"figure": text.get(name, name) + unit.get(name, ""),
                "value": Percent(kpis[key]) if key in RATE_COLUMNS and kpis[key] is not None else kpis[key],
                "numerator": kpis.get(f"{key}_parts", {}).get("numerator"),
                "denominator": kpis.get(f"{key}_parts", {}).get("denominator")}
        for key, name in (("received", "received"), ("resolved", "resolved"), ("breached", "breached"),
                          ("first_response_median_s", "median"), ("first_response_mean_s", "mean"),
                          ("reply_rate", "reply_rate"), ("fcr_rate", "fcr"), ("callbacks_due", "due"),
                          ("callbacks_done", "done"), ("satisfaction_rate", "satisfaction_rate"))]
    by_reason = [_flat_rates({**row, "reason": REASONS.get(row["reason"], (row["reason"],) * 2)[index]})
                 for row in report["callbacks_by_reason"]]
    entries = deductions.query(ctx, month=report["month"])
    figure_headers = {"figure": text["kpis"], "value": "值" if lang == "zh" else "Value",
                      "numerator": "分子" if lang == "zh" else "Numerator",
                      "denominator": "分母" if lang == "zh" else "Denominator"}
    reason_headers = {**labels, **{key: text.get(key, key) for key in ("reason", "due", "done", "failed")},
                      "done_on_time": text["on_time"], "completion_rate": text["completion"],
                      "on_time_rate": text["on_time_rate"], "satisfaction_rate": text["satisfaction_rate"]}
    for column in ("completion_rate", "on_time_rate", "satisfaction_rate"):
        for part in ("numerator", "denominator"):
            reason_headers[f"{column}_{part}"] = f"{reason_headers[column]} {figure_headers[part]}"
    return [
        Sheet(text["score"], ["rank", "agent", "name", "team", "base", "points", "fines", "actions", "score"],
              {**labels, "agent": text["agent"], "score": text["score"]}, report["scores"]),
        Sheet(text["kpis"], list(figure_headers), figure_headers, figures),
        Sheet(text["by_reason"], list(by_reason[0]) if by_reason else ["reason"], reason_headers, by_reason,
              percent=RATE_COLUMNS),
        Sheet(text["by_policy"], POLICY_COLUMNS, {**{c: text.get(c, c) for c in POLICY_COLUMNS}, "label": labels["label"]},
              [_flat_rates(row) for row in report["callbacks_by_policy"]], percent=RATE_COLUMNS),
        Sheet(text["visit_plans"], PLAN_COLUMNS, {c: text.get(c, c) for c in PLAN_COLUMNS},
              [_flat_rates(row) for row in report["visit_plans"]], percent=RATE_COLUMNS),
        Sheet("考核扣分" if lang == "zh" else "Deductions", ["id", "date", "agent", "rule", "label", "points", "fine",
                                                        "action", "detail", "voided"],
              {**labels, "agent": text["agent"], "detail": "说明" if lang == "zh" else "Detail"}, entries),
        *call_sheets(report, lang),
    ]


POLICY_COLUMNS = ["policy", "label", "eligible", "required", "selected", "done", "done_on_time", "not_yet_due", "compliance"]
PLAN_COLUMNS = ["label", "period", "in_scope", "visited", "rate", "target"]


def _flat_rates(row: dict) -> dict:
    """{'x_rate_parts': {numerator, denominator}} -> x_rate_numerator, x_rate_denominator columns."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            stem = key.removesuffix("_parts")
            flat[f"{stem}_numerator"], flat[f"{stem}_denominator"] = value["numerator"], value["denominator"]
        else:
            flat[key] = value
    return flat


def _safe(part: str) -> str:
    """A shift label or agent name as a piece of a file name: no directories, no control characters."""
    import re

    return re.sub(r"[\\/\x00-\x1f]|^\.+", "_", part)


def file_name(report: dict, ext: str, agent_name: str | None = None) -> str:
    """DATE_SHIFTLABEL_值班日志.EXT, with _NAME for one agent's report."""
    if report["kind"] == "month":
        return f"{report['month']}_月度考核.{ext}"
    if report["kind"] == "week":
        team = f"_{_safe(report['team'])}" if report["team"] else ""
        return f"{report['start'][:10]}_周报{team}.{ext}"
    if report["kind"] == "day":
        return f"{report['date']}_日报.{ext}"
    name = f"_{_safe(agent_name)}" if agent_name else ""
    return f"{report['date']}_{_safe(report['shift']['label'])}_值班日志{name}.{ext}"
