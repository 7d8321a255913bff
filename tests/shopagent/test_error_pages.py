import pytest
from django.urls import reverse

NAV = [
    "metrics:shop-index",
    "metrics:rankings-index",
    "metrics:use-case-index",
    "catalog:learn-index",
]


def assert_styled_with_navigation_and_search(html):
    """An error page keeps the site's style sheet, navigation and search box."""
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    for name in NAV:
        assert f'href="{reverse(name)}"' in html
    assert f'action="{reverse("catalog:search")}"' in html


@pytest.fixture
def production_errors(settings):
    settings.DEBUG = False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/no-such-page/", "/ml/shop/gpu/performance/cost-per-speed/", "/ml/shop/use-case/nope/"],
)
def test_missing_page_is_a_styled_404_with_navigation_and_no_details(
    client, production_errors, path
):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert_styled_with_navigation_and_search(html)
    assert '<meta name="robots" content="noindex">' in html
    assert "No such metric" not in html and "URLconf" not in html and "Traceback" not in html


@pytest.mark.urls("tests.shopagent.error_urls")
def test_server_error_page_renders_without_the_database(client, production_errors):
    # No django_db mark: any query this page tried would fail, as it would with the database down.
    client.raise_request_exception = False
    response = client.get("/test-only/database-down/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert_styled_with_navigation_and_search(html)
    assert "secret-detail" not in html and "OperationalError" not in html
