"""Price history: each card's daily headline price per condition, recorded from listings.

Today's figure is a copy of the stored headline prices (metrics.ranking, one rule in one place),
written after every recompute. Past days are rebuilt from the listings' stored price history by a
vectorized core (`daily_headlines`) that applies the same headline rule (`card_prices`) to the
listings live on each day at their price that day; `record_price_history(since=...)` runs it.
Pages only read the stored rows.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from django.db import transaction
from django.db.models import CharField, FloatField, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from catalog.models import FormFactor
from listings.models import Listing, PriceHistory
from metrics.depreciation import record_depreciation
from metrics.models import CardPrice, DailyPrice, Scope
from metrics.monthly import record_monthly_prices
from metrics.ranking import USED_KINDS, going_rates, seller_positions
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)

PERIODS = (30, 90, 365)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # numpy counts days from 1970, date from year 1
DEFAULT_PERIOD = 90
SHOWN_SCOPES = (Scope.USED, Scope.NEW)


# --- core: plain arrays in, per (day, card) headline prices out ---------------------------------


@dataclass(frozen=True)
class DailyHeadlines:
    """Aligned arrays, one entry per (day, card) with listings: the headline rule's results."""

    day: np.ndarray  # ordinal day numbers
    card: np.ndarray  # card positions
    count: np.ndarray
    headline: np.ndarray
    lowest: np.ndarray


