import pytest
from django.urls import reverse

from catalog.models import Gpu
from catalog.search import filter_cards, named_card, search_cards

pytestmark = pytest.mark.django_db

SEARCH = "/ml/search/"


def _shop(slug):
    return reverse("metrics:shop-gpu", kwargs={"slug": slug})


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("RTX 3090", "nvidia-geforce-rtx-3090"),  # an alias
        ("nvidia geforce rtx 3090 ti", "nvidia-geforce-rtx-3090-ti"),  # the name, any case
        ("TUF-RTX4090-O24G-GAMING", "nvidia-geforce-rtx-4090"),  # a part number
        ("tuf rtx4090 o24g gaming", "nvidia-geforce-rtx-4090"),  # typed loosely
        ("  nvidia-geforce-rtx-4090 ", "nvidia-geforce-rtx-4090"),  # the slug
        ("3090", "nvidia-geforce-rtx-3090"),  # a model number: its card, not the 3090 Ti too
        ("rtx3090", "nvidia-geforce-rtx-3090"),
        ("3090 24GB", "nvidia-geforce-rtx-3090"),
        ("3060", "nvidia-geforce-rtx-3060"),  # not the 3060 8GB or the 3060 Ti
        ("rtx 3060 8gb", "nvidia-geforce-rtx-3060-8gb"),  # not the 3060 Ti, though it has 8 GB
        ("4060 ti", "nvidia-geforce-rtx-4060-ti"),
        ("4060 Ti 16 GB", "nvidia-geforce-rtx-4060-ti-16gb"),
        ("l40", "nvidia-l40"),  # not the L40S
        ("l4", "nvidia-l4"),  # never the L40
        ("a10", "nvidia-a10"),  # never an A100
        ("a1000", "nvidia-rtx-a1000"),
        ("9070", "amd-radeon-rx-9070"),
        ("a100 sxm4 40gb", "nvidia-a100-sxm-40gb"),
        ("mi300", "amd-instinct-mi300x"),
    ],
)
def test_a_name_alias_or_part_number_goes_straight_to_the_card(client, loaded_catalog, typed, slug):
    response = client.get(SEARCH, {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == _shop(slug)


def test_a_partial_query_lists_the_matching_cards_with_noindex(client, loaded_catalog):
    response = client.get(SEARCH, {"q": "309"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{_shop("nvidia-geforce-rtx-3090")}"' in html
    assert f'href="{_shop("nvidia-geforce-rtx-3090-ti")}"' in html
    assert "RTX 4090" not in html.split("<main")[1]
    assert '<meta name="robots" content="noindex, follow">' in html
    assert "2 cards match every word you typed" in html


def test_a_part_number_shared_by_two_cards_lists_both(client, loaded_catalog):
    result = search_cards(raw_query="AS-4126GS-NMR-LCC")
    assert result.exact and len(result.cards) == 2
    assert client.get(SEARCH, {"q": "AS-4126GS-NMR-LCC"}).status_code == 200


@pytest.mark.parametrize(
    "typed", ["", "   ", "zzzz-no-card", "%", "<script>alert(1)</script>", "é" * 5000, "---"]
)
def test_odd_input_gives_a_results_page_not_an_error(client, loaded_catalog, typed):
    response = client.get(SEARCH, {"q": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    if typed.strip() and typed != "é" * 5000:
        assert "No card matches" in html


def test_a_very_long_query_is_cut_with_a_note(client, loaded_catalog):
    html = client.get(SEARCH, {"q": "RTX 3090 " + "x" * 300}).content.decode()
    assert "Searched the first 100 characters only." in html


def test_repeated_q_uses_one_value_and_never_fails(client, loaded_catalog):
    response = client.get(SEARCH + "?q=RTX+3090&q=P40")
    assert response.status_code in {200, 302}


def test_every_page_has_the_search_form_in_its_header(client, db):
    html = client.get(reverse("metrics:home")).content.decode()
    header = html.split("</header>")[0]
    assert f'action="{reverse("catalog:search")}"' in header
    assert 'role="search"' in header and 'name="q"' in header


def test_exact_match_wins_over_longer_names():
    from catalog.search import CardNames

    cards = [
        CardNames.of(
            slug=s,
            label=label,
            manufacturer="NVIDIA",
            category="gaming",
            aliases=[],
            part_numbers=[],
        )
        for s, label in [("a", "RTX 3090"), ("b", "RTX 3090 Ti")]
    ]
    assert named_card(filter_cards(cards, "rtx 3090")[0], "rtx 3090").slug == "a"
    assert [c.slug for c in filter_cards(cards, "3090 ti")[0]] == ["b"]


def test_the_start_of_a_part_number_finds_its_cards(loaded_catalog):
    labels = [card.label for card in search_cards(raw_query="900-1G136").cards]
    assert "NVIDIA GeForce RTX 3090" in labels and "NVIDIA GeForce RTX 4090" in labels
    assert "AMD Radeon RX 6600 XT" not in labels


def _listed(query):
    result = search_cards(raw_query=query)
    assert result.unique is None, f"{query!r} went straight to {result.unique.slug}"
    return {card.slug for card in result.cards}


def test_a100_never_matches_the_rtx_a1000(loaded_catalog):
    assert _listed("a100") == {
        "nvidia-a100-pcie",
        "nvidia-a100-pcie-40gb",
        "nvidia-a100-sxm",
        "nvidia-a100-sxm-40gb",
    }
    assert "nvidia-rtx-a1000" not in _listed("nvidia a100")


def test_a_memory_size_lists_every_card_with_that_much_memory(loaded_catalog):
    with_24 = set(Gpu.objects.filter(memory_gb=24).values_list("slug", flat=True))
    assert {
        "nvidia-geforce-rtx-3090",
        "nvidia-geforce-rtx-4090",
        "nvidia-tesla-p40",
        "nvidia-a10",
        "nvidia-l4",
        "amd-radeon-rx-7900-xtx",
    } <= with_24
    for typed in ("24gb", "24 GB", "24G"):
        assert _listed(typed) == with_24
    assert _listed("nvidia 48gb") == set(
        Gpu.objects.filter(memory_gb=48, manufacturer="NVIDIA").values_list("slug", flat=True)
    )


def test_a_model_and_memory_size_offer_every_form_of_it(client, loaded_catalog):
    assert _listed("a100 40gb") == {"nvidia-a100-pcie-40gb", "nvidia-a100-sxm-40gb"}
    assert _listed("A100 80G") == {"nvidia-a100-pcie", "nvidia-a100-sxm"}
    html = client.get(SEARCH, {"q": "a100 40gb"}).content.decode()
    assert "2 cards match every word you typed" in html


@pytest.mark.parametrize(
    ("typed", "slugs"),
    [
        ("h100", {"nvidia-h100-nvl", "nvidia-h100-pcie", "nvidia-h100-sxm"}),
        ("7900 xt", {"amd-radeon-rx-7900-xt", "amd-radeon-rx-7900-xtx"}),
        ("mi50", {"amd-instinct-mi50-16gb", "amd-instinct-mi50-32gb"}),
        # A bare number is not the end of "W7600": three cards, none named.
        ("7600", {"amd-radeon-rx-7600", "amd-radeon-rx-7600-xt", "amd-radeon-pro-w7600"}),
    ],
)
def test_a_model_number_several_cards_share_lists_them(loaded_catalog, typed, slugs):
    assert _listed(typed) == slugs


def test_the_all_cards_page_filters_by_model_number_and_memory(client, loaded_catalog):
    page = client.get(reverse("metrics:shop-index"), {"q": "a100 40gb"}).content.decode()
    assert "NVIDIA A100 PCIe 40GB" in page and "NVIDIA A100 SXM4 40GB" in page
    assert "NVIDIA A100 PCIe 80GB" not in page and "RTX A1000" not in page


def test_model_numbers_match_whole_digit_runs_whatever_the_names():
    from catalog.search import CardNames

    def card(slug, label, memory):
        return CardNames.of(
            slug=slug,
            label=label,
            manufacturer="X",
            category="gaming",
            aliases=[],
            part_numbers=[],
            memory_gb=memory,
        )

    cards = [
        card("x1", "Acme Z10", 8),
        card("x2", "Acme Z100", 16),
        card("x3", "Acme Z100 Max", 32),
        card("x4", "Acme Pro Z1000", 16),
    ]
    slugs = lambda query: [c.slug for c in filter_cards(cards, query)[0]]  # noqa: E731
    assert slugs("z10") == ["x1"]
    assert slugs("z100") == ["x2", "x3"]
    assert slugs("16gb") == ["x2", "x4"]
    assert slugs("z100 32gb") == ["x3"]
    assert slugs("z1") == ["x1", "x2", "x3", "x4"]  # no whole match: the start of a number
    assert named_card(filter_cards(cards, "z100")[0], "z100").slug == "x2"
    assert named_card(filter_cards(cards, "16gb")[0], "16gb") is None


def test_a_search_reads_the_cards_once_whatever_it_finds(
    client, loaded_catalog, django_assert_num_queries
):
    """The header search answers in one query (the cards), two for a results page (and whether
    demo listings are shown): never a query per card."""
    with django_assert_num_queries(1):
        assert client.get(SEARCH, {"q": "3090"}).status_code == 302
    with django_assert_num_queries(2):
        response = client.get(SEARCH, {"q": "tesla"})
    assert (
        response.status_code == 200
        and "cards match every word you typed" in response.content.decode()
    )
