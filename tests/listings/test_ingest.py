from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.ingest import ingest_items
from listings.models import Listing, PriceHistory, RefreshRun, RefreshSource, Verdict
from tests.listings.conftest import make_item

pytestmark = pytest.mark.django_db

GOOD = [
    make_item(1, "NVIDIA GeForce RTX 4090 Founders Edition 24GB", "1650.00"),
    make_item(2, "ASUS TUF RTX 4090 OC 24GB GDDR6X graphics card", "1720.00"),
    make_item(3, "MSI GeForce RTX 4090 Gaming X Trio 24G", "1690.00"),
]


def ingest(gpu, items, **kwargs):
    kwargs.setdefault("source", RefreshSource.IMPORT)
    kwargs.setdefault("run_id", "run-1")
    return ingest_items(gpu=gpu, items=items, **kwargs)


def test_new_listings_are_stored_with_their_parsed_fields(rtx4090):
    item = make_item(
        9,
        "Gigabyte RTX 4090 Gaming OC 24GB",
        "1700.00",
        condition="Seller refurbished",
        conditionId="2500",
        buyingOptions=["AUCTION", "BEST_OFFER"],
        currentBidPrice={"value": "1555.00", "currency": "USD"},
        bidCount=4,
        itemEndDate="2026-12-01T18:30:00.000Z",
        image={"imageUrl": "https://i.ebayimg.com/images/g/x/s-l225.jpg"},
        itemAffiliateWebUrl="https://www.ebay.com/itm/314159270009?campid=5338000000",
        itemCreationDate="2026-11-01T10:00:00.000Z",
        itemLocation={"postalCode": "10115", "city": "Berlin", "country": "DE"},
        shippingOptions=[{"shippingCost": {"value": "25.50", "currency": "USD"}}],
    )

    report = ingest(rtx4090, [*GOOD, item])

    assert report.created == 4
    listing = Listing.objects.get(item_id="v1|314159270009|0")
    assert listing.price == Decimal("1555.00")  # an auction's current bid
    assert listing.shipping_cost == Decimal("25.50")
    assert listing.condition_kind == "refurbished"
    assert listing.is_auction and listing.accepts_best_offer and not listing.is_buy_now
    assert listing.bid_count == 4
    assert listing.auction_ends_at.isoformat() == "2026-12-01T18:30:00+00:00"
    assert listing.item_location_country == "DE"
    assert listing.buy_url == "https://www.ebay.com/itm/314159270009?campid=5338000000"
    assert listing.seller_feedback_percent == 99.5
    assert listing.first_seen_at == listing.last_seen_at


def test_raw_item_keeps_no_seller_username_or_postcode(rtx4090):
    item = make_item(
        1,
        "RTX 4090 24GB",
        "1650.00",
        itemLocation={"postalCode": "941**", "city": "SF", "country": "US"},
    )

    ingest(rtx4090, [item])

    raw = Listing.objects.get().raw
    assert "username" not in raw["seller"]
    assert raw["seller"]["feedbackScore"] == 500
    assert raw["itemLocation"] == {"country": "US"}
    assert "someone1" not in str(raw)


def test_reimporting_the_same_items_changes_nothing(rtx4090):
    ingest(rtx4090, GOOD)
    before = list(Listing.objects.values_list("item_id", "price", "verdict", "is_active"))

    report = ingest(rtx4090, GOOD, run_id="run-2")

    assert (report.created, report.updated, report.archived) == (0, 0, 0)
    assert list(Listing.objects.values_list("item_id", "price", "verdict", "is_active")) == before
    assert PriceHistory.objects.count() == 3  # one on first sight each
    assert RefreshRun.objects.count() == 2


def test_a_price_change_writes_exactly_one_history_row(rtx4090):
    ingest(rtx4090, GOOD)
    cheaper = [make_item(1, GOOD[0]["title"], "1599.00"), *GOOD[1:]]

    report = ingest(rtx4090, cheaper, run_id="run-2")
    ingest(rtx4090, cheaper, run_id="run-3")

    assert report.updated == 1
    history = PriceHistory.objects.filter(listing__item_id=GOOD[0]["itemId"])
    assert [h.price for h in history] == [Decimal("1650.00"), Decimal("1599.00")]
    assert Listing.objects.get(item_id=GOOD[0]["itemId"]).price == Decimal("1599.00")


def test_listings_missing_from_a_later_search_are_archived_not_deleted(rtx4090):
    ingest(rtx4090, GOOD)

    report = ingest(rtx4090, GOOD[:2], run_id="run-2")

    assert report.archived == 1
    gone = Listing.objects.get(item_id=GOOD[2]["itemId"])
    assert not gone.is_active and gone.archived_at is not None
    assert Listing.objects.visible().count() == 2


