"""Money as the platform keeps it: integers in minor units, formatted only for display.

Cash amounts are in the currency's minor unit (US cents for USD); credits are whole
credits, each worth one US cent of platform value, and a ticket costs
`CREDITS_PER_TICKET` of them. Nothing here uses floats: parse a typed-in amount with
`to_minor_units`, show an amount with `format_money`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = [
    "CREDITS_PER_TICKET",
    "credits_value_cents",
    "format_credits",
    "format_minor_units",
    "format_money",
    "to_minor_units",
]

CREDITS_PER_TICKET = 100

_EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def _exponent(currency: str) -> int:
    try:
        return _EXPONENTS[currency.upper()]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def format_minor_units(amount: int, currency: str = "USD") -> str:
    """1234 -> "12.34"; -5 -> "-0.05"; 1234 JPY -> "1234". No symbol, no grouping."""
    _require_int(amount)
    exponent = _exponent(currency)
    sign = "-" if amount < 0 else ""
    if exponent == 0:
        return f"{sign}{abs(amount)}"
    whole, fraction = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}"


def format_money(amount: int, currency: str = "USD") -> str:
    """123456 -> "$1,234.56"; -5 -> "-$0.05"; other currencies: "1,234.56 CHF"."""
    _require_int(amount)
    exponent = _exponent(currency)
    whole, fraction = divmod(abs(amount), 10**exponent)
    number = f"{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency.upper()}"


def to_minor_units(amount: str | Decimal, currency: str = "USD") -> int:
    """ "12.34" -> 1234. Refuses amounts finer than the currency's minor unit."""
    exponent = _exponent(currency)
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is finer than the currency's minor unit")
    return int(scaled)


def format_credits(credits: int) -> str:
    """1250 -> "1,250 credits"; 1 -> "1 credit"."""
    _require_int(credits)
    return f"{credits:,} credit{'' if abs(credits) == 1 else 's'}"


def credits_value_cents(credits: int) -> int:
    """The platform value of `credits` in US cents (one credit is one cent)."""
    _require_int(credits)
    return credits


def _require_int(amount: object) -> None:
    # bool is an int subclass, and a float here would be a money bug upstream.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amounts are integers in minor units, not {type(amount).__name__}")
