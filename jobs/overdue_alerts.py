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
    """Every (callback, level, recipient) an alert is owed for now, with its repeat round."""
    config = ctx.config["alerts"]
    escalate_s = clock.parse_duration(config.get("escalate_after", "2h")).seconds()
    repeat_s = clock.parse_duration(config["repeat_every"]).seconds() if config.get("repeat_every") else None
    people = _people(ctx)
    escalation_recipients = _escalation_lookup(people)
    owed = []
    rows = ctx.db.all("SELECT * FROM callbacks WHERE status = 'pending' AND due_at < ? ORDER BY due_at, id",
                      (ctx.now_db,))
    for row in rows:
        overdue_s = (ctx.now - clock.from_db(row["due_at"])).total_seconds()
        owner = people.get(row["agent"])
        team = owner["team"] if owner else None
        levels = [(1, [row["agent"]] if owner else escalation_recipients(team), overdue_s)]
        if overdue_s >= escalate_s:
            levels.append((2, _past(row["agent"], escalation_recipients(team), people), overdue_s - escalate_s))
        for level, recipients, age_s in levels:
            round_number = int(age_s // repeat_s) if repeat_s else 0
            for recipient in recipients:
                owed.append({"row": row, "level": level, "recipient": recipient, "round": round_number,
                             "overdue_minutes": int(overdue_s // 60)})
    return owed


def _already_sent(ctx) -> set:
    """Alerts recorded for the callbacks overdue now, in one lookup (a backlog may be long)."""
    rows = ctx.db.all(
        "SELECT a.callback_id, a.level, a.recipient, a.channel, a.round, a.due_at FROM alerts a"
        " JOIN callbacks c ON c.id = a.callback_id AND c.due_at = a.due_at"
        " WHERE c.status = 'pending' AND c.due_at < ?", (ctx.now_db,))
    return {tuple(row) for row in rows}


def _line(ctx, alert: dict) -> str:
    row = alert["row"]
    due = ctx.display(row["due_at"])[5:16].replace("T", " ")
    minutes = alert["overdue_minutes"]
    late = (_("{minutes} min").format(minutes=minutes) if minutes < 60
            else _("{hours:.1f} h").format(hours=minutes / 60))
    escalated = _(" [escalated]") if alert["level"] == 2 else ""
    return _("#{id} {customer} {phone} {reason} due {due}, {late} overdue, agent {agent}{escalated}").format(
        id=row["id"], customer=row["customer_name"] or "", phone=customers.mask_phone(row["customer_phone"]) or "",
        reason=label(REASONS, row["reason"], language()), due=due, late=late, agent=row["agent"] or "-",
        escalated=escalated)


def _identity(alert: dict, channel: str) -> tuple:
    """What makes an alert the same alert: the alerts table's unique key."""
    return (alert["row"]["id"], alert["level"], alert["recipient"], channel, alert["round"], alert["row"]["due_at"])


def _open_deliveries(ctx, channels) -> dict:
    """Alert identity -> the key of the message it was last sent in whose outcome is unknown or failed."""
    if not channels:
        return {}
    marks = ",".join("?" * len(channels))
    rows = ctx.db.all(f"SELECT alert_key, channel, recipient, alerts FROM deliveries"
                      f" WHERE state IN ('sending', 'failed') AND channel IN ({marks})", tuple(channels))
    return {(callback_id, level, row["recipient"], row["channel"], round_number, due_at): row["alert_key"]
            for row in rows for callback_id, level, round_number, due_at in json.loads(row["alerts"])}


def run(ctx, *, channels: dict, dry_run: bool = False) -> dict:
    """`channels`: name -> cs.notify.Channel, built by the CLI from the configuration."""
    config = ctx.config["alerts"]
    inside_hours = clock.ContactHours([config.get("alert_hours", "08:00-22:00")]).contains(ctx.now, ctx.tz)
    people = _people(ctx)
    result = {"alerts": [], "held": 0, "suppressed": 0, "failed": False, "errors": []}
    again: dict = {}  # alert_key -> the alerts still owed of a message whose outcome is unknown or failed
    digests: dict = {}
    sent = _already_sent(ctx)
    in_flight = _open_deliveries(ctx, list(channels))
    suppressed = set()
    for alert in due_alerts(ctx):
        for name in channels:
            identity = _identity(alert, name)
            if identity in sent:
                suppressed.add((alert["row"]["id"], alert["level"]))
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
    header = _("Overdue callbacks ({name}, {count})").format(name=recipient.get("name") or recipient["handle"],
                                                            count=len(alerts))
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
                            [_item(ctx, alert, channel.name, "sent", part_key) for alert in part], alert_key=part_key)
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
    identities = sorted([a["row"]["id"], a["level"], a["round"], a["row"]["due_at"]] for a in part)
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
            "INSERT OR IGNORE INTO alerts (callback_id, level, recipient, channel, round, due_at, sent_at, alert_key)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(a["row"]["id"], a["level"], a["recipient"], channel, a["round"], a["row"]["due_at"], ctx.now_db, key)
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
    return {"callback_id": alert["row"]["id"], "level": alert["level"], "recipient": alert["recipient"],
            "channel": channel, "status": status, "due_at": ctx.display(alert["row"]["due_at"]),
            "overdue_minutes": alert["overdue_minutes"], "alert_key": key}
