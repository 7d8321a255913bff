"""Monthly going rates: stored from the daily prices whenever those are recorded."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.history import record_price_history
from metrics.models import DailyPrice, MonthlyPrice
from metrics.monthly import next_month, previous_month, record_monthly_prices
from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db


def _days(gpu, first: date, prices, scope="used"):
    for offset, price in enumerate(prices):
        DailyPrice.objects.create(
            gpu=gpu,
            scope=scope,
            day=first + timedelta(days=offset),
            headline_price=Decimal(price),
            lowest_price=Decimal(price) - 50,
            listing_count=4 + offset % 2,
            computed_at=timezone.now(),
        )


def test_a_months_rate_is_the_average_of_its_days_with_its_lowest_listing(make_gpu):
    gpu = make_gpu("card-a")
    _days(gpu, date(2026, 1, 30), ["900", "1000", "1100", "1200", "1300"])  # Jan 30 .. Feb 3

    written = record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 2, 28))

    assert written == 2
    january, february = MonthlyPrice.objects.order_by("month")
    assert (january.month, january.headline_price, january.days) == (date(2026, 1, 1), 950, 2)
    assert (february.headline_price, february.lowest_price, february.days) == (1200, 1050, 3)
    assert february.listing_count == 4  # 4, 5, 4 a day


def test_recording_the_days_rewrites_only_their_months_and_cards(make_gpu):
    a, b = make_gpu("card-a"), make_gpu("card-b")
    _days(a, date(2026, 1, 10), ["1000"])
    _days(b, date(2026, 1, 10), ["500"])
    record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 1, 31))
    DailyPrice.objects.filter(gpu=a).update(headline_price=800)
    DailyPrice.objects.filter(gpu=b).update(headline_price=400)

    record_monthly_prices(first=date(2026, 1, 10), last=date(2026, 1, 10), only_gpu_ids=[a.pk])

    rates = dict(MonthlyPrice.objects.values_list("gpu__slug", "headline_price"))
    assert rates == {"card-a": 800, "card-b": 500}


def test_todays_record_updates_this_months_rate(make_gpu, make_listing):
    gpu = make_gpu("card-a")
    make_listing(gpu, 1000)
    recompute_rankings()
    record_price_history()

    row = MonthlyPrice.objects.get(gpu=gpu, scope="used")
    assert row.month == timezone.now().date().replace(day=1)
    assert row.headline_price == 1000


@pytest.mark.parametrize(
    ("month", "after", "before"),
    [
        (date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 1)),
        (date(2026, 1, 1), date(2026, 2, 1), date(2025, 12, 1)),
        (date(2026, 6, 1), date(2026, 7, 1), date(2026, 5, 1)),
    ],
)
def test_months_follow_and_precede_across_years(month, after, before):
    assert (next_month(month), previous_month(month)) == (after, before)


def test_the_migration_fills_the_months_of_the_days_already_stored(make_gpu):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("metrics.migrations.0011_monthly_prices")
    _days(make_gpu("card-a"), date(2026, 1, 30), ["900", "1000", "1100", "1200", "1300"])

    migration.fill_monthly_prices(apps, None)

    filled = list(MonthlyPrice.objects.order_by("month").values_list("headline_price", "days"))
    assert filled == [(950, 2), (1200, 3)]


def _lows(gpu):
    rates = MonthlyPrice.objects.filter(gpu=gpu).order_by("month")
    return list(rates.values_list("earlier_low", "earlier_months"))


def test_each_rate_stores_the_lowest_of_the_months_before_with_a_week_of_prices(make_gpu):
    gpu = make_gpu("card-a")
    _days(gpu, date(2026, 1, 1), ["1000"] * 10)
    _days(gpu, date(2026, 2, 1), ["700"] * 3)  # too few days to count toward a low
    _days(gpu, date(2026, 3, 1), ["900"] * 10)
    _days(gpu, date(2026, 4, 1), ["950"] * 10)

    record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 4, 30))

    assert _lows(gpu) == [(None, 0), (1000, 1), (1000, 1), (900, 2)]


def test_rewriting_a_month_moves_the_earlier_lows_of_the_months_after_it(make_gpu):
    gpu = make_gpu("card-a")
    for month in (1, 2, 3):
        _days(gpu, date(2026, month, 1), ["1000"] * 10)
    record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 3, 31))
    DailyPrice.objects.filter(day__lt=date(2026, 2, 1)).update(headline_price=800)

    record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 1, 31))

    assert _lows(gpu) == [(None, 0), (800, 1), (800, 2)]


def test_the_migration_fills_the_earlier_lows_of_the_rates_already_stored(make_gpu):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("metrics.migrations.0015_market_report_summaries_and_earlier_lows")
    gpu = make_gpu("card-a")
    for month in (1, 2, 3):
        _days(gpu, date(2026, month, 1), [str(1000 - 100 * month)] * 10)
    record_monthly_prices(first=date(2026, 1, 1), last=date(2026, 3, 31))
    MonthlyPrice.objects.update(earlier_low=None, earlier_months=0)

    migration.fill_earlier_lows(apps, None)

    assert _lows(gpu) == [(None, 0), (900, 1), (800, 2)]
