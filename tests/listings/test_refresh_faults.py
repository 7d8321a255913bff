"""refresh_listings against a fake eBay on loopback that fails on purpose.

Every fault must leave the listings stored before the run exactly as they were, fail only the
card it hit (one line naming it, a RefreshRun row with the error) and refresh the other cards.
"""

import io
import json
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from listings import ebay as ebay_module
from listings import refresh as refresh_module
from listings import refresh_lock
from listings.models import ApiUsage, Listing, RefreshLock, RefreshRun, RefreshStatus
from tests.fakes.ebay_server import (
    SEARCH_PATH,
    BlackHole,
    FakeEbay,
    Step,
    catalog_pages,
    closed_port_url,
    dripped,
    gzip_bomb,
    gzipped,
    html_error_page,
    items_page,
    slow,
    status,
    truncated_json,
)
from tests.fakes.redis_server import RedisServer, has_redis
from tests.listings.conftest import make_item

BIG = "NVIDIA GeForce RTX 4090"  # the card each fault hits
OTHER = "NVIDIA GeForce RTX 4080"  # refreshed in the same run, must not suffer
BIG_SLUG, OTHER_SLUG = "nvidia-geforce-rtx-4090", "nvidia-geforce-rtx-4080"


def big_items(start=0, count=4):
    return [
        make_item(n, f"NVIDIA GeForce RTX 4090 24GB Founders Edition #{n}", f"{1700 + n}.00")
        for n in range(start, start + count)
    ]


def other_items(start=100, count=4):
    return [
        make_item(n, f"NVIDIA GeForce RTX 4080 16GB Graphics Card #{n}", f"{1000 + n}.00")
        for n in range(start, start + count)
    ]


def stored(slug):
    """What a buyer and an admin can see of a card's listings: every field that could be lost."""
    return list(
        Listing.objects.filter(gpu__slug=slug)
        .order_by("item_id")
        .values_list("item_id", "price", "unit_price", "is_active", "verdict", "archived_at")
    )


