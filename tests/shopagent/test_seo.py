import json
import re

import pytest
from django.urls import reverse

from tests.factories import make_gpu, make_listing, make_refresh, make_shop
from tests.sitemap import SITEMAP_NS, sitemap_urls

pytestmark = pytest.mark.django_db


def shop_path(gpu):
    return reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})


def head_value(html, pattern):
    match = re.search(pattern, html)
    assert match, pattern
    return match[1]


def jsonld_blocks(html):
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


@pytest.mark.parametrize(
    "label",
    [
        "NVIDIA RTX A6000",
        "NVIDIA H100 NVL 94GB PCIe Tensor Core GPU with an unusually long marketing name",
        "AMD",
    ],
)
@pytest.mark.parametrize("with_listings", [True, False])
def test_shop_title_and_description_fit_search_result_limits(client, label, with_listings):
    gpu = make_gpu(label=label)
    if with_listings:
        make_listing(gpu, price="123456.78")
    html = client.get(shop_path(gpu)).content.decode()
    title = head_value(html, r"<title>(.*?)</title>")
    description = head_value(html, r'<meta name="description" content="(.*?)">')
    assert 0 < len(title) <= 70
    assert 50 <= len(description) <= 160
    assert label[:20] in title
    assert head_value(html, r'<meta property="og:title" content="(.*?)">') == title


def test_shop_titles_are_unique_per_card_and_page(client):
    first = make_shop(listings=30)
    second = make_gpu(slug="nvidia-a40", label="NVIDIA A40")
    titles = {
        head_value(client.get(url).content.decode(), r"<title>(.*?)</title>")
        for url in (shop_path(first), shop_path(first) + "?page=2", shop_path(second))
    }
    assert len(titles) == 3


def test_canonical_stays_the_clean_path_and_variants_are_not_indexed(client):
    gpu = make_shop(listings=30)
    html = client.get(shop_path(gpu) + "?page=2&sort=fp32&condition=used").content.decode()
    assert f'<link rel="canonical" href="https://shopagent.test{shop_path(gpu)}">' in html
    assert '<meta name="robots" content="noindex, follow">' in html
    assert "noindex" not in client.get(shop_path(gpu)).content.decode()


def test_shop_page_has_product_jsonld_with_an_aggregate_offer(client):
    gpu = make_gpu()
    for price in ("4100.00", "3999.99", "5250.50"):
        make_listing(gpu, price=price)
    make_listing(gpu, price="100.00", is_active=False)
    blocks = jsonld_blocks(client.get(shop_path(gpu)).content.decode())
    product = next(b for b in blocks if b["@type"] == "Product")
    assert product["name"] == "NVIDIA RTX A6000"
    assert product["url"] == f"https://shopagent.test{shop_path(gpu)}"
    assert product["offers"] == {
        "@type": "AggregateOffer",
        "lowPrice": "3999.99",
        "highPrice": "5250.50",
        "offerCount": 3,
        "priceCurrency": "USD",
    }


def test_no_product_jsonld_without_offers(client):
    blocks = jsonld_blocks(client.get(shop_path(make_gpu())).content.decode())
    assert [b["@type"] for b in blocks] == ["BreadcrumbList"]


def test_breadcrumbs_jsonld_lists_the_trail_with_absolute_urls(client):
    gpu = make_gpu()
    blocks = jsonld_blocks(client.get(shop_path(gpu)).content.decode())
    trail = next(b for b in blocks if b["@type"] == "BreadcrumbList")["itemListElement"]
    assert [(i["position"], i["name"]) for i in trail] == [
        (1, "Home"),
        (2, "Shop"),
        (3, "NVIDIA RTX A6000"),
    ]
    assert trail[2]["item"] == f"https://shopagent.test{shop_path(gpu)}"


