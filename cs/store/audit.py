"""The audit trail: who changed what, when, and the record before and after."""

from __future__ import annotations

import json

from cs.store.query import Filters, listing

SORTABLE = ("id", "at", "actor", "action", "entity", "entity_id")


def query(ctx, *, entity=None, entity_id=None, actor=None, action=None, since=None, until=None, limit=None,
          sort="-id") -> list[dict]:
    """Audit rows matching every filter given; `action` is a prefix ('ticket' finds ticket.add, ticket.resolve…)."""
    from cs.core.clock import to_db

    filters = Filters()
    if entity is not None:
        filters.add("entity = :entity", entity=str(entity))
    if entity_id is not None:
        filters.add("entity_id = :entity_id", entity_id=str(entity_id))
    if actor is not None:
        filters.add("actor = :actor", actor=str(actor))
    if action:
        # substr, not LIKE: an action prefix may hold '_' or '%' literally.
        filters.add("substr(action, 1, :action_len) = :action", action_len=len(action), action=action)
    if since is not None:
        filters.add("at >= :since", since=to_db(since))
    if until is not None:
        filters.add("at < :until", until=to_db(until))
    sql, params = listing("SELECT * FROM audit", filters, sort, SORTABLE, limit=limit)
    return [to_json(ctx, row) for row in ctx.db.all(sql, params)]


def to_json(ctx, row) -> dict:
    return {
        "id": row["id"],
        "at": ctx.display(row["at"]),
        "actor": row["actor"],
        "action": row["action"],
        "entity": row["entity"],
        "entity_id": row["entity_id"],
        "before": _parsed(row["before"]),
        "after": _parsed(row["after"]),
        "os_user": row["os_user"],
        "recorded_at": ctx.display(row["recorded_at"]),
        "backdated": bool(row["backdated"]),
    }


def _parsed(text):
    return None if text is None else json.loads(text)


def change_summary(record: dict, width: int = 60) -> str:
    """'status: open → resolved; agent: → a01' for a table column: the keys whose values differ."""
    before, after = record["before"], record["after"]
    if not isinstance(after, dict):
        return ""
    if not isinstance(before, dict):
        shown = ", ".join(f"{key}={_short(value)}" for key, value in after.items() if value not in (None, "", [], 0))
        return shown[:width]
    parts = [f"{key}: {_short(before.get(key))} → {_short(value)}" for key, value in after.items()
             if before.get(key) != value]
    return "; ".join(parts)[:width]


def _short(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 20 else text[:19] + "…"
