"""Which listings each alert is owed: listings the alert rule allows (Listing.objects.alertable)
of its card, in its condition, at or under its target price per card, priced at that price since
the alert was confirmed (new, or repriced down to it), and never announced to it before."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Max, Q, QuerySet

from listings.models import Listing
from metrics.models import AlertDelivery, PriceAlert, Scope
from metrics.ranking import USED_KINDS

# The listing fields an alert email shows.
SHOWN_FIELDS = (
    "id",
    "gpu_id",
    "title",
    "unit_price",
    "currency",
    "condition",
    "condition_kind",
    "quantity",
)


# The listing conditions of each alert condition but "any": used includes refurbished, as the
# going rates count it.
CONDITION_KINDS = {Scope.NEW: ("new",), Scope.USED: USED_KINDS}


def condition_filter(condition: str) -> Q:
    """The listings of an alert's condition: any, new, or used."""
    kinds = CONDITION_KINDS.get(condition)
    return Q(condition_kind__in=kinds) if kinds else Q()


def at_target(alert: PriceAlert) -> QuerySet[Listing]:
    """The card's listings the alert rule allows at or under the alert's target, today."""
    return Listing.objects.alertable().filter(
        condition_filter(alert.condition), gpu_id=alert.gpu_id, unit_price__lte=alert.target_price
    )


@dataclass(frozen=True)
class Owed:
    """A listing an alert is owed, with when its current price was first seen."""

    listing: Listing
    priced_at: datetime

    @property
    def unit_price(self) -> Decimal:
        return self.listing.unit_price


def owed_listings(alerts: Sequence[PriceAlert]) -> dict[int, list[Owed]]:
    """By alert id, cheapest first: the listings each (confirmed) alert is owed (two queries,
    however many alerts)."""
    if not alerts:
        return {}
    cards = {alert.gpu_id for alert in alerts}
    since = min(alert.confirmed_at for alert in alerts)
    ceiling = max(alert.target_price for alert in alerts)
    candidates = (
        Listing.objects.alertable()
        .filter(gpu_id__in=sorted(cards), unit_price__lte=ceiling)
        .annotate(priced_at=Max("price_history__observed_at"))
        .filter(priced_at__gte=since)
        .order_by("unit_price", "id")
        .only(*SHOWN_FIELDS)
    )
    by_card: dict[int, list[Listing]] = defaultdict(list)
    for listing in candidates:
        by_card[listing.gpu_id].append(listing)
    announced = set(
        AlertDelivery.objects.filter(alert__in=[a.pk for a in alerts]).values_list(
            "alert_id", "listing_id"
        )
    )
    owed: dict[int, list[Owed]] = {}
    for alert in alerts:
        wanted = CONDITION_KINDS.get(alert.condition)
        found = [
            Owed(listing=listing, priced_at=listing.priced_at)
            for listing in by_card.get(alert.gpu_id, ())
            if listing.unit_price <= alert.target_price
            and listing.priced_at >= alert.confirmed_at
            and (wanted is None or listing.condition_kind in wanted)
            and (alert.pk, listing.pk) not in announced
        ]
        if found:
            owed[alert.pk] = found
    return owed
