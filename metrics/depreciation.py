"""How fast each card loses value: a trend fitted to its own daily used prices.

The fit is a least-squares line through the logarithm of the card's used headline price over
the last year (`fit_depreciation`, pure numpy), so a steady percentage loss per month is a
straight line and one odd day moves it little. `record_depreciation` stores one row per card
with enough history; it runs with the price history, and pages only read the rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from metrics.models import DailyPrice, Depreciation, Scope

WINDOW_DAYS = 365
DAYS_PER_MONTH = 365.25 / 12
# Less than this and a trend says more about a few listings than about the card.
MIN_POINTS = 10
MIN_SPAN_DAYS = 60
# Used GPUs lose value slowly and unevenly; without a card's own trend, the median of the cards
# that have one, or this assumption when fewer than MIN_FITS_FOR_MEDIAN do.
FALLBACK_MONTHLY_RATE = 0.015
MIN_FITS_FOR_MEDIAN = 5
# A trend steeper than this says more about a few odd listings than about the card.
MAX_MONTHLY_RATE = 0.10


@dataclass(frozen=True)
class Fits:
    """Aligned arrays, one entry per card with enough history."""

    card: np.ndarray  # positions of the cards
    monthly_rate: np.ndarray  # share of value lost per month (negative: prices rose)
    points: np.ndarray
    first_day: np.ndarray  # ordinal days
    last_day: np.ndarray


def fit_depreciation(*, card: np.ndarray, day: np.ndarray, price: np.ndarray, n_cards: int) -> Fits:
    """Per card: the monthly rate of a log-linear least-squares fit of price against day, for
    cards with at least MIN_POINTS prices spanning MIN_SPAN_DAYS days."""
    card = np.asarray(card, dtype=np.int64)
    day = np.asarray(day, dtype=np.float64)
    price = np.asarray(price, dtype=np.float64)
    keep = np.isfinite(price) & (price > 0)
    card, day, logp = card[keep], day[keep], np.log(price[keep])
    n = np.bincount(card, minlength=n_cards).astype(np.float64)
    first = np.full(n_cards, np.inf)
    last = np.full(n_cards, -np.inf)
    np.minimum.at(first, card, day)
    np.maximum.at(last, card, day)
    # Centre each card's days on its first one, so the sums stay small and exact.
    t = day - first[card]
    st, sy = np.bincount(card, t, n_cards), np.bincount(card, logp, n_cards)
    stt, sty = np.bincount(card, t * t, n_cards), np.bincount(card, t * logp, n_cards)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * sty - st * sy) / (n * stt - st * st)
    ok = (n >= MIN_POINTS) & (last - first >= MIN_SPAN_DAYS) & np.isfinite(slope)
    cards = np.flatnonzero(ok)
    return Fits(
        card=cards,
        monthly_rate=1.0 - np.exp(slope[cards] * DAYS_PER_MONTH),
        points=n[cards].astype(np.int64),
        first_day=first[cards].astype(np.int64),
        last_day=last[cards].astype(np.int64),
    )


def record_depreciation(
    *, only_gpu_ids: Collection[int] | None = None, today: date | None = None
) -> int:
    """Refit and store the cards' depreciation from the last year of used prices (two queries
    and a write); the number of cards with a fit. Call inside the price history's transaction."""
    today = today or timezone.localdate()
    prices = DailyPrice.objects.filter(
        scope=Scope.USED, day__gt=today - timedelta(days=WINDOW_DAYS), day__lte=today
    )
    stale = Depreciation.objects.all()
    if only_gpu_ids is not None:
        ids = sorted(set(only_gpu_ids))
        prices, stale = prices.filter(gpu_id__in=ids), stale.filter(gpu_id__in=ids)
    rows = list(
        prices.order_by().values_list("gpu_id", "day", Cast("headline_price", FloatField()))
    )
    stale.delete()
    if not rows:
        return 0
    gpu_of, days, values = zip(*rows, strict=True)
    gpu_ids = np.unique(np.array(gpu_of, dtype=np.int64))
    fits = fit_depreciation(
        card=np.searchsorted(gpu_ids, np.array(gpu_of, dtype=np.int64)),
        day=np.array([d.toordinal() for d in days], dtype=np.int64),
        price=np.array(values, dtype=np.float64),
        n_cards=gpu_ids.size,
    )
    now = timezone.now()
    Depreciation.objects.bulk_create(
        Depreciation(
            gpu_id=int(gpu_ids[card]),
            monthly_rate=float(rate),
            points=int(points),
            first_day=date.fromordinal(int(first)),
            last_day=date.fromordinal(int(last)),
            computed_at=now,
        )
        for card, rate, points, first, last in zip(
            fits.card, fits.monthly_rate, fits.points, fits.first_day, fits.last_day, strict=True
        )
    )
    return int(fits.card.size)


# --- readers for pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """The monthly depreciation applied to one card, and where it comes from."""

    applied: float
    fitted: float | None = None  # the card's own trend; None: the fallback
    points: int = 0
    first_day: date | None = None
    last_day: date | None = None

    @property
    def from_history(self) -> bool:
        return self.fitted is not None

    @property
    def rise(self) -> float:
        """How much the price rose a month, where it did."""
        return -self.fitted if self.rose else 0.0

    @property
    def rose(self) -> bool:
        return self.fitted is not None and self.fitted < 0

    @property
    def capped(self) -> bool:
        return self.fitted is not None and self.fitted > MAX_MONTHLY_RATE


@dataclass(frozen=True)
class DepreciationRates:
    by_gpu: dict[int, Rate]
    fallback: float
    fallback_cards: int  # cards whose median the fallback is; 0: FALLBACK_MONTHLY_RATE

    def of(self, gpu_id: int) -> Rate:
        return self.by_gpu.get(gpu_id) or Rate(applied=self.fallback)


def _applied(fitted: float) -> float:
    return min(max(fitted, 0.0), MAX_MONTHLY_RATE)


def read_depreciation() -> DepreciationRates:
    """Every card's stored trend, and the fallback for cards without one (one query)."""
    # Unordered: the rates are kept by card id, and ordering by card would join catalog_gpu.
    rows = Depreciation.objects.order_by().values_list(
        "gpu_id", "monthly_rate", "points", "first_day", "last_day"
    )
    by_gpu = {
        gpu_id: Rate(_applied(rate), rate, points, first, last)
        for gpu_id, rate, points, first, last in rows
    }
    if len(by_gpu) < MIN_FITS_FOR_MEDIAN:
        return DepreciationRates(by_gpu, FALLBACK_MONTHLY_RATE, 0)
    median = statistics.median(rate.applied for rate in by_gpu.values())
    return DepreciationRates(by_gpu, median, len(by_gpu))
