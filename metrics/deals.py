"""New deals: recent listings priced well under the going rate for their condition, for feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from catalog.models import Gpu
from listings.market import deal_percent, deal_text
from listings.models import ConditionKind, Listing
from metrics.models import CardPrice, Scope

NEW_FOR = timedelta(days=14)
# A deal is at least this far under the going rate: closer is ordinary price spread.
DEAL_PERCENT = -5
MAX_DEALS = 50
CANDIDATES = 1000


@dataclass(frozen=True)
class Deal:
    """What a feed entry says: our figures about one listing, no eBay content beyond the page's."""

    listing_id: int
    gpu_slug: str
    gpu_label: str
    condition: str
    unit_price: Decimal
    currency: str
    going_rate: Decimal
    percent: int
    text: str
    first_seen_at: datetime


def _scope(kind: str) -> str:
    if kind == ConditionKind.NEW:
        return Scope.NEW
    if kind in (ConditionKind.USED, ConditionKind.REFURBISHED):
        return Scope.USED
    return Scope.ALL


def new_deals(*, gpu: Gpu | None = None, now: datetime | None = None) -> list[Deal]:
    """Listings first seen in the last two weeks at least 5% under their condition's going rate,
    newest first (two queries)."""
    now = now or timezone.now()
    listings = Listing.objects.priced_for_headline().filter(
        first_seen_at__gte=now - NEW_FOR, currency=settings.EBAY_CURRENCY
    )
    rates = CardPrice.objects.all()
    if gpu is not None:
        listings, rates = listings.filter(gpu=gpu), rates.filter(gpu=gpu)
    rows = listings.order_by("-first_seen_at", "-id").values_list(
        "id",
        "gpu__slug",
        "gpu__label",
        "condition_kind",
        "unit_price",
        "currency",
        "first_seen_at",
        "gpu_id",
    )[:CANDIDATES]
    going = {
        (gpu_id, scope): price
        for gpu_id, scope, price in rates.values_list("gpu_id", "scope", "headline_price")
    }
    labels = dict(ConditionKind.choices)
    deals = []
    for pk, slug, label, kind, price, currency, seen, gpu_id in rows:
        scope = _scope(kind)
        rate = going.get((gpu_id, scope))
        if rate is None:
            continue
        percent = deal_percent(unit_price=price, going_rate=rate)
        if percent > DEAL_PERCENT:
            continue
        name = {Scope.NEW: "new going rate", Scope.USED: "used going rate"}.get(scope, "going rate")
        deals.append(
            Deal(
                listing_id=pk,
                gpu_slug=slug,
                gpu_label=label,
                condition=labels.get(kind, kind),
                unit_price=price,
                currency=currency,
                going_rate=rate,
                percent=percent,
                text=deal_text(percent=percent, rate_name=name),
                first_seen_at=seen,
            )
        )
        if len(deals) >= MAX_DEALS:
            break
    return deals
