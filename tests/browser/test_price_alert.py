"""A price alert set from a card's shop page in Chromium, on a phone: the form served from the
page cache carries no CSRF token, and the browser's Origin header lets it through in one step."""

import pytest
from django.urls import reverse

from metrics.models import PriceAlert
from tests.factories import make_shop

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phone_sets_an_alert_from_the_cached_shop_page(page, live_server, mail_server):
    gpu = make_shop(listings=6)
    shop = live_server.url + reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(shop)  # stores the page in the cache
    page.context.clear_cookies()
    page.goto(shop)
    assert not page.context.cookies()  # the cached page set no CSRF cookie
    form = page.locator("form.alert-form")
    form.get_by_label("Email").fill("Phone.Buyer@example.com")
    form.get_by_label("Target price per card (USD)").fill("3100")
    form.get_by_label("Condition").select_option("used")
    box = form.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375

    form.get_by_role("button", name="Set a price alert").click()

    page.get_by_text("Check your inbox").wait_for()
    alert = PriceAlert.objects.get()
    assert (alert.email, alert.target_price, alert.condition, alert.confirmed_at) == (
        "phone.buyer@example.com",
        3100,
        "used",
        None,
    )
    [confirmation] = mail_server.received
    assert confirmation["To"] == "phone.buyer@example.com"
