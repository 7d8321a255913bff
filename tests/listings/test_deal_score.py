"""The going rate at the top of a shop page and each listing's difference from it."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from listings.market import deal_percent, deal_text
from listings.models import ConditionKind
from metrics.models import CardPrice
from metrics.ranking import recompute_rankings
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db


def shop(gpu, **query):
    return Client().get(reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug}), query)


@pytest.mark.parametrize(
    ("price", "rate", "text"),
    [
        ("820", "1000", "18% below the used going rate"),
        ("1050", "1000", "5% above the used going rate"),
        ("1000.40", "1000", "At the used going rate"),
    ],
)
def test_deal_text_says_how_far_from_the_going_rate(price, rate, text):
    percent = deal_percent(unit_price=Decimal(price), going_rate=Decimal(rate))
    assert deal_text(percent=percent, rate_name="used going rate") == text


@pytest.fixture
def market():
    gpu = make_gpu()
    for price in ("1000", "1000", "1000", "1200", "1300"):
        make_listing(gpu, price=price, title=f"Used at {price}")
    for price in ("2000", "2100"):
        make_listing(gpu, price=price, condition_kind=ConditionKind.NEW, title=f"New at {price}")
    make_listing(gpu, price="820", title="Cheap used", condition_kind=ConditionKind.REFURBISHED)
    make_listing(
        gpu,
        price="300",
        title="Auction bid",
        is_auction=True,
        is_buy_now=False,
        bid_count=3,
    )
    recompute_rankings()
    return gpu


def test_headline_used_and_new_prices_sit_at_the_top(market):
    html = shop(market).content.decode()
    top = html.split('class="filters"')[0]
    used = CardPrice.objects.get(gpu=market, scope="used").headline_price
    assert used == Decimal("1000.00")
    assert "Used going rate" in top and "$1,000.00" in top
    assert "New going rate" in top and "$2,050.00" in top


def test_each_listing_says_how_far_it_is_from_the_going_rate_for_its_condition(market):
    html = shop(market).content.decode()
    assert "18% below the used going rate" in html  # the $820 refurbished card
    assert "30% above the used going rate" in html  # the $1,300 used card
    assert "2% above the new going rate" in html  # $2,100 against $2,050
    assert "Not in going rate: current bid (auction)" in html


def test_best_deals_sort_puts_the_biggest_discount_first_and_auctions_last(market):
    response = shop(market, sort="deal")
    titles = [card["title"] for card in response.context["cards"]]
    assert titles[0] == "Cheap used"
    assert titles[-1] == "Auction bid"
    # $2,000 new is 2% under its going rate: a better deal than $1,000 used at the used rate.
    assert titles.index("New at 2000") < titles.index("Used at 1000")


def test_without_a_going_rate_the_page_says_so_and_sorts_by_price():
    gpu = make_gpu()
    make_listing(gpu, price="900")
    make_listing(gpu, price="800")
    response = shop(gpu, sort="deal")
    html = response.content.decode()
    assert "No going rate for this card yet: sorted by price per card instead." in html
    assert [c["unit_price"] for c in response.context["cards"]] == [
        Decimal("800.00"),
        Decimal("900.00"),
    ]
    assert "Used going rate" not in html


def test_listing_photos_come_from_ebays_image_host_only():
    gpu = make_gpu()
    make_listing(gpu, title="With photo", image_url="https://i.ebayimg.com/images/g/abc/s-l500.jpg")
    make_listing(gpu, title="Elsewhere", image_url="https://example.com/x.jpg")
    make_listing(gpu, title="No photo at all")
    response = shop(gpu)
    html = response.content.decode()
    assert (
        '<img class="listing-image" src="https://i.ebayimg.com/images/g/abc/s-l500.jpg"'
        ' alt="With photo" width="96" height="96" loading="lazy"' in html
    )
    assert "example.com" not in html
    assert html.count('aria-label="No photo"') == 2
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' https://i.ebayimg.com;" in policy