def test_an_archived_listing_seen_again_comes_back(rtx4090):
    ingest(rtx4090, GOOD)
    ingest(rtx4090, GOOD[:2], run_id="run-2")

    ingest(rtx4090, GOOD, run_id="run-3")

    back = Listing.objects.get(item_id=GOOD[2]["itemId"])
    assert back.is_active and back.archived_at is None


def test_an_empty_answer_archives_nothing(rtx4090):
    ingest(rtx4090, GOOD)

    report = ingest(rtx4090, [], run_id="run-2", total=0)

    assert report.archived == 0
    assert Listing.objects.visible().count() == 3


def test_two_honest_zero_answers_in_a_row_archive(rtx4090):
    ingest(rtx4090, GOOD)
    first = ingest(rtx4090, [], run_id="run-2", total=0)

    report = ingest(rtx4090, [], run_id="run-3", total=0)

    assert first.archived == 0 and "first zero answer" in first.note
    assert report.archived == 3
    assert Listing.objects.visible().count() == 0


def test_a_zero_answer_after_an_empty_run_that_was_not_a_zero_answer_archives_nothing(rtx4090):
    ingest(rtx4090, GOOD)
    RefreshRun.objects.create(
        run_id="empty",
        gpu=rtx4090,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        status="ok",
        seen=0,
    )
    ingest(rtx4090, [{"itemId": "v1|1|0"}], run_id="run-2", total=None)  # garbage, seen 0

    report = ingest(rtx4090, [], run_id="run-3", total=0)

    assert report.archived == 0
    assert Listing.objects.visible().count() == 3


def test_an_answer_the_screen_rejected_entirely_archives_nothing(rtx4090):
    ingest(rtx4090, GOOD)
    fans = [
        make_item(50 + n, f"RTX 4090 replacement cooling fan #{n}", "25.00") for n in range(100)
    ]

    report = ingest(rtx4090, fans, run_id="run-2")

    assert (report.seen, report.rejected, report.archived) == (100, 100, 0)
    assert "every result rejected" in report.note
    assert Listing.objects.visible().count() == 3


def test_an_answer_of_other_cards_listings_archives_nothing(catalog, rtx4090):
    rtx4080 = catalog["nvidia-geforce-rtx-4080"]
    theirs = [
        make_item(60 + n, f"NVIDIA GeForce RTX 4080 16GB graphics card #{n}", "1000.00")
        for n in range(5)
    ]
    ingest(rtx4080, theirs)
    ingest(rtx4090, GOOD, run_id="run-2")

    report = ingest(rtx4090, theirs, run_id="run-3", total=5)

    assert report.archived == 0 and "nothing archived" in report.note
    assert Listing.objects.visible().filter(gpu=rtx4090).count() == 3
    assert Listing.objects.visible().filter(gpu=rtx4080).count() == 5


def test_a_collapse_of_the_answer_archives_nothing(rtx4090):
    many = [make_item(n, f"NVIDIA RTX 4090 24GB card #{n}", str(1600 + n)) for n in range(20)]
    ingest(rtx4090, many)

    report = ingest(rtx4090, many[:2], run_id="run-2")

    assert report.archived == 0 and "nothing archived" in report.note


def test_a_truncated_search_archives_only_long_unseen_listings(rtx4090):
    old = timezone.now() - timedelta(days=3)
    ingest(rtx4090, GOOD, now=old)
    ingest(rtx4090, GOOD[:2], run_id="run-2")  # the third is missing but was seen 3 days ago
    Listing.objects.filter(item_id=GOOD[2]["itemId"]).update(is_active=True, archived_at=None)
    Listing.objects.filter(item_id=GOOD[1]["itemId"]).update(last_seen_at=timezone.now())

    report = ingest(rtx4090, GOOD[:1], run_id="run-3", truncated=True)

    assert report.archived == 1
    assert Listing.objects.get(item_id=GOOD[1]["itemId"]).is_active


def test_a_lot_stores_its_quantity_and_unit_price(rtx4090):
    lot = make_item(7, "Lot of 4 NVIDIA GeForce RTX 4090 24GB graphics cards", "6800.00")

    ingest(rtx4090, [*GOOD, lot])

    listing = Listing.objects.get(item_id=lot["itemId"])
    assert listing.quantity == 4
    assert listing.unit_price == Decimal("1700.00")


def test_rejected_listings_are_stored_but_not_visible(rtx4090):
    fan = make_item(8, "RTX 4090 Founders Edition replacement cooling fan", "29.99")
    broken = make_item(9, "RTX 4090 24GB for parts not working", "400.00", conditionId="7000")

    report = ingest(rtx4090, [*GOOD, fan, broken])

    assert report.rejected == 2
    stored = Listing.objects.get(item_id=fan["itemId"])
    assert stored.verdict == Verdict.DROP and stored.reason == "accessory"
    assert Listing.objects.get(item_id=broken["itemId"]).reason == "parts"
    visible = set(Listing.objects.visible().values_list("item_id", flat=True))
    assert visible == {i["itemId"] for i in GOOD}


