import json
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from catalog.models import Gpu

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "ebay-samples"
TOKEN_URL = "https://auth.ebay.test/identity/v1/oauth2/token"
SEARCH_URL = "https://api.ebay.test/buy/browse/v1/item_summary/search"


def load(name):
    return json.loads((DATA / name).read_text())


def make_item(n, title, price="1000.00", **extra):
    """One item summary shaped like eBay's, with a seller username to be stripped."""
    item_id = str(314159270000 + n)
    item = {
        "itemId": f"v1|{item_id}|0",
        "title": title,
        "price": {"value": price, "currency": "USD"},
        "seller": {"username": f"someone{n}", "feedbackPercentage": "99.5", "feedbackScore": 500},
        "condition": "Used",
        "conditionId": "3000",
        "buyingOptions": ["FIXED_PRICE"],
        "itemWebUrl": f"https://www.ebay.com/itm/{item_id}",
        "itemLocation": {"postalCode": "100**", "country": "US"},
        "shippingOptions": [{"shippingCost": {"value": "0.00", "currency": "USD"}}],
    }
    item.update(extra)
    return item


@pytest.fixture
def changed_gpu_ids():
    """The card ids each listings_changed signal sent during the test carried, in order."""
    from listings.signals import listings_changed

    received = []

    def receiver(sender, gpu_ids, **kwargs):
        received.append(gpu_ids)

    listings_changed.connect(receiver)
    yield received
    listings_changed.disconnect(receiver)


@pytest.fixture
def sleeps():
    """Delays the client asked for, instead of sleeping."""
    return []


@pytest.fixture
def ebay_client(sleeps):
    """The eBay API client, its retry delays recorded in `sleeps`."""
    from listings.ebay import EbayClient

    return EbayClient(sleep=sleeps.append)


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def token(http):
    """eBay's OAuth endpoint, answering with a fresh token each time."""
    return http.add(responses.POST, TOKEN_URL, json=load("ebay_token.json"))


# The tiny catalog: sibling variants, as the screen needs. (slug, label, memory GB, category, MSRP)
CATALOG = [
    ("nvidia-geforce-rtx-4090", "NVIDIA GeForce RTX 4090", 24, "gaming", "1599"),
    ("nvidia-geforce-rtx-4080", "NVIDIA GeForce RTX 4080", 16, "gaming", "1199"),
    ("nvidia-geforce-rtx-4080-super", "NVIDIA GeForce RTX 4080 Super", 16, "gaming", "999"),
    ("nvidia-t4", "NVIDIA T4", 16, "datacenter", "2000"),
]
ALIASES = {"nvidia-t4": ["Tesla T4"]}


@pytest.fixture
def catalog(db):
    """A tiny catalog with sibling variants, as the screen needs."""
    return {
        slug: Gpu.objects.create(
            slug=slug,
            label=label,
            manufacturer="NVIDIA",
            memory_gb=memory,
            category=category,
            msrp_usd=Decimal(msrp),
            aliases=ALIASES.get(slug, []),
        )
        for slug, label, memory, category, msrp in CATALOG
    }


@pytest.fixture
def rtx4090(catalog):
    return catalog["nvidia-geforce-rtx-4090"]
