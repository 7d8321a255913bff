import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
import responses
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from listings import analytics
from listings.models import Listing, RefreshLock, RefreshRun
from listings.refresh_lock import LOCK_NAME, acquire_lock, release_lock
from tests.listings.conftest import SEARCH_URL, make_item

pytestmark = pytest.mark.django_db

ITEMS_4090 = [
    make_item(1, "NVIDIA GeForce RTX 4090 Founders Edition 24GB", "1650.00"),
    make_item(2, "ASUS TUF RTX 4090 OC 24GB GDDR6X", "1720.00"),
    make_item(3, "RTX 4090 cooling fan replacement", "25.00"),
]
ITEMS_T4 = [make_item(11, "NVIDIA Tesla T4 16GB GPU", "700.00")]


def answer(http, query, *, json=None, status=200):
    http.add(
        responses.GET,
        SEARCH_URL,
        json=json if json is not None else {"total": 0},
        status=status,
        match=[responses.matchers.query_param_matcher({"q": query}, strict_match=False)],
    )


def refresh(*args):
    out = StringIO()
    call_command("refresh_listings", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def ebay(http, token, catalog):
    """Live answers for two cards; the other cards find nothing."""
    answer(http, "NVIDIA GeForce RTX 4090", json={"total": 3, "itemSummaries": ITEMS_4090})
    answer(http, "NVIDIA T4", json={"total": 1, "itemSummaries": ITEMS_T4})
    answer(http, "NVIDIA GeForce RTX 4080")
    answer(http, "NVIDIA GeForce RTX 4080 Super")
    return http


def test_refreshes_every_card_and_prints_one_line_each(ebay):
    output = refresh()

    assert "nvidia-geforce-rtx-4090: 3 seen, 3 new" in output
    assert "nvidia-t4: 1 seen, 1 new" in output
    assert "4 cards refreshed" in output
    assert Listing.objects.visible().count() == 3
    runs = RefreshRun.objects.all()
    assert {r.status for r in runs} == {"ok"} and len({r.run_id for r in runs}) == 1
    assert RefreshRun.objects.get(gpu__slug="nvidia-t4").api_calls == 1


def test_only_the_named_cards_are_refreshed(ebay):
    output = refresh("--gpu", "nvidia-t4")

    assert "nvidia-t4" in output and "rtx-4090" not in output
    assert set(Listing.objects.values_list("gpu__slug", flat=True)) == {"nvidia-t4"}


def test_an_unknown_slug_is_refused_before_any_call(ebay):
    with pytest.raises(CommandError, match="nvidia-t5"):
        refresh("--gpu", "nvidia-t5", "--stale-only")

    assert not RefreshRun.objects.exists()


def test_refuses_without_credentials(catalog):
    with (
        override_settings(EBAY_CLIENT_ID="", EBAY_CLIENT_SECRET=""),
        pytest.raises(CommandError, match="EBAY_CLIENT_ID"),
    ):
        refresh()


def test_a_failing_card_fails_the_command_but_not_the_others_or_its_listings(http, token, catalog):
    answer(http, "NVIDIA GeForce RTX 4090", json={"total": 3, "itemSummaries": ITEMS_4090})
    answer(http, "NVIDIA T4", json={"total": 1, "itemSummaries": ITEMS_T4})
    refresh("--gpu", "nvidia-geforce-rtx-4090", "--gpu", "nvidia-t4")
    rtx4090 = Listing.objects.filter(gpu__slug="nvidia-geforce-rtx-4090").order_by("item_id")
    stored = list(rtx4090.values())
    http.reset()  # eBay now fails for the 4090 only
    answer(http, "NVIDIA GeForce RTX 4090", status=503)
    answer(http, "NVIDIA T4", json={"total": 1, "itemSummaries": ITEMS_T4})

    with pytest.raises(CommandError, match="nvidia-geforce-rtx-4090: failed: .*503"):
        refresh("--gpu", "nvidia-geforce-rtx-4090", "--gpu", "nvidia-t4")

    assert list(rtx4090.values()) == stored
    failed = RefreshRun.objects.filter(status="failed").get()
    assert failed.gpu.slug == "nvidia-geforce-rtx-4090" and "503" in failed.error
    assert RefreshRun.objects.filter(gpu__slug="nvidia-t4", status="ok").count() == 2


def test_5xx_leaves_stored_listings_exactly_as_they_were(http, token, catalog):
    answer(http, "NVIDIA GeForce RTX 4090", json={"total": 3, "itemSummaries": ITEMS_4090})
    refresh("--gpu", "nvidia-geforce-rtx-4090")
    before = list(Listing.objects.order_by("item_id").values())
    http.reset()
    answer(http, "NVIDIA GeForce RTX 4090", status=500)

    with pytest.raises(CommandError):
        refresh("--gpu", "nvidia-geforce-rtx-4090")

    assert list(Listing.objects.order_by("item_id").values()) == before


def test_a_spent_budget_stops_cleanly_and_reports_the_rest_as_skipped(ebay):
    with override_settings(EBAY_DAILY_CALL_BUDGET=2):
        output = refresh()

    assert output.count(" seen, ") == 2
    assert output.count("skipped, daily eBay call budget spent") == 2
    assert RefreshRun.objects.filter(status="skipped").count() == 2
    assert RefreshRun.objects.filter(status="ok").count() == 2


def test_a_second_run_while_one_holds_the_lock_exits_with_a_clear_message(ebay):
    assert acquire_lock(name=LOCK_NAME, owner="other-run")

    with pytest.raises(CommandError, match="another refresh_listings run holds the lock"):
        refresh()

    assert not Listing.objects.exists()
    assert RefreshLock.objects.get().owner == "other-run"


def test_an_expired_lock_is_taken_over_and_released_after_the_run(ebay):
    RefreshLock.objects.create(
        name=LOCK_NAME,
        owner="crashed-run",
        acquired_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=1),
    )

    refresh("--gpu", "nvidia-t4")

    assert Listing.objects.count() == 1
    assert not RefreshLock.objects.exists()


