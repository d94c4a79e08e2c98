"""overdue-alerts: tell people about overdue callbacks, once per (callback, level, recipient, channel).

Level 1 goes to the callback's agent as soon as it is overdue; level 2 to the team's leaders (else
the supervisors) once it has been overdue for `escalate_after`. With `repeat_every`, an alert is
sent again each time that much more has passed. Outside `alert_hours` alerts are held, not
dropped: nothing is recorded, so the next run inside the hours sends them. Each recipient gets one
digest per channel per run, split to the channel's size limit; phones are masked.

Each part is a message with an `alert_key`, recorded (table deliveries) before it is sent and its
outcome right after; an alert counts as sent only once its message was delivered. A message whose
outcome is unknown (the run was killed in flight) or that failed is sent again by the next run under
the same key, with those of its alerts still owed: receivers that deduplicate see it once.
"""

from __future__ import annotations

import hashlib
import json

from cs.core import clock
from cs.core.i18n import Msg, _, language
from cs.core.vocabulary import REASONS, label
from cs.desk import customers
from jobs.notify import DeliveryError
from jobs.runner import stop_requested


def _people(ctx) -> dict:
    return {row["handle"]: dict(row) for row in ctx.db.all("SELECT * FROM agents WHERE active = 1")}


def _escalation_recipients(people: dict, team: str | None) -> list[str]:
    leaders = [h for h, p in people.items() if p["role"] == "leader" and team and p["team"] == team]
    return sorted(leaders) or _supervisors(people)


def _supervisors(people: dict) -> list[str]:
    return sorted(h for h, p in people.items() if p["role"] == "supervisor")


def _past(owner: str | None, recipients: list[str], people: dict) -> list[str]:
    """An escalation goes past the agent it is about: a leader's own overdue callback goes to the other
    leaders of her team, else to the supervisors."""
    others = [r for r in recipients if r != owner]
    return others or [s for s in _supervisors(people) if s != owner]


def _escalation_lookup(people: dict):
    """_escalation_recipients, worked out once a team: a backlog of overdue callbacks would otherwise
    walk every person for each of them (a 500-seat centre's 744 overdue: 70 % of the job's time)."""
    known: dict = {}

    def recipients(team: str | None) -> list[str]:
        if team not in known:
            known[team] = _escalation_recipients(people, team)
        return known[team]

    return recipients


