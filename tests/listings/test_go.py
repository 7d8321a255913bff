from unittest import mock

import pytest
from django.urls import reverse

from listings.links import is_ebay_url
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    with mock.patch("listings.analytics.capture_event") as capture:
        yield capture


def go_url(listing):
    return reverse("listings:go", kwargs={"pk": listing.pk})


def test_redirects_to_the_affiliate_url_and_records_the_click(client, captured):
    listing = make_listing(make_gpu(), price="4000.00")
    response = client.get(
        go_url(listing), HTTP_REFERER="http://testserver/ml/shop/gpu/x/?sort=fp32"
    )
    assert response.status_code == 302
    assert response["Location"] == listing.affiliate_url
    captured.assert_called_once()
    kwargs = captured.call_args.kwargs
    assert kwargs["event"] == "affiliate_click"
    assert kwargs["distinct_id"]
    assert kwargs["properties"]["listing_id"] == listing.pk
    assert kwargs["properties"]["gpu"] == "nvidia-rtx-a6000"
    assert kwargs["properties"]["price"] == "4000.00"
    assert kwargs["properties"]["source_page"] == "/ml/shop/gpu/x/"


def test_falls_back_to_the_item_url_without_an_affiliate_url(client, captured):
    listing = make_listing(make_gpu(), affiliate_url="")
    response = client.get(go_url(listing))
    assert response.status_code == 302
    assert response["Location"] == listing.item_web_url


def test_source_page_from_a_same_site_from_parameter_only(client, captured):
    listing = make_listing(make_gpu())
    client.get(go_url(listing) + "?from=/ml/shop/gpu/performance/cost-per-fp32-flops/")
    assert captured.call_args.kwargs["properties"]["source_page"] == (
        "/ml/shop/gpu/performance/cost-per-fp32-flops/"
    )
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client.get(go_url(listing), {"from": hostile}, HTTP_REFERER="https://evil.example/page")
        assert captured.call_args.kwargs["properties"]["source_page"] == ""


def test_never_redirects_to_a_url_from_the_request(client, captured):
    listing = make_listing(make_gpu())
    response = client.get(go_url(listing), {"next": "https://evil.example/", "url": "//evil"})
    assert response["Location"] == listing.affiliate_url


@pytest.mark.parametrize(
    "stored",
    [
        "https://evil.example/itm/1",
        "https://ebay.com.evil.example/itm/1",
        "https://notebay.com/itm/1",
        "https://www.ebay.com@evil.example/itm/1",
        "javascript:alert(1)",
        "ftp://www.ebay.com/itm/1",
        "https://ebay.xyz/itm/1",
        "https://www.ebay.com.ai/itm/1",
        "https://www.ebay.co.zz/itm/1",
        "https://www.ebay.com:8443/itm/1",
        "http://www.ebay.com/itm/1",
        "https://rover.ebay.com.evil.example/rover/1",
        "https://www.ebay.com\\@evil.example/itm/1",
    ],
)
def test_refuses_a_stored_url_that_is_not_on_ebay(client, captured, stored):
    listing = make_listing(make_gpu(), affiliate_url=stored, item_web_url="")
    assert client.get(go_url(listing)).status_code == 404
    captured.assert_not_called()


def test_an_off_site_affiliate_url_falls_back_to_the_item_url(client, captured):
    listing = make_listing(make_gpu(), affiliate_url="https://evil.example/")
    response = client.get(go_url(listing))
    assert response.status_code == 302
    assert response["Location"] == listing.item_web_url
    assert captured.call_args.kwargs["properties"]["affiliate"] is False


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ebay.com/itm/1",
        "https://ebay.com/itm/1",
        "https://www.ebay.co.uk/itm/1",
        "https://www.ebay.de/itm/1",
        "https://www.ebay.com.au/itm/1",
        "https://m.ebay.ca/itm/1",
        "https://www.ebay.com.hk/itm/1",
        "https://ebay.ph/itm/1",
        "https://www.ebay.in/itm/1",
    ],
)
def test_accepts_ebay_hosts_in_every_marketplace(url):
    assert is_ebay_url(url)


def test_unknown_and_archived_listings_are_404(client, captured):
    archived = make_listing(make_gpu(), is_active=False)
    assert client.get(go_url(archived)).status_code == 404
    assert client.get("/go/999999/").status_code == 404
    captured.assert_not_called()


def test_the_hop_is_never_cached(client, captured):
    listing = make_listing(make_gpu())
    response = client.get(go_url(listing))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_uses_posthogs_browser_id_when_its_cookie_is_there(client, captured, settings):
    settings.POSTHOG_API_KEY = "phc_test"
    listing = make_listing(make_gpu())
    client.cookies["ph_phc_test_posthog"] = '{"distinct_id": "0190-visitor"}'
    client.get(go_url(listing))
    assert captured.call_args.kwargs["distinct_id"] == "0190-visitor"


def test_only_get_and_head_are_allowed(client, captured):
    listing = make_listing(make_gpu())
    assert client.post(go_url(listing)).status_code == 405


def test_head_answers_like_get_without_counting_a_click(client, captured):
    listing = make_listing(make_gpu())
    response = client.head(go_url(listing))
    assert response.status_code == 302
    assert response["Location"] == listing.affiliate_url
    captured.assert_not_called()
