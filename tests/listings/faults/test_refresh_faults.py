"""refresh_listings against a fake eBay on loopback that fails on purpose.

Every fault must leave the listings stored before the run exactly as they were, fail only the
card it hit (one line naming it, a RefreshRun row with the error) and refresh the other cards.
"""

import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from listings import refresh_lock
from listings.models import ApiUsage, Listing, RefreshRun, RefreshStatus
from tests.fakes.ebay_server import (
    BlackHole,
    FakeEbay,
    Step,
    catalog_pages,
    closed_port_url,
    dripped,
    html_error_page,
    items_page,
    slow,
    status,
    truncated_json,
)
from tests.listings.conftest import make_item
from tests.listings.faults.scenarios import (
    BIG,
    BIG_SLUG,
    OTHER,
    OTHER_SLUG,
    assert_other_card_refreshed,
    assert_the_faulty_card_failed_alone,
    big_items,
    last_run,
    other_items,
    other_page_with_a_new_item,
    refresh,
    refresh_both,
    start_run_holding_the_lock,
    stored,
)

FAILING_FAULTS = {
    "read timeout": lambda: [slow(items_page(big_items(start=50)), 2.0)],
    "500 forever": lambda: [status(500)],
    "truncated JSON": lambda: [truncated_json(big_items(start=50))],
    "HTML error page with 200": lambda: [html_error_page()],
    "connection cut mid-body": lambda: [Step(body=b'{"itemSummaries": [', close_early=True)],
    "not an item list": lambda: [Step(body=b'{"itemSummaries": {"oops": 1}}')],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", FAILING_FAULTS, ids=list(FAILING_FAULTS))
def test_a_failed_search_loses_nothing_and_fails_only_its_card(ebay, stocked, fault):
    ok, out, error = refresh_both(ebay, FAILING_FAULTS[fault]())

    assert not ok
    failed_lines = error.splitlines()
    assert len(failed_lines) == 1 and failed_lines[0].startswith(f"{BIG_SLUG}: failed")
    assert stored(BIG_SLUG) == stocked
    run = RefreshRun.objects.filter(gpu__slug=BIG_SLUG).order_by("-started_at").first()
    assert run.status == RefreshStatus.FAILED and run.error
    assert_other_card_refreshed()


RECOVERING_FAULTS = {
    "429 with Retry-After": lambda: [status(429, retry_after=1), items_page(big_items())],
    "500 then success": lambda: [status(500), items_page(big_items())],
    "503 twice then success": lambda: [status(503), status(503), items_page(big_items())],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", RECOVERING_FAULTS, ids=list(RECOVERING_FAULTS))
def test_a_passing_fault_is_retried_and_the_refresh_succeeds(ebay, stocked, fault):
    ok, out, error = refresh_both(ebay, RECOVERING_FAULTS[fault]())

    assert ok, error
    assert stored(BIG_SLUG) == stocked
    assert f"{BIG_SLUG}: 4 seen" in out
    assert_other_card_refreshed()


@pytest.mark.django_db(transaction=True)
def test_retry_after_is_honoured_before_the_next_attempt(ebay, stocked):
    ebay.script(BIG, [status(429, retry_after=1), items_page(big_items())])
    ebay.script(OTHER, [items_page(other_items())])
    started = time.monotonic()

    ok, _, error = refresh(BIG_SLUG)

    assert ok, error
    assert time.monotonic() - started >= 1.0
    assert len(ebay.searches(BIG)) == 3  # the stocking search, the 429, the retry


@pytest.mark.django_db(transaction=True)
def test_a_token_that_expires_mid_run_is_replaced_once(ebay, stocked):
    ebay.revoke_current_token()
    tokens_before = ebay.tokens_issued

    ok, _, error = refresh_both(ebay, [items_page(big_items())])

    assert ok, error
    assert ebay.tokens_issued == tokens_before + 1
    assert stored(BIG_SLUG) == stocked
    assert_other_card_refreshed()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["connection refused", "connect timeout"])
def test_an_unreachable_ebay_fails_every_card_and_loses_nothing(settings, ebay, stocked, where):
    other_before = stored(OTHER_SLUG)
    with BlackHole() as hole:
        settings.EBAY_API_BASE_URL = (
            closed_port_url() if where == "connection refused" else hole.url
        )
        ok, _, error = refresh(BIG_SLUG, OTHER_SLUG)

    assert not ok
    assert sorted(line.split(":")[0] for line in error.splitlines()) == [OTHER_SLUG, BIG_SLUG]
    assert stored(BIG_SLUG) == stocked
    assert stored(OTHER_SLUG) == other_before
    runs = RefreshRun.objects.filter(status=RefreshStatus.FAILED)
    assert {run.gpu.slug for run in runs} == {BIG_SLUG, OTHER_SLUG}
    assert all(run.error for run in runs)


@pytest.mark.django_db(transaction=True)
def test_broken_items_are_rejected_one_by_one_and_the_rest_refreshed(ebay, stocked):
    missing_price = make_item(60, "NVIDIA GeForce RTX 4090 24GB no price")
    del missing_price["price"]
    euro = make_item(61, "NVIDIA GeForce RTX 4090 24GB", "1650.00")
    euro["price"]["currency"] = "EUR"
    no_title = {"itemId": "v1|314159279999|0", "price": {"value": "1.00", "currency": "USD"}}

    ok, out, error = refresh_both(
        ebay,
        [items_page([*big_items(), missing_price, euro, no_title])],
        [items_page(other_items())],
    )

    assert ok, error
    assert stored(BIG_SLUG)[:4] == stocked
    rejected = Listing.objects.filter(item_id__in=[missing_price["itemId"], euro["itemId"]])
    assert {(x.verdict, x.reason) for x in rejected} == {("drop", "currency")}
    assert not Listing.objects.visible().filter(item_id__in=[euro["itemId"]]).exists()


@pytest.mark.django_db(transaction=True)
def test_an_empty_answer_archives_nothing(ebay, stocked):

    ok, out, error = refresh_both(ebay, [items_page([], total=0)], [items_page(other_items())])

    assert stored(BIG_SLUG) == stocked
    assert "nothing archived" in out + error


@pytest.mark.django_db(transaction=True)
def test_an_honest_refresh_still_archives_what_sold(ebay, stocked):

    ok, _, error = refresh_both(ebay, [items_page(big_items(count=3))], [items_page(other_items())])

    assert ok, error
    sold = Listing.objects.get(item_id=big_items(start=3, count=1)[0]["itemId"])
    assert not sold.is_active and sold.archived_at is not None
    assert Listing.objects.filter(gpu__slug=BIG_SLUG).count() == 4  # archived, never deleted


@pytest.mark.django_db(transaction=True)
def test_a_second_run_during_a_slow_first_run_exits_with_a_clear_message(ebay, stocked):
    ebay.script(BIG, [slow(items_page(big_items()), 0.4)])
    ebay.script(OTHER, [items_page(other_items())])
    thread, first = start_run_holding_the_lock(ebay, BIG_SLUG, OTHER_SLUG)

    second_ok, _, second_error = refresh(BIG_SLUG)
    thread.join(timeout=30)

    assert not second_ok
    assert second_error.startswith("Not refreshing:")
    assert first["result"][0], first["result"][2]
    assert stored(BIG_SLUG) == stocked


@pytest.mark.django_db(transaction=True)
def test_a_body_dripped_a_byte_at_a_time_is_cut_off_at_the_call_deadline(settings, ebay, stocked):
    settings.EBAY_CALL_DEADLINE_SECONDS = 1.0
    settings.EBAY_MAX_RETRIES = 0
    # A byte every 0.1 s never trips the 0.5 s socket timeout; only a total deadline stops it.
    result = refresh_both(ebay, [dripped(items_page(big_items(start=50)), 0.1)])

    assert_the_faulty_card_failed_alone(result, stocked, "eBay's answer took longer than 1 s")
    assert ebay.bytes_dripped < len(ebay.scripts[BIG][0].body) / 4


@pytest.mark.django_db(transaction=True)
def test_retries_stop_at_the_cards_deadline(settings, ebay, stocked):
    settings.EBAY_CARD_DEADLINE_SECONDS = 1.0
    settings.EBAY_BACKOFF_SECONDS = 0.3
    settings.EBAY_MAX_RETRIES = 10
    result = refresh_both(ebay, [status(503)])

    assert_the_faulty_card_failed_alone(result, stocked, "card deadline")
    assert len(ebay.searches(BIG)) - 1 < 10  # far fewer than the retries allowed


@pytest.mark.django_db(transaction=True)
def test_a_run_past_its_deadline_skips_the_cards_it_did_not_reach(settings, ebay, stocked):
    settings.REFRESH_RUN_DEADLINE_SECONDS = 1.0
    settings.EBAY_TIMEOUT_SECONDS = 5
    # Cards go in slug order: the 4080 (slow, past the run's deadline) before the 4090.
    searches_before = len(ebay.searches(BIG))

    ok, out, error = refresh_both(
        ebay, [items_page(big_items(start=50))], [slow(other_page_with_a_new_item(), 2.0)]
    )

    assert ok, error
    assert f"{BIG_SLUG}: skipped, the run's deadline passed" in out
    assert len(ebay.searches(BIG)) == searches_before
    assert last_run(BIG_SLUG).status == RefreshStatus.SKIPPED
    assert stored(BIG_SLUG) == stocked
    assert_other_card_refreshed()


@pytest.mark.django_db(transaction=True)
def test_a_429_storm_opens_the_breaker_and_the_other_cards_are_skipped(settings, ebay, catalog):
    settings.EBAY_BREAKER_THRESHOLD = 3
    settings.EBAY_MAX_RETRIES = 5
    ebay.default = status(429, retry_after=0)

    ok, out, error = refresh()  # every card of the catalog, in slug order

    assert not ok
    assert len(ebay.searches()) == 3  # the breaker's threshold, not 6 attempts per card
    assert error == (
        "nvidia-geforce-rtx-4080: failed: eBay failed 3 calls in a row: circuit breaker open"
    )
    skipped = [line.split(":")[0] for line in out.splitlines() if ": skipped, eBay failed" in line]
    assert skipped == ["nvidia-geforce-rtx-4080-super", BIG_SLUG, "nvidia-t4"]
    assert RefreshRun.objects.filter(status=RefreshStatus.SKIPPED).count() == 3
    assert not Listing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_renewed_while_a_slow_card_is_in_progress(settings, ebay, stocked, monkeypatch):
    monkeypatch.setattr(refresh_lock, "LOCK_TTL", timedelta(seconds=1.2))
    settings.EBAY_TIMEOUT_SECONDS = 8
    ebay.script(BIG, [slow(items_page(big_items()), 4.0)])
    thread, first = start_run_holding_the_lock(ebay, BIG_SLUG)
    time.sleep(2.0)  # longer than the lock's lifetime: only a heartbeat keeps it

    second_ok, _, second_error = refresh(BIG_SLUG)
    thread.join(timeout=30)

    assert not second_ok and second_error.startswith("Not refreshing:")
    assert first["result"][0], first["result"][2]
    assert len(ebay.searches(BIG)) == 2  # the stocking search and the first run's


def repeating_next(ebay, offset):
    query = urlencode({"q": BIG, "limit": 200, "offset": offset})
    return f"{ebay.url}/buy/browse/v1/item_summary/search?{query}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["repeated", "not advancing"])
def test_a_next_link_that_goes_nowhere_stops_paging_and_the_card_is_truncated(ebay, stocked, kind):
    if kind == "repeated":
        pages = [
            items_page(big_items(count=2), total=9999, next_href=repeating_next(ebay, 200)),
            items_page(
                big_items(start=2, count=2), total=9999, next_href=repeating_next(ebay, 200)
            ),
        ]
    else:
        pages = [items_page(big_items(count=4), total=9999, next_href=repeating_next(ebay, 0))]
    searches_before = len(ebay.searches(BIG))

    result = refresh_both(ebay, [*pages, items_page(big_items(start=500, count=1))])

    why = "truncated: eBay's next link did not advance"
    assert_the_faulty_card_failed_alone(result, stocked, why)
    assert len(ebay.searches(BIG)) - searches_before == len(pages)
    assert last_run(BIG_SLUG).status == RefreshStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_spend_more_than_the_daily_budget(settings, ebay, catalog):
    from catalog.models import Gpu

    for n in range(20):
        Gpu.objects.create(slug=f"card-{n:02d}", label=f"Card {n:02d}", manufacturer="NVIDIA")
    settings.EBAY_DAILY_CALL_BUDGET = 9
    # Two pages a card, answered slowly enough that workers overlap.
    ebay.responder = catalog_pages(items_per_card=3, page_size=2, latency=0.05)

    ok, out, error = refresh(workers=6)

    assert ok, error
    assert ebay.max_in_flight > 1  # fetched concurrently
    assert len(ebay.searches()) == 9
    assert ApiUsage.objects.get(day=timezone.now().date()).calls == 9
    refreshed = RefreshRun.objects.filter(status=RefreshStatus.OK).count()
    skipped = RefreshRun.objects.filter(status=RefreshStatus.SKIPPED).count()
    assert refreshed <= 4 and refreshed + skipped == 24
    assert out.count("skipped, daily eBay call budget spent") == skipped


@pytest.mark.django_db(transaction=True)
def test_several_workers_refresh_every_card_and_write_each_once(settings, ebay, catalog):
    ebay.responder = catalog_pages(items_per_card=5, page_size=2, latency=0.05)

    ok, out, error = refresh(workers=4)

    assert ok, error
    assert ebay.max_in_flight > 1
    assert len(ebay.searches()) == 4 * 3
    assert "4 cards refreshed, 12 API calls" in out
    runs = RefreshRun.objects.all()
    assert len(runs) == 4 and {r.status for r in runs} == {RefreshStatus.OK}


def fans(count=100):
    return [
        make_item(300 + n, f"RTX 4090 replacement cooling fan #{n}", "25.00") for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_an_answer_the_screen_rejected_entirely_archives_nothing(ebay, stocked):

    ok, out, error = refresh_both(ebay, [items_page(fans())], [items_page(other_items())])

    assert ok, error
    assert f"{BIG_SLUG}: 100 seen, 100 new, 0 updated, 0 archived, 100 rejected" in out
    assert "every result rejected by the screen: nothing archived" in out
    assert [row[3] for row in stored(BIG_SLUG) if row[4] == "keep"] == [True] * 4


@pytest.mark.django_db(transaction=True)
def test_an_answer_of_listings_stored_under_another_card_archives_nothing(ebay, stocked):

    ok, out, error = refresh_both(ebay, [items_page(other_items())], [items_page(other_items())])

    assert ok, error
    assert stored(BIG_SLUG) == stocked
    assert "no listing of this card in the answer: nothing archived" in out
    assert Listing.objects.visible().filter(gpu__slug=OTHER_SLUG).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_zero_answer_after_an_empty_run_that_was_not_one_archives_nothing(ebay, stocked):
    ebay.script(BIG, [Step(body=b'{"href": "", "itemSummaries": [{"oops": 1}]}')])
    ebay.script(OTHER, [items_page(other_items())])
    refresh(BIG_SLUG)
    ebay.script(BIG, [items_page([], total=0)])

    ok, out, error = refresh(BIG_SLUG)

    assert ok, error
    assert stored(BIG_SLUG) == stocked


@pytest.mark.django_db(transaction=True)
def test_two_zero_answers_in_a_row_archive_the_card(ebay, stocked):
    ebay.script(BIG, [items_page([], total=0), items_page([], total=0)])
    ebay.script(OTHER, [items_page(other_items())])

    refresh(BIG_SLUG)
    assert stored(BIG_SLUG) == stocked
    ok, out, error = refresh(BIG_SLUG)

    assert ok, error
    assert [row[3] for row in stored(BIG_SLUG)] == [False] * 4  # archived, never deleted


def _nested(levels):
    root = node = {}
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


@pytest.mark.django_db(transaction=True)
def test_malformed_items_are_rejected_one_by_one_and_the_rest_of_the_card_is_stored(ebay, stocked):
    fresh = make_item(20, "NVIDIA GeForce RTX 4090 24GB Founders Edition #20", "1720.00")
    bad_options = make_item(21, "NVIDIA GeForce RTX 4090 24GB #21", "1721.00", buyingOptions=5)
    deep = make_item(22, "NVIDIA GeForce RTX 4090 24GB #22", "1722.00", extra=_nested(200))
    surrogate = make_item(23, "NVIDIA GeForce RTX 4090 24GB \ud800 #23", "1723.00")
    nul = make_item(24, "NVIDIA GeForce RTX 4090 24GB\x00 #24", "1724.00")
    huge = make_item(25, "NVIDIA GeForce RTX 4090 24GB #25 " + "x" * 1_000_000, "1725.00")
    answer = [*big_items(), fresh, bad_options, deep, surrogate, nul, huge]
    ok, out, error = refresh_both(ebay, [items_page(answer)])

    assert ok, error
    assert "2 malformed items rejected" in out
    assert "nested deeper than" in out and "unreadable (TypeError)" in out
    assert stored(BIG_SLUG)[:4] == stocked
    kept = {x.item_id: x for x in Listing.objects.filter(gpu__slug=BIG_SLUG)}
    assert fresh["itemId"] in kept
    assert bad_options["itemId"] not in kept and deep["itemId"] not in kept
    assert kept[surrogate["itemId"]].title == "NVIDIA GeForce RTX 4090 24GB \ufffd #23"
    assert kept[nul["itemId"]].title == "NVIDIA GeForce RTX 4090 24GB #24"
    assert len(kept[huge["itemId"]].title) == 300
    assert len(kept[huge["itemId"]].raw["title"]) <= 2_000
    run = RefreshRun.objects.filter(gpu__slug=BIG_SLUG).order_by("-started_at").first()
    assert run.status == RefreshStatus.OK and run.malformed == 2
    assert_other_card_refreshed()


def test_a_cron_refresh_in_its_own_process_shows_on_the_next_request_to_every_worker():
    from tests.fakes.site_workers import SiteWorkers
    from tests.shopagent.test_cache import CREATE_CARD, SHOP

    with FakeEbay() as fake, SiteWorkers(workers=2) as site:
        site.env.update(
            EBAY_CLIENT_ID="fake-id",
            EBAY_CLIENT_SECRET="fake-secret",
            EBAY_API_BASE_URL=fake.url,
            EBAY_AUTH_URL=fake.url,
            EBAY_BACKOFF_SECONDS="0",
        )
        site.manage("shell", "-c", CREATE_CARD)
        fake.script(BIG, [items_page(big_items(count=1)), items_page(big_items(count=2))])
        site.manage("refresh_listings")
        site.start()
        for worker in (0, 1):
            page = site.get(worker, SHOP)
            assert "$1,700" in page and "$1,701" not in page

        site.manage("refresh_listings")  # cron, a third process: one more listing at $1,701

        for worker in (0, 1):
            assert "$1,701" in site.get(worker, SHOP)


# --- a refresh never fails silently --------------------------------------------------------------
