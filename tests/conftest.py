import pytest

# Test files whose behaviour depends on the cache (page cache and its invalidation, the admin
# throttle, the eBay token and public keys, the call budget, view counts): `make test` runs them
# a second time against a real Redis server (.ci/with-redis).
CACHE_DEPENDENT = {
    "tests/metrics/test_views.py",
    "tests/shopagent/test_seo.py",
    "tests/shopagent/test_throttle.py",
    "tests/shopagent/test_cache.py",
    "tests/shopagent/test_cache_backends.py",
    "tests/shopagent/test_page_cache.py",
    "tests/listings/test_ebay.py",
    "tests/listings/test_refresh_listings.py",
    "tests/listings/test_schedule.py",
    "tests/listings/test_account_deletion.py",
}


# Fixtures through which a test reads or writes the database.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _runs_site_workers(item) -> bool:
    code = getattr(getattr(item, "function", None), "__code__", None)
    return code is not None and "SiteWorkers" in (*code.co_names, *code.co_varnames)


def pytest_collection_modifyitems(items):
    """Mark what each `make test` pass selects: `cache` (the Redis pass), `database` (a test that
    uses the database: the PostgreSQL pass), `workers` (the site in several processes on one
    SQLite file: the SQLite pass only)."""
    for item in items:
        if item.nodeid.split("::")[0] in CACHE_DEPENDENT:
            item.add_marker(pytest.mark.cache)
        if DATABASE_FIXTURES & set(item.fixturenames) or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.database)
        if _runs_site_workers(item):
            item.add_marker(pytest.mark.workers)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and no eBay token, as a fresh server would."""
    from django.core.cache import cache

    from listings.ebay import forget_tokens

    cache.clear()
    forget_tokens()
    yield
    cache.clear()
    forget_tokens()


@pytest.fixture
def loaded_catalog(db):
    """The real catalog (104 cards, ML models, use cases, MLPerf results) from fixtures/."""
    from django.core.management import call_command

    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on 127.0.0.1 (tests/fakes/smtp_server.py) that the site sends to."""
    from tests.fakes.smtp_server import SmtpServer

    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()
