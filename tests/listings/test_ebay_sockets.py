"""The client against a real loopback server that fails on purpose (no mocks at the transport)."""

import pytest

from listings.ebay import EbayClient, EbayError
from tests.fakes.ebay_server import (
    BlackHole,
    FakeEbay,
    Step,
    closed_port_url,
    html_error_page,
    items_page,
    slow,
    status,
    truncated_json,
)
from tests.listings.conftest import make_item

pytestmark = pytest.mark.django_db


def client_for(url, **kwargs):
    kwargs.setdefault("timeout", 0.5)
    return EbayClient(api_base_url=url, auth_url=url, sleep=lambda s: None, **kwargs)


def test_a_body_cut_short_is_retried_then_answered():
    items = [make_item(1, "RTX 4090 24GB")]
    with FakeEbay() as ebay:
        broken = Step(body=b'{"total": 1, "itemSummaries": []}', close_early=True)
        ebay.script("RTX 4090", [broken, items_page(items)])

        result = client_for(ebay.url).search(query="RTX 4090")

    assert [i["itemId"] for i in result.items] == [items[0]["itemId"]]


@pytest.mark.parametrize(
    "step", [truncated_json([make_item(1, "x")]), html_error_page()], ids=["truncated", "html"]
)
def test_broken_bodies_fail_the_search(step):
    with FakeEbay() as ebay:
        ebay.script("RTX 4090", [step])

        with pytest.raises(EbayError):
            client_for(ebay.url).search(query="RTX 4090")


def test_a_slow_answer_times_out_as_an_ebay_error():
    with FakeEbay() as ebay:
        ebay.script("RTX 4090", [slow(items_page([]), 1.0)])

        with pytest.raises(EbayError, match="unreachable"):
            client_for(ebay.url, max_retries=0, timeout=0.2).search(query="RTX 4090")


def test_a_revoked_token_is_replaced_once():
    with FakeEbay() as ebay:
        client = client_for(ebay.url)
        client.search(query="RTX 4090")
        ebay.revoke_current_token()

        client.search(query="RTX 4090")

    assert ebay.tokens_issued == 2


def test_429_then_success_over_a_socket():
    with FakeEbay() as ebay:
        ebay.script("RTX 4090", [status(429, retry_after=1), items_page([make_item(1, "x")])])

        result = client_for(ebay.url).search(query="RTX 4090")

    assert len(result.items) == 1 and result.api_calls == 2


def test_refused_and_hanging_connections_are_ebay_errors():
    with pytest.raises(EbayError):
        client_for(closed_port_url(), max_retries=1).search(query="RTX 4090")
    with BlackHole() as hole, pytest.raises(EbayError):
        client_for(hole.url, max_retries=0, timeout=0.3).search(query="RTX 4090")
