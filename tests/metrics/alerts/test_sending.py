"""send_alerts against a real SMTP server: what is sent, how often, and that nothing is lost when
the server refuses or is down."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.alerts.sending import send_alerts
from metrics.models import AlertDelivery, PriceAlert
from tests.metrics.alerts.conftest import make_priced, text_part

pytestmark = pytest.mark.django_db


def test_several_new_listings_go_in_one_email_with_one_click_unsubscribe(
    mail_server, card, confirmed_alert
):
    confirmed_alert(target="1600.00")
    for price in ("1590.00", "1480.00", "1555.55"):
        make_priced(card, price)

    run = send_alerts()

    assert (run.alerts, run.listings, run.failed) == (1, 3, 0)
    [message] = mail_server.received
    assert message["Subject"] == "NVIDIA GeForce RTX 4090: 3 new listings at or under $1,600"
    body = text_part(message)
    assert body.index("$1,480.00") < body.index("$1,555.55") < body.index("$1,590.00")
    assert "18% under the going rate" in body  # $1,480 against $1,800
    assert message["List-Unsubscribe"].strip().startswith("<https://shopagent.test/ml/alerts/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_at_most_one_email_a_day_and_never_the_same_listing_twice(
    mail_server, card, confirmed_alert
):
    confirmed_alert(target="1600.00")
    make_priced(card, "1500.00")
    now = timezone.now()
    send_alerts(now=now)
    later = make_priced(card, "1510.00")

    assert send_alerts(now=now + timedelta(hours=23)).alerts == 0  # the day's email went
    assert send_alerts(now=now + timedelta(hours=25)).alerts == 1
    assert send_alerts(now=now + timedelta(hours=50)).alerts == 0  # nothing new

    first, second = mail_server.received
    assert "$1,500.00" in text_part(first) and "$1,500.00" not in text_part(second)
    assert "1 new NVIDIA GeForce RTX 4090 listing at" in text_part(second)
    assert AlertDelivery.objects.filter(listing=later).count() == 1


def test_an_email_shows_ten_listings_and_counts_the_rest(mail_server, card, confirmed_alert):
    confirmed_alert(target="1600.00")
    for i in range(13):
        make_priced(card, f"{1400 + i}.00")

    send_alerts()

    body = text_part(mail_server.received[0])
    assert body.count("per card,") == 10 and "And 3 more:" in body
    assert AlertDelivery.objects.count() == 13  # told of all 13: none is sent again


def test_an_unconfirmed_alert_gets_only_its_confirmation_and_expires_after_a_week(
    mail_server, card, confirmed_alert
):
    alert = confirmed_alert(confirmed_at=None, confirmation_sent_at=None)
    make_priced(card, "1500.00")

    run = send_alerts()

    [message] = mail_server.received
    assert message["Subject"].startswith("Confirm your price alert")
    assert (run.confirmations, run.alerts) == (1, 0)
    assert send_alerts().confirmations == 0  # sent once
    week_later = alert.created_at + timedelta(days=7, minutes=1)
    assert send_alerts(now=week_later).expired == 1
    assert not PriceAlert.objects.exists()
    assert len(mail_server.received) == 1


def test_a_refused_email_is_sent_again_on_the_next_run(mail_server, card, confirmed_alert):
    alert = confirmed_alert(target="1600.00")
    make_priced(card, "1500.00")
    mail_server.refusing = True

    with pytest.raises(CommandError, match="1 emails failed and will be retried"):
        call_command("send_alerts", stdout=StringIO())

    alert.refresh_from_db()
    assert alert.last_sent_at is None and not AlertDelivery.objects.exists()
    mail_server.refusing = False
    assert send_alerts().alerts == 1
    assert len(mail_server.received) == 1


def test_a_mail_server_that_is_down_loses_nothing(mail_server, card, confirmed_alert):
    confirmed_alert(target="1600.00")
    confirmed_alert(email="other@example.com", target="1600.00")
    confirmed_alert(email="new@example.com", confirmed_at=None, confirmation_sent_at=None)
    make_priced(card, "1500.00")
    mail_server.stop()

    run = send_alerts()

    assert (run.alerts, run.confirmations, run.failed) == (0, 0, 3)
    assert PriceAlert.objects.count() == 3
    assert not PriceAlert.objects.filter(last_sent_at__isnull=False).exists()
    assert PriceAlert.objects.get(email="new@example.com").confirmation_sent_at is None
    mail_server.start()
    assert send_alerts().alerts == 2
    assert len(mail_server.received) == 3  # two alerts and the confirmation


def test_dry_run_counts_and_sends_nothing(mail_server, card, confirmed_alert):
    confirmed_alert(target="1600.00")
    make_priced(card, "1500.00")
    out = StringIO()

    call_command("send_alerts", "--dry-run", stdout=out)

    assert "1 alert emails would send (1 listings)" in out.getvalue()
    assert mail_server.received == [] and not AlertDelivery.objects.exists()


def test_sending_many_alerts_takes_a_fixed_number_of_queries_each(
    mail_server, card, confirmed_alert, django_assert_max_num_queries
):
    for i in range(10):
        confirmed_alert(email=f"b{i}@example.com", target="1600.00")
    make_priced(card, "1500.00")

    with django_assert_max_num_queries(7 + 10 * 4):  # a claim, the deliveries in a savepoint
        assert send_alerts().alerts == 10


def test_a_second_run_at_the_same_time_never_sends_the_email_again(
    mail_server, card, confirmed_alert, monkeypatch
):
    """Two runs at once (a cron send_alerts during a refresh's): the second reads the same owed
    listings, but the first run's claim has moved the alert on, so it sends nothing."""
    from metrics.alerts import sending

    confirmed_alert(target="1600.00")
    make_priced(card, "1500.00")
    read_owed = sending.owed_listings

    def the_other_run_finishes_in_between(alerts):
        owed = read_owed(alerts)
        with monkeypatch.context() as inner:
            inner.setattr(sending, "owed_listings", read_owed)
            assert send_alerts().alerts == 1
        return owed

    monkeypatch.setattr(sending, "owed_listings", the_other_run_finishes_in_between)
    late = send_alerts()

    assert late.alerts == 0 and late.failed == 0
    assert len(mail_server.received) == 1 and AlertDelivery.objects.count() == 1
