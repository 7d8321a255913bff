"""Monthly going rates: each card's average daily headline price per condition over a calendar
month, stored as MonthlyPrice from the daily prices whenever those are recorded (so the market
reports read a few hundred stored rows, never a year of daily ones)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, Min
from django.utils import timezone

from metrics.models import DailyPrice, MonthlyPrice

CENT = Decimal("0.01")
MIN_DAYS = 7  # days of prices a month needs before its rate is compared or counts toward a low


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def record_monthly_prices(
    *, first: date, last: date, only_gpu_ids: Collection[int] | None = None
) -> int:
    """Rewrite the stored months from first's to last's from the daily prices (one aggregate
    query a month), each rate with its earlier low; returns the rows written."""
    start, end = month_start(first), month_start(last)
    gpu_ids = None if only_gpu_ids is None else sorted(set(only_gpu_ids))
    now = timezone.now()
    rows = []
    month = start
    while month <= end:
        following = next_month(month)
        daily = DailyPrice.objects.filter(day__gte=month, day__lt=following)
        if gpu_ids is not None:
            daily = daily.filter(gpu_id__in=gpu_ids)
        totals = daily.values("gpu_id", "scope").annotate(
            price=Avg("headline_price"),
            low=Min("lowest_price"),
            days=Count("id"),
            listings=Avg("listing_count"),
        )
        rows += [
            MonthlyPrice(
                gpu_id=row["gpu_id"],
                scope=row["scope"],
                month=month,
                headline_price=Decimal(row["price"]).quantize(CENT),
                lowest_price=row["low"],
                days=row["days"],
                listing_count=round(row["listings"]),
                computed_at=now,
            )
            for row in totals.order_by()
        ]
        month = following
    _carry_lows(rows, _lows_before(start, gpu_ids=gpu_ids))  # rows are in month order
    _rates(gpu_ids).filter(month__gte=start, month__lte=end).delete()
    MonthlyPrice.objects.bulk_create(rows, batch_size=1000)
    # Rates after these (none when `last` is today) count these toward their earlier lows.
    record_earlier_lows(since=next_month(end), only_gpu_ids=gpu_ids)
    # The reports' stored summaries read these rates, and the catalog: every price-history run,
    # so every catalog and listings change, comes through here.
    from metrics.reports.summaries import record_report_summaries  # it imports this module

    record_report_summaries()
    return len(rows)


def record_earlier_lows(*, since: date, only_gpu_ids: Collection[int] | None = None) -> int:
    """Rewrite the earlier low of every stored rate from `since`'s month on: the lowest rate of
    the months before it with a week of prices, and how many months those are (a report's new
    lows read them); returns the rates updated."""
    start = month_start(since)
    gpu_ids = None if only_gpu_ids is None else sorted(set(only_gpu_ids))
    rates = list(
        _rates(gpu_ids)
        .filter(month__gte=start)
        .order_by("month")
        .only("gpu_id", "scope", "month", "headline_price", "days")
    )
    if rates:
        _carry_lows(rates, _lows_before(start, gpu_ids=gpu_ids))
        MonthlyPrice.objects.bulk_update(rates, ["earlier_low", "earlier_months"], batch_size=500)
    return len(rates)


def _rates(gpu_ids: list[int] | None):
    rates = MonthlyPrice.objects.all()
    return rates if gpu_ids is None else rates.filter(gpu_id__in=gpu_ids)


def _lows_before(month: date, *, gpu_ids: list[int] | None) -> dict[tuple[int, str], tuple]:
    """Each rate's lowest in the months before with a week of prices, and how many those are."""
    rows = (
        _rates(gpu_ids)
        .filter(month__lt=month, days__gte=MIN_DAYS)
        .values("gpu_id", "scope")
        .annotate(low=Min("headline_price"), months=Count("id"))
        .order_by()
    )
    return {(row["gpu_id"], row["scope"]): (row["low"], row["months"]) for row in rows}


def _carry_lows(rates: list[MonthlyPrice], lows: dict[tuple[int, str], tuple]) -> None:
    """Give each rate, in month order, its earlier low, then count it toward the next months'."""
    for rate in rates:
        key = (rate.gpu_id, rate.scope)
        rate.earlier_low, rate.earlier_months = lows.get(key, (None, 0))
        if rate.days >= MIN_DAYS:
            low = rate.headline_price if rate.earlier_low is None else rate.earlier_low
            lows[key] = (min(low, rate.headline_price), rate.earlier_months + 1)