def test_jsonld_cannot_be_broken_out_of_by_a_card_name(client):
    gpu = make_gpu(label="Evil</script><script>alert(1)</script>")
    make_listing(gpu)
    html = client.get(shop_path(gpu)).content.decode()
    assert "<script>alert(1)" not in html
    names = [b.get("name") for b in jsonld_blocks(html)]
    assert "Evil</script><script>alert(1)</script>" in names


def test_sitemap_lists_every_shop_page_with_its_last_refresh(client):
    refreshed = make_gpu()
    make_refresh(refreshed, minutes_ago=30)
    latest = make_refresh(refreshed, minutes_ago=10)
    make_refresh(refreshed, minutes_ago=1, status="failed")
    other = make_gpu(slug="nvidia-a40", label="NVIDIA A40")
    ns = SITEMAP_NS
    entries = {
        url.find("s:loc", ns).text: url.find("s:lastmod", ns).text
        for url in sitemap_urls(client)
        if "/ml/shop/gpu/nvidia-" in url.find("s:loc", ns).text
    }
    day = latest.finished_at.date().isoformat()
    assert entries[f"https://shopagent.test{shop_path(refreshed)}"].startswith(day)
    # A card never refreshed on its own is dated by the latest refresh of any card.
    assert entries[f"https://shopagent.test{shop_path(other)}"].startswith(day)


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_go(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://shopagent.test/sitemap.xml" in body
    assert "Disallow: /go/" in body


def test_no_posthog_snippet_or_third_party_host_without_a_key(client):
    gpu = make_shop(listings=3)
    response = client.get(shop_path(gpu))
    html = response.content.decode()
    assert "posthog" not in html.lower()
    assert "nonce" not in html
    csp = response["Content-Security-Policy"]
    assert "posthog" not in csp
    assert "'nonce-" not in csp


def test_posthog_snippet_carries_the_nonce_the_csp_header_allows(client, settings):
    settings.POSTHOG_API_KEY = "phc_testkey"
    settings.POSTHOG_HOST = "https://eu.i.posthog.com"
    response = client.get(reverse("metrics:home"))
    html = response.content.decode()
    nonce = head_value(html, r'<script nonce="([^"]+)">')
    assert 'posthog.init("phc_testkey", {api_host: "https://eu.i.posthog.com"' in html
    csp = response["Content-Security-Policy"]
    script_src = head_value(csp, r"script-src ([^;]+)").split()
    assert f"'nonce-{nonce}'" in script_src
    assert "https://eu.i.posthog.com" in script_src
    assert "https://eu.i.posthog.com" in head_value(csp, r"connect-src ([^;]+)")


def test_a_page_from_the_cache_gets_this_requests_nonce(client, settings):
    settings.POSTHOG_API_KEY = "phc_testkey"
    gpu = make_shop(listings=2)
    nonces = []
    for _ in range(2):
        response = client.get(shop_path(gpu))
        nonce = head_value(response.content.decode(), r'<script nonce="([^"]+)">')
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_csp_header_locks_scripts_styles_frames_and_forms_to_this_site(client):
    csp = client.get(reverse("metrics:home"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' https://i.ebayimg.com",  # listing photos: eBay's host only
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "object-src": "'none'",
    }


def test_shop_pages_have_no_inline_scripts_or_styles(client):
    html = client.get(shop_path(make_shop(listings=5))).content.decode()
    assert " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or "application/ld+json" in attrs for attrs in scripts)


def test_admin_login_page_works_under_the_csp(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert " style=" not in html
    assert all("src=" in attrs for attrs in re.findall(r"<script([^>]*)>", html))


def test_every_page_has_the_dismissible_feedback_banner_with_the_contact_address(client, settings):
    settings.CONTACT_EMAIL = "hello@shopagent.test"
    for path in (reverse("metrics:home"), shop_path(make_gpu())):
        html = client.get(path).content.decode()
        assert 'id="feedback-banner"' in html
        assert 'href="mailto:hello@shopagent.test"' in html
        assert "data-dismiss-banner" in html
