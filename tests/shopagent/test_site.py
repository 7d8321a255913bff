import json

import pytest
from django.urls import reverse

from metrics.ranking import recompute_rankings
from shopagent.sitemaps import SITEMAPS
from tests.factories import make_gpu, make_listing, make_refresh
from tests.sitemap import SITEMAP_NS, section_paths, sitemap_locations, sitemap_urls

CHANGE_FREQUENCIES = ("always", "hourly", "daily", "weekly", "monthly", "yearly", "never")


@pytest.mark.django_db
def test_healthz_answers_ok_after_a_database_round_trip(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "cache": "ok"}


def test_healthz_says_only_unavailable_and_logs_why(client, caplog):
    # No database access is allowed in this test: the round-trip fails as a dead database would.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "cache": "ok"}
    assert "Database access not allowed" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/robots.txt",
        "/sitemap.xml",
        "/sitemap-shop.xml",
        "/",
        "/ml/shop/gpu/",
        "/ml/learn/",
    ],
)
def test_head_works_wherever_get_does(client, path):
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == 200
    assert head.status_code == 200
    assert head.content == b""


def test_robots_txt_points_at_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sitemap: https://shopagent.test/sitemap.xml" in body
    assert "Disallow: /admin/" in body


@pytest.mark.django_db
def test_base_layout_has_nav_disclosure_and_attribution(client):
    response = client.get(reverse("metrics:home"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in [
        "metrics:home",
        "metrics:shop-index",
        "metrics:rankings-index",
        "metrics:use-case-index",
        "catalog:learn-index",
    ]:
        assert f'href="{reverse(name)}"' in html
    assert "may earn a commission" in html
    assert "CC BY-SA 4.0" in html
    assert '<link rel="canonical" href="https://shopagent.test/">' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "metrics:home",
        "metrics:shop-index",
        "metrics:rankings-index",
        "metrics:use-case-index",
        "catalog:learn-index",
    ],
)
def test_every_nav_link_resolves_to_a_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_no_third_party_scripts_or_styles_without_analytics(client, db):
    html = client.get(reverse("metrics:home")).content.decode()
    assert "posthog" not in html.lower()
    assert "https://cdn" not in html


@pytest.mark.django_db
def test_every_sitemap_entry_says_how_often_it_changes_and_how_much_it_matters(client):
    # The sitemap template writes both for every URL: each section must give them.
    for name, section in SITEMAPS.items():
        assert section.changefreq and section.priority is not None, name
    ns = SITEMAP_NS
    urls = sitemap_urls(client)
    assert urls
    for url in urls:
        assert url.find("s:changefreq", ns).text in CHANGE_FREQUENCIES
        assert 0 < float(url.find("s:priority", ns).text) <= 1


@pytest.mark.django_db
def test_the_sitemap_index_lists_each_section_once_and_they_hold_every_page_once(client, settings):
    settings.SITE_URL = "https://shopagent.test"
    for slug, price in (("card-a", 900), ("card-b", 1100)):
        make_listing(make_gpu(slug), price)
    make_refresh(make_gpu("card-c"), minutes_ago=60)
    recompute_rankings()
    index = client.get("/sitemap.xml").content.decode()
    assert section_paths(client) == [f"/sitemap-{name}.xml" for name in SITEMAPS]
    assert "<loc>https://shopagent.test/sitemap-shop.xml</loc>" in index
    # Every page the sections list is listed once, and they list every page of every section.
    listed = sitemap_locations(client)
    expected = [
        f"https://shopagent.test{section().location(item)}"
        for section in SITEMAPS.values()
        for item in section().items()
    ]
    assert len(listed) == len(set(listed)) > 0
    assert sorted(listed) == sorted(expected)
    assert client.get("/sitemap-no-such-section.xml").status_code == 404


@pytest.mark.django_db
def test_a_section_in_the_sitemap_index_is_dated_by_its_latest_page(client):
    card = make_gpu("card-a")
    make_refresh(card, minutes_ago=60 * 24 * 3)
    latest = make_refresh(make_gpu("card-b"), minutes_ago=60 * 24 * 2)
    make_refresh(card, minutes_ago=60, status="failed")
    index = client.get("/sitemap.xml").content.decode()
    day = latest.finished_at.date().isoformat()
    assert f"/sitemap-shop.xml</loc><lastmod>{day}</lastmod></sitemap>" in index
    # A section none of whose pages has a date of its own says none.
    assert "/sitemap-learn.xml</loc></sitemap>" in index
