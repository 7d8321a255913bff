"""`refresh_listings` against eBay answers built to hurt: unreadable offsets, items nested thousands
deep, unstorable numbers, next links that creep, answers that inflate, a hung token endpoint."""

import json
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone

from listings import ebay as ebay_module
from listings import refresh as refresh_module
from listings import refresh_lock
from listings.models import RefreshLock, RefreshRun, RefreshStatus
from tests.fakes.ebay_server import (
    SEARCH_PATH,
    Step,
    catalog_pages,
    gzip_bomb,
    gzipped,
    items_page,
    slow,
)
from tests.fakes.redis_server import RedisServer, has_redis
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
