"""A fake eBay on loopback for every fault test, and both cards refreshed once before a fault."""

import pytest

from tests.fakes.ebay_server import (
    FakeEbay,
    items_page,
)
from tests.listings.faults.scenarios import (
    BIG_SLUG,
    big_items,
    other_items,
    refresh_both,
    stored,
)


@pytest.fixture
def ebay(settings, catalog):
    with FakeEbay() as fake:
        settings.EBAY_API_BASE_URL = fake.url
        settings.EBAY_AUTH_URL = fake.url
        settings.EBAY_TIMEOUT_SECONDS = 0.5
        settings.EBAY_MAX_RETRIES = 2
        yield fake


@pytest.fixture
def stocked(ebay):
    """Both cards refreshed once successfully: the listings a fault must not touch."""
    ok, out, error = refresh_both(ebay, [items_page(big_items())], [items_page(other_items())])
    assert ok, error
    before = stored(BIG_SLUG)
    assert len(before) == 4 and all(row[3] for row in before)
    return before
