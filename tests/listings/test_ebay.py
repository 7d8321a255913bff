import pytest
import requests
import responses
from django.test import override_settings

from listings.budget import calls_today
from listings.ebay import BudgetExhausted, EbayClient, EbayError
from listings.models import ApiUsage
from tests.listings.conftest import SEARCH_URL, TOKEN_URL, load, make_item

pytestmark = pytest.mark.django_db


def page(items, *, total=None, next_url=None):
    body = {"total": len(items) if total is None else total, "itemSummaries": items}
    if next_url:
        body["next"] = next_url
    return body


def test_token_is_minted_once_and_reused_from_the_cache(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, json=page([make_item(1, "RTX 4090")]))

    ebay_client.search(query="RTX 4090")
    EbayClient().search(query="RTX 4090")

    assert token.call_count == 1
    assert http.calls[0].request.headers["Authorization"].startswith("Basic ")
    body = http.calls[0].request.body
    assert "grant_type=client_credentials" in body
    assert "scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope" in body
    assert http.calls[1].request.headers["Authorization"] == "Bearer v^1.1#i^1#test-token"


def test_a_401_mints_a_new_token_once_and_retries(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, status=401, json={"errors": []})
    http.add(responses.GET, SEARCH_URL, json=page([make_item(1, "RTX 4090")]))

    result = ebay_client.search(query="RTX 4090")

    assert len(result.items) == 1
    assert token.call_count == 2


def test_a_second_401_is_an_error_not_a_loop(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, status=401, json={"errors": []})

    with pytest.raises(EbayError, match="401"):
        ebay_client.search(query="RTX 4090")
    assert token.call_count == 2


def test_sends_marketplace_and_affiliate_headers_and_the_search_filter(ebay_client, http, token):
    search = http.add(responses.GET, SEARCH_URL, json=page([]))

    with override_settings(EBAY_ITEM_LOCATION_COUNTRY="US"):
        ebay_client.search(query="RTX 4090", category_ids=["27386", "175673"])

    request = search.calls[0].request
    assert request.headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"
    assert request.headers["X-EBAY-C-ENDUSERCTX"] == "affiliateCampaignId=5338000000"
    params = request.params
    assert params["q"] == "RTX 4090"
    assert params["category_ids"] == "27386,175673"
    assert params["limit"] == "200"
    assert "buyingOptions:{FIXED_PRICE|AUCTION}" in params["filter"]
    assert "conditionIds:{" in params["filter"] and "7000" not in params["filter"]
    assert "priceCurrency:USD" in params["filter"]
    assert "itemLocationCountry:US" in params["filter"]


def test_no_affiliate_header_without_a_campaign_id(http, token):
    search = http.add(responses.GET, SEARCH_URL, json=page([]))

    EbayClient(campaign_id="").search(query="RTX 4090")

    assert "X-EBAY-C-ENDUSERCTX" not in search.calls[0].request.headers
    assert search.calls[0].request.params["category_ids"] == "27386"


def test_follows_next_pages_and_returns_every_item(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, json=load("ebay_search_page1.json"))
    http.add(responses.GET, SEARCH_URL, json=load("ebay_search_page2.json"))

    result = ebay_client.search(query="RTX 4090")

    assert [i["legacyItemId"] for i in result.items] == [str(314159260000 + n) for n in range(1, 6)]
    assert result.total == 5
    assert result.api_calls == 2
    assert http.calls[2].request.params["offset"] == "3"


def test_stops_at_the_per_card_cap(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, json=load("ebay_search_page1.json"))

    result = ebay_client.search(query="RTX 4090", max_items=2)

    assert len(result.items) == 2
    assert result.truncated
    assert result.api_calls == 1


def test_never_asks_for_an_offset_of_ten_thousand_or_more(ebay_client, http, token):
    items = [make_item(n, "RTX 4090") for n in range(3)]
    http.add(
        responses.GET,
        SEARCH_URL,
        json=page(items, total=50_000, next_url=f"{SEARCH_URL}?q=RTX+4090&offset=10000&limit=200"),
    )

    result = ebay_client.search(query="RTX 4090", max_items=20_000)

    assert len(result.items) == 3
    assert result.truncated
    assert len(http.calls) == 2  # the token and one page


