"""What cold pages are built from: fragments cached by their values, data cached per generation."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from listings.models import Listing
from metrics.ranking import recompute_rankings
from shopagent.cache import at_generation, bump_generation, cached_fragments
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db


def test_a_fragment_is_rendered_once_for_the_same_values_and_again_when_one_changes():
    rendered = []

    def render(item):
        rendered.append(item)
        return format_html("<b>{}</b> {}", *item)

    assert cached_fragments("test", [("A", 1), ("B", 2), ("A", 1)], render) == [
        "<b>A</b> 1",
        "<b>B</b> 2",
        "<b>A</b> 1",
    ]
    assert cached_fragments("test", [("B", 2), ("A", 1)], render) == ["<b>B</b> 2", "<b>A</b> 1"]
    assert cached_fragments("test", [("A", 3)], render) == ["<b>A</b> 3"]
    assert rendered == [("A", 1), ("B", 2), ("A", 3)]


def test_a_fragment_refuses_values_whose_text_hides_what_they_hold():
    card = make_gpu()
    with pytest.raises(TypeError):
        cached_fragments("test", [(card.slug, card)], str)


def test_safe_markup_and_plain_text_are_different_fragments():
    def render(item):
        return format_html("<p>{}</p>", item[0])

    safe, plain = cached_fragments("test", [(SafeString("<i>x</i>"),), ("<i>x</i>",)], render)
    assert safe == "<p><i>x</i></p>"
    assert plain == "<p>&lt;i&gt;x&lt;/i&gt;</p>"


@pytest.mark.parametrize("local", [False, True])
def test_data_kept_for_a_generation_is_read_again_after_the_next_change(local):
    reads = iter(range(10))
    first = at_generation("test", "a", compute=lambda: next(reads), local=local)
    assert at_generation("test", "a", compute=lambda: next(reads), local=local) == first == 0
    assert at_generation("test", "b", compute=lambda: next(reads), local=local) == 1
    bump_generation()
    assert at_generation("test", "a", compute=lambda: next(reads), local=local) == 2


def test_a_stored_none_is_not_read_again():
    reads = []
    for _ in range(2):
        at_generation("test-none", compute=lambda: reads.append(1))
    assert reads == [1]


def _priced_card(price):
    gpu = make_gpu(fp16_tflops=100)
    make_listing(gpu, price)
    recompute_rankings()
    return gpu


def test_a_link_with_a_tracking_parameter_is_built_from_what_the_page_already_read(client):
    _priced_card("1000.00")
    page = reverse("metrics:cost-per-spec", args=["fp16-flops"])
    first = client.get(page).content
    with CaptureQueriesContext(connection) as queries:
        shared = client.get(page + "?utm_source=newsletter")
    assert shared.status_code == 200
    assert shared.content == first
    assert len(queries.captured_queries) == 1  # the page generation; ranking and rows are cached


def test_a_new_price_shows_although_the_old_row_was_cached(
    client, django_capture_on_commit_callbacks
):
    gpu = _priced_card("1000.00")
    page = reverse("metrics:shop-index")
    assert "$1,000" in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Listing.objects.filter(gpu=gpu).update(price=Decimal("900.00"), unit_price=Decimal("900"))
        recompute_rankings()
    html = client.get(page + "?sort=-price").content.decode()
    assert "$900" in html and "$1,000" not in html


def test_a_renamed_card_shows_its_new_name_on_every_cached_row(client):
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
        html = client.get(page + "?after=rename").content.decode()
        assert "Renamed Card 9000" in html, page


def test_data_named_by_different_parts_is_kept_apart():
    reads = iter(range(10))
    one = at_generation("test-parts", "a:b", compute=lambda: next(reads))
    two = at_generation("test-parts", "a", "b", compute=lambda: next(reads))
    assert (one, two) == (0, 1)
