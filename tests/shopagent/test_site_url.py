"""Every absolute link the site writes (feeds, canonical and Open Graph tags, sitemap, robots.txt,
JSON documents) is built from SITE_URL, never from the request's Host or X-Forwarded-* headers:
a cached page or feed would otherwise hand a forged origin to every later reader."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.ranking import recompute_rankings
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db

FORGED = {
    "HTTP_HOST": "evil.example",
    "HTTP_X_FORWARDED_HOST": "evil.example",
    "HTTP_X_FORWARDED_PROTO": "http",
    "HTTP_X_FORWARDED_PORT": "8443",
}
URL = re.compile(r"(?:https?:)?//[^\s\"'<>)]+")


@pytest.fixture
def site(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    gpu = make_gpu(slug="nvidia-l40s", label="NVIDIA L40S")
    for price in ("1000", "1000", "1000", "1000", "1000", "800"):
        make_listing(gpu, price, first_seen_at=timezone.now())  # new: a deal in the feeds
    recompute_rankings()
    return gpu


def documents(gpu):
    return [
        reverse("metrics:deals-feed"),
        reverse("metrics:gpu-deals-feed", kwargs={"slug": gpu.slug}),
        reverse("sitemap"),
        reverse("robots-txt"),
        reverse("metrics:home"),
        reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug}),
        reverse("metrics:learn-gpu", kwargs={"slug": gpu.slug}),
        reverse("metrics:data-gpus-json"),
        reverse("metrics:price-history-json", kwargs={"slug": gpu.slug}),
    ]


def test_no_forged_host_or_scheme_reaches_any_absolute_link(client, site, settings):
    for path in documents(site):
        # Twice: the second answer may come from the page cache, filled by the forged request.
        for _ in range(2):
            response = client.get(path, **FORGED)
            body = response.content.decode()
            assert response.status_code == 200, path
            assert "evil.example" not in body, path
            ours = [u for u in URL.findall(body) if "shopagent" in u or u.startswith("//")]
            assert ours, path
            for url in ours:
                assert url.startswith(settings.SITE_URL), (path, url)


def test_feed_links_point_at_site_url(client, site, settings):
    body = client.get(reverse("metrics:deals-feed"), **FORGED).content.decode()
    shop = f"{settings.SITE_URL}/ml/shop/gpu/{site.slug}/?sort=deal"
    assert f'href="{shop}"' in body
    assert f'href="{settings.SITE_URL}/ml/shop/deals.atom" rel="self"' in body
