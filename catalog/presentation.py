"""How figures read on every page: the formatting rules each app's template filters share."""

import math

MISSING = "—"
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def finite(value) -> float | None:
    """The value as a float, or None for blank, junk, NaN and infinity."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def symbol(currency: str | None) -> str:
    return SYMBOLS.get(currency or "USD", f"{currency} ")


def sig(value, digits: int = 4) -> str:
    """A positive number to `digits` significant figures with thousands separators (2.576)."""
    number = finite(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    decimals = max(0, int(digits) - 1 - math.floor(math.log10(abs(number))))
    return f"{number:,.{decimals}f}"


def per_unit(value, currency: str | None = "USD") -> str:
    """Dollars per unit of a spec: cents from $1 up ($12.34), three figures below ($0.177)."""
    number = finite(value)
    if number is None:
        return MISSING
    if abs(number) >= 1:
        return f"{symbol(currency)}{number:,.2f}"
    return f"{symbol(currency)}{sig(number, 3)}"
