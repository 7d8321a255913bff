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
    query a month); returns the rows written."""
    start, end = month_start(first), month_start(last)
    now = timezone.now()
    rows = []
    month = start
    while month <= end:
        following = next_month(month)
        daily = DailyPrice.objects.filter(day__gte=month, day__lt=following)
        if only_gpu_ids is not None:
            daily = daily.filter(gpu_id__in=sorted(set(only_gpu_ids)))
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
    replaced = MonthlyPrice.objects.filter(month__gte=start, month__lte=end)
    if only_gpu_ids is not None:
        replaced = replaced.filter(gpu_id__in=sorted(set(only_gpu_ids)))
    replaced.delete()
    MonthlyPrice.objects.bulk_create(rows, batch_size=1000)
    # The reports' stored summaries read these rates, and the catalog: every price-history run,
    # so every catalog and listings change, comes through here.
    from metrics.reports.summaries import record_report_summaries  # it imports this module

    record_report_summaries()
    return len(rows)
