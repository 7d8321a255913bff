"""The all-cards page: search, filters, sorting and $/spec columns, state in the query string."""

import re

import pytest
from django.urls import reverse

from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db

URL = "/ml/shop/gpu/"


@pytest.fixture
def cards(make_gpu, make_listing):
    alpha = make_gpu(
        "alpha-card",
        label="Alpha Card",
        manufacturer="AMD",
        category="gaming",
        memory_gb=16,
        fp16_tflops=100,
        aliases=["Alpha Gamer"],
        part_numbers=["AX-1000-16G"],
        ml_software="limited",
        tdp_w=250,
    )
    bravo = make_gpu(
        "bravo-card", label="Bravo Card", memory_gb=48, fp16_tflops=300, ml_software="first-class"
    )
    make_gpu("charlie-card", label="Charlie Card", memory_gb=80)
    make_listing(alpha, 800, condition_kind="new")  # $8 per FP16 TFLOPS, $50 per GB
    make_listing(bravo, 1200)  # $4 per FP16 TFLOPS, $25 per GB
    recompute_rankings()


def _html(client, query="") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def _order(html):
    body = html.split("<tbody>")[1]
    return re.findall(r'name="gpu" value="([a-z-]+)"', body)


def test_table_shows_dollars_per_fp16_tflops_and_per_gb(client, cards):
    html = _html(client)
    assert '<td class="num" data-label="$ per FP16 TFLOPS">$8.00</td>' in html
    assert '<td class="num" data-label="$ per GB">$25.00</td>' in html
    assert '<td class="num" data-label="Board power">250 W</td>' in html
    assert re.search(
        r'<td class="text" data-label="ML software"><[^>]*data-ml-software="first-class"', html
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["alpha-card", "bravo-card", "charlie-card"]),  # cheapest first, unpriced last
        ("?sort=-price", ["bravo-card", "alpha-card", "charlie-card"]),
        ("?sort=per-fp16", ["bravo-card", "alpha-card", "charlie-card"]),
        ("?sort=-memory", ["charlie-card", "bravo-card", "alpha-card"]),
        ("?sort=-card", ["charlie-card", "bravo-card", "alpha-card"]),
    ],
)
def test_sorting_follows_the_query_string(client, cards, query, expected):
    assert _order(_html(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=alpha", ["alpha-card"]),
        ("?q=AX-1000-16G", ["alpha-card"]),  # part number
        ("?q=alpha+gamer", ["alpha-card"]),  # alias
        ("?vendor=AMD", ["alpha-card"]),
        ("?vendor=nvidia&sort=card", ["bravo-card", "charlie-card"]),
        ("?category=gaming", ["alpha-card"]),
        ("?min_memory=40&sort=card", ["bravo-card", "charlie-card"]),
        ("?software=first-class", ["bravo-card"]),
        ("?q=card&vendor=NVIDIA&min_memory=60", ["charlie-card"]),
    ],
)
def test_search_and_filters_narrow_the_table(client, cards, query, expected):
    html = _html(client, query)
    assert _order(html) == expected
    assert '<meta name="robots" content="noindex, follow">' in html


def test_column_headings_keep_the_filters_and_flip_the_order(client, cards):
    html = _html(client, "?vendor=NVIDIA&sort=price")
    assert 'aria-sort="ascending"' in html
    assert 'href="?vendor=NVIDIA&amp;sort=-price"' in html
    assert 'href="?vendor=NVIDIA&amp;sort=-memory"' in html  # bigger-is-better starts largest


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("?vendor=acme", "Ignored Vendor “acme”: choose one of NVIDIA, AMD, Intel, Qualcomm"),
        ("?software=great", "Ignored ML software “great”: choose one of First-class"),
        ("?sort=weight", "Ignored Sort “weight”: choose one of Card, Headline price"),
        ("?sort=price&sort=card", "Ignored Sort: given more than once"),
        ("?min_memory=lots", "Ignored Min memory (GB) “lots”: not a number"),
        ("?kind=phones", "Ignored Show “phones”: choose one of Cards, Whole computers"),
        ("?kind=cards&kind=systems", "Ignored Show: given more than once"),
    ],
)
def test_invalid_values_are_ignored_with_a_note_using_the_visible_label(client, cards, query, note):
    html = _html(client, query)
    assert note in html
    assert len(_order(html)) == 3 or "min_memory" not in query


def test_budget_is_echoed_as_typed(client, cards):
    html = _html(client, "?max_budget=1000")
    assert 'name="max_budget" min="0" step="any" inputmode="decimal" value="1000"' in html
    assert _order(html) == ["alpha-card"]


def test_no_match_says_so(client, cards):
    assert "No card matches these filters and “zzz”" in _html(client, "?q=zzz")


def test_query_count_does_not_depend_on_cards(
    client, cards, make_gpu, django_assert_max_num_queries
):
    query = "?q=card&vendor=NVIDIA&software=first-class&sort=-per-gb&min_memory=1"
    # The page generation, the cards' names for the search, the table, the demo notice.
    with django_assert_max_num_queries(4):
        _html(client, query)
    for n in range(20):
        make_gpu(f"extra-{n}", label=f"Extra Card {n}")
    with django_assert_max_num_queries(4):
        _html(client, query + "&min_memory=2")


def test_shop_index_links_to_the_compare_page(client, cards):
    html = _html(client)
    assert f'action="{reverse("metrics:compare")}"' in html
    assert f'href="{reverse("metrics:compare")}"' in html


def test_rows_leave_out_only_needs_badges_that_would_say_nothing():
    """The all-cards and cost-per-spec rows include the card-needs badges only for a card that
    has one (CardRef.has_needs): a card without must be one the badges say nothing of, or a row
    loses a badge, and such a card's row shows "—" when it has no ML software badge either."""
    import itertools

    from django.template.loader import get_template

    from catalog.models import FormFactor
    from metrics.selectors import CardRef

    badges = get_template("includes/card_needs_badges.html")
    for form_factor, cooling, devices in itertools.product(
        FormFactor.values, ["active", "passive", ""], [1, 2]
    ):
        card = CardRef("x", "X", form_factor=form_factor, cooling=cooling, devices=devices)
        context = {"form_factor": form_factor, "cooling": cooling, "devices": devices}
        says_something = badges.render(context).strip() != ""
        assert card.has_needs == says_something, (form_factor, cooling, devices)
