"""The monthly score (月度考核): the base less the points of the month's entries that stand, ranked."""

from __future__ import annotations

from cs.desk import agents as agents_mod
from cs.scoring.units import month_days, number


def scores(ctx, month: str) -> list[dict]:
    """A row for every active person: base − points of the month's non-voided entries. Agents and leaders are
    ranked together; supervisors, who judge the others, are listed after them unranked (rank null)."""
    from cs.scoring import closing

    first, after = month_days(month)
    base = ctx.config["scoring"]["base"]
    closed = closing.is_closed(ctx, first.strftime("%Y-%m"))
    totals = {row["agent"]: row for row in ctx.db.all(
        "SELECT agent, SUM(points) AS points, SUM(fine) AS fines, GROUP_CONCAT(action, ';') AS actions"
        " FROM deductions WHERE date >= ? AND date < ? AND voided = 0 GROUP BY agent",
        (first.isoformat(), after.isoformat()))}
    rows = []
    for agent in agents_mod.list_agents(ctx.db, sort="handle"):
        total = totals.get(agent["handle"])
        points = number(total["points"]) if total else 0
        actions = sorted(set(filter(None, (total["actions"] or "").split(";")))) if total else []
        rows.append({"agent": agent["handle"], "name": agent["name"], "team": agent["team"], "role": agent["role"],
                     "base": base, "points": points, "fines": number(total["fines"]) if total else 0,
                     "actions": actions, "score": number(base - points), "closed": closed})
    ranked = sorted((row for row in rows if row["role"] != "supervisor"), key=lambda row: (-row["score"], row["agent"]))
    for position, row in enumerate(ranked):
        # Competition ranking: equal scores share a rank, the next rank skips (1, 2, 2, 4).
        row["rank"] = ranked[position - 1]["rank"] if position and row["score"] == ranked[position - 1]["score"] else position + 1
    apart = sorted((row for row in rows if row["role"] == "supervisor"), key=lambda row: row["agent"])
    for row in apart:
        row["rank"] = None
    return ranked + apart
