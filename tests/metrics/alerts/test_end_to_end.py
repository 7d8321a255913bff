"""The whole alert life against a real SMTP server on 127.0.0.1: a visitor sets an alert from a
card's shop page as the page cache serves it (CSRF checks enforced: the browser's Origin
header names the site), confirms it from the email,
hears about a cheaper listing when it is imported, unsubscribes with the one-click POST a mail
client makes, and hears nothing more."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from metrics.models import AlertDelivery, PriceAlert
from tests.listings.conftest import make_item
from tests.metrics.alerts.conftest import html_part, link, page_form, text_part

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/ml/alerts/subscribe/"


def _import(tmp_path, card, *items):
    path = tmp_path / f"search-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"itemSummaries": list(items)}))
    call_command("import_listings", str(path), "--gpu", card.slug, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _set_alert_from_the_shop_page(browser: Client, card) -> None:
    shop = reverse("metrics:shop-gpu", kwargs={"slug": card.slug})
    Client().get(shop)  # another visitor's view stores the page
    page = browser.get(shop)
    assert "csrftoken" not in page.cookies  # served from the page cache: no token of its own
    form = page_form(page.content.decode(), action=SUBSCRIBE)
    assert form["method"] == "post" and "csrfmiddlewaretoken" not in form["fields"]
    fields = {**form["fields"], "email": "Buyer@Example.com", "target_price": "1,650"}
    fields["condition"] = "used"

    done = browser.post(SUBSCRIBE, fields, HTTP_ORIGIN="http://testserver")

    assert done.status_code == 200
    assert "Check your inbox" in done.content.decode()


def test_subscribe_confirm_alert_unsubscribe_then_silence(mail_server, card, tmp_path):
    browser = Client(enforce_csrf_checks=True)
    _set_alert_from_the_shop_page(browser, card)

    alert = PriceAlert.objects.get()
    assert (alert.email, alert.confirmed_at, str(alert.target_price)) == (
        "buyer@example.com",
        None,
        "1650.00",
    )
    [confirmation] = mail_server.received
    assert confirmation["To"] == "buyer@example.com"
    assert confirmation["From"] == "ShopAgent <alerts@shopagent.test>"
    assert confirmation["Subject"] == "Confirm your price alert for the NVIDIA GeForce RTX 4090"
    confirm_path = link(confirmation, "confirm")
    assert confirm_path in html_part(confirmation)

    # A listing lands under the target before the alert is confirmed: nothing is sent.
    _import(tmp_path, card, make_item(1, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1500"))
    assert len(mail_server.received) == 1

    page = browser.get(confirm_path)
    assert PriceAlert.objects.get().confirmed_at is None  # opening the link is not confirming
    on = browser.post(confirm_path, page_form(page.content.decode())["fields"])
    assert "Your price alert is on" in on.content.decode()
    assert "1 listing is at or under your price already" in on.content.decode()

    # Two new used listings at or under $1,650 and one over it: one email with the two.
    _import(
        tmp_path,
        card,
        make_item(2, "NVIDIA GeForce RTX 4090 24GB Gaming OC", "1600"),
        make_item(3, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1649.99"),
        make_item(4, "NVIDIA GeForce RTX 4090 24GB Trio", "1700"),
    )
    [_, alert_email] = mail_server.received
    assert alert_email["Subject"] == "NVIDIA GeForce RTX 4090: 2 new listings at or under $1,650"
    body = text_part(alert_email)
    assert "$1,600.00 per card" in body and "$1,649.99 per card" in body
    assert "$1,700.00" not in body and "$1,500.00" not in body
    unsubscribe = link(alert_email, "unsubscribe")
    assert alert_email["List-Unsubscribe"].strip() == f"<https://shopagent.test{unsubscribe}>"
    assert alert_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link(alert_email, "manage") in html_part(alert_email)
    assert AlertDelivery.objects.count() == 2

    # The mail client's one-click unsubscribe: a POST with no cookie and no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not PriceAlert.objects.exists() and not AlertDelivery.objects.exists()

    _import(tmp_path, card, make_item(5, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1200"))
    call_command("send_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail_server.received) == 2  # silence
