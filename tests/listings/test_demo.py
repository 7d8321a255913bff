from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from catalog.models import Gpu
from listings.demo import demo_items, seed_demo_listings
from listings.ingest import notify_listings_changed
from listings.models import Listing, RefreshRun
from tests.factories import make_gpu

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed(*args):
    out = StringIO()
    call_command("seed_demo_listings", *args, stdout=out)
    return out.getvalue()


def test_demo_items_are_the_same_every_time(catalog):
    gpu = catalog["nvidia-t4"]

    assert demo_items(gpu=gpu, now=NOW) == demo_items(gpu=gpu, now=NOW)


def test_every_card_gets_kept_and_rejected_demo_listings(catalog):
    output = seed()

    assert f"Demo listings for {len(catalog)} cards" in output
    for gpu in catalog.values():
        listings = Listing.objects.filter(gpu=gpu)
        assert listings.filter(verdict="keep").count() >= 8, gpu.slug
        assert set(listings.filter(verdict="drop").values_list("reason", flat=True)) >= {
            "accessory",
            "parts",
        }, gpu.slug
        assert listings.filter(verdict="keep", quantity__gt=1).exists(), gpu.slug
        assert listings.filter(is_auction=True, auction_ends_at__isnull=False).exists()
    assert not Listing.objects.filter(is_demo=False).exists()
    assert Listing.objects.values("item_location_country").distinct().count() >= 3
    assert {"new", "used", "refurbished"} <= set(
        Listing.objects.values_list("condition_kind", flat=True)
    )
    assert set(RefreshRun.objects.values_list("source", flat=True)) == {"demo"}


def test_seeding_twice_changes_nothing(catalog):
    seed()
    before = list(Listing.objects.order_by("item_id").values_list("item_id", "price", "verdict"))

    output = seed()

    assert "0 new" in output
    assert list(Listing.objects.order_by("item_id").values_list("item_id", "price", "verdict")) == (
        before
    )


def test_demo_buy_links_are_ebay_searches_for_the_card(catalog):
    seed()

    for listing in Listing.objects.visible():
        url = urlsplit(listing.buy_url)
        assert (url.scheme, url.netloc, url.path) == ("https", "www.ebay.com", "/sch/i.html")


def test_skip_if_live_does_nothing_when_ebay_keys_are_set(catalog):
    output = seed("--skip-if-live")

    assert "credentials are set" in output
    assert not Listing.objects.exists()


def test_skip_if_live_seeds_without_keys(catalog):
    with override_settings(EBAY_CLIENT_ID="", EBAY_CLIENT_SECRET=""):
        seed("--skip-if-live")

    assert Listing.objects.filter(is_demo=True).exists()


def test_pages_show_a_demo_notice_only_while_demo_listings_are_shown(
    catalog, django_capture_on_commit_callbacks
):
    request = RequestFactory().get("/")
    assert "Demo data" not in render_to_string("base.html", request=request)  # answer now cached

    with django_capture_on_commit_callbacks(execute=True):
        seed()  # listings_changed forgets the cached answer

    assert "Demo data" in render_to_string("base.html", request=request)
    with django_capture_on_commit_callbacks(execute=True):
        Listing.objects.update(is_demo=False)
        notify_listings_changed(gpu_ids=[catalog["nvidia-t4"].pk])
    assert "Demo data" not in render_to_string("base.html", request=request)


def median_demo_price(slug):
    prices = sorted(
        Listing.objects.visible()
        .filter(gpu__slug=slug, condition_kind="used")
        .values_list("unit_price", flat=True)
    )
    return prices[len(prices) // 2]


@pytest.mark.parametrize(
    ("slug", "low", "high"),
    [
        ("nvidia-geforce-rtx-3090", 700, 900),
        ("nvidia-geforce-rtx-4090", 1800, 2200),
        ("nvidia-tesla-p40", 200, 300),
        ("nvidia-a100-pcie", 8000, 12000),
    ],
)
def test_demo_used_prices_look_like_the_used_market(slug, low, high):
    call_command("load_catalog", stdout=StringIO())
    seed_demo_listings(gpus=[Gpu.objects.get(slug=slug)], now=NOW)

    assert low <= median_demo_price(slug) <= high


def test_a_bigger_memory_variant_is_dearer_in_the_demo():
    call_command("load_catalog", stdout=StringIO())
    slugs = ["nvidia-tesla-v100-16gb", "nvidia-tesla-v100-32gb"]
    seed_demo_listings(gpus=list(Gpu.objects.filter(slug__in=slugs)), now=NOW)

    assert median_demo_price(slugs[1]) > median_demo_price(slugs[0])


def test_demo_titles_do_not_repeat_the_memory_a_label_states(catalog):
    gpu = make_gpu(
        "nvidia-geforce-rtx-3080-12gb",
        label="NVIDIA GeForce RTX 3080 12GB",
        category="gaming",
        memory_gb=12,
        typical_used_usd=Decimal("430"),
    )

    titles = [item["title"] for item in demo_items(gpu=gpu, now=NOW)]

    assert not any("12GB 12GB" in title for title in titles)
    assert "NVIDIA GeForce RTX 3080 12GB Graphics Card" in titles


def test_the_demo_shop_page_says_how_well_ml_software_runs_on_the_card():
    call_command("load_catalog", stdout=StringIO())
    seed_demo_listings(gpus=[Gpu.objects.get(slug="amd-radeon-rx-580x")], now=NOW)

    url = reverse("metrics:shop-gpu", kwargs={"slug": "amd-radeon-rx-580x"})
    response = Client().get(url)

    html = response.content.decode()
    assert 'data-ml-software="unsupported"' in html
    assert "ROCm dropped it" in html


def test_a_whole_computer_gets_machine_listings_priced_at_its_own_typical_price(loaded_catalog):
    gpu = Gpu.objects.get(slug="apple-mac-studio-m2-ultra-76c-192gb")
    items = demo_items(gpu=gpu, now=NOW)
    assert all("Graphics Card" not in item["title"] for item in items)
    assert all("_sacat=58058" in item["itemWebUrl"] for item in items)
    seed_demo_listings(gpus=[gpu], now=NOW)
    kept = Listing.objects.filter(gpu=gpu, verdict="keep", quantity=1, is_auction=False)
    prices = sorted(row.unit_price for row in kept)
    # The demo follows the catalog's typical used price of the configuration ($3,890).
    assert Decimal("3000") < prices[len(prices) // 2] < Decimal("5000")
    dropped = dict(Listing.objects.filter(gpu=gpu, verdict="drop").values_list("title", "reason"))
    assert {"parts", "accessory"} == set(dropped.values())
    assert any("iCloud locked" in title for title in dropped)