def test_the_lock_admits_one_holder_at_a_time(db):
    assert acquire_lock(name="x", owner="a")
    assert not acquire_lock(name="x", owner="b")
    release_lock(name="x", owner="b")  # not b's to release
    assert not acquire_lock(name="x", owner="b")
    release_lock(name="x", owner="a")
    assert acquire_lock(name="x", owner="b")


def test_stale_only_skips_recently_refreshed_cards(ebay):
    refresh("--gpu", "nvidia-t4")

    output = refresh("--stale-only", "--max-age-hours", "6")

    assert "nvidia-t4" not in output and "nvidia-geforce-rtx-4090: 3 seen" in output


def test_dry_run_calls_ebay_but_writes_no_listings(ebay):
    output = refresh("--dry-run", "--gpu", "nvidia-geforce-rtx-4090")

    assert "3 seen, 3 new" in output
    assert not Listing.objects.exists() and not RefreshRun.objects.exists()


def test_reports_the_run_to_analytics(ebay):
    analytics._clients.clear()
    with (
        mock.patch.object(analytics, "Posthog") as posthog,
        override_settings(POSTHOG_API_KEY="phc_test"),
    ):
        refresh("--gpu", "nvidia-t4")
    analytics._clients.clear()

    event, kwargs = posthog.return_value.capture.call_args
    assert event == ("refresh_listings",)
    assert kwargs["properties"]["cards_ok"] == 1
    assert kwargs["properties"]["created"] == 1
    assert kwargs["properties"]["cards_failed"] == []
    posthog.return_value.flush.assert_called()


class FakeClock:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.mark.django_db(transaction=True)
def test_a_429_seen_by_one_worker_makes_every_worker_wait():
    from listings.budget import CallGate

    clock = FakeClock()
    gate = CallGate(sleep=clock.sleep, clock=clock)
    results = {}

    def worker_that_got_the_429():
        try:
            gate.back_off(5.0)  # Retry-After: 5
            gate.admit()
            results["first"] = list(clock.sleeps)
        finally:
            connection.close()

    thread = threading.Thread(target=worker_that_got_the_429)
    thread.start()
    thread.join()
    clock.now -= 5.0  # the other worker asks at the moment of the 429
    gate.admit()

    assert results["first"] == [5.0]  # slept once, not again before its retry
    assert clock.sleeps == [5.0, 5.0]  # the other worker waited out the same pause


