"""Erlang C: how many agents answer a given load within a given time (SPEC section 19).

Traffic A (Erlangs) is calls × average handling time over the period. With N agents (N > A), a call waits with
probability C(N, A) (Erlang C), and the share answered within T seconds is 1 − C · e^(−(N − A)·T / AHT). C comes
from Erlang B by the stable recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)), C = N·B / (N − A·(1 − B)), so no
factorial or power overflows at a thousand agents.
"""

from __future__ import annotations

import math


def traffic(calls: float, aht_s: float, period_s: float = 3600) -> float:
    """The load in Erlangs: how many agents would be busy all the time."""
    return calls * aht_s / period_s


def erlang_c(agents: int, load: float) -> float:
    """The probability that a call waits (1 when the agents cannot keep up)."""
    if agents <= load:
        return 1.0
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, aht_s: float, within_s: float) -> float:
    """The share of calls answered within `within_s` seconds."""
    if agents <= load:
        return 0.0
    return 1 - erlang_c(agents, load) * math.exp(-(agents - load) * within_s / aht_s)


def agents_needed(load: float, aht_s: float, within_s: float, target: float, max_occupancy: float = 1.0) -> int:
    """The fewest agents answering `target` of the calls within `within_s`, none busier than `max_occupancy`."""
    if load <= 0:
        return 0
    agents = max(1, math.floor(load) + 1)
    while service_level(agents, load, aht_s, within_s) < target:
        agents += 1
    return max(agents, math.ceil(load / max_occupancy - 1e-9))


def required(load: float, aht_s: float, within_s: float, target: float, max_occupancy: float, shrinkage: float) -> int:
    """Agents to roster: those needed on the phones, grossed up for the time they are away (shrinkage)."""
    return math.ceil(agents_needed(load, aht_s, within_s, target, max_occupancy) / (1 - shrinkage) - 1e-9)
