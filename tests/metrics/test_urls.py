"""Page addresses: every /ml/shop/ page is served from metrics, no card slug can take a page's
address, and a link to a route that does not exist fails loudly rather than vanishing."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse

from catalog.build import page_addresses
from catalog.loader import FixtureError, load_catalog
from catalog.models import RESERVED_SLUGS, Gpu
from metrics.selectors import CardRef
from tests.factories import make_gpu

CARD = CardRef(slug="nvidia-l4", label="NVIDIA L4")
# Where a card's slug sits in a page address.
CARD_PREFIXES = ("ml/shop/gpu/", "ml/learn/gpu/")


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _fixed_names_under_card_prefixes() -> set[str]:
    """Each literal path segment a page puts where a card slug could go."""
    names = set()
    for route, _ in _routes(get_resolver().url_patterns):
        for prefix in CARD_PREFIXES:
            rest = route.removeprefix(prefix)
            if rest != route and rest and not rest.startswith("<"):
                segment = rest.split("/")[0]
                if "." not in segment and "<" not in segment:  # a slug never holds a dot
                    names.add(segment)
    return names


def test_every_page_that_takes_a_card_slug_address_is_reserved():
    assert _fixed_names_under_card_prefixes() == set(RESERVED_SLUGS)


def test_one_app_serves_every_shop_page():
    shop_routes = [
        (route, entry)
        for route, entry in _routes(get_resolver().url_patterns)
        if route.startswith("ml/shop/")
    ]
    assert shop_routes
    assert {entry.lookup_str.split(".")[0] for _, entry in shop_routes} == {"metrics"}


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
def test_a_card_cannot_take_a_pages_address(db, slug):
    gpu = Gpu(slug=slug, label="Hostile Card", manufacturer="NVIDIA", category="gaming")
    with pytest.raises(ValidationError) as error:
        gpu.full_clean()
    assert "address of another page" in str(error.value.message_dict["slug"])


def test_the_compare_and_rankings_pages_keep_their_address_beside_every_card(db):
    make_gpu(slug="nvidia-l4")
    assert resolve("/ml/shop/gpu/compare/").url_name == "compare"
    assert resolve("/ml/shop/gpu/performance/").url_name == "rankings-index"
    assert resolve("/ml/shop/gpu/nvidia-l4/").url_name == "shop-gpu"


def test_load_catalog_refuses_a_card_slugged_like_a_page(db, tmp_path, settings):
    fixtures = settings.BASE_DIR / "fixtures"
    for name in fixtures.glob("*.json"):
        (tmp_path / name.name).write_text(name.read_text())
    cards = (tmp_path / "gpus.json").read_text().replace('"nvidia-l4"', '"performance"', 1)
    (tmp_path / "gpus.json").write_text(cards)
    with pytest.raises(FixtureError, match="performance"):
        load_catalog(fixtures_dir=tmp_path)
    assert not Gpu.objects.exists()


def test_the_catalog_build_names_a_card_slugged_like_a_page():
    assert page_addresses(["nvidia-l4", "compare", "amd-compare"]) == ["compare"]


@override_settings(ROOT_URLCONF="tests.metrics.no_card_pages_urls")
def test_a_link_to_a_missing_page_fails_loudly():
    with pytest.raises(NoReverseMatch):
        Template("{% load present %}{% card_links card %}").render(Context({"card": CARD}))


def test_card_links_name_both_pages_of_the_card():
    html = Template("{% load present %}{% card_links card %}").render(Context({"card": CARD}))
    assert f'href="{reverse("metrics:shop-gpu", args=["nvidia-l4"])}"' in html
    assert f'href="{reverse("metrics:learn-gpu", args=["nvidia-l4"])}"' in html
