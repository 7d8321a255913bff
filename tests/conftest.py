from contextlib import contextmanager
from pathlib import Path

import pytest

# Test files whose behaviour depends on the cache (page cache and its invalidation, the admin
# throttle, the eBay token and public keys, the call budget, view counts): all use the database
# too, so `make test` runs them a second time on PostgreSQL and a real Redis server
# (.ci/with-redis); with SKIP_POSTGRES=1, on SQLite and Redis.
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
    """Mark what each `make test` pass selects: `database` (a test that uses the database: the
    PostgreSQL and Redis pass), `cache` (depends on the shared cache: on Redis and SQLite when
    SKIP_POSTGRES=1), `workers` (the site in several processes on one SQLite file: the SQLite
    pass only)."""
    for item in items:
        if item.nodeid.split("::")[0] in CACHE_DEPENDENT:
            item.add_marker(pytest.mark.cache)
        if DATABASE_FIXTURES & set(item.fixturenames) or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.database)
        if _runs_site_workers(item):
            item.add_marker(pytest.mark.workers)
    items[:] = _module_data_tests_last(items)


def _module_data(item) -> int:
    """How many module-scoped fixtures the test reads data from (0 if it reads none): see
    `module_db`."""
    if "module_db" not in item.fixturenames:
        return 0
    definitions = item._fixtureinfo.name2fixturedefs
    scopes = [found[-1].scope for name in item.fixturenames if (found := definitions.get(name))]
    return scopes.count("module")


def _module_data_tests_last(items):
    """Within each run of one module's tests, a test that reads data written once for the module
    (`module_db`) goes after those that read less of it: data stays until the module's last
    test, and the module's other tests start from an empty database."""
    ordered, block = [], []
    for item in [*items, None]:
        if block and (item is None or item.path != block[0].path):
            if not any(_commits(member) for member in block):
                block.sort(key=_module_data)
            ordered += block
            block = []
        if item is not None:
            block.append(item)
    return ordered


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


# What makes pytest-django run a test in a real transaction (TransactionTestCase) instead of
# a savepoint rolled back after it.
TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _commits(item) -> bool:
    """Whether the test runs in real transactions that commit (and so cannot sit inside one)."""
    marker = item.get_closest_marker("django_db")
    if marker and any(marker.kwargs.get(k) for k in ("transaction", "reset_sequences")):
        return True
    if marker and marker.args and marker.args[0]:
        return True
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


class ModuleData:
    """The transaction held open around one module's tests (`module_db`)."""

    def __init__(self, blocker):
        self.blocker = blocker
        self.written: set[str] = set()

    @contextmanager
    def writing(self, fixture: str):
        """Write the data a module-scoped fixture (named) sets up for the module's tests."""
        with self.blocker.unblock():
            yield
        self.written.add(fixture)


_OPEN: dict[Path, ModuleData] = {}  # module file: its open transaction


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker):
    """A transaction held open around a module's tests and rolled back after the last of them.

    A module-scoped fixture writes in it (`with module_db.writing("its name"):`), so the data it
    sets up is written once for the module; each test runs in a savepoint inside it
    (pytest-django's `db`), so it starts from that data whatever the test before it wrote. Tests
    are ordered so that none sees data it did not ask for (`_module_data_tests_last`), and one
    that would fails. None in a module with a test that commits (`transaction=True`,
    `live_server`): no transaction can be held open around those."""
    from django.db import transaction

    if any(_commits(item) for item in request.session.items if item.path == request.path):
        yield None
        return
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
    _OPEN[request.path] = data = ModuleData(django_db_blocker)
    try:
        yield data
    finally:
        del _OPEN[request.path]
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _no_unasked_module_data(request):
    """A test that uses the database fails if its module holds data it did not ask for."""
    data = _OPEN.get(request.path)
    unasked = data.written - set(request.fixturenames) if data else set()
    if unasked and request.node.get_closest_marker("database"):
        pytest.fail(f"the test would see data it did not ask for, from {sorted(unasked)}")


def _load_catalog():
    from django.core.management import call_command

    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture(scope="module")
def catalog_for_module(module_db):
    """The catalog loaded once for the module (see `module_db`); False where the module has a
    test that commits, and the catalog is loaded for each test instead."""
    if module_db is None:
        return False
    with module_db.writing("catalog_for_module"):
        _load_catalog()
    return True


@pytest.fixture
def loaded_catalog(catalog_for_module, db):
    """The real catalog (cards, whole computers, ML models, use cases, MLPerf results, LLM
    measurements and their stored backtest) from fixtures/, loaded once per test module where
    it can be (`catalog_for_module`); what a test changes in it is rolled back after the test."""
    if not catalog_for_module:
        _load_catalog()


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on 127.0.0.1 (tests/fakes/smtp_server.py) that the site sends to."""
    from tests.fakes.smtp_server import SmtpServer

    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()
