"""The two cards the fault suite refreshes, their listings, and how a run is started and read."""

import io
import threading
import time

from django.core.management import CommandError, call_command
from django.db import connection

from listings.models import Listing, RefreshRun, RefreshStatus
from tests.fakes.ebay_server import (
    items_page,
)
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


def last_run(slug):
    return RefreshRun.objects.filter(gpu__slug=slug).order_by("-started_at", "-pk").first()
