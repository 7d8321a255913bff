"""Every page the sitemap lists, fetched with the test client: a title a search result shows in
full (at most 70 characters) and a meta description it shows in full (at most 160)."""

import html
import re

import pytest
from django.db.models.functions import Length

from catalog.models import Gpu
from metrics.ranking import recompute_rankings
from tests.factories import make_listing
from tests.sitemap import sitemap_paths

pytestmark = pytest.mark.django_db

# The longest names make the longest titles and descriptions: price them, one after another
# (each is the next one's neighbour in price, so their compare pairs are in the sitemap), plus
# the cards of the popular pairs.
LONG_NAMES = 8
POPULAR = ("nvidia-geforce-rtx-3090", "nvidia-geforce-rtx-4090", "nvidia-tesla-p40")


def head(body: str, pattern: str) -> str:
    match = re.search(pattern, body, re.S)
    return html.unescape(match[1]) if match else ""


def test_every_sitemap_page_has_a_title_and_description_that_fit_a_search_result(
    client, loaded_catalog
):
    longest = Gpu.objects.order_by(-Length("label"), "slug")[:LONG_NAMES]
    for n, gpu in enumerate([*longest, *Gpu.objects.filter(slug__in=POPULAR)]):
        make_listing(gpu, 1000 + 100 * n)
    recompute_rankings()

    paths = sitemap_paths(client)
    assert len(paths) > 2 * Gpu.objects.count()  # every card's shop and learn page, and more
    compares = [path for path in paths if path.startswith("/ml/shop/gpu/compare/")]
    assert any(longest[0].slug in path for path in compares), longest[0].slug  # the longest pair
    too_long = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        title = head(body, r"<title>(.*?)</title>")
        description = head(body, r'<meta name="description" content="(.*?)">')
        assert title and description, path
        if len(title) > 70 or len(description) > 160:
            too_long.append(f"{path}: title {len(title)}, description {len(description)}")
    assert too_long == []