def refresh(*slugs, workers=None):
    """Run the command; (succeeded, output, error text)."""
    out = io.StringIO()
    args = [arg for slug in slugs for arg in ("--gpu", slug)]
    args += ["--workers", str(workers)] if workers else []
    try:
        call_command("refresh_listings", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return False, out.getvalue(), str(exc)
    return True, out.getvalue(), ""


@pytest.fixture
def ebay(settings, catalog):
    with FakeEbay() as fake:
        settings.EBAY_API_BASE_URL = fake.url
        settings.EBAY_AUTH_URL = fake.url
        settings.EBAY_TIMEOUT_SECONDS = 0.5
        settings.EBAY_MAX_RETRIES = 2
        yield fake


@pytest.fixture
def stocked(ebay):
    """Both cards refreshed once successfully: the listings a fault must not touch."""
    ok, out, error = refresh_both(ebay, [items_page(big_items())], [items_page(other_items())])
    assert ok, error
    before = stored(BIG_SLUG)
    assert len(before) == 4 and all(row[3] for row in before)
    return before


def assert_other_card_refreshed():
    new_item = Listing.objects.get(item_id=other_items(start=200, count=1)[0]["itemId"])
    assert new_item.is_active and new_item.gpu.slug == OTHER_SLUG
    run = RefreshRun.objects.filter(gpu__slug=OTHER_SLUG).order_by("-started_at").first()
    assert run.status == RefreshStatus.OK


def assert_the_faulty_card_failed_alone(result, stocked, why):
    """The run failed on the faulty card alone (`why`), whose listings are as they were (what it
    fetched is kept, nothing archived), and the other card was refreshed."""
    ok, _, error = result
    assert not ok
    assert error.startswith(f"{BIG_SLUG}: failed: {why}")
    assert stored(BIG_SLUG) == stocked
    assert_other_card_refreshed()


def other_page_with_a_new_item():
    return items_page(other_items() + other_items(start=200, count=1))


def refresh_both(ebay, big_steps, other_steps=None):
    """Refresh both cards, eBay answering the faulty card with `big_steps` and the other with
    `other_steps` (by default its listings and one new one); (succeeded, output, error text)."""
    ebay.script(BIG, big_steps)
    ebay.script(OTHER, other_steps or [other_page_with_a_new_item()])
    return refresh(BIG_SLUG, OTHER_SLUG)


def start_run_holding_the_lock(ebay, *slugs, searching=BIG, searched_before=1):
    """A refresh in another thread, returned once it waits on eBay holding the lock (its search
    for `searching` has started): (the thread, a dict that gets its result)."""
    first = {}

    def first_run():
        try:
            first["result"] = refresh(*slugs)
        finally:
            connection.close()  # this thread's own connection, so the test database can go

    thread = threading.Thread(target=first_run)
    thread.start()
    deadline = time.monotonic() + 5
    while len(ebay.searches(searching)) <= searched_before and time.monotonic() < deadline:
        time.sleep(0.02)
    return thread, first


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


def last_run(slug):
    return RefreshRun.objects.filter(gpu__slug=slug).order_by("-started_at", "-pk").first()


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


def nested_json(levels):
    return '{"a": ' * levels + "1" + "}" * levels


def page_with_a_deeply_nested_item(levels=3000):
    """A search page whose last item nests `levels` deep: too deep for json.loads to read."""
    good = json.dumps(big_items(start=30, count=2))[1:-1]
    deep = (
        f'{{"itemId": "v1|314159279998|0", "title": "RTX 4090 deep", "x": {nested_json(levels)}}}'
    )
    body = f'{{"total": 3, "itemSummaries": [{good}, {deep}]}}'
    return Step(body=body.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_a_next_link_with_an_unreadable_offset_fails_its_card_with_a_reason(ebay, stocked, workers):
    bad_next = f"{ebay.url}{SEARCH_PATH}?q=x&limit=200&offset=%C2%B2"  # a superscript two
    ebay.script(BIG, [items_page(big_items(), total=999, next_href=bad_next)])
    ebay.script(OTHER, [other_page_with_a_new_item()])

    result = refresh(BIG_SLUG, OTHER_SLUG, workers=workers)

    assert_the_faulty_card_failed_alone(result, stocked, "truncated: eBay's next link")
    assert "²" in last_run(BIG_SLUG).error
    assert last_run(BIG_SLUG).status == RefreshStatus.FAILED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_an_item_nested_thousands_deep_is_rejected_alone(ebay, stocked, workers):
    ebay.script(BIG, [page_with_a_deeply_nested_item()])
    ebay.script(OTHER, [other_page_with_a_new_item()])

    ok, out, error = refresh(BIG_SLUG, OTHER_SLUG, workers=workers)

    assert ok, error
    assert f"{BIG_SLUG}: 2 seen, 2 new" in out
    assert "1 malformed items rejected: 1 nested deeper than 16 levels" in out
    assert last_run(BIG_SLUG).malformed == 1
    assert_other_card_refreshed()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_an_unexpected_error_in_a_fetch_fails_that_card_with_a_run_record(
    ebay, stocked, monkeypatch, workers
):
    real_search = ebay_module.EbayClient.search

    def search(self, *, query, **kwargs):
        if query == BIG:
            raise KeyError("a bug nobody foresaw")
        return real_search(self, query=query, **kwargs)

    monkeypatch.setattr(ebay_module.EbayClient, "search", search)
    ebay.script(OTHER, [other_page_with_a_new_item()])

    result = refresh(BIG_SLUG, OTHER_SLUG, workers=workers)

    assert_the_faulty_card_failed_alone(result, stocked, "unexpected error: KeyError")
    assert last_run(BIG_SLUG).status == RefreshStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_cards_a_dead_fetch_worker_never_reached_are_reported_failed(ebay, catalog, monkeypatch):
    def broken_client(*args, **kwargs):
        raise RuntimeError("the client could not be built")

    monkeypatch.setattr(refresh_module, "EbayClient", broken_client)

    ok, out, error = refresh(workers=2)

    assert not ok
    assert "0 cards refreshed" not in out
    lines = error.splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(catalog)
    assert all("the client could not be built" in line for line in lines)
    runs = RefreshRun.objects.all()
    assert sorted(r.gpu.slug for r in runs) == sorted(catalog)
    assert {r.status for r in runs} == {RefreshStatus.FAILED}


# --- items the cleaner must reject on their own ---------------------------------------------------


def raw_item_json(n, title, price, **raw_fields):
    """An item as JSON text with fields json.dumps cannot write (NaN, huge integers)."""
    item = make_item(n, title, price)
    text = json.dumps(item)[:-1]
    return text + "".join(f', "{k}": {v}' for k, v in raw_fields.items()) + "}"


@pytest.mark.django_db(transaction=True)
def test_items_with_unstorable_numbers_or_dates_are_rejected_alone(ebay, stocked):
    bad = [
        raw_item_json(40, "NVIDIA GeForce RTX 4090 24GB nan", "1740.00", x="NaN"),
        raw_item_json(41, "NVIDIA GeForce RTX 4090 24GB inf", "1741.00", x="-Infinity"),
        raw_item_json(
            42,
            "NVIDIA GeForce RTX 4090 24GB huge",
            "1742.00",
            seller='{"feedbackScore": 1' + "0" * 30 + "}",
        ),
        raw_item_json(
            43,
            "NVIDIA GeForce RTX 4090 24GB old",
            "1743.00",
            itemCreationDate='"0001-01-01T00:00:00+14:00"',
        ),
    ]
    good = json.dumps(big_items() + big_items(start=20, count=1))[1:-1]
    body = f'{{"total": 9, "itemSummaries": [{good}, {", ".join(bad)}]}}'
    ebay.script(BIG, [Step(body=body.encode(), headers={"Content-Type": "application/json"})])
    ebay.script(OTHER, [other_page_with_a_new_item()])

    ok, out, error = refresh(BIG_SLUG, OTHER_SLUG)

    assert ok, error
    assert f"{BIG_SLUG}: 5 seen, 1 new" in out
    assert "4 malformed items rejected" in out
    assert "2 a number that is not finite" in out
    assert "1 an integer beyond 64 bits" in out
    assert "1 itemCreationDate out of range" in out
    assert stored(BIG_SLUG)[:4] == stocked
    assert last_run(BIG_SLUG).malformed == 4
    assert_other_card_refreshed()


# --- paging, answer size, token ------------------------------------------------------------------


def creeping_pages(ebay, *, pages, total):
    """Pages of one item each (one of the card's stored four) whose next link moves forward one
    item at a time."""
    steps = []
    for n in range(pages):
        query = urlencode({"q": BIG, "limit": 200, "offset": n + 1})
        steps.append(
            items_page(
                big_items(start=n % 4, count=1),
                total=total,
                next_href=f"{ebay.url}{SEARCH_PATH}?{query}",
            )
        )
    return steps


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("total", "pages_allowed"), [(450, 3), (100_000, 5)])
def test_paging_stops_at_the_pages_the_card_needs(settings, ebay, stocked, total, pages_allowed):
    settings.EBAY_MAX_ITEMS_PER_CARD = 1000  # 5 pages of 200 at most
    searches_before = len(ebay.searches(BIG))

    result = refresh_both(ebay, creeping_pages(ebay, pages=50, total=total))

    assert len(ebay.searches(BIG)) - searches_before == pages_allowed
    assert_the_faulty_card_failed_alone(result, stocked, "truncated: eBay's next links asked for")
    assert f"{pages_allowed} pages" in last_run(BIG_SLUG).error


@pytest.mark.django_db(transaction=True)
def test_an_answer_that_inflates_past_the_cap_fails_its_card(ebay, stocked):
    bomb = gzip_bomb(64)  # about 64 KB on the wire, 64 MB of JSON
    assert len(bomb.body) < 200_000

    result = refresh_both(ebay, [bomb])

    assert_the_faulty_card_failed_alone(result, stocked, "eBay's answer is larger than")


@pytest.mark.django_db(transaction=True)
def test_a_gzipped_answer_under_the_cap_is_read(ebay, stocked):
    ok, out, error = refresh_both(ebay, [gzipped(items_page(big_items(count=5)))])

    assert ok, error
    assert f"{BIG_SLUG}: 5 seen, 1 new" in out


def hung_token():
    return slow(Step(body=b"{}", headers={"Content-Type": "application/json"}), 30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 4])
