import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as a fresh server would."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def loaded_catalog(db):
    """The real catalog (104 cards, ML models, use cases, MLPerf results) from fixtures/."""
    from django.core.management import call_command

    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
