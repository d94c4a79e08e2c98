"""The hotline's figures (SPEC section 19; seed 002: 热线接通率; seed 004: 在电话铃响3次前接听).

Over the calls that arrived in a window: offered; answered; 接通率 = answered ÷ offered; abandoned = offered −
answered; answered within `[calls] answer_within` (about three rings) and its share of the offered calls; the
average speed of answer (ASA: arrival to answer, over the answered calls) and the average handling time (AHT:
answer to hang-up). Rates carry their numerator and denominator and are null when nothing was offered.
"""

from __future__ import annotations

import re

from cs.core.errors import CSError
from cs.core.i18n import _


def answer_within_s(config: dict) -> int:
    """`[calls] answer_within`, e.g. 15s or 1m, in seconds."""
    text = str(config.get("calls", {}).get("answer_within", "15s"))
    match = re.fullmatch(r"(\d{1,4})(s|m)", text)
    if not match:
        raise CSError(_("[calls] answer_within {value!r} is not a time such as 15s or 1m").format(value=text))
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def call_figures(ctx, start: str, end: str, agent: str | None = None) -> dict:
    within = answer_within_s(ctx.config)
    # Seconds between two stored times (ISO 8601, UTC): julianday() reads them, Z included.
    wait = "(julianday(answered_at) - julianday(started_at)) * 86400.0"
    talk = "(julianday(ended_at) - julianday(answered_at)) * 86400.0"
    row = ctx.db.one(
        f"SELECT COUNT(*) AS offered, COUNT(answered_at) AS answered,"
        f" COALESCE(SUM(answered_at IS NOT NULL AND {wait} <= :within + 1e-6), 0) AS within,"
        f" AVG(CASE WHEN answered_at IS NOT NULL THEN {wait} END) AS asa,"
        f" AVG(CASE WHEN answered_at IS NOT NULL THEN {talk} END) AS aht"
        f" FROM calls WHERE started_at >= :start AND started_at < :end"
        + (" AND agent = :agent" if agent else ""),
        {"start": start, "end": end, "within": within, "agent": agent})
    offered, answered, answered_within = row["offered"], row["answered"], row["within"]
    return {"offered": offered, "answered": answered,
            "answer_rate": _rate(answered, offered), "answer_rate_parts": _parts(answered, offered),
            "abandoned": offered - answered, "answer_within_s": within, "answered_within": answered_within,
            "answered_within_rate": _rate(answered_within, offered),
            "answered_within_rate_parts": _parts(answered_within, offered),
            "asa_s": None if row["asa"] is None else round(row["asa"], 1),
            "aht_s": None if row["aht"] is None else round(row["aht"], 1)}


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _parts(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator}
