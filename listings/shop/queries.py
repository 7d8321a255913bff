"""What a shop page reads: a card's listings filtered, sorted, summarised and paged."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Case, Count, F, FloatField, Max, Min, Q, Value, When
from django.db.models.functions import Cast

from catalog.models import Gpu
from catalog.presentation import typed_number
from listings.market import GoingRates
from listings.models import (
    BID_ONLY,
    FLAG_FIELDS,
    SALE_FORMAT_FIELDS,
    UNFLAGGED,
    Listing,
    RefreshRun,
)
from listings.shop.form import BUYING_FILTERS

PER_PAGE = 24

# Catalog text and lists a shop page never shows, left undecoded.
UNSHOWN_GPU_FIELDS = (
    "supported_precisions",
    "summary",
    "spec_notes",
    "reference_urls",
    "part_numbers",
    "aliases",
    "ebay_category_ids",
    "admin_edited_fields",
)

# What a listing card shows (shop/cards.py, templates/listings/includes/listing_cards.html); the
# stored eBay item and the screen's notes stay unloaded.
CARD_FIELDS = (
    "gpu_id",
    "title",
    "price",
    "currency",
    "shipping_cost",
    "shipping_known",
    "condition_kind",
    *SALE_FORMAT_FIELDS,
    "quantity",
    "unit_price",
    "seller_feedback_percent",
    "seller_feedback_score",
    *FLAG_FIELDS.values(),
    "item_location_country",
    "image_url",
)


def filter_listings(queryset, *, gpu: Gpu, applied: dict, rates: GoingRates | None = None):
    """Apply the shop form's valid values and its sort to a card's visible listings."""
    lookups = {}
    if applied.get("condition"):
        lookups["condition_kind__in"] = applied["condition"]
    if applied.get("buying"):
        lookups[BUYING_FILTERS[applied["buying"]]] = True
    if applied.get("country"):
        lookups["item_location_country"] = applied["country"]
    if "price_min" in applied:
        lookups["unit_price__gte"] = applied["price_min"]
    if "price_max" in applied:
        lookups["unit_price__lte"] = applied["price_max"]
    if "feedback_min" in applied:
        lookups["seller_feedback_percent__gte"] = applied["feedback_min"]
    queryset = queryset.filter(**lookups)
    # Memory is the card's, so a range that excludes it leaves nothing to show.
    memory = gpu.memory_gb
    if ("memory_min" in applied or "memory_max" in applied) and (
        memory is None
        or memory < applied.get("memory_min", 0)
        or memory > applied.get("memory_max", float("inf"))
    ):
        queryset = queryset.none()
    sort = applied.get("sort", "price")
    if sort == "-price":
        return queryset.order_by("-unit_price", "id")
    if sort == "newest":
        return queryset.order_by("-first_seen_at", "-id")
    if sort == "deal" and rates is not None and rates.known:
        return by_deal(queryset, rates=rates)
    # Every listing here is the same card, so $/spec orders exactly as price per card does.
    return queryset.order_by("unit_price", "id")


def by_deal(queryset, *, rates: GoingRates):
    """Biggest discount on the going rate for the listing's condition first; auctions, flagged
    listings and listings without a going rate last, cheapest first."""
    rate_of = {
        "new": rates.new,
        "used": rates.used,
        "refurbished": rates.used,
    }
    whens = [When(BID_ONLY | ~Q(UNFLAGGED), then=Value(None, FloatField()))]
    whens += [
        When(condition_kind=kind, then=Value(1 / float(rate)))
        for kind, rate in rate_of.items()
        if rate
    ]
    inverse = Case(
        *whens,
        default=Value(1 / float(rates.any) if rates.any else None, FloatField()),
        output_field=FloatField(),
    )
    ratio = Cast("unit_price", FloatField()) * inverse
    return queryset.annotate(deal_ratio=ratio).order_by(
        F("deal_ratio").asc(nulls_last=True), "unit_price", "id"
    )


def shown_listings(gpu: Gpu):
    """The card's listings a shop page shows (Listing.objects.listed()); none for a laptop GPU,
    which is sold only inside laptops."""
    if gpu.is_laptop:
        return Listing.objects.none()
    return Listing.objects.listed().filter(gpu=gpu)


# The filters a count by condition and country answers; sorting keeps every listing.
TALLIED_FILTERS = {"sort", "condition", "country"}


@dataclass(frozen=True)
class ShopFacts:
    """What every shop page of one card shows whatever its filters: price range, countries and
    when prices were last checked; `tally` counts its listings by (condition, country)."""

    summary: dict
    countries: list[str]
    checked_at: datetime | None
    tally: dict[tuple[str, str], int] = field(default_factory=dict)

    def count_matching(self, applied: dict) -> int | None:
        """How many listings `applied` leaves (as filter_listings filters them) when it filters
        by condition and country alone; None when another filter needs the database."""
        if not applied.keys() <= TALLIED_FILTERS:
            return None
        conditions, country = applied.get("condition"), applied.get("country")
        return sum(
            count
            for (kind, where), count in self.tally.items()
            if (not conditions or kind in conditions) and (not country or where == country)
        )


def shop_facts(gpu: Gpu) -> ShopFacts:
    """The card's ShopFacts (two queries)."""
    groups = summary_groups(shown_listings(gpu))
    summary, countries = summarize_groups(groups)
    tally: dict[tuple[str, str], int] = {}
    for group in groups:
        key = (group["condition_kind"], group["item_location_country"])
        tally[key] = tally.get(key, 0) + group["count"]
    return ShopFacts(
        summary=summary, countries=countries, checked_at=last_checked_at(gpu=gpu), tally=tally
    )


