"""/ml/data/gpu/<slug>/listings.json: one card's listings as open data (metrics/export.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.ranking import recompute_rankings
from tests.factories import make_refresh

pytestmark = pytest.mark.django_db

LISTING_KEYS = {
    "item_id",
    "title",
    "landed_price_usd",
    "units",
    "condition",
    "buying_option",
    "flags",
    "in_going_rate",
    "not_in_going_rate_because",
    "url",
}


def url(slug):
    return reverse("metrics:data-gpu-listings", kwargs={"slug": slug})


@pytest.fixture
def card(make_gpu, make_listing):
    gpu = make_gpu("nvidia-rtx-a6000", label="NVIDIA RTX A6000")
    for price in (4000, 4100, 4200):
        make_listing(gpu, price, seller_key="a" * 64)  # one dealer's three: one offer
    make_listing(gpu, 4500, condition_kind="new")
    make_listing(gpu, 9000, quantity=2, title="Pair of NVIDIA RTX A6000 48GB")
    make_listing(gpu, 2500, engineering_sample=True, title="NVIDIA RTX A6000 ES sample")
    make_listing(gpu, 3000, low_feedback_seller=True, seller_feedback_score=2)
    make_listing(gpu, 1500, is_auction=True, is_buy_now=False, bid_count=4)
    make_listing(gpu, 3900, verdict="drop", reason="accessory")  # not listed at all
    recompute_rankings()
    return gpu


def test_lists_every_listing_a_shop_page_lists_with_its_price_per_card_and_why(client, card):
    checked = make_refresh(card).finished_at
    data = client.get(url(card.slug)).json()

    assert data["slug"] == card.slug
    assert data["version"] == 1
    assert data["as_of"] == checked.isoformat()
    assert data["going_rate_used_usd"] == 4300.0  # the dealer once at $4,100, the pair at $4,500
    assert data["going_rate_new_usd"] == 4500.0
    assert (data["listing_count"], data["from_usd"]) == (8, 4000.0)
    rows = data["listings"]
    assert [row["landed_price_usd"] for row in rows] == [
        1500.0,
        2500.0,
        3000.0,
        4000.0,
        4100.0,
        4200.0,
        4500.0,
        4500.0,
    ]
    assert all(set(row) == LISTING_KEYS for row in rows)
    bid, sample, unproven = rows[:3]
    assert (bid["buying_option"], bid["in_going_rate"]) == ("auction", False)
    assert bid["not_in_going_rate_because"] == "current bid (auction)"
    assert (sample["flags"], sample["in_going_rate"]) == (["engineering-sample"], False)
    assert sample["not_in_going_rate_because"] == "engineering sample"
    assert unproven["flags"] == ["low-feedback-seller"]
    pair = next(row for row in rows if row["units"] == 2)
    assert (pair["landed_price_usd"], pair["buying_option"], pair["flags"]) == (
        4500.0,
        "fixed_price",
        [],
    )
    assert pair["in_going_rate"] is True
    assert rows[0]["url"].startswith("https://shopagent.test/go/")
    assert client.get(rows[0]["url"].removeprefix("https://shopagent.test")).status_code == 302


def test_matches_the_stored_card_prices(client, card):
    from metrics.models import CardPrice

    data = client.get(url(card.slug)).json()
    stored = CardPrice.objects.get(gpu=card, scope="all")
    assert data["listing_count"] == stored.listing_count
    assert Decimal(str(data["from_usd"])) == stored.lowest_price


def test_an_unknown_card_is_a_404_with_a_reason(client, card):
    response = client.get(url("no-such-card"))

    assert response.status_code == 404
    assert response.json() == {"error": "Unknown card: no-such-card"}


def test_a_laptop_gpu_lists_nothing_and_says_why(client, make_gpu, make_listing):
    laptop = make_gpu("amd-radeon-rx-7700s", label="AMD Radeon RX 7700S", form_factor="laptop")
    make_listing(laptop, 700)  # stored before the card was known to be a laptop GPU
    recompute_rankings()

    data = client.get(url(laptop.slug)).json()

    assert (data["listings"], data["listing_count"], data["going_rate_used_usd"]) == ([], 0, None)
    assert (data["as_of"], data["version"]) == (None, 1)  # never refreshed: no card to search
    assert "laptop GPU" in data["note"]


def test_is_cached_like_every_page(client, card, django_assert_num_queries):
    client.get(url(card.slug))
    with django_assert_num_queries(1):  # the page generation, by primary key
        assert client.get(url(card.slug)).status_code == 200


def test_is_answered_in_a_fixed_number_of_queries(client, card, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # generation, card, last refresh, rates, listings
        client.get(url(card.slug))


def test_the_methodology_open_data_section_links_it(client, card):
    html = client.get(reverse("catalog:methodology")).content.decode()

    assert f'href="{url(card.slug)}"' in html
    assert "/ml/data/gpu/&lt;slug&gt;/listings.json" in html
