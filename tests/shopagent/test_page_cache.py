"""The page cache: one entry per page and the parameters it reads, fresh after every change.
(Pages served while the database is down: tests/shopagent/test_cache.py, with real workers.)"""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Gpu
from listings.models import Listing
from metrics.ranking import recompute_rankings
from shopagent.cache import bump_generation, cached_page
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db


def _priced_card(price, **fields):
    gpu = make_gpu(fp16_tflops=100, **fields)
    make_listing(gpu, price)
    recompute_rankings()
    return gpu


def test_a_link_with_tracking_parameters_shares_the_entry_of_the_page_it_shows(client):
    _priced_card("1000.00")
    page = reverse("metrics:cost-per-spec", args=["fp16-flops"])
    first = client.get(page, {"category": "gaming"}).content
    with CaptureQueriesContext(connection) as queries:
        shared = client.get(
            page, {"utm_source": "newsletter", "fbclid": "x1", "category": "gaming", "gclid": "y"}
        )
    assert shared.status_code == 200
    assert shared.content == first
    assert len(queries.captured_queries) == 1  # the page generation, by primary key


def test_a_parameter_the_page_reads_is_its_own_entry(client):
    gpu = _priced_card("1000.00", category="gaming")
    page = reverse("metrics:cost-per-spec", args=["fp16-flops"])
    datacenter = client.get(page, {"category": "datacenter"}).content.decode()
    gaming = client.get(page, {"category": "gaming"}).content.decode()
    assert "No data: no card has both" in datacenter and gpu.label not in datacenter
    assert "No data: no card has both" not in gaming and gpu.label in gaming


def test_links_on_a_page_never_carry_a_parameter_it_does_not_read(client):
    gpu = _priced_card("1000.00")
    html = client.get(
        reverse("metrics:shop-gpu", args=[gpu.slug]), {"utm_source": "mail", "sort": "-price"}
    ).content.decode()
    assert "sort=-price" in html  # the chart's period links keep what the page reads
    assert "utm_source" not in html


def test_a_new_price_shows_on_the_next_request(client, django_capture_on_commit_callbacks):
    gpu = _priced_card("1000.00")
    page = reverse("metrics:shop-index")
    assert "$1,000" in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Listing.objects.filter(gpu=gpu).update(price=Decimal("900.00"), unit_price=Decimal("900"))
        recompute_rankings()
    html = client.get(page).content.decode()
    assert "$900" in html and "$1,000" not in html


def test_a_renamed_card_shows_its_new_name_on_every_page_that_lists_it(client):
    gpu = _priced_card("1000.00")
    pages = [
        reverse("metrics:shop-index"),
        reverse("metrics:cost-per-spec", args=["fp16-flops"]),
        reverse("metrics:home"),
    ]
    for page in pages:
        assert gpu.label in client.get(page).content.decode()
    gpu.label = "Renamed Card 9000"
    gpu.save()
    bump_generation()
    for page in pages:
        assert "Renamed Card 9000" in client.get(page).content.decode(), page


def test_only_the_parameters_a_view_declares_reach_it(rf):
    seen = {}

    @cached_page(reads=("a", "b"))
    def view(request):
        seen.update(request.GET.lists())
        return HttpResponse("ok")

    view(rf.get("/x/", {"b": ["2", "1"], "utm_source": "z", "a": "3"}))
    assert seen == {"a": ["3"], "b": ["2", "1"]}


def test_every_cached_page_shares_its_entry_with_links_that_add_tracking_parameters(
    client, loaded_catalog
):
    gpu = make_listing(Gpu.objects.get(slug="nvidia-l4"), "2100.00").gpu
    recompute_rankings()
    pages = [
        reverse("metrics:home") + "?task=llm-8b",
        reverse("metrics:shop-index") + "?vendor=NVIDIA",
        reverse("metrics:rankings-index"),
        reverse("metrics:cost-per-spec", args=["fp16-flops"]) + "?condition=used",
        reverse("metrics:use-case-index"),
        reverse("metrics:use-case", args=["image-classification"]),
        reverse("metrics:compare") + f"?gpu={gpu.slug}&gpu=nvidia-t4",
        reverse("metrics:compare-pair", args=["nvidia-l4-vs-nvidia-t4"]),
        reverse("metrics:shop-gpu", args=[gpu.slug]) + "?sort=-price",
        reverse("metrics:learn-gpu", args=[gpu.slug]) + "?history=30",
        reverse("metrics:llm-index") + "?model=llama-3.1-8b",
        reverse("metrics:llm-model", args=["llama-3.1-8b"]),
        reverse("metrics:llm-json") + "?model=llama-3.1-8b&quant=q4_k_m",
        reverse("metrics:data-gpus-json"),
        reverse("metrics:deals-feed"),
        reverse("metrics:price-history-csv", args=[gpu.slug]),
        reverse("catalog:learn-index"),
        reverse("catalog:learn-model", args=["resnet50"]),
        reverse("catalog:methodology"),
        "/sitemap.xml",
    ]
    for page in pages:
        first = client.get(page)
        assert first.status_code == 200, page
        sep = "&" if "?" in page else "?"
        with CaptureQueriesContext(connection) as queries:
            shared = client.get(f"{page}{sep}utm_source=mail&utm_campaign=x&fbclid=abc&gclid=1")
        assert shared.content == first.content, page
        assert len(queries.captured_queries) == 1, page  # the generation: served from the cache