def test_an_exclusion_by_hand_survives_a_refresh(rtx4090):
    ingest(rtx4090, GOOD)
    Listing.objects.filter(item_id=GOOD[0]["itemId"]).update(
        excluded_by_admin=True, exclusion_reason="seller ships empty boxes"
    )

    ingest(rtx4090, [make_item(1, GOOD[0]["title"], "1500.00"), *GOOD[1:]], run_id="run-2")

    listing = Listing.objects.get(item_id=GOOD[0]["itemId"])
    assert listing.excluded_by_admin and listing.exclusion_reason == "seller ships empty boxes"
    assert listing.price == Decimal("1500.00")
    assert GOOD[0]["itemId"] not in set(Listing.objects.visible().values_list("item_id", flat=True))


def test_a_listing_kept_by_another_card_is_not_taken_by_a_sibling_search(catalog, rtx4090):
    rtx4080 = catalog["nvidia-geforce-rtx-4080"]
    ingest(rtx4090, GOOD)

    ingest(rtx4080, GOOD, run_id="run-2")

    assert set(Listing.objects.values_list("gpu__slug", flat=True)) == {rtx4090.slug}


def test_dry_run_writes_nothing(rtx4090):
    report = ingest(rtx4090, GOOD, dry_run=True)

    assert report.created == 3 and len(report.outcomes) == 3
    assert not Listing.objects.exists()
    assert not RefreshRun.objects.exists()


def test_records_a_refresh_run_with_counts(rtx4090):
    fan = make_item(8, "RTX 4090 cooling fan replacement", "29.99")

    ingest(rtx4090, [*GOOD, fan], run_id="abc")

    run = RefreshRun.objects.get()
    assert (run.run_id, run.status, run.source) == ("abc", "ok", "import")
    assert (run.seen, run.created, run.rejected, run.archived) == (4, 4, 1, 0)
    assert run.finished_at is not None


def test_sends_listings_changed_after_commit_only_when_something_changed(
    rtx4090, changed_gpu_ids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(rtx4090, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(rtx4090, GOOD, run_id="run-2")

    assert changed_gpu_ids == [[rtx4090.pk]]


@pytest.mark.parametrize("count", [10, 200])
def test_query_count_does_not_grow_with_the_number_of_items(
    rtx4090, count, django_assert_max_num_queries
):
    first = [make_item(n, f"NVIDIA RTX 4090 24GB card {n}", str(1600 + n)) for n in range(count)]
    second = [make_item(n, f"NVIDIA RTX 4090 24GB card {n}", str(1500 + n)) for n in range(count)]
    ingest(rtx4090, first[: count // 2])

    # Bulk statements, never a query per row. SQLite caps a statement at 999 parameters, so Django
    # splits a bulk write of 200 wide rows into a few batches; PostgreSQL needs one.
    with django_assert_max_num_queries(25):
        ingest(rtx4090, second, run_id="run-2")

    assert PriceHistory.objects.count() == count // 2 + count


def test_a_large_fresh_import_stores_every_listing_with_defaults_and_one_history_row_each(
    rtx4090,
):
    # More rows than one INSERT statement takes, with a remainder: none may be lost or shifted.
    items = [make_item(n, f"NVIDIA RTX 4090 24GB card {n}", str(1600 + n)) for n in range(95)]
    items.append(make_item(95, "Lot of 4 NVIDIA RTX 4090 24GB", "6800.00", bidCount=3))

    report = ingest(rtx4090, items)

    assert report.created == 96
    listings = {x.item_id: x for x in Listing.objects.all()}
    assert len(listings) == 96
    card = listings["v1|314159270007|0"]
    assert (card.title, card.price, card.unit_price) == (
        "NVIDIA RTX 4090 24GB card 7",
        Decimal("1607.00"),
        Decimal("1607.00"),
    )
    assert card.raw["seller"] == {"feedbackPercentage": "99.5", "feedbackScore": 500}
    assert card.is_active and card.archived_at is None and card.verdict == Verdict.KEEP
    assert not card.excluded_by_admin and card.exclusion_reason == ""
    lot = listings["v1|314159270095|0"]
    assert (lot.quantity, lot.unit_price) == (4, Decimal("1700.00"))
    history = {h.listing_id: h for h in PriceHistory.objects.all()}
    assert len(history) == 96
    assert (history[lot.pk].quantity, history[lot.pk].unit_price) == (4, Decimal("1700.00"))
    assert history[card.pk].price == Decimal("1607.00")
    assert history[card.pk].observed_at == card.first_seen_at == card.last_seen_at
