"""Which listings an alert announces: landed price per card at or under its target, its card and
condition, buy it now, shipping stated, screened and shown, priced since it was confirmed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import ConditionKind, Verdict
from metrics.alerts.matching import owed_listings
from metrics.models import AlertDelivery
from tests.factories import make_gpu
from tests.metrics.alerts.conftest import make_priced

pytestmark = pytest.mark.django_db


def _owed(alert):
    return [owed.listing.pk for owed in owed_listings([alert]).get(alert.pk, [])]


def test_a_new_listing_at_or_under_the_target_is_owed_cheapest_first(card, confirmed_alert):
    alert = confirmed_alert(target="1600.00")
    at = make_priced(card, "1600.00")
    under = make_priced(card, "1450.00")
    make_priced(card, "1600.01")

    assert _owed(alert) == [under.pk, at.pk]


@pytest.mark.parametrize(
    "fields",
    [
        {"is_auction": True, "is_buy_now": False, "bid_count": 3},  # a running auction: a bid
        {"shipping_known": False, "shipping_cost": None},  # shipping at checkout: not landed
        {"is_demo": True},
        {"verdict": Verdict.DROP, "reason": "accessory"},
        {"excluded_by_admin": True},
        {"is_active": False},
        {"engineering_sample": True},  # flagged: left out of going rates too
        {"low_feedback_seller": True},
        {"item_web_url": "", "affiliate_url": ""},  # nothing to link to
        {"condition_kind": ConditionKind.NEW},  # the alert is for used cards
        {"condition_kind": ConditionKind.PARTS},
    ],
)
def test_listings_the_alert_rule_leaves_out_are_never_owed(card, confirmed_alert, fields):
    alert = confirmed_alert(target="1600.00", condition="used")
    make_priced(card, "1500.00", **fields)

    assert _owed(alert) == []


def test_refurbished_counts_as_used_and_any_condition_takes_new(card, confirmed_alert):
    refurbished = make_priced(card, "1500.00", condition_kind=ConditionKind.REFURBISHED)
    new = make_priced(card, "1550.00", condition_kind=ConditionKind.NEW)

    assert _owed(confirmed_alert(condition="used")) == [refurbished.pk]
    assert _owed(confirmed_alert(email="b@example.com", condition="new")) == [new.pk]
    assert _owed(confirmed_alert(email="c@example.com", condition="all")) == [
        refurbished.pk,
        new.pk,
    ]


def test_a_lot_is_compared_per_card(card, confirmed_alert):
    alert = confirmed_alert(target="1600.00")
    lot = make_priced(card, "3000.00", quantity=2)  # $1,500 a card

    assert lot.unit_price == Decimal("1500.00")
    assert _owed(alert) == [lot.pk]


def test_a_listing_priced_before_the_alert_was_confirmed_is_not_new(card, confirmed_alert):
    alert = confirmed_alert()
    make_priced(card, "1500.00", observed_at=alert.confirmed_at - timedelta(minutes=1))

    assert _owed(alert) == []


def test_a_listing_repriced_down_to_the_target_after_confirmation_is_owed(card, confirmed_alert):
    from listings.models import PriceHistory

    alert = confirmed_alert(target="1600.00")
    listing = make_priced(card, "1500.00", observed_at=alert.confirmed_at - timedelta(days=3))
    PriceHistory.objects.create(
        listing=listing,
        observed_at=timezone.now(),
        price=Decimal("1500.00"),
        unit_price=Decimal("1500.00"),
    )

    assert _owed(alert) == [listing.pk]


def test_another_cards_listing_and_an_announced_one_are_not_owed(card, confirmed_alert):
    alert = confirmed_alert()
    make_priced(make_gpu("nvidia-geforce-rtx-3090", label="NVIDIA GeForce RTX 3090"), "700.00")
    announced = make_priced(card, "1500.00")
    AlertDelivery.objects.create(alert=alert, listing=announced, sent_at=timezone.now())

    assert _owed(alert) == []


def test_many_alerts_are_matched_in_two_queries(card, confirmed_alert, django_assert_num_queries):
    alerts = [confirmed_alert(email=f"b{i}@example.com", target=1500 + 10 * i) for i in range(20)]
    for price in range(1400, 1700, 25):
        make_priced(card, f"{price}.00")

    with django_assert_num_queries(2):
        owed = owed_listings(alerts)

    assert len(owed[alerts[0].pk]) == 5  # $1,400 .. $1,500
    assert len(owed[alerts[19].pk]) == 12  # up to $1,690
