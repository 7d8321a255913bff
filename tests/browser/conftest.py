"""One headless Debian Chromium per session, driven by Playwright; never a downloaded browser."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, launched once with a new empty profile (Playwright makes a fresh one)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are still
    # plain synchronous calls, which Django would otherwise refuse while a loop is running.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def local_tab(browser, live_server, *, viewport, color_scheme="light"):
    """A tab in a fresh context (empty storage) that can reach only the live test server:
    (context, tab)."""
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme)

    def only_local(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized tab in a fresh context; only the live test server is reachable."""
    context, tab = local_tab(browser, live_server, viewport={"width": 1280, "height": 900})
    yield tab
    # Closing the context drops its keep-alive connections, so no server thread outlives the test.
    context.close()


@pytest.fixture(scope="module")
def module_server(django_db_setup, django_db_blocker):
    """A live server over the test database that keeps what the module stores in it for all of
    the module's tests, and empties it after them: pages built from the whole catalog load it
    once per module, not once per test. (pytest-django's live_server empties the database after
    every test.)"""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        # pytest-django sets up the test database only when a selected test asks for `db` or
        # `live_server`; without this, `pytest -k` over these tests alone would serve, and then
        # flush, the developer's own database.
        own = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            own = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        server = LiveServer("localhost")
        try:
            yield server
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if own is not None:
                teardown_databases(own, verbosity=0)
