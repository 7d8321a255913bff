import pytest
from django.urls import reverse

from catalog.search import filter_cards, search_cards

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
    ],
)
def test_a_name_alias_or_part_number_goes_straight_to_the_card(client, loaded_catalog, typed, slug):
    response = client.get(SEARCH, {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == _shop(slug)


def test_a_partial_query_lists_the_matching_cards_with_noindex(client, loaded_catalog):
    response = client.get(SEARCH, {"q": "3090"})
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
    assert [c.slug for c in filter_cards(cards, "rtx 3090")[0]] == ["a"]
    assert [c.slug for c in filter_cards(cards, "3090 ti")[0]] == ["b"]


def test_the_start_of_a_part_number_finds_its_cards(loaded_catalog):
    labels = [card.label for card in search_cards(raw_query="900-1G136").cards]
    assert "NVIDIA GeForce RTX 3090" in labels and "NVIDIA GeForce RTX 4090" in labels
    assert "AMD Radeon RX 6600 XT" not in labels
