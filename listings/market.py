"""The going rate shop pages compare listings with, read through a seam that metrics fills in.

The going rate is the headline price metrics stores (one rule, in metrics.ranking), but listings
may not import metrics: data flows catalog -> listings -> metrics. So metrics registers a reader
here at start-up (MetricsConfig.ready), the way it already listens to listings_changed. Without a
reader, shop pages simply show no going rate and no deal score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from listings.models import ConditionKind


@dataclass(frozen=True)
class GoingRates:
    """A card's headline prices: in any condition, new, and used (used or refurbished)."""

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


NO_RATES = GoingRates()
_readers: list[Callable[[int], GoingRates]] = []


def register_going_rate_reader(reader: Callable[[int], GoingRates]) -> None:
    """Install the function that reads a card's stored going rates (metrics does, once)."""
    _readers[:] = [reader]


def going_rates(*, gpu_id: int) -> GoingRates:
    """The card's going rates from the registered reader; none when nothing is registered."""
    return _readers[0](gpu_id) if _readers else NO_RATES


def deal_percent(*, unit_price: Decimal, going_rate: Decimal) -> int:
    """How far a price is from the going rate, in whole percent: -18 is 18% below it."""
    return round((unit_price - going_rate) / going_rate * 100)


def deal_text(*, percent: int, rate_name: str) -> str:
    """ "18% below the used going rate", "at the going rate", "5% above the new going rate"."""
    if percent == 0:
        return f"At the {rate_name}"
    side = "below" if percent < 0 else "above"
    return f"{abs(percent)}% {side} the {rate_name}"
