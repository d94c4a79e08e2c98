"""A rate as every JSON document gives it (SPEC section 9): a fraction rounded to four places, null when nothing
was counted, beside its numerator and denominator (`*_rate_parts`)."""

from __future__ import annotations


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def parts(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator}


def percent(value: float | None) -> str:
    """A rate as people read it: 0.625 -> 62.5%, None -> —."""
    return "—" if value is None else f"{value * 100:.1f}%"