def test_a_hung_token_endpoint_opens_the_breaker(settings, ebay, catalog, workers):
    settings.EBAY_BREAKER_THRESHOLD = 3
    settings.EBAY_MAX_RETRIES = 2  # 3 attempts a card: one card's attempts open the breaker
    ebay.script_token([hung_token()])

    ok, out, error = refresh(workers=workers)

    assert not ok
    assert ebay.token_requests() == 3  # not 3 for every card
    assert len(error.splitlines()) == 1 and "Read timed out" in error
    assert out.count("skipped, eBay failed 3 calls in a row: circuit breaker open") == 3
    assert not ebay.searches()
    statuses = sorted(RefreshRun.objects.values_list("status", flat=True))
    assert statuses == ["failed", "skipped", "skipped", "skipped"]


@pytest.mark.django_db(transaction=True)
def test_no_token_request_starts_after_the_runs_deadline(settings, ebay, catalog):
    settings.EBAY_BREAKER_THRESHOLD = 100
    settings.REFRESH_RUN_DEADLINE_SECONDS = 1.0
    ebay.script_token([hung_token()])  # each attempt times out after 0.5 s

    ok, out, error = refresh()

    assert ebay.token_requests() <= 3
    # The card whose token requests were failing is reported failed; the others were not reached.
    assert not ok and error.splitlines() == [
        "nvidia-geforce-rtx-4080: failed: the run's deadline passed"
    ]
    assert out.count("skipped, the run's deadline passed") == 3
    assert RefreshRun.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_waiting_for_another_workers_token_request_is_bounded(settings, ebay, stocked):
    settings.EBAY_CARD_DEADLINE_SECONDS = 1.0
    ebay_module._minting.acquire()  # another worker's token request that never ends
    release = threading.Timer(20, ebay_module._minting.release)
    release.start()
    try:
        ebay_module.forget_tokens()
        cache.clear()  # no token anywhere: this run must wait for the other worker's
        ok, out, error = refresh(BIG_SLUG)
    finally:
        release.cancel()
        if ebay_module._minting.locked():
            ebay_module._minting.release()

    assert not ok
    assert error.startswith(f"{BIG_SLUG}: failed: gave up waiting")
    assert len(ebay.searches(BIG)) == 1  # only the stocking search