def test_a_spent_budget_stops_the_gate_for_every_worker(db):
    from listings.budget import CallGate
    from listings.ebay import BudgetExhausted

    gate = CallGate(budget=1)
    gate.admit()
    with pytest.raises(BudgetExhausted):
        gate.admit()
    assert isinstance(gate.stopped, BudgetExhausted)


def test_a_laptop_gpu_is_never_searched_and_the_report_says_why(ebay, catalog):
    from catalog.models import Gpu

    Gpu.objects.create(
        slug="amd-radeon-rx-7700s", label="AMD Radeon RX 7700S", manufacturer="AMD",
        memory_gb=8, category="gaming", form_factor="laptop",
    )  # fmt: skip

    output = refresh("--gpu", "amd-radeon-rx-7700s", "--gpu", "nvidia-t4")

    assert "amd-radeon-rx-7700s: skipped, the AMD Radeon RX 7700S is a laptop GPU" in output
    assert "1 cards refreshed" in output
    assert not any("7700S" in call.request.url for call in ebay.calls)
    assert not RefreshRun.objects.filter(gpu__slug="amd-radeon-rx-7700s").exists()


def test_the_report_says_why_the_screen_dropped_listings_and_which_it_flagged(http, token, catalog):
    items = [
        make_item(1, "NVIDIA GeForce RTX 4090 24GB ES engineering sample", "1500.00"),
        make_item(2, "NVIDIA GeForce RTX 4090 24GB QS sample - for parts, no display", "600.00"),
        make_item(3, "NVIDIA GeForce RTX 4090 Founders Edition 24GB", "1650.00"),
        make_item(4, "RTX 4090 cooling fan replacement", "25.00"),
    ]
    items[2]["seller"].update(feedbackScore=4)
    answer(http, "NVIDIA GeForce RTX 4090", json={"total": 4, "itemSummaries": items})

    output = refresh("--gpu", "nvidia-geforce-rtx-4090")

    assert "2 rejected" in output and "rejected: 1 accessory, 1 parts" in output
    flagged = (
        "listed with a flag, not in the going rate: 1 engineering-sample, 1 low-feedback-seller"
    )
    assert flagged in output
    assert "1 engineering sample rejected by the screen: 1 parts" in output


def _alert_on(gpu, *, target="1700.00"):
    from metrics.models import PriceAlert

    an_hour_ago = timezone.now() - timedelta(hours=1)
    return PriceAlert.objects.create(
        email="buyer@example.com",
        gpu=gpu,
        target_price=target,
        created_at=an_hour_ago,
        confirmation_sent_at=an_hour_ago,
        confirmed_at=an_hour_ago,
    )


def test_a_refresh_ends_by_sending_price_alerts(ebay, catalog, mail_server):
    _alert_on(catalog["nvidia-geforce-rtx-4090"])

    refresh()

    [message] = mail_server.received
    assert message["Subject"] == "NVIDIA GeForce RTX 4090: 1 new listing at or under $1,700"


def test_price_alerts_never_fail_a_refresh(ebay, catalog, mail_server):
    alert = _alert_on(catalog["nvidia-geforce-rtx-4090"])
    mail_server.stop()

    assert "4 cards refreshed" in refresh()  # no CommandError

    alert.refresh_from_db()
    assert alert.last_sent_at is None  # still owed: the next run sends it
    with mock.patch("metrics.alerts.sending.send_alerts", side_effect=RuntimeError("boom")):
        assert "4 cards refreshed" in refresh()


def test_a_dry_run_sends_nothing(ebay, catalog, mail_server):
    alert = _alert_on(catalog["nvidia-geforce-rtx-4090"])
    alert.confirmed_at = alert.confirmation_sent_at = None  # a confirmation waits to go out
    alert.save()

    refresh("--dry-run")
    assert mail_server.received == []
    refresh()
    assert mail_server.received[0]["Subject"].startswith("Confirm your price alert")