def due_alerts(ctx) -> list[dict]:
    """Every (kind, record, deadline, level, recipient) an alert is owed for now, with its repeat round: overdue
    callbacks, tickets past their first-response or resolve deadline, and dispatches past their accept or done
    deadline (SPEC section 18)."""
    config = ctx.config["alerts"]
    escalate_s = clock.parse_duration(config.get("escalate_after", "2h")).seconds()
    repeat_s = clock.parse_duration(config["repeat_every"]).seconds() if config.get("repeat_every") else None
    people = _people(ctx)
    escalation_recipients = _escalation_lookup(people)
    owed = []

    def owe(kind, row, due_at, first, second, deadline=None):
        """Level 1 to `first` at once, level 2 to `second` once overdue for escalate_after."""
        overdue_s = (ctx.now - clock.from_db(due_at)).total_seconds()
        levels = [(1, first, overdue_s)]
        if overdue_s >= escalate_s:
            levels.append((2, second, overdue_s - escalate_s))
        for level, recipients, age_s in levels:
            round_number = int(age_s // repeat_s) if repeat_s else 0
            for recipient in recipients:
                owed.append({"kind": kind, "ref_id": row["id"], "due_at": due_at, "deadline": deadline, "row": row,
                             "level": level, "recipient": recipient, "round": round_number,
                             "overdue_minutes": int(overdue_s // 60)})

    def agent_levels(agent):
        """The agent, then the team's leaders (else the supervisors), past the agent."""
        owner = people.get(agent)
        team = owner["team"] if owner else None
        return ([agent] if owner else escalation_recipients(team)), _past(agent, escalation_recipients(team), people)

    for row in ctx.db.all("SELECT * FROM callbacks WHERE status = 'pending' AND due_at < ? ORDER BY due_at, id",
                          (ctx.now_db,)):
        owe("callback", row, row["due_at"], *agent_levels(row["agent"]))
    for deadline, row in _late_tickets(ctx):
        owe("ticket", row, row[f"{deadline}_due_at"], *agent_levels(row["agent"]), deadline=deadline)
    for deadline, row in _late_dispatches(ctx):
        first, second = _department_levels(ctx, row["department"], people)
        owe("dispatch", row, row[f"{deadline}_due_at"], first, second, deadline=deadline)
    return owed


def _late_tickets(ctx):
    """(deadline, ticket) for each ticket past a deadline it has not met: its first response, or its resolution
    (a pending ticket's resolve clock is stopped). The first query's first condition is the partial index
    tickets_first_response_late's own: the lookup stays on it."""
    return _one_deadline_at_a_time(
        ("first_response", ctx.db.all(
            "SELECT * FROM tickets WHERE (first_response_at IS NULL OR first_response_at > first_response_due_at)"
            " AND first_response_at IS NULL AND first_response_due_at < ? AND status IN ('open', 'in_progress',"
            " 'pending') ORDER BY first_response_due_at, id", (ctx.now_db,))),
        ("resolve", ctx.db.all("SELECT * FROM tickets WHERE status IN ('open', 'in_progress') AND resolve_due_at < ?"
                               " ORDER BY resolve_due_at, id", (ctx.now_db,))))


_DISPATCHES = ("SELECT d.*, t.summary, p.name AS department_name FROM dispatches d JOIN tickets t ON t.id = d.ticket_id"
               " JOIN departments p ON p.code = d.department")


def _late_dispatches(ctx):
    """(deadline, dispatch) for each open dispatch past its accept or done deadline."""
    return _one_deadline_at_a_time(
        ("accept", ctx.db.all(_DISPATCHES + " WHERE d.status = 'sent' AND d.accept_due_at < ?"
                              " ORDER BY d.accept_due_at, d.id", (ctx.now_db,))),
        ("done", ctx.db.all(_DISPATCHES + " WHERE d.status <> 'done' AND d.done_due_at < ?"
                            " ORDER BY d.done_due_at, d.id", (ctx.now_db,))))


def _one_deadline_at_a_time(first: tuple, second: tuple):
    """(deadline, row): a record late on its first deadline (an unanswered ticket, an unaccepted dispatch) is
    alerted for that alone; its second deadline's turn comes once the first is met."""
    (first_name, first_rows), (second_name, second_rows) = first, second
    seen = set()
    for row in first_rows:
        seen.add(row["id"])
        yield first_name, row
    for row in second_rows:
        if row["id"] not in seen:
            yield second_name, row


def _department_levels(ctx, code: str, people: dict) -> tuple[list, list]:
    """A late dispatch goes first to the department's contact (else its head), then to its head (seed 004:
    不能處理的事件當天交部門負責人), or past a head alerted first, to the supervisors."""
    dept = ctx.db.one("SELECT head, contact FROM departments WHERE code = ?", (code,))
    head, contact = (dept["head"], dept["contact"]) if dept else (None, None)
    first = [next(who for who in (contact, head) if who in people)] if {contact, head} & set(people) else _supervisors(
        people)
    second = [head] if head in people and head not in first else _past(first[0] if first else None,
                                                                        _supervisors(people), people)
    return first, second


def _already_sent(ctx, owed: list[dict]) -> set:
    """Alerts recorded for what is overdue now: the overdue callbacks' in one lookup driven by them (CROSS JOIN
    keeps that order: a backlog may be long, the alerts of years longer), each late ticket's and dispatch's
    through the alerts' unique key."""
    found = {tuple(row) for row in ctx.db.all(
        "SELECT a.kind, a.ref_id, a.level, a.recipient, a.channel, a.round, a.due_at FROM callbacks c"
        " CROSS JOIN alerts a ON a.kind = 'callback' AND a.ref_id = c.id AND a.due_at = c.due_at"
        " WHERE c.status = 'pending' AND c.due_at < ?", (ctx.now_db,))}
    for kind, ref_id in sorted({(a["kind"], a["ref_id"]) for a in owed if a["kind"] != "callback"}):
        found.update(tuple(row) for row in ctx.db.all(
            "SELECT kind, ref_id, level, recipient, channel, round, due_at FROM alerts WHERE kind = ? AND ref_id = ?",
            (kind, ref_id)))
    return found


def _line(ctx, alert: dict) -> str:
    row = alert["row"]
    due = ctx.display(alert["due_at"])[5:16].replace("T", " ")
    minutes = alert["overdue_minutes"]
    late = (_("{minutes} min").format(minutes=minutes) if minutes < 60
            else _("{hours:.1f} h").format(hours=minutes / 60))
    escalated = _(" [escalated]") if alert["level"] == 2 else ""
    if alert["kind"] == "ticket":
        template = (_("ticket #{id} {summary}: first response due {due}, {late} overdue, agent {agent}{escalated}")
                    if alert["deadline"] == "first_response"
                    else _("ticket #{id} {summary}: resolution due {due}, {late} overdue, agent {agent}{escalated}"))
        return template.format(id=row["id"], summary=row["summary"], due=due, late=late, agent=row["agent"] or "-",
                               escalated=escalated)
    if alert["kind"] == "dispatch":
        template = (_("dispatch {id} to {department} (ticket #{ticket} {summary}): not accepted, due {due}, {late}"
                      " overdue{escalated}") if alert["deadline"] == "accept"
                    else _("dispatch {id} to {department} (ticket #{ticket} {summary}): not done, due {due}, {late}"
                           " overdue{escalated}"))
        return template.format(id=row["id"], department=row["department_name"], ticket=row["ticket_id"],
                               summary=row["summary"], due=due, late=late, escalated=escalated)
    return _("#{id} {customer} {phone} {reason} due {due}, {late} overdue, agent {agent}{escalated}").format(
        id=row["id"], customer=row["customer_name"] or "", phone=customers.mask_phone(row["customer_phone"]) or "",
        reason=label(REASONS, row["reason"], language()), due=due, late=late, agent=row["agent"] or "-",
        escalated=escalated)


def _identity(alert: dict, channel: str) -> tuple:
    """What makes an alert the same alert: the alerts table's unique key."""
    return (alert["kind"], alert["ref_id"], alert["level"], alert["recipient"], channel, alert["round"],
            alert["due_at"])


def _open_deliveries(ctx, channels) -> dict:
    """Alert identity -> the key of the message it was last sent in whose outcome is unknown or failed."""
    if not channels:
        return {}
    marks = ",".join("?" * len(channels))
    rows = ctx.db.all(f"SELECT alert_key, channel, recipient, alerts FROM deliveries"
                      f" WHERE state IN ('sending', 'failed') AND channel IN ({marks})", tuple(channels))
    return {(*_kind_and_ref(entry), entry[-3], row["recipient"], row["channel"], entry[-2], entry[-1]): row["alert_key"]
            for row in rows for entry in json.loads(row["alerts"])}


def _kind_and_ref(entry: list) -> tuple:
    """A delivery's alert: [kind, ref_id, level, round, due_at]; recorded before m018, [callback_id, level, round,
    due_at]."""
    return tuple(entry[:2]) if len(entry) == 5 else ("callback", entry[0])


def run(ctx, *, channels: dict, dry_run: bool = False) -> dict:
    """`channels`: name -> cs.notify.Channel, built by the CLI from the configuration."""
    config = ctx.config["alerts"]
    inside_hours = clock.ContactHours([config.get("alert_hours", "08:00-22:00")]).contains(ctx.now, ctx.tz)
    people = _people(ctx)
    result = {"alerts": [], "held": 0, "suppressed": 0, "failed": False, "errors": []}
    again: dict = {}  # alert_key -> the alerts still owed of a message whose outcome is unknown or failed
    digests: dict = {}
    owed = due_alerts(ctx)
    sent = _already_sent(ctx, owed)
    in_flight = _open_deliveries(ctx, list(channels))
    suppressed = set()
    for alert in owed:
        for name in channels:
            identity = _identity(alert, name)
            if identity in sent:
                suppressed.add((alert["kind"], alert["ref_id"], alert["level"]))
                continue
            if not inside_hours:
                result["held"] += 1
                result["alerts"].append(_item(ctx, alert, name, "held"))
                continue
            if identity in in_flight:
                again.setdefault((in_flight[identity], alert["recipient"], name), []).append(alert)
            else:
                digests.setdefault((alert["recipient"], name), []).append(alert)
    result["suppressed"] = len(suppressed)  # (callback, level) pairs skipped as already sent
    # Messages of unknown outcome first, each as it was (under its key), then the new digests.
    messages = [(recipient, name, alerts, key) for (key, recipient, name), alerts in again.items()]
    messages += [(recipient, name, alerts, None) for (recipient, name), alerts in digests.items()]
    for recipient, name, alerts, key in messages:
        person = people.get(recipient, {"handle": recipient})
        outcomes = _send(ctx, channels[name], person, alerts, key, dry_run, result)
        result["alerts"].extend(_item(ctx, alert, name, status, sent_in)
                                for alert, (status, sent_in) in zip(alerts, outcomes))
    if inside_hours and not dry_run:
        # From the snapshot taken before sending: a message this run attempted and that failed stays open.
        _drop_unowed(ctx, set(in_flight.values()) - {key for key, _recipient, _name in again})
    sent = sum(1 for a in result["alerts"] if a["status"] == "sent")
    counts = {"sent": sent, "failed": sum(1 for a in result["alerts"] if a["status"] == "failed"),
              "held": result["held"], "suppressed": result["suppressed"]}
    result["summary"] = Msg("{sent} sent, {failed} failed, {held} held, {suppressed} already sent", **counts)
    if stop_requested():
        result["summary"] = Msg("{sent} sent, {failed} failed, {held} held, {suppressed} already sent, {left} left"
                                " for the next run", left=sum(1 for a in result["alerts"] if a["status"] == "stopped"),
                                **counts)
    return result


def _drop_unowed(ctx, stale_keys: set) -> None:
    """Messages of unknown outcome none of whose alerts is owed any more (done, rescheduled, a later round)."""
    stale = sorted(stale_keys)
    if stale:
        with ctx.db.transaction():
            ctx.db.executemany("UPDATE deliveries SET state = 'dropped', ended_at = ? WHERE alert_key = ?"
                               " AND state IN ('sending', 'failed')", [(ctx.now_db, key) for key in stale])


def alert_key(channel: str, recipient: str, part: list[dict]) -> str:
    """The message's idempotency key: the same alerts to the same person on the same channel give the same key."""
    identities = sorted(_identity(alert, channel) for alert in part)
    return hashlib.sha256(json.dumps([recipient, identities], ensure_ascii=False).encode()).hexdigest()[:32]


def _send(ctx, channel, recipient: dict, alerts: list[dict], key, dry_run: bool, result: dict) -> list[tuple]:
    """Deliver the recipient's digest part by part (`key` given: one message sent again under its key). Each
    message is recorded before it is sent and its outcome right after; a failure half-way leaves the rest for
    the next run, and so does a request to stop. Returns (status, alert_key) for each alert."""
    name = recipient.get("name") or recipient["handle"]
    callbacks_only = all(a["kind"] == "callback" for a in alerts)
    header = (_("Overdue callbacks ({name}, {count})") if callbacks_only
              else _("Overdue work ({name}, {count})")).format(name=name, count=len(alerts))
    escalated = max(a["level"] for a in alerts) == 2
    subject = None if callbacks_only else (_("[cs] Overdue work, escalated ({name})") if escalated
                                           else _("[cs] Overdue work ({name})")).format(name=name)
    if dry_run:
        return [("would_send", None)] * len(alerts)
    outcomes: list[tuple] = []
    for part in [alerts] if key else _parts(ctx, header, alerts, channel.limit):
        if stop_requested():
            outcomes.extend([("stopped", None)] * len(part))
            continue
        part_key = key or alert_key(channel.name, recipient["handle"], part)
        if outcomes and outcomes[-1][0] == "failed":  # the channel is failing: not tried, tried next run
            outcomes.extend([("failed", None)] * len(part))
            continue
        _record_intent(ctx, channel.name, recipient["handle"], part, part_key)
        try:
            text = "\n".join([header] + [_line(ctx, a) for a in part])
            channel.deliver(recipient, max(a["level"] for a in part), text,
                            [_item(ctx, alert, channel.name, "sent", part_key) for alert in part], alert_key=part_key,
                            subject=subject)
        except DeliveryError as exc:
            result["failed"] = True
            result["errors"].append(_("{recipient} via {channel}: {error}").format(recipient=recipient["handle"],
                                                                                   channel=channel.name, error=exc))
            _record_failure(ctx, part_key, str(exc))
            outcomes.extend([("failed", part_key)] * len(part))
            continue
        _record_delivered(ctx, channel.name, part, part_key)
        outcomes.extend([("sent", part_key)] * len(part))
    return outcomes


def _record_intent(ctx, channel: str, recipient: str, part: list[dict], key: str) -> None:
    identities = sorted([a["kind"], a["ref_id"], a["level"], a["round"], a["due_at"]] for a in part)
    with ctx.db.transaction():
        ctx.db.execute(
            "INSERT INTO deliveries (alert_key, channel, recipient, alerts, state, intended_at) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (alert_key) DO UPDATE SET state = 'sending', attempts = attempts + 1, error = NULL",
            (key, channel, recipient, json.dumps(identities, ensure_ascii=False), "sending", ctx.now_db))


def _record_failure(ctx, key: str, error: str) -> None:
    with ctx.db.transaction():
        ctx.db.execute("UPDATE deliveries SET state = 'failed', ended_at = ?, error = ? WHERE alert_key = ?",
                       (ctx.now_db, error[:500], key))


def _record_delivered(ctx, channel: str, part: list[dict], key: str) -> None:
    with ctx.db.transaction():
        ctx.db.execute("UPDATE deliveries SET state = 'sent', ended_at = ?, error = NULL WHERE alert_key = ?",
                       (ctx.now_db, key))
        ctx.db.executemany(
            "INSERT OR IGNORE INTO alerts (kind, ref_id, level, recipient, channel, round, due_at, sent_at, alert_key)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [(a["kind"], a["ref_id"], a["level"], a["recipient"], channel, a["round"], a["due_at"], ctx.now_db, key)
             for a in part],
        )


def _parts(ctx, header: str, alerts: list[dict], limit: int | None) -> list[list[dict]]:
    """Alerts grouped so that each message (header + one line an alert) fits the channel's limit."""
    if limit is None:
        return [alerts]
    parts, current, size = [], [], len(header.encode())
    for alert in alerts:
        line = len(_line(ctx, alert).encode()) + 1
        if current and size + line > limit:
            parts.append(current)
            current, size = [], len(header.encode())
        current.append(alert)
        size += line
    return parts + [current] if current else parts


def _item(ctx, alert: dict, channel: str, status: str, key: str | None = None) -> dict:
    return {"kind": alert["kind"], "ref_id": alert["ref_id"], "deadline": alert["deadline"],
            "callback_id": alert["ref_id"] if alert["kind"] == "callback" else None, "level": alert["level"],
            "recipient": alert["recipient"], "channel": channel, "status": status,
            "due_at": ctx.display(alert["due_at"]),
            "overdue_minutes": alert["overdue_minutes"], "alert_key": key}