def test_refuses_a_next_link_to_another_host(ebay_client, http, token):
    http.add(
        responses.GET,
        SEARCH_URL,
        json=page([make_item(1, "RTX 4090")], total=9, next_url="https://evil.test/steal?offset=1"),
    )

    with pytest.raises(EbayError, match="outside the API"):
        ebay_client.search(query="RTX 4090")


def test_honours_retry_after_on_429(ebay_client, http, token, sleeps):
    http.add(responses.GET, SEARCH_URL, status=429, headers={"Retry-After": "7"}, json={})
    http.add(responses.GET, SEARCH_URL, json=page([make_item(1, "RTX 4090")]))

    result = ebay_client.search(query="RTX 4090")

    assert len(result.items) == 1
    assert sleeps == [7.0]
    assert result.api_calls == 2


def test_caps_a_huge_retry_after(ebay_client, http, token, sleeps):
    http.add(responses.GET, SEARCH_URL, status=429, headers={"Retry-After": "86400"}, json={})
    http.add(responses.GET, SEARCH_URL, json=page([]))

    ebay_client.search(query="RTX 4090")

    assert sleeps == [60.0]


def test_retries_5xx_a_bounded_number_of_times_then_fails(ebay_client, http, token, sleeps):
    search = http.add(responses.GET, SEARCH_URL, status=503, json={})

    with pytest.raises(EbayError, match="503"):
        ebay_client.search(query="RTX 4090")

    assert search.call_count == 1 + ebay_client.max_retries
    assert len(sleeps) == ebay_client.max_retries


def test_retries_connection_errors_then_fails(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, body=requests.ConnectionError("refused"))

    with pytest.raises(EbayError, match="unreachable"):
        ebay_client.search(query="RTX 4090")


def test_a_failed_second_page_fails_the_whole_search(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, json=load("ebay_search_page1.json"))
    http.add(responses.GET, SEARCH_URL, status=500, json={})

    with pytest.raises(EbayError):
        ebay_client.search(query="RTX 4090")


@pytest.mark.parametrize(
    "body,content_type",
    [
        ('{"total": 3, "itemSummaries": [', "application/json"),
        ("<html><body>Service unavailable</body></html>", "text/html"),
        ('{"total": 3, "warnings": []}', "application/json"),
        ('{"total": 3, "itemSummaries": "none"}', "application/json"),
        ("[1, 2, 3]", "application/json"),
    ],
    ids=[
        "truncated-json",
        "html-with-200",
        "no-item-list",
        "item-list-not-a-list",
        "not-an-object",
    ],
)
def test_malformed_bodies_are_one_ebay_error(ebay_client, http, token, body, content_type):
    http.add(responses.GET, SEARCH_URL, body=body, content_type=content_type)

    with pytest.raises(EbayError):
        ebay_client.search(query="RTX 4090")


def test_an_honest_empty_answer_is_an_empty_result(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, json={"total": 0, "limit": 200, "offset": 0})

    result = ebay_client.search(query="RTX 4090")

    assert result.items == [] and result.total == 0


def test_a_refused_token_request_is_an_ebay_error(ebay_client, http):
    http.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_client"})

    with pytest.raises(EbayError, match="OAuth"):
        ebay_client.search(query="RTX 4090")


def test_missing_credentials_are_refused_before_any_call():
    with pytest.raises(EbayError, match="EBAY_CLIENT_ID"):
        EbayClient(client_id="", client_secret="")


def test_counts_every_search_call_against_todays_budget(ebay_client, http, token):
    http.add(responses.GET, SEARCH_URL, status=500, json={})
    http.add(responses.GET, SEARCH_URL, json=page([]))

    ebay_client.search(query="RTX 4090")

    assert calls_today() == 2  # the retry counts, the token call does not


def test_a_spent_budget_stops_before_calling_ebay(ebay_client, http, token):
    search = http.add(responses.GET, SEARCH_URL, json=page([]))

    with override_settings(EBAY_DAILY_CALL_BUDGET=1):
        ebay_client.search(query="RTX 4090")
        with pytest.raises(BudgetExhausted):
            ebay_client.search(query="RTX 4090")

    assert search.call_count == 1
    assert ApiUsage.objects.get().calls == 1