# --- the refresh lock ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_run_that_loses_its_lock_stops_fetching_and_says_so(settings, ebay, catalog, monkeypatch):
    monkeypatch.setattr(refresh_lock, "LOCK_TTL", timedelta(seconds=1.2))
    settings.EBAY_TIMEOUT_SECONDS = 8
    # Cards go in slug order: the 4080 is slow, the other three come after it.
    ebay.script(OTHER, [slow(items_page(other_items()), 2.5)])
    thread, first = start_run_holding_the_lock(
        ebay, OTHER_SLUG, BIG_SLUG, "nvidia-t4", searching=OTHER, searched_before=0
    )
    # As when this run stalls past the lock's expiry and a second run takes the lock over.
    RefreshLock.objects.update(
        owner="a-second-run", expires_at=timezone.now() + timedelta(minutes=5)
    )
    thread.join(timeout=30)

    ok, out, error = first["result"]
    assert not ok
    assert "refresh lock" in error and "lost" in error
    assert len(ebay.searches()) == 1  # the slow card's search, then nothing
    assert f"{BIG_SLUG}: skipped, the refresh lock was lost" in out
    assert last_run(BIG_SLUG).status == RefreshStatus.SKIPPED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not has_redis(), reason="needs Debian's redis-server")
def test_with_the_shared_cache_down_the_token_is_kept_in_the_process(
    settings, ebay, catalog, tmp_path
):
    with RedisServer(tmp_path) as redis:
        settings.CACHES = redis.caches
        redis.kill()
        ebay.responder = catalog_pages(items_per_card=3, page_size=2)

        ok, out, error = refresh(workers=2)

    assert ok, error
    assert len(ebay.searches()) == 8  # two pages for each of the four cards
    assert ebay.tokens_issued == 1
