import pytest

# Test files whose behaviour depends on the cache (page cache and its invalidation, the admin
# throttle, the eBay token, the call budget, view counts): `make test` runs them a second time
# against a real Redis server (.ci/with-redis).
CACHE_DEPENDENT = {
    "tests/metrics/test_views.py",
    "tests/shopagent/test_seo.py",
    "tests/shopagent/test_throttle.py",
    "tests/shopagent/test_cache.py",
    "tests/shopagent/test_cache_backends.py",
    "tests/shopagent/test_fragments.py",
    "tests/listings/test_ebay.py",
    "tests/listings/test_refresh_listings.py",
    "tests/listings/test_schedule.py",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.split("::")[0] in CACHE_DEPENDENT:
            item.add_marker(pytest.mark.cache)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and no eBay token, as a fresh server would."""
    from django.core.cache import cache

    from listings.ebay import forget_tokens
    from shopagent.cache import forget_local_values

    cache.clear()
    forget_local_values()
    forget_tokens()
    yield
    cache.clear()
    forget_local_values()
    forget_tokens()


@pytest.fixture
def loaded_catalog(db):
    """The real catalog (104 cards, ML models, use cases, MLPerf results) from fixtures/."""
    from django.core.management import call_command

    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