def daily_headlines(
    *,
    row_listing: np.ndarray,
    row_day: np.ndarray,
    row_price: np.ndarray,
    listing_card: np.ndarray,
    listing_end_day: np.ndarray,
    first_day: int,
    last_day: int,
    n_cards: int,
    listing_mask: np.ndarray | None = None,
    listing_seller: np.ndarray | None = None,
) -> DailyHeadlines:
    """Per day in [first_day, last_day] and card: the headline price of the listings live that day.

    A price observation (row) holds from its day until the day before the listing's next one, or
    until the listing's last day; of several observations on one day the last one counts. Rows are
    positions into the listing arrays; `listing_mask` keeps only some listings (a condition), and
    `listing_seller` (positions, -1 unknown) counts one seller's listings of a card once a day.
    """
    row_listing = np.asarray(row_listing, dtype=np.int64)
    row_day = np.asarray(row_day, dtype=np.int64)
    row_price = np.asarray(row_price, dtype=np.float64)
    listing_end_day = np.asarray(listing_end_day, dtype=np.int64)
    n_days = max(0, last_day - first_day + 1)
    empty = np.zeros(0, dtype=np.int64)
    if row_listing.size == 0 or n_days == 0 or n_cards == 0:
        return DailyHeadlines(empty, empty, empty, np.zeros(0), np.zeros(0))
    order = np.lexsort((np.arange(row_listing.size), row_day, row_listing))
    listing, day, price = row_listing[order], row_day[order], row_price[order]
    same_next = np.zeros(listing.size, dtype=bool)
    same_next[:-1] = listing[1:] == listing[:-1]
    next_day = np.empty_like(day)
    next_day[:-1] = day[1:]
    end = np.where(same_next, next_day - 1, listing_end_day[listing])
    start = np.maximum(day, first_day)
    end = np.minimum(end, last_day)
    valid = (start <= end) & np.isfinite(price) & (price > 0)
    if listing_mask is not None:
        valid &= np.asarray(listing_mask, dtype=bool)[listing]
    rows = np.flatnonzero(valid)
    lengths = end[rows] - start[rows] + 1
    # One (row, day) pair per day a row holds: repeat each row, then count up from its start.
    pair_row = np.repeat(rows, lengths)
    offsets = np.arange(pair_row.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pair_day = start[pair_row] + offsets
    group = (pair_day - first_day) * n_cards + np.asarray(listing_card)[listing[pair_row]]
    seller = (
        np.full(group.size, -1, dtype=np.int64)
        if listing_seller is None
        else np.asarray(listing_seller, dtype=np.int64)[listing[pair_row]]
    )
    result = going_rates(
        card_index=group,
        prices=price[pair_row],
        seller=seller,
        priced=np.ones(group.size, dtype=bool),
        n_cards=n_days * n_cards,
    )
    has = np.flatnonzero(result.priced)
    return DailyHeadlines(
        day=first_day + has // n_cards,
        card=has % n_cards,
        count=result.priced[has],
        headline=result.headline[has],
        lowest=result.lowest[has],
    )


# --- adapter: stored price history in, DailyPrice rows out ---------------------------------------


@dataclass(frozen=True)
class HistoryReport:
    days: int
    history_rows: int
    daily_prices: int


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def today_utc() -> date:
    return timezone.localdate(timezone.now())


def record_price_history(
    *,
    only_gpu_ids: Collection[int] | None = None,
    since: date | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> HistoryReport:
    """Store today's headline prices as today's history; with `since`, rebuild the days from
    `since` to yesterday from the listings' stored price history first."""
    today = today or today_utc()
    now = timezone.now()
    objects: list[dict] = []
    rows_read = 0
    if since is not None and since < today:
        past, rows_read = _rebuild_days(only_gpu_ids=only_gpu_ids, first=since, last=today)
        objects += past
    stored = CardPrice.objects.all()
    if only_gpu_ids is not None:
        stored = stored.filter(gpu_id__in=sorted(set(only_gpu_ids)))
    objects += [
        {
            "gpu_id": gpu_id,
            "scope": scope,
            "day": today,
            "headline_price": headline,
            "lowest_price": lowest,
            "listing_count": count,
            "computed_at": now,
        }
        for gpu_id, scope, headline, lowest, count in stored.filter(
            headline_price__isnull=False
        ).values_list("gpu_id", "scope", "headline_price", "lowest_price", "priced_count")
    ]
    first = since if since is not None and since < today else today
    report = HistoryReport(
        days=(today - first).days + 1, history_rows=rows_read, daily_prices=len(objects)
    )
    if dry_run:
        return report
    replaced = DailyPrice.objects.filter(day__gte=first, day__lte=today)
    if only_gpu_ids is not None:
        replaced = replaced.filter(gpu_id__in=sorted(set(only_gpu_ids)))
    with transaction.atomic():
        replaced.delete()
        # A year of 135 cards in three conditions is about 150,000 rows.
        DailyPrice.objects.bulk_create([DailyPrice(**row) for row in objects], batch_size=1000)
        record_monthly_prices(first=first, last=today, only_gpu_ids=only_gpu_ids)
        record_depreciation(only_gpu_ids=only_gpu_ids, today=today)  # resale follows the prices
        transaction.on_commit(bump_generation)  # pages with charts show the new day
    logger.info("Price history recorded: %s", report)
    return report


@dataclass(frozen=True)
class HeadlineListings:
    """The listings that count toward a headline on some day of the rebuild, by id: the
    position of each one's card in `gpu_ids`, the last day it was live, and its condition."""

    ids: np.ndarray
    gpu_ids: np.ndarray
    card: np.ndarray
    end_day: np.ndarray
    kind: np.ndarray
    seller: np.ndarray

    def scopes(self) -> dict[str, np.ndarray | None]:
        """Which listings count in each condition scope (None: all of them)."""
        return {
            Scope.ALL: None,
            Scope.NEW: self.kind == "new",
            Scope.USED: np.isin(self.kind, USED_KINDS),
        }


@dataclass(frozen=True)
class Observations:
    """Stored price observations: each one's listing (a position in HeadlineListings.ids), its
    day (ordinal) and its landed price per card."""

    listing: np.ndarray
    day: np.ndarray
    price: np.ndarray


def _rebuild_days(
    *, only_gpu_ids: Collection[int] | None, first: date, last: date
) -> tuple[list[dict], int]:
    """DailyPrice rows for the days first .. last - 1 from stored listing price history, and the
    number of history rows read."""
    listings, queryset = _headline_listings(only_gpu_ids=only_gpu_ids, first=first, last=last)
    if listings is None:
        return [], 0
    observations = _observations(listings=listings, queryset=queryset, last=last)
    if observations is None:
        return [], 0
    now = timezone.now()
    objects = []
    for scope, mask in listings.scopes().items():
        result = daily_headlines(
            row_listing=observations.listing,
            row_day=observations.day,
            row_price=observations.price,
            listing_card=listings.card,
            listing_end_day=listings.end_day,
            first_day=first.toordinal(),
            last_day=last.toordinal() - 1,
            n_cards=listings.gpu_ids.size,
            listing_mask=mask,
            listing_seller=listings.seller,
        )
        objects += _daily_rows(result=result, gpu_ids=listings.gpu_ids, scope=scope, now=now)
    return objects, observations.listing.size


def _headline_listings(*, only_gpu_ids, first: date, last: date):
    """The listings that count toward a headline (fixed price, unflagged, as ranking's rule;
    live or archived) and were still live on the first day, with their queryset; None without
    any."""
    listings = (
        Listing.objects.kept()
        .fixed_price()
        .unflagged()
        .exclude(gpu__form_factor=FormFactor.LAPTOP)
        .filter(Q(is_active=True) | Q(last_seen_at__gte=_start_of(first)))
        .order_by("id")
    )
    if only_gpu_ids is not None:
        listings = listings.filter(gpu_id__in=sorted(set(only_gpu_ids)))
    rows = list(
        listings.values("id", "gpu_id", "condition_kind", "is_active", "last_seen_at", "seller_key")
    )
    if not rows:
        return None, listings
    gpu_of = np.array([row["gpu_id"] for row in rows], dtype=np.int64)
    gpu_ids = np.unique(gpu_of)
    last_day = last.toordinal() - 1
    return (
        HeadlineListings(
            ids=np.array([row["id"] for row in rows], dtype=np.int64),
            gpu_ids=gpu_ids,
            card=np.searchsorted(gpu_ids, gpu_of),
            end_day=np.array(
                [
                    last_day
                    if row["is_active"]
                    else timezone.localdate(row["last_seen_at"]).toordinal()
                    for row in rows
                ],
                dtype=np.int64,
            ),
            kind=np.array([row["condition_kind"] for row in rows], dtype=str),
            seller=seller_positions([row["seller_key"] for row in rows]),
        ),
        listings,
    )


def _observations(*, listings: HeadlineListings, queryset, last: date) -> Observations | None:
    """Every stored observation of these listings before the last day, landed per card from
    its stored parts, so rows written before shipping was included count on the same basis."""
    history = PriceHistory.objects.filter(
        listing_id__in=queryset.values("id"), observed_at__lt=_start_of(last)
    ).order_by()
    # The observation's time as the database's UTC text ("2026-11-30 12:00:00..."): its first ten
    # characters are the UTC day, read in one numpy call instead of a datetime per row.
    rows = list(
        history.values_list(
            "listing_id",
            Cast("observed_at", CharField()),
            Cast("price", FloatField()),
            Cast("shipping_cost", FloatField()),
            "quantity",
        )
    )
    if not rows:
        return None
    listing_id, observed, price, shipping, quantity = zip(*rows, strict=True)
    day = np.array([text[:10] for text in observed], dtype="datetime64[D]").astype(np.int64)
    shipping_cost = np.nan_to_num(np.array(shipping, dtype=np.float64), nan=0.0)
    cards = np.maximum(np.array(quantity, dtype=np.float64), 1)
    return Observations(
        listing=np.searchsorted(listings.ids, np.array(listing_id, dtype=np.int64)),
        day=day + EPOCH_ORDINAL,
        price=np.round((np.array(price, dtype=np.float64) + shipping_cost) / cards, 2),
    )


def _daily_rows(*, result: DailyHeadlines, gpu_ids: np.ndarray, scope: str, now) -> list[dict]:
    return [
        {
            "gpu_id": gpu,
            "scope": scope,
            "day": date.fromordinal(day),
            "headline_price": _money(headline),
            "lowest_price": _money(lowest),
            "listing_count": count,
            "computed_at": now,
        }
        for day, gpu, count, headline, lowest in zip(
            result.day.tolist(),
            gpu_ids[result.card].tolist(),
            result.count.tolist(),
            result.headline.tolist(),
            result.lowest.tolist(),
            strict=True,
        )
    ]


# --- readers for pages and exports --------------------------------------------------------------


class PricePoint(NamedTuple):
    """One day of a series, as the daily price table stores it."""

    day: date
    price: Decimal
    listing_count: int


@dataclass(frozen=True)
class PriceSeries:
    """One condition's daily headline prices over a period, oldest first."""

    scope: str
    label: str
    points: list[PricePoint]

    @property
    def lowest(self) -> PricePoint:
        return min(self.points, key=lambda p: (p.price, p.day))

    @property
    def highest(self) -> PricePoint:
        return max(self.points, key=lambda p: (p.price, p.day))

    @property
    def change_percent(self) -> int | None:
        """First to last day's change in whole percent; None with fewer than two days."""
        if len(self.points) < 2:
            return None
        first, last = self.points[0].price, self.points[-1].price
        return round((last - first) / first * 100)


def parse_period(raw: str | None) -> tuple[int, str]:
    """The chart's period in days from ?history=, and a note when the value was ignored."""
    if raw in (None, ""):
        return DEFAULT_PERIOD, ""
    if raw.isdigit() and len(raw) <= 6 and int(raw) in PERIODS:  # int() refuses 4,300+ digits
        return int(raw), ""
    shown = raw if len(raw) <= 20 else raw[:20] + "…"
    return DEFAULT_PERIOD, f"Ignored history={shown}: choose 30, 90 or 365 days."


def price_history(*, gpu_id: int, days: int, today: date | None = None) -> list[PriceSeries]:
    """The card's used and new daily headline prices over the last `days` days (one query)."""
    today = today or today_utc()
    rows = (
        DailyPrice.objects.filter(
            gpu_id=gpu_id, scope__in=SHOWN_SCOPES, day__gt=today - timedelta(days=days)
        )
        .order_by("scope", "day")
        .values_list("scope", "day", "headline_price", "listing_count")
    )
    points: dict[str, list[PricePoint]] = {}
    for scope, day, price, count in rows:
        points.setdefault(scope, []).append(PricePoint(day, price, count))
    labels = dict(Scope.choices)
    return [
        PriceSeries(scope=scope, label=labels[scope], points=points[scope])
        for scope in SHOWN_SCOPES
        if scope in points
    ]


def export_rows(*, gpu_id: int) -> list[dict]:
    """Every stored day of a card, all scopes: dicts of day, scope (the condition),
    headline_price and listing_count."""
    return list(
        DailyPrice.objects.filter(gpu_id=gpu_id)
        .order_by("day", "scope")
        .values("day", "scope", "headline_price", "listing_count")
    )


@dataclass(frozen=True)
class Trend:
    """A card's headline price change over the last TREND_DAYS days in one scope."""

    percent: int
    since: date

    @property
    def abs_percent(self) -> int:
        return abs(self.percent)

    @property
    def direction(self) -> str:
        return "up" if self.percent > 0 else "down" if self.percent < 0 else "flat"

    @property
    def arrow(self) -> str:
        return "▲" if self.percent > 0 else "▼" if self.percent < 0 else "▶"

    @property
    def text(self) -> str:
        if self.percent == 0:
            return f"unchanged since {self.since:%b} {self.since.day}"
        word = "up" if self.percent > 0 else "down"
        return f"{word} {abs(self.percent)}% since {self.since:%b} {self.since.day}"


TREND_DAYS = 30


def trend_columns(*, scope: str, today: date | None = None) -> dict[str, Subquery]:
    """The annotations a card's Trend is read from (trend_of), for a Gpu queryset: its first
    recorded day of the last 30 and its first and last prices in that window, each found by the
    (card, scope, day) index."""
    today = today or today_utc()
    window = DailyPrice.objects.filter(
        gpu=OuterRef("pk"), scope=scope, day__gt=today - timedelta(days=TREND_DAYS)
    )
    first, last = window.order_by("day"), window.order_by("-day")
    return {
        "trend_since": Subquery(first.values("day")[:1]),
        "trend_start": Subquery(first.values("headline_price")[:1]),
        "trend_end": Subquery(last.values("headline_price")[:1]),
    }


def trend_of(row: dict, *, today: date | None = None) -> Trend | None:
    """The change from a card's first recorded day of the last 30 to its latest, from a row
    annotated with trend_columns(); None without an earlier day in the window."""
    since, start, end = row["trend_since"], row["trend_start"], row["trend_end"]
    if since is None or since >= (today or today_utc()):
        return None
    return Trend(percent=round((end - start) / start * 100), since=since)
