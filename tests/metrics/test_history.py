"""Daily headline prices: aggregated across days from stored listing price history."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Gpu
from listings.models import PriceHistory
from listings.signals import listings_changed
from metrics.history import (
    daily_headlines,
    price_history,
    record_price_history,
    trend_columns,
    trend_of,
)
from metrics.models import DailyPrice, Scope

TODAY = date(2026, 11, 30)


def test_each_observation_holds_until_the_next_and_the_last_of_a_day_counts():
    d = 1000
    result = daily_headlines(
        # listing 0: 100 on day d, 90 then 80 on day d+2; listing 1: 120 on d+1, gone after d+1
        row_listing=[0, 0, 0, 1],
        row_day=[d, d + 2, d + 2, d + 1],
        row_price=[100.0, 90.0, 80.0, 120.0],
        listing_card=[0, 0],
        listing_end_day=[d + 3, d + 1],
        first_day=d,
        last_day=d + 3,
        n_cards=1,
    )
    by_day = {
        int(day) - d: (int(c), float(h))
        for day, c, h in zip(result.day, result.count, result.headline, strict=True)
    }
    assert by_day == {0: (1, 100.0), 1: (2, 110.0), 2: (1, 80.0), 3: (1, 80.0)}


def test_the_headline_rule_is_the_median_of_the_five_cheapest_each_day():
    prices = [1.0, 1000.0, 1010.0, 1020.0, 1030.0, 1040.0, 99999.0]
    result = daily_headlines(
        row_listing=np.arange(7),
        row_day=np.full(7, 5),
        row_price=prices,
        listing_card=np.zeros(7, dtype=int),
        listing_end_day=np.full(7, 6),
        first_day=5,
        last_day=6,
        n_cards=1,
    )
    assert result.headline.tolist() == [1010.0, 1010.0]
    assert result.lowest.tolist() == [1.0, 1.0]


def _at(days_ago: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def _observe(listing, days_ago, price, shipping="0", quantity=1):
    PriceHistory.objects.create(
        listing=listing,
        observed_at=_at(days_ago),
        price=Decimal(price),
        shipping_cost=Decimal(shipping) if shipping is not None else None,
        quantity=quantity,
        unit_price=Decimal(price),
    )


@pytest.fixture
def card_with_history(make_gpu, make_listing):
    gpu = make_gpu("nvidia-l4")
    used = make_listing(gpu, "1000")
    _observe(used, 3, "1000", shipping="50")  # landed: 1,050
    _observe(used, 1, "900", shipping="50")  # landed: 950
    new = make_listing(gpu, "2000", condition_kind="new")
    _observe(new, 2, "4000", shipping=None, quantity=2)  # a lot of two, shipping unknown
    archived = make_listing(gpu, "800", is_active=False, last_seen_at=_at(2))
    _observe(archived, 3, "800")
    auction = make_listing(gpu, "10", is_auction=True, is_buy_now=False)
    _observe(auction, 3, "10")
    return gpu


@pytest.mark.django_db
def test_rebuilding_days_stores_each_days_headline_per_condition(card_with_history):
    report = record_price_history(since=TODAY - timedelta(days=3), today=TODAY)
    assert report.history_rows == 4  # the auction's bid is no price
    used = dict(
        DailyPrice.objects.filter(scope=Scope.USED, day__lt=TODAY).values_list(
            "day", "headline_price"
        )
    )
    assert used == {
        TODAY - timedelta(days=3): Decimal("925.00"),  # 1,050 and the archived 800
        TODAY - timedelta(days=2): Decimal("925.00"),  # the archived listing's last day
        TODAY - timedelta(days=1): Decimal("950.00"),
    }
    new = DailyPrice.objects.filter(scope=Scope.NEW).order_by("day")
    assert [(p.day, p.headline_price) for p in new if p.day < TODAY] == [
        (TODAY - timedelta(days=2), Decimal("2000.00")),
        (TODAY - timedelta(days=1), Decimal("2000.00")),
    ]


@pytest.mark.django_db
def test_a_rebuilt_day_counts_a_sellers_batch_once_and_leaves_flagged_listings_out(
    make_gpu, make_listing
):
    gpu = make_gpu("nvidia-l40s")
    for price in ("1000", "1010", "1020", "1030", "1040"):
        _observe(make_listing(gpu, price), 1, price)
    for _ in range(8):
        _observe(make_listing(gpu, "700", seller_key="f" * 64), 1, "700")
    _observe(make_listing(gpu, "500", engineering_sample=True), 1, "500")

    record_price_history(since=TODAY - timedelta(days=1), today=TODAY)

    day = DailyPrice.objects.get(gpu=gpu, scope=Scope.USED, day=TODAY - timedelta(days=1))
    assert (day.headline_price, day.lowest_price, day.listing_count) == (
        Decimal("1010.00"),
        Decimal("700.00"),
        13,
    )


@pytest.mark.django_db
def test_a_listings_change_records_todays_headline_prices(make_gpu, make_listing):
    gpu = make_gpu("nvidia-t4")
    make_listing(gpu, "700")
    make_listing(gpu, "900")
    listings_changed.send(sender=None, gpu_ids=[gpu.pk])
    today = DailyPrice.objects.get(gpu=gpu, scope=Scope.USED)
    assert today.day == timezone.localdate()
    assert (today.headline_price, today.listing_count) == (Decimal("800.00"), 2)


@pytest.mark.django_db
def test_the_command_rebuilds_past_days(card_with_history):
    call_command("record_price_history", "--days", "30", stdout=__import__("io").StringIO())
    assert DailyPrice.objects.filter(gpu=card_with_history, day__lt=timezone.localdate()).exists()


@pytest.mark.django_db
def test_series_and_trend_read_the_stored_days(card_with_history):
    record_price_history(since=TODAY - timedelta(days=3), today=TODAY)
    series = price_history(gpu_id=card_with_history.pk, days=30, today=TODAY)
    used = next(s for s in series if s.scope == Scope.USED)
    assert used.lowest.price == Decimal("925.00")
    assert used.highest.price == Decimal("950.00")
    assert used.change_percent == 3  # 925 -> 950
    columns = trend_columns(scope=Scope.USED, today=TODAY)
    row = Gpu.objects.annotate(**columns).values(*columns).get(pk=card_with_history.pk)
    trend = trend_of(row, today=TODAY)
    assert trend.text.startswith("up 3% since")
