"""The going rate a listing is compared with, and how far a price is from it.

The going rate is the headline price metrics stores (one rule, in metrics.ranking); metrics reads
it (metrics.going_rate) and hands it to the listings code that sorts and labels listings by it,
so nothing here asks a layer above for data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from listings.models import ConditionKind


@dataclass(frozen=True)
class GoingRates:
    """A card's going rates (headline prices): in any condition, new, and used (used or
    refurbished), each with the number of listings it is made of (fixed price, unflagged)."""

    any: Decimal | None = None
    new: Decimal | None = None
    used: Decimal | None = None
    any_count: int = 0
    new_count: int = 0
    used_count: int = 0

    def for_condition(self, kind: str) -> tuple[Decimal | None, str]:
        """The going rate a listing in this condition is compared with, and its name."""
        if kind == ConditionKind.NEW:
            return self.new, "new going rate"
        if kind in (ConditionKind.USED, ConditionKind.REFURBISHED):
            return self.used, "used going rate"
        return self.any, "going rate"

    @property
    def known(self) -> bool:
        return any(rate is not None for rate in (self.any, self.new, self.used))


def deal_percent(*, unit_price: Decimal, going_rate: Decimal) -> int:
    """How far a price is from the going rate, in whole percent: -18 is 18% below it."""
    return round((unit_price - going_rate) / going_rate * 100)


def deal_text(*, percent: int, rate_name: str) -> str:
    """ "18% below the used going rate", "at the going rate", "5% above the new going rate"."""
    if percent == 0:
        return f"At the {rate_name}"
    side = "below" if percent < 0 else "above"
    return f"{abs(percent)}% {side} the {rate_name}"
