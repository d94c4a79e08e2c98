"""The demo centres' hotline: call records as `cs calls import` stores them (SPEC section 19), for the tour and
the bulk generator alike."""

from __future__ import annotations

# The hotline answers more than it logs (most inquiries end in the call); most calls are answered, most of those
# within three rings (seed 004: 在电话铃响3次前接听).
CALLS_PER_TICKET = 1.5
ANSWERED_SHARE = 0.93
CALL_COLUMNS = ("uniqueid", "caller", "extension", "agent", "started_at", "answered_at", "ended_at", "imported_at")


def day_calls(rng, arrivals: list[int], on_duty, extension_of: dict, stamp, now: int) -> list[tuple]:
    """A call record for each arrival (epoch seconds) that has ended by `now`: answered by one of `on_duty(t)`
    after a short wait and a talk of a few minutes, or given up in the queue, reaching nobody."""
    rows = []
    imported_at = stamp(now)
    for n, t in enumerate(arrivals):
        caller = f"1{'3578'[int(rng.random() * 4)]}{int(rng.random() * 1e9):09d}"
        if rng.random() < ANSWERED_SHARE:
            wait = 2 + min(118, int(rng.expovariate(1 / 7)))
            talk = 30 + min(3600, int(rng.expovariate(1 / 150)))
            if t + wait + talk > now:
                continue
            people = on_duty(t)
            agent = people[int(rng.random() * len(people))]
            rows.append((f"{t}.{n}", caller, extension_of.get(agent), agent, stamp(t), stamp(t + wait),
                         stamp(t + wait + talk), imported_at))
        else:
            gave_up = 5 + min(300, int(rng.expovariate(1 / 25)))
            if t + gave_up <= now:
                rows.append((f"{t}.{n}", caller, None, None, stamp(t), None, stamp(t + gave_up), imported_at))
    return rows
