"""Landed prices: (item price + shipping) / cards in the lot, wherever a price is used."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from listings.ingest import ingest_items, new_run_id
from listings.models import Listing
from listings.summaries import landed_unit_price, parse_item
from metrics.models import CardPrice, Scope
from metrics.ranking import recompute_rankings

from .conftest import make_item

TITLE = "NVIDIA GeForce RTX 4090 Founders Edition 24GB GDDR6X"


def shipping(value, kind="FIXED"):
    option = {"shippingCostType": kind}
    if value is not None:
        option["shippingCost"] = {"value": value, "currency": "USD"}
    return [option]


@pytest.mark.parametrize(
    ("price", "shipping_cost", "quantity", "expected"),
    [
        ("694.00", "35.00", 1, "729.00"),
        ("2000.00", "40.00", 4, "510.00"),
        ("1000.00", None, 3, "333.33"),  # unknown shipping: the item price alone
        ("100.00", "0.01", 3, "33.34"),  # half a cent rounds up, as money does
        ("0.00", "10.00", 1, None),  # no price, no per-card price
    ],
)
def test_landed_unit_price_adds_shipping_and_splits_lots(price, shipping_cost, quantity, expected):
    unit = landed_unit_price(
        price=Decimal(price),
        shipping_cost=Decimal(shipping_cost) if shipping_cost else None,
        quantity=quantity,
    )
    assert unit == (Decimal(expected) if expected else None)


def test_parse_item_prices_a_lot_with_shipping_per_card():
    item = make_item(1, TITLE, price="2000.00", shippingOptions=shipping("40.00"))
    values = parse_item(item, quantity=4)
    assert values["unit_price"] == Decimal("510.00")
    assert values["shipping_known"] is True


def test_calculated_shipping_is_unknown_and_priced_on_the_item_alone():
    item = make_item(1, TITLE, price="900.00", shippingOptions=shipping("25.00", "CALCULATED"))
    values = parse_item(item)
    assert values["shipping_cost"] is None
    assert values["shipping_known"] is False
    assert values["unit_price"] == Decimal("900.00")
    assert parse_item(make_item(2, TITLE, shippingOptions=[]))["shipping_known"] is False


def test_an_auction_is_priced_at_its_current_bid():
    item = make_item(
        1,
        TITLE,
        price="1500.00",
        buyingOptions=["AUCTION"],
        currentBidPrice={"value": "820.00", "currency": "USD"},
        shippingOptions=shipping("30.00"),
    )
    values = parse_item(item)
    assert values["price"] == Decimal("820.00")
    assert values["unit_price"] == Decimal("850.00")


def test_ingest_sorts_by_landed_price_not_item_price(rtx4090, django_capture_on_commit_callbacks):
    items = [
        make_item(1, TITLE + " A", price="694.00", shippingOptions=shipping("35.00")),
        make_item(2, TITLE + " B", price="695.00", shippingOptions=shipping("15.00")),
        make_item(3, TITLE + " C", price="700.00", shippingOptions=shipping("2.00")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_items(gpu=rtx4090, items=items, source="import", run_id=new_run_id())
    shown = list(Listing.objects.visible().values_list("price", "unit_price"))
    assert shown == [
        (Decimal("700.00"), Decimal("702.00")),
        (Decimal("695.00"), Decimal("710.00")),
        (Decimal("694.00"), Decimal("729.00")),
    ]
    page = Client().get(reverse("metrics:shop-gpu", kwargs={"slug": rtx4090.slug}))
    html = page.content.decode().split('class="grid listings"')[1]
    assert html.index("$702.00") < html.index("$710.00") < html.index("$729.00")
    assert "Includes $35.00 shipping" in html


def test_a_refresh_that_changes_only_shipping_reprices_the_listing(rtx4090):
    first = [make_item(1, TITLE, price="700.00", shippingOptions=shipping("0.00"))]
    ingest_items(gpu=rtx4090, items=first, source="import", run_id=new_run_id())
    again = [make_item(1, TITLE, price="700.00", shippingOptions=shipping("50.00"))]
    ingest_items(gpu=rtx4090, items=again, source="import", run_id=new_run_id())
    listing = Listing.objects.get()
    assert listing.unit_price == Decimal("750.00")
    assert list(listing.price_history.values_list("unit_price", flat=True)) == [
        Decimal("700.00"),
        Decimal("750.00"),
    ]


def test_running_auctions_stay_out_of_the_headline_price(rtx4090):
    items = [
        make_item(1, TITLE + " A", price="1000.00"),
        make_item(2, TITLE + " B", price="1100.00"),
        make_item(
            3,
            TITLE + " C",
            price="1500.00",
            buyingOptions=["AUCTION"],
            currentBidPrice={"value": "300.00", "currency": "USD"},
        ),
        make_item(  # Buy It Now on an auction is a real price and counts
            4, TITLE + " D", price="1200.00", buyingOptions=["AUCTION", "FIXED_PRICE"]
        ),
    ]
    ingest_items(gpu=rtx4090, items=items, source="import", run_id=new_run_id())
    recompute_rankings()
    headline = CardPrice.objects.get(gpu=rtx4090, scope=Scope.ALL)
    assert (headline.listing_count, headline.priced_count) == (4, 3)  # the auction is listed
    assert headline.headline_price == Decimal("1100.00")
    assert headline.lowest_price == Decimal("1000.00")  # "from" is never the $300 bid
    html = Client().get(reverse("metrics:shop-gpu", kwargs={"slug": rtx4090.slug})).content
    assert "current bid" in html.decode()
    assert "4 eBay listings, from $1,000.00 per card at a fixed price (1 auction" in html.decode()


def test_calculated_shipping_says_so_on_the_card(rtx4090):
    item = make_item(1, TITLE, price="900.00", shippingOptions=shipping(None, "CALCULATED"))
    ingest_items(gpu=rtx4090, items=[item], source="import", run_id=new_run_id())
    html = Client().get(reverse("metrics:shop-gpu", kwargs={"slug": rtx4090.slug})).content
    assert "Shipping not included: calculated at checkout or not stated" in html.decode()


def test_the_migration_reprices_stored_listings_landed(rtx4090):
    migration = importlib.import_module("listings.migrations.0006_landed_price")
    now = timezone.now()
    common = dict(gpu=rtx4090, currency="USD", verdict="keep", first_seen_at=now, last_seen_at=now)
    lot = Listing.objects.create(
        item_id="1",
        title="lot",
        price=Decimal("2000.00"),
        shipping_cost=Decimal("40.00"),
        quantity=4,
        unit_price=Decimal("500.00"),
        **common,
    )
    calculated = Listing.objects.create(
        item_id="2",
        title="calculated",
        price=Decimal("900.00"),
        shipping_cost=Decimal("25.00"),
        unit_price=Decimal("900.00"),
        raw={"shippingOptions": [{"shippingCostType": "CALCULATED"}]},
        **common,
    )
    migration.landed_prices(apps, None)
    lot.refresh_from_db()
    calculated.refresh_from_db()
    assert (lot.unit_price, lot.shipping_known) == (Decimal("510.00"), True)
    assert (calculated.unit_price, calculated.shipping_known) == (Decimal("900.00"), False)
    assert calculated.shipping_cost is None
