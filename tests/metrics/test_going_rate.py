"""The going rate a buyer can trust, through the real import path: one seller's batch counts once,
flagged listings and auctions are listed but never priced, and every page counts the same
listings from the same "from" price."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Gpu
from listings.ingest import ingest_items, new_run_id
from listings.models import Listing
from metrics.going_rate import read_going_rates
from metrics.models import CardPrice, Scope

pytestmark = pytest.mark.django_db(transaction=True)  # rankings follow each import on commit

SLUG = "nvidia-geforce-rtx-3090"


def offer(n, price, *, seller=None, title="NVIDIA GeForce RTX 3090 24GB GDDR6X", **extra):
    """An eBay item summary for the 3090: used, free shipping, a seller of its own by default."""
    return {
        "itemId": f"v1|2049{n:08d}|0",
        "title": f"{title} #{n}",
        "price": {"value": f"{price}.00", "currency": "USD"},
        "seller": {
            "username": seller or f"seller-{n}",
            "feedbackPercentage": "99.7",
            "feedbackScore": 1800,
        },
        "condition": "Used",
        "conditionId": "3000",
        "buyingOptions": ["FIXED_PRICE"],
        "itemWebUrl": f"https://www.ebay.com/itm/2049{n:08d}",
        "itemLocation": {"country": "US"},
        "shippingOptions": [{"shippingCost": {"value": "0.00", "currency": "USD"}}],
        **extra,
    }


def market(n=10):
    """n sellers' 3090s from $1,000 to $1,000 + 10(n-1): the going rate is $1,020."""
    return [offer(i, 1000 + 10 * i) for i in range(n)]


def going_rate(gpu) -> Decimal:
    return CardPrice.objects.get(gpu=gpu, scope=Scope.ALL).headline_price


@pytest.fixture
def rtx3090(loaded_catalog):
    return Gpu.objects.get(slug=SLUG)


def ingest(gpu, items):
    ingest_items(gpu=gpu, items=items, source="import", run_id=new_run_id())


def test_one_sellers_eight_identical_cheap_listings_move_the_going_rate_under_five_percent(
    rtx3090,
):
    ingest(rtx3090, market())
    before = going_rate(rtx3090)
    batch = [offer(100 + i, 700, seller="RefurbDealer") for i in range(8)]

    ingest(rtx3090, [*market(), *batch])

    after = going_rate(rtx3090)
    assert before == Decimal("1020.00")
    assert abs(after - before) / before < Decimal("0.05")
    assert after == Decimal("1010.00")  # one more offer at $700 among the cheapest five: -0.98%
    assert Listing.objects.listed().filter(gpu=rtx3090).count() == 18  # all eight are listed
    # The same eight from eight sellers are eight offers: the rate falls to their price.
    ingest(rtx3090, [*market(), *(offer(100 + i, 700) for i in range(8))])
    assert going_rate(rtx3090) == Decimal("700.00")


def test_a_sellers_batch_counts_once_at_its_median(rtx3090):
    batch = [offer(100 + i, price, seller="dealer") for i, price in enumerate((500, 900, 950))]
    ingest(rtx3090, [*market(4), *batch])

    # The four sellers' $1,000-$1,030 and the dealer's three at their median, $900.
    assert going_rate(rtx3090) == Decimal("1010.00")


def test_flagged_listings_and_auctions_are_listed_but_never_priced(rtx3090, client):
    flagged = [
        offer(20, 400, title="NVIDIA RTX 3090 24GB ES engineering sample"),
        offer(21, 450, seller="new-seller", title="NVIDIA GeForce RTX 3090 24GB Founders"),
        offer(22, 800, buyingOptions=["AUCTION"], currentBidPrice={"value": "800.00"}),
    ]
    flagged[1]["seller"].update(feedbackScore=3, feedbackPercentage="100.0")
    ingest(rtx3090, [*market(), *flagged])

    row = CardPrice.objects.get(gpu=rtx3090, scope=Scope.ALL)
    assert (row.listing_count, row.priced_count) == (13, 10)
    assert (row.headline_price, row.lowest_price) == (Decimal("1020.00"), Decimal("1000.00"))
    html = client.get(reverse("metrics:shop-gpu", kwargs={"slug": SLUG})).content.decode()
    assert "13 eBay listings, from $1,000.00 per card at a fixed price" in html
    assert "(1 auction, 2 flagged: listed, not in the going rate)" in html
    assert "Not in going rate: engineering sample" in html
    assert "Engineering sample: pre-release silicon" in html
    assert "Not in going rate: seller with little feedback" in html
    assert "Not in going rate: current bid (auction)" in html
    sample = Listing.objects.get(title__contains="engineering sample")
    assert (sample.flags, sample.verdict) == (["engineering-sample"], "keep")