def summary_groups(visible) -> list[dict]:
    """A card's listings counted and priced by country, condition, sale format and flags (one
    query): the fields the going rate's rule and the shop's count-only filters read, so the
    query has four plain aggregates rather than five filtered ones."""
    return list(
        visible.order_by()
        .values(
            "item_location_country",
            "condition_kind",
            "is_auction",
            "is_buy_now",
            *FLAG_FIELDS.values(),
        )
        .annotate(
            low=Min("unit_price"),
            high=Max("unit_price"),
            count=Count("id"),
            currency=Max("currency"),
        )
    )


def summarize_groups(groups: list[dict]) -> tuple[dict, list[str]]:
    """A card's listings summed up from summary_groups(), and the countries they ship from,
    sorted. `count` is every listing shown, `auctions` and `flagged` those among them left out
    of the going rate; `low` ("from") and `high` are over the ones it is made of (fixed price,
    unflagged), as metrics.ranking counts and prices them."""

    def left_out(group: dict) -> tuple[bool, bool]:
        bid = group["is_auction"] and not group["is_buy_now"]
        return bid, any(group[name] for name in FLAG_FIELDS.values())

    marks = [(group, *left_out(group)) for group in groups]
    priced = [g for g, bid, flag in marks if not (bid or flag)]
    summary = {
        "low": min((g["low"] for g in priced), default=None),
        "high": max((g["high"] for g in priced), default=None),
        "count": sum(g["count"] for g in groups),
        "auctions": sum(g["count"] for g, bid, _ in marks if bid),
        "flagged": sum(g["count"] for g, _, flag in marks if flag),
        "currency": max((g["currency"] for g in groups), default=None),
    }
    countries = sorted({g["item_location_country"] for g in groups if g["item_location_country"]})
    return summary, countries


def last_checked_at(*, gpu: Gpu):
    """When this card's prices were last checked: its own latest successful refresh, or None."""
    runs = RefreshRun.objects.succeeded().filter(gpu=gpu, finished_at__isnull=False)
    return runs.order_by("-finished_at").values_list("finished_at", flat=True).first()


def paginate(queryset, raw: str, *, count: int | None = None):
    """The requested page (`raw` is the page parameter as typed): past the end gives the last
    page, junk the first with a note.

    `count`, when the caller already knows how many rows the queryset has, saves a COUNT query.
    """
    paginator = Paginator(queryset, PER_PAGE)
    if count is not None:
        paginator.count = count
    typed = typed_number(raw)
    if typed is None or "." in typed:
        return paginator.page(1), "Ignored page: not a whole number."
    number = Decimal(typed)  # no digit limit, unlike int()
    if number < 1:
        return paginator.page(1), "Ignored page: pages start at 1."
    if number > paginator.num_pages:
        return paginator.page(paginator.num_pages), None
    return paginator.page(int(number)), None
