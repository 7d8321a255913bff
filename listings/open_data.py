"""A card's listings as open data: what /ml/data/gpu/<slug>/listings.json says of each one."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from catalog.models import Gpu
from listings.shop.queries import shown_listings

# What a record reads of a listing; the stored eBay item stays unloaded.
RECORD_FIELDS = (
    "item_id",
    "title",
    "unit_price",
    "quantity",
    "condition_kind",
    "is_auction",
    "is_buy_now",
    "engineering_sample",
    "low_feedback_seller",
)


def listing_records(*, gpu: Gpu) -> list[dict]:
    """Every listing the card's shop page lists, cheapest per card first (one query): its price
    per card (landed), cards in the lot, condition, how it is sold, its flags, whether the going
    rate counts it (and why not) and the site's buy link."""
    records = []
    for listing in shown_listings(gpu).order_by("unit_price", "id").only(*RECORD_FIELDS):
        exclusion = listing.going_rate_exclusion
        records.append(
            {
                "item_id": listing.item_id,
                "title": listing.title,
                "landed_price_usd": float(listing.unit_price),
                "units": listing.quantity,
                "condition": listing.condition_kind,
                "buying_option": "auction" if listing.price_is_bid else "fixed_price",
                "flags": listing.flags,
                "in_going_rate": not exclusion,
                "not_in_going_rate_because": exclusion or None,
                "url": settings.SITE_URL + reverse("listings:go", args=[listing.pk]),
            }
        )
    return records