def test_a_card_whose_listings_are_all_flagged_is_counted_but_has_no_price(rtx3090, client):
    ingest(rtx3090, [offer(1, 900, title="NVIDIA RTX 3090 QS qualification sample")])

    row = CardPrice.objects.get(gpu=rtx3090, scope=Scope.ALL)
    assert (row.listing_count, row.priced_count, row.headline_price) == (1, 0, None)
    assert read_going_rates(gpu_id=rtx3090.pk).known is False
    html = client.get(reverse("metrics:shop-gpu", kwargs={"slug": SLUG})).content.decode()
    assert "1 eBay listing, none at a fixed price we count (1 flagged" in html


def _json(client, url, **query):
    return json.loads(client.get(url, query).content)


def _html(client, url, query=None):
    response = client.get(url, query or {})
    assert response.status_code == 200
    return response.content.decode()


def _finder_pick(html, label):
    picks = html[html.index('class="finder-picks"') :]
    return next(item for item in picks.split("<li>") if f">{label}</a>" in item)


def test_every_page_shows_the_same_count_and_from_price(rtx3090, client):
    shipped = {"shippingOptions": [{"shippingCost": {"value": "12.50", "currency": "USD"}}]}
    extra = [
        offer(30, 600, buyingOptions=["AUCTION"], currentBidPrice={"value": "600.00"}),
        offer(31, 500, title="NVIDIA GeForce RTX 3090 24GB engineering sample"),
        offer(32, 975, **shipped),  # landed: $987.50, the cheapest one can buy at its price
    ]
    ingest(rtx3090, [*market(), *extra])
    count, low = 13, "$987.50"

    shop = _html(client, reverse("metrics:shop-gpu", kwargs={"slug": SLUG}))
    assert f"{count} eBay listings, from {low} per card at a fixed price" in shop
    compare = client.get(reverse("metrics:compare"), {"gpu": [SLUG, "nvidia-t4"]})
    rows = {row.heading: [c.text for c in row.cells] for row in compare.context["sections"][0].rows}
    assert (rows["Listings"][0], rows["From (fixed price)"][0]) == (str(count), low)
    index = _html(client, reverse("metrics:shop-index"), {"q": "3090"})
    row = index[index.index(f'value="{SLUG}"') :]
    row = row[: row.index("</tr>")]
    assert f'data-label="Listings">{count}</td>' in row
    assert f'data-label="From">{low}</td>' in row
    home = _html(client, reverse("metrics:home"), {"task": "llm-8b", "budget": "5000"})
    assert f"{count} listings, from {low}." in _finder_pick(home, rtx3090.label)
    finder = _json(client, reverse("metrics:finder-json"), task="llm-8b", budget="5000")
    pick = next(p for p in finder["picks"] if p["slug"] == SLUG)
    assert (pick["listing_count"], pick["from_usd"]) == (count, 987.5)
    gpus = {g["slug"]: g for g in _json(client, reverse("metrics:data-gpus-json"))["gpus"]}
    assert (gpus[SLUG]["listing_count"], gpus[SLUG]["from_usd"]) == (count, 987.5)
    assert gpus["nvidia-t4"]["listing_count"] == 0
    data = _json(client, reverse("metrics:data-gpu-listings", kwargs={"slug": SLUG}))
    assert (data["listing_count"], data["from_usd"]) == (count, 987.5)
    assert min(row["landed_price_usd"] for row in data["listings"]) == 500.0  # the sample, flagged
