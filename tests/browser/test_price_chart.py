"""The price-history chart in a real browser at phone width: drawn, readable, allowed by the CSP."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import DailyPrice, Scope
from tests.factories import make_shop

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def charted_gpu():
    gpu = make_shop(listings=6)
    today = timezone.localdate()
    for n in range(90):
        for scope, base in ((Scope.USED, 3000), (Scope.NEW, 4200)):
            price = Decimal(base + 4 * n + (n % 7) * 15)  # older days cost more
            DailyPrice.objects.create(
                gpu=gpu,
                scope=scope,
                day=today - timedelta(days=n),
                headline_price=price,
                lowest_price=price,
                listing_count=5,
                computed_at=timezone.now(),
            )
    return gpu


@pytest.mark.parametrize("name", ["metrics:shop-gpu", "metrics:learn-gpu"])
def test_the_chart_fits_and_reads_at_375_px(page, live_server, charted_gpu, name):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.set_viewport_size(PHONE)
    path = reverse(name, kwargs={"slug": charted_gpu.slug})
    assert page.goto(live_server.url + path).status == 200
    chart = page.locator("svg.price-chart")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert 280 <= box["width"] <= 375 - 16, box
    assert box["height"] > 120, "the chart keeps its proportions"
    assert page.locator("svg.price-chart polyline").count() == 2
    # Lines are drawn (stroked by the stylesheet, not inline styles the CSP would block).
    stroke = page.locator("svg.price-chart polyline.chart-used").evaluate(
        "el => getComputedStyle(el).stroke"
    )
    assert stroke not in ("none", "")
    label = page.locator("svg.price-chart text.chart-axis").first.bounding_box()
    assert label["height"] >= 9, "axis labels stay readable on a phone"
    summary = page.locator(".chart-summary").inner_text()
    assert "lowest" in summary and "highest" in summary and "since" not in summary
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert violations == []


def test_period_links_redraw_the_chart_without_javascript(browser, live_server, charted_gpu):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    tab = context.new_page()
    try:
        tab.goto(live_server.url + reverse("metrics:shop-gpu", kwargs={"slug": charted_gpu.slug}))
        tab.get_by_role("link", name="30 days").click()
        tab.wait_for_url("**history=30**")
        title = tab.locator("svg.price-chart title").text_content()
        assert "last 30 days" in title
    finally:
        context.close()


def test_listing_photos_keep_a_fixed_size_and_a_placeholder_stands_in(
    page, live_server, charted_gpu
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("metrics:shop-gpu", kwargs={"slug": charted_gpu.slug}))
    placeholder = page.locator(".listing-image-none").first
    box = placeholder.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (96, 96)
    assert placeholder.get_attribute("aria-label") == "No photo"
