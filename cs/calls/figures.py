"""The hotline's figures (SPEC section 19; seed 002: 热线接通率; seed 004: 在电话铃响3次前接听).

Over the calls that arrived in a window: offered; answered; 接通率 = answered ÷ offered; abandoned = offered −
answered; answered within `[calls] answer_within` (about three rings) and its share of the offered calls; the
average speed of answer (ASA: arrival to answer, over the answered calls) and the average handling time (AHT:
answer to hang-up). Rates carry their numerator and denominator and are null when nothing was offered.

The same figures per agent (the calls the switch put through to the agent's extension; a call abandoned in the
queue reached nobody and counts for the centre only, under no agent) and per shift (the calls that arrived inside
the shift's window; a call in two overlapping shifts counts in each, one outside every shift under none).
Every figure is built from additive sums, so a shift's days and an agent's calls add up exactly.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NamedTuple

from cs.core import clock
from cs.core.errors import CSError
from cs.core.i18n import _
from cs.core.ratio import parts, rate
from cs.store.query import in_clause

# Seconds between two stored times (ISO 8601, UTC): julianday() reads them, Z included.
_WAIT = "(julianday(calls.answered_at) - julianday(calls.started_at)) * 86400.0"
_TALK = "(julianday(calls.ended_at) - julianday(calls.answered_at)) * 86400.0"
# ?1 is the answer_within seconds in every query below.
_SUMS = (f"COUNT(*) AS offered, COUNT(calls.answered_at) AS answered,"
         f" COALESCE(SUM(calls.answered_at IS NOT NULL AND {_WAIT} <= ?1 + 1e-6), 0) AS within,"
         f" COALESCE(SUM(CASE WHEN calls.answered_at IS NOT NULL THEN {_WAIT} END), 0.0) AS wait,"
         f" COALESCE(SUM(CASE WHEN calls.answered_at IS NOT NULL THEN {_TALK} END), 0.0) AS talk")
_WINDOWS_PER_QUERY = 300


class Sums(NamedTuple):
    """What the figures are made of; sums of disjoint sets of calls add up."""
    offered: int = 0
    answered: int = 0
    within: int = 0
    wait: float = 0.0
    talk: float = 0.0

    def __add__(self, other):
        return Sums(*(a + b for a, b in zip(self, other)))

    def __sub__(self, other):
        return Sums(*(a - b for a, b in zip(self, other)))


def answer_within_s(config: dict) -> int:
    """`[calls] answer_within`, e.g. 15s or 1m, in seconds."""
    text = str(config.get("calls", {}).get("answer_within", "15s"))
    match = re.fullmatch(r"(\d{1,4})(s|m)", text)
    if not match:
        raise CSError(_("[calls] answer_within {value!r} is not a time such as 15s or 1m").format(value=text))
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def call_figures(ctx, start: str, end: str, agents: list[str] | None = None) -> dict:
    """The window's figures, with `by_shift` and `by_agent` rows; `agents` narrows every figure to their calls."""
    within = answer_within_s(ctx.config)
    total = _sums_in(ctx, [("all", start, end)], within, agents).get("all", Sums())
    return {**figures(total, within),
            "by_shift": shift_rows(ctx, start, end, within, agents, total),
            "by_agent": agent_rows(ctx, start, end, within, agents)}


def figures(sums: Sums, within: int) -> dict:
    offered, answered = sums.offered, sums.answered
    return {"offered": offered, "answered": answered,
            "answer_rate": rate(answered, offered), "answer_rate_parts": parts(answered, offered),
            "abandoned": offered - answered, "answer_within_s": within, "answered_within": sums.within,
            "answered_within_rate": rate(sums.within, offered),
            "answered_within_rate_parts": parts(sums.within, offered),
            "asa_s": round(sums.wait / answered, 1) if answered else None,
            "aht_s": round(sums.talk / answered, 1) if answered else None}


def agent_rows(ctx, start: str, end: str, within: int, agents: list[str] | None) -> list[dict]:
    """A row per agent whose extension took calls in the window (by handle), then the calls that reached nobody."""
    only, params = in_clause("calls.agent", agents)
    found = {row["agent"]: Sums(*tuple(row)[1:]) for row in ctx.db.all(
        f"SELECT calls.agent AS agent, {_SUMS} FROM calls WHERE calls.started_at >= ?2 AND calls.started_at < ?3"
        f"{only} GROUP BY calls.agent", (within, start, end, *params))}
    handles = [handle for handle in found if handle is not None]
    names = dict(ctx.db.all(f"SELECT handle, name FROM agents WHERE handle IN ({', '.join('?' * len(handles))})",
                            handles)) if handles else {}
    ordered = sorted(found, key=lambda handle: (handle is None, handle or ""))
    return [{"agent": handle, "name": names.get(handle), **figures(found[handle], within)} for handle in ordered]


def shift_rows(ctx, start: str, end: str, within: int, agents: list[str] | None, total: Sums) -> list[dict]:
    """A row per configured shift: the calls inside its windows that meet [start, end); then those in none."""
    from cs.desk import shifts

    first = clock.local_date(clock.from_db(start), ctx.tz) - timedelta(days=1)  # a night shift begun the day before
    last = clock.local_date(clock.from_db(end), ctx.tz)
    windows = []
    day = first
    while day <= last:
        for shift in ctx.config["shift"]:
            window = shifts.window(ctx, shift, day)
            low, high = max(clock.to_db(window.start), start), min(clock.to_db(window.end), end)
            if low < high:
                windows.append((shift["code"], low, high))
        day += timedelta(days=1)
    found = _sums_in(ctx, windows, within, agents)
    rows = [{"shift": shift["code"], "label": shift["label"], **figures(found.get(shift["code"], Sums()), within)}
            for shift in ctx.config["shift"]]
    outside = total - _sums_in(ctx, [("any", low, high) for low, high in _merged(windows)], within,
                               agents).get("any", Sums())
    if outside.offered:
        rows.append({"shift": None, "label": None, **figures(outside, within)})
    return rows


def _merged(windows: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The windows' union as disjoint [low, high) spans (times compare as text: one stored format)."""
    spans: list[list[str]] = []
    for _code, low, high in sorted(windows, key=lambda w: w[1]):
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    return [(low, high) for low, high in spans]


def _sums_in(ctx, windows: list[tuple[str, str, str]], within: int, agents: list[str] | None) -> dict:
    """key -> Sums of the calls that arrived in the windows (key, start, end) of that key."""
    only, params = in_clause("calls.agent", agents)
    found: dict = {}
    for chunk in range(0, len(windows), _WINDOWS_PER_QUERY):
        part = windows[chunk:chunk + _WINDOWS_PER_QUERY]
        values = ", ".join("(?, ?, ?)" for _window in part)
        # ?1 (answer_within) comes first in the text: the plain ? after it take the numbers 2, 3, … in order.
        for row in ctx.db.all(
                f"SELECT windows.column1 AS key, {_SUMS} FROM (VALUES {values}) AS windows JOIN calls"
                f" ON calls.started_at >= windows.column2 AND calls.started_at < windows.column3{only}"
                f" GROUP BY windows.column1",
                (within, *(value for window in part for value in window), *params)):
            found[row["key"]] = found.get(row["key"], Sums()) + Sums(*tuple(row)[1:])
    return found


