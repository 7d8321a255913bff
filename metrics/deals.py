"""New deals: recent listings priced well under the going rate for their condition, for feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Gpu
from listings.market import deal_percent, deal_text
from listings.models import ConditionKind, Listing
from metrics.models import Scope

NEW_FOR = timedelta(days=14)
# A deal is at least this far under the going rate: closer is ordinary price spread.
DEAL_PERCENT = -5
MAX_DEALS = 50


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


USED_KINDS = (ConditionKind.USED, ConditionKind.REFURBISHED)
# A listing and the price row of its card in its own condition's scope: new, used (used or
# refurbished), or any condition for the rest. One condition, so a listing joins one row.
OWN_SCOPE = (
    Q(gpu__card_prices__scope=Scope.NEW, condition_kind=ConditionKind.NEW)
    | Q(gpu__card_prices__scope=Scope.USED, condition_kind__in=USED_KINDS)
    | (
        Q(gpu__card_prices__scope=Scope.ALL)
        & ~Q(condition_kind__in=[ConditionKind.NEW, *USED_KINDS])
    )
)
RATE_NAMES = {
    ConditionKind.NEW: "new going rate",
    ConditionKind.USED: "used going rate",
    ConditionKind.REFURBISHED: "used going rate",
}
# Only a listing under this share of its going rate can round to DEAL_PERCENT or below: the
# database keeps those, deal_percent (the one rule) decides.
UNDER = Decimal("0.96")


def new_deals(*, gpu: Gpu | None = None, now: datetime | None = None) -> list[Deal]:
    """Listings first seen in the last two weeks at least 5% under their condition's going rate,
    newest first (one query)."""
    now = now or timezone.now()
    listings = Listing.objects.priced_for_headline().filter(
        first_seen_at__gte=now - NEW_FOR, currency=settings.EBAY_CURRENCY
    )
    if gpu is not None:
        listings = listings.filter(gpu=gpu)
    # From each card's price rows to its listings under 96% of the rate, by the index of
    # visible listings by card and price: only near-deals are read.
    rows = (
        listings.filter(OWN_SCOPE, unit_price__lt=F("gpu__card_prices__headline_price") * UNDER)
        .order_by("-first_seen_at", "-id")
        .values(
            "id",
            "gpu__slug",
            "gpu__label",
            "condition_kind",
            "unit_price",
            "currency",
            "first_seen_at",
            going_rate=F("gpu__card_prices__headline_price"),
        )
    )
    labels = dict(ConditionKind.choices)
    deals = []
    for row in rows.iterator(chunk_size=MAX_DEALS * 2):
        rate, kind = row["going_rate"], row["condition_kind"]
        percent = deal_percent(unit_price=row["unit_price"], going_rate=rate)
        if percent > DEAL_PERCENT:
            continue
        deals.append(
            Deal(
                listing_id=row["id"],
                gpu_slug=row["gpu__slug"],
                gpu_label=row["gpu__label"],
                condition=labels.get(kind, kind),
                unit_price=row["unit_price"],
                currency=row["currency"],
                going_rate=rate,
                percent=percent,
                text=deal_text(percent=percent, rate_name=RATE_NAMES.get(kind, "going rate")),
                first_seen_at=row["first_seen_at"],
            )
        )
        if len(deals) >= MAX_DEALS:
            break
    return deals
