"""The alert pages: the shop page's form through review, confirm, manage and unsubscribe links,
rate limits, and what never happens (a change without a CSRF token or a signed link, analytics on
a subscriber's page, an address stored in clear outside its alert)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.alerts.sending import send_alerts
from metrics.alerts.tokens import CONFIRM, MANAGE, UNSUBSCRIBE, make_token
from metrics.models import AlertRequests, PriceAlert
from tests.metrics.alerts.conftest import link, page_form, text_part

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/ml/alerts/subscribe/"


def _fields(card, **values):
    return {
        "gpu": card.slug,
        "email": "buyer@example.com",
        "target_price": "1600",
        "condition": "used",
        **values,
    }


def _subscribe(browser: Client, fields: dict):
    """A POST with no Origin header (a browser that sends none), then the review's POST with
    its token."""
    review = browser.post(SUBSCRIBE, fields)
    if review.status_code != 403:
        return review
    return browser.post(SUBSCRIBE, {**page_form(review.content.decode())["fields"], **fields})


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def test_the_shop_page_form_posts_to_subscribe_without_a_token_and_out_of_analytics(client, card):
    html = client.get(reverse("metrics:shop-gpu", kwargs={"slug": card.slug})).content.decode()
    form = page_form(html, action=SUBSCRIBE)
    assert set(form["fields"]) == {"gpu", "email", "target_price"}
    assert 'class="alert-form ph-no-capture"' in html


def test_the_cached_forms_post_from_this_site_sets_the_alert_in_one_step(
    mail_server, browser, card
):
    response = browser.post(SUBSCRIBE, _fields(card), HTTP_ORIGIN="http://testserver")

    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert PriceAlert.objects.get().email == "buyer@example.com"
    [confirmation] = mail_server.received
    assert link(confirmation, "confirm")


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null", "http://testserver.evil"])
def test_a_post_without_a_token_from_no_or_another_origin_is_shown_back_and_changes_nothing(
    mail_server, browser, card, origin
):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    response = browser.post(SUBSCRIBE, _fields(card), **headers)

    assert response.status_code == 403
    html = response.content.decode()
    assert 'value="buyer@example.com"' in html and "send it again" in html
    assert page_form(html, action=SUBSCRIBE)["fields"]["csrfmiddlewaretoken"]
    assert not PriceAlert.objects.exists() and mail_server.received == []


def test_a_post_with_a_wrong_token_is_refused(mail_server, browser, card):
    browser.get(f"{SUBSCRIBE}?gpu={card.slug}")  # a CSRF cookie, but not this token
    response = browser.post(SUBSCRIBE, {**_fields(card), "csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 403
    assert "This form had expired" in response.content.decode()
    assert not PriceAlert.objects.exists() and mail_server.received == []


@pytest.mark.parametrize(
    "values",
    [
        {"email": "not-an-address"},
        {"email": "a" * 250 + "@example.com"},
        {"target_price": "0"},
        {"target_price": "-5"},
        {"target_price": "1e3"},
        {"target_price": "١٢٠٠"},
        {"target_price": "nan"},
        {"target_price": "99999999999"},
        {"target_price": "1600.555"},
        {"condition": "broken"},
    ],
)
def test_bad_input_is_a_400_with_the_form_and_stores_nothing(mail_server, browser, card, values):
    response = _subscribe(browser, _fields(card, **values))

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode() or "condition" in values
    assert not PriceAlert.objects.exists() and mail_server.received == []


@pytest.mark.parametrize("query", ["", "?gpu=no-such-card", "?gpu=a&gpu=b", "?gpu=%F0%9F%98%80"])
def test_the_subscribe_page_for_no_known_card_is_a_404(client, card, query):
    assert client.get(f"{SUBSCRIBE}{query}").status_code == 404
    assert client.post(SUBSCRIBE, {"gpu": query[5:], "email": "a@b.co"}).status_code == 404


def test_the_subscribe_page_for_a_card_shows_its_going_rate(client, card):
    html = client.get(f"{SUBSCRIBE}?gpu={card.slug}").content.decode()

    assert "Price alert: NVIDIA GeForce RTX 4090" in html and "used $1,800" in html


def test_an_address_may_ask_three_times_a_day(mail_server, browser, card):
    for target in ("1600", "1500", "1400"):
        assert _subscribe(browser, _fields(card, target_price=target)).status_code == 200

    response = _subscribe(Client(enforce_csrf_checks=True), _fields(card))

    assert response.status_code == 429 and int(response["Retry-After"]) > 23 * 3600
    assert len(mail_server.received) == 3
    assert PriceAlert.objects.get().target_price == 1400


def test_a_client_may_ask_ten_times_an_hour(mail_server, browser, card):
    for i in range(10):
        assert _subscribe(browser, _fields(card, email=f"b{i}@example.com")).status_code == 200

    response = _subscribe(browser, _fields(card, email="eleventh@example.com"))

    assert response.status_code == 429 and 3500 < int(response["Retry-After"]) <= 3600
    assert not PriceAlert.objects.filter(email="eleventh@example.com").exists()
    # Another client (behind a trusted proxy, another address) is not held back.
    other = _subscribe(Client(REMOTE_ADDR="10.0.0.2"), _fields(card, email="x@example.com"))
    assert other.status_code == 200


def test_rate_limits_keep_no_address_in_clear_nor_past_their_window(mail_server, browser, card):
    _subscribe(browser, _fields(card))

    keys = list(AlertRequests.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any("example.com" in key or "127.0.0.1" in key for key in keys)
    send_alerts(now=timezone.now() + timedelta(minutes=61))  # the client's hour is over
    assert AlertRequests.objects.count() == 1
    send_alerts(now=timezone.now() + timedelta(hours=25))  # and the address's day
    assert not AlertRequests.objects.exists()


def test_asking_again_for_a_confirmed_alert_sends_the_link_to_change_it(
    mail_server, browser, card, confirmed_alert
):
    confirmed_alert(target="1600.00")

    response = _subscribe(browser, _fields(card, target_price="900"))

    assert "Check your inbox" in response.content.decode()  # the same answer as for a new one
    assert PriceAlert.objects.get().target_price == 1600
    [message] = mail_server.received
    assert message["Subject"] == "Your price alert for the NVIDIA GeForce RTX 4090"
    assert link(message, "manage")


def test_asking_again_before_confirming_replaces_the_alert_and_its_link(mail_server, browser, card):
    _subscribe(browser, _fields(card, target_price="1600"))
    _subscribe(browser, _fields(card, target_price="1500", condition="new"))

    alert = PriceAlert.objects.get()
    assert (alert.target_price, alert.condition) == (1500, "new")
    assert "of the NVIDIA GeForce RTX 4090 (new) lands at or under $1,500" in text_part(
        mail_server.received[1]
    )


def test_a_confirmation_that_cannot_be_sent_now_goes_on_the_next_run(mail_server, browser, card):
    mail_server.stop()
    response = _subscribe(browser, _fields(card))
    assert "Check your inbox" in response.content.decode()
    assert PriceAlert.objects.get().confirmation_sent_at is None

    mail_server.start()
    assert send_alerts().confirmations == 1
    assert link(mail_server.received[0], "confirm")


def test_the_confirm_link_asks_before_it_confirms(browser, card, confirmed_alert):
    alert = confirmed_alert(confirmed_at=None)
    path = reverse("metrics:alerts-confirm", kwargs={"token": make_token(alert.pk, CONFIRM)})

    page = browser.get(path)
    assert "Turn the alert on" in page.content.decode()
    assert browser.post(path).status_code == 403  # no CSRF token
    alert.refresh_from_db()
    assert alert.confirmed_at is None

    browser.post(path, page_form(page.content.decode())["fields"])
    alert.refresh_from_db()
    assert alert.confirmed_at is not None


def test_a_confirm_link_older_than_a_week_or_for_another_purpose_does_not_work(
    client, card, confirmed_alert
):
    alert = confirmed_alert(confirmed_at=None)
    week_old = make_token(alert.pk, CONFIRM)
    wrong_purpose = make_token(alert.pk, UNSUBSCRIBE)
    with mock.patch("django.core.signing.time.time", return_value=signing.time.time() + 8 * 86400):
        assert client.get(f"/ml/alerts/confirm/{week_old}/").status_code == 404
    for token in (wrong_purpose, week_old[:-2] + "xx", "1", "é" * 10, "a" * 300):
        assert client.get(f"/ml/alerts/confirm/{token}/").status_code == 404, token


def test_unsubscribe_asks_on_a_visit_and_deletes_the_address_on_a_post(card, confirmed_alert):
    from tests.factories import make_gpu

    alert = confirmed_alert()
    confirmed_alert(gpu=make_gpu("nvidia-l4"))
    stranger = confirmed_alert(email="stranger@example.com")
    path = reverse(
        "metrics:alerts-unsubscribe", kwargs={"token": make_token(alert.pk, UNSUBSCRIBE)}
    )
    mail_client = Client(enforce_csrf_checks=True)

    page = mail_client.get(path)
    assert "2 alerts, on the NVIDIA GeForce RTX 4090, the Nvidia L4" in page.content.decode()
    assert PriceAlert.objects.count() == 3

    response = mail_client.post(path)  # a plain POST with no token is final
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    assert list(PriceAlert.objects.all()) == [stranger]
    again = mail_client.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
    assert again.status_code == 200 and "nothing is stored" in again.content.decode()


def test_the_manage_page_changes_or_deletes_the_addresss_alerts(browser, card, confirmed_alert):
    from tests.factories import make_gpu

    alert = confirmed_alert()
    other = confirmed_alert(gpu=make_gpu("nvidia-l4", label="NVIDIA L4"))
    path = reverse("metrics:alerts-manage", kwargs={"token": make_token(alert.pk, MANAGE)})
    page = browser.get(path).content.decode()
    token = page_form(page)["fields"]["csrfmiddlewaretoken"]
    assert "NVIDIA GeForce RTX 4090" in page and "NVIDIA L4" in page

    saved = browser.post(
        path,
        {
            "csrfmiddlewaretoken": token,
            "alert": alert.pk,
            "action": "save",
            f"{alert.pk}-target_price": "1,450",
            f"{alert.pk}-condition": "new",
        },
    )
    assert "Saved" in saved.content.decode()
    alert.refresh_from_db()
    assert (alert.target_price, alert.condition) == (1450, "new")

    deleted = browser.post(
        path, {"csrfmiddlewaretoken": token, "alert": alert.pk, "action": "delete"}
    )
    assert deleted.status_code == 302 and list(PriceAlert.objects.all()) == [other]
    assert (
        browser.post(path, {"csrfmiddlewaretoken": token, "action": "delete-all"}).status_code
        == 404
    )
    follow = browser.post(
        deleted["Location"], {"csrfmiddlewaretoken": token, "action": "delete-all"}
    )
    assert "Unsubscribed" in follow.content.decode() and not PriceAlert.objects.exists()


def test_no_alert_page_loads_analytics(settings, client, card, confirmed_alert):
    settings.POSTHOG_API_KEY = "phc_test"
    alert = confirmed_alert()
    pages = [
        f"{SUBSCRIBE}?gpu={card.slug}",
        f"/ml/alerts/confirm/{make_token(alert.pk, CONFIRM)}/",
        f"/ml/alerts/manage/{make_token(alert.pk, MANAGE)}/",
        f"/ml/alerts/unsubscribe/{make_token(alert.pk, UNSUBSCRIBE)}/",
    ]
    shop = reverse("metrics:shop-gpu", kwargs={"slug": card.slug})
    assert "posthog.init" in client.get(shop).content.decode()
    for path in pages:
        response = client.get(path)
        html = response.content.decode()
        assert "posthog" not in html and 'content="noindex, nofollow"' in html, path
        # A link from a page whose address holds a token never hands the token on.
        assert response["Referrer-Policy"] == "no-referrer", path


def test_the_about_page_says_what_is_stored_and_how_to_delete_it(client):
    html = client.get("/ml/alerts/").content.decode()

    assert "What we store" in html and "How to delete it" in html
    assert "We do not keep your network (IP) address" in html
    assert "up to 10 requests an hour from one connection, 3 a day for one email" in html


def test_an_expired_alert_link_is_a_404_with_the_way_back(client, card, confirmed_alert):
    alert = confirmed_alert()
    token = make_token(alert.pk, MANAGE)
    alert.delete()

    response = client.get(f"/ml/alerts/manage/{token}/")

    assert response.status_code == 404 and "This link does not work" in response.content.decode()


def test_a_week_old_unconfirmed_alert_is_deleted_by_the_next_run(card, confirmed_alert):
    old = confirmed_alert(confirmed_at=None)
    PriceAlert.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=7))

    assert send_alerts(dry_run=True).expired == 1 and PriceAlert.objects.exists()
    assert send_alerts().expired == 1 and not PriceAlert.objects.exists()


def test_a_laptop_gpu_has_no_alert_form_and_takes_no_alert(mail_server, browser, card):
    from tests.factories import make_gpu

    laptop = make_gpu("amd-radeon-rx-7700s", label="AMD Radeon RX 7700S", form_factor="laptop")
    shop = browser.get(reverse("metrics:shop-gpu", kwargs={"slug": laptop.slug}))

    assert shop.status_code == 200 and "alert-form" not in shop.content.decode()
    assert browser.get(f"{SUBSCRIBE}?gpu={laptop.slug}").status_code == 404
    origin = {"HTTP_ORIGIN": "http://testserver"}
    response = browser.post(SUBSCRIBE, _fields(laptop), **origin)
    assert response.status_code == 404
    assert not PriceAlert.objects.exists() and mail_server.received == []
