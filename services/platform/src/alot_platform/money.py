"""Money at the edges: integers in minor units inside, two-decimal strings for display.

USD amounts are cents; credits are whole credits (1 credit = $0.01 of platform value,
100 credits = 1 ticket). Nothing here uses floats.
"""

from __future__ import annotations

CREDITS_PER_TICKET = 100


def format_cents(cents: int) -> str:
    """12345 -> "123.45"; -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def percent_of(amount: int, percent: int) -> int:
    """``percent``% of ``amount``, rounded down (never pays out a fraction)."""
    return amount * percent // 100
