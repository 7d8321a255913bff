"""A plausible past year of prices for the demo listings, so a fresh install shows price charts.

Kept apart from listings/demo.py (which makes today's listings): this only backdates price
observations of the demo listings already stored, then says so with listings_changed, whose
`history_since` asks metrics to rebuild the daily headline prices from them.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Gpu
from listings.models import Listing, PriceHistory
from listings.signals import listings_changed

# Share of its price a card keeps over a year on the second-hand market: datacenter cards fall
# fastest (as listings/demo.py ages today's prices from MSRP).
YEARLY_KEEP = {Category.DATACENTER: 0.82, Category.WORKSTATION: 0.86, Category.GAMING: 0.9}
STEP_DAYS = 7  # a weekly observation: enough for a year's chart, few rows
CENT = Decimal("0.01")


def demo_price_path(
    *, price: Decimal, days_ago: int, category: str, rng: random.Random, phase: float
) -> Decimal:
    """The listing's price `days_ago` days before today's: higher in the past as cards depreciate,
    with a slow market swing and a little noise."""
    yearly = YEARLY_KEEP.get(category, 0.86)
    aged = (1 / yearly) ** (days_ago / 365)
    swing = 1 + 0.05 * math.sin(2 * math.pi * days_ago / 120 + phase)
    noise = 1 + rng.uniform(-0.02, 0.02)
    return (price * Decimal(str(aged * swing * noise))).quantize(CENT)


def seed_demo_history(*, gpus: list[Gpu], now: datetime | None = None, days: int = 365) -> int:
    """Replace the demo listings' backdated observations with weekly ones over `days` days."""
    now = now or timezone.now()
    start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    listings = list(
        Listing.objects.filter(gpu__in=gpus, is_demo=True, price__isnull=False)
        .select_related("gpu")
        .only("id", "item_id", "price", "currency", "shipping_cost", "quantity", "gpu__category")
    )
    rows = []
    for listing in listings:
        rng = random.Random(listing.item_id)  # noqa: S311 -- demo data, seeded for repeatability
        phase = random.Random(listing.gpu_id).uniform(0, 2 * math.pi)  # noqa: S311
        for days_ago in range(days, 0, -STEP_DAYS):
            price = demo_price_path(
                price=listing.price,
                days_ago=days_ago,
                category=listing.gpu.category,
                rng=rng,
                phase=phase,
            )
            shipping = listing.shipping_cost or Decimal("0")
            rows.append(
                {
                    "listing_id": listing.pk,
                    "observed_at": start_of_today - timedelta(days=days_ago, hours=-12),
                    "price": price,
                    "currency": listing.currency,
                    "shipping_cost": listing.shipping_cost,
                    "quantity": listing.quantity,
                    "unit_price": ((price + shipping) / listing.quantity).quantize(CENT),
                    "bid_count": None,
                }
            )
    with transaction.atomic():
        PriceHistory.objects.filter(
            listing__in=[x.pk for x in listings], observed_at__lt=start_of_today
        ).delete()
        PriceHistory.objects.bulk_create([PriceHistory(**row) for row in rows], batch_size=1000)
        gpu_ids = sorted({x.gpu_id for x in listings})
        since = (start_of_today - timedelta(days=days)).date()
        if gpu_ids:
            transaction.on_commit(
                lambda: listings_changed.send(sender=Listing, gpu_ids=gpu_ids, history_since=since)
            )
    return len(rows)
