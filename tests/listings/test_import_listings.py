import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from listings import search_files
from listings.management.commands import import_listings as import_command
from listings.models import Listing, RefreshRun
from tests.factories import make_gpu
from tests.fakes.site_workers import SiteWorkers
from tests.listings.conftest import DATA, SAMPLES, make_item
from tests.shopagent.test_cache import CREATE_CARD

pytestmark = pytest.mark.django_db

PAGE1 = str(DATA / "ebay_search_page1.json")
PAGE2 = str(DATA / "ebay_search_page2.json")


def run(*args):
    out = StringIO()
    call_command("import_listings", *args, stdout=out)
    return out.getvalue()


def test_imports_page_envelopes_through_the_screen(rtx4090):
    output = run(PAGE1, PAGE2, "--gpu", rtx4090.slug)

    assert "5 seen, 5 new" in output
    assert Listing.objects.count() == 5
    fan = Listing.objects.get(title__icontains="cooling fan")
    assert fan.verdict == "drop" and fan.reason == "accessory"
    lot = Listing.objects.get(title__startswith="Lot of 2")
    assert (lot.quantity, str(lot.unit_price)) == (2, "1900.00")
    assert RefreshRun.objects.get().source == "import"


def test_imports_a_plain_array_of_item_summaries(rtx4090, tmp_path):
    path = tmp_path / "items.json"
    path.write_text(json.dumps([make_item(1, "NVIDIA RTX 4090 24GB Founders Edition", "1650")]))

    run(str(path), "--gpu", rtx4090.slug)

    assert Listing.objects.visible().count() == 1


def test_json_output_is_one_object_per_item_in_the_stable_format(rtx4090):
    output = run(PAGE1, PAGE2, "--gpu", rtx4090.slug, "--json", "--dry-run")

    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 5
    assert all(
        set(line) == {"itemId", "verdict", "reason", "quantity", "unit_price", "currency", "flags"}
        for line in lines
    )
    by_id = {line["itemId"]: line for line in lines}
    assert by_id["v1|314159260004|0"] == {
        "itemId": "v1|314159260004|0",
        "verdict": "keep",
        "reason": "",
        "quantity": 2,
        "unit_price": "1900.00",
        "currency": "USD",
        "flags": [],
    }
    assert by_id["v1|314159260005|0"]["verdict"] == "drop"
    assert by_id["v1|314159260005|0"]["unit_price"] is None or isinstance(
        by_id["v1|314159260005|0"]["unit_price"], str
    )


def test_dry_run_writes_nothing(rtx4090):
    output = run(PAGE1, "--gpu", rtx4090.slug, "--dry-run")

    assert "nothing written" in output
    assert not Listing.objects.exists() and not RefreshRun.objects.exists()


def test_an_unknown_slug_names_close_matches(rtx4090):
    with pytest.raises(CommandError, match="nvidia-geforce-rtx-4090"):
        run(PAGE1, "--gpu", "nvidia-geforce-rtx-409")


@pytest.mark.parametrize(
    "content", ['{"itemSummaries": [', '{"itemSummaries": "x"}', "[1, 2]", "<html></html>"]
)
def test_a_malformed_file_writes_nothing(rtx4090, tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)

    with pytest.raises(CommandError, match="bad.json"):
        run(PAGE1, str(bad), "--gpu", rtx4090.slug)

    assert not Listing.objects.exists()


def test_reimport_is_idempotent(rtx4090):
    run(PAGE1, PAGE2, "--gpu", rtx4090.slug)
    before = list(Listing.objects.values("item_id", "price", "verdict", "is_active", "quantity"))

    output = run(PAGE1, PAGE2, "--gpu", rtx4090.slug)

    assert "0 new, 0 updated, 0 archived" in output
    assert list(Listing.objects.values("item_id", "price", "verdict", "is_active", "quantity")) == (
        before
    )


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/ebay-samples is not present")
def test_a_shared_real_search_imports_without_error(db):
    gpu = make_gpu("nvidia-t4", label="NVIDIA T4", category="datacenter", memory_gb=16)
    output = run(str(SAMPLES / "search-nvidia-t4.json"), "--gpu", gpu.slug, "--json", "--dry-run")

    lines = [json.loads(line) for line in output.splitlines()]
    items = json.loads((SAMPLES / "search-nvidia-t4.json").read_text())
    assert len(lines) == len({item["itemId"] for item in items})  # one line per distinct item
    assert {line["verdict"] for line in lines} == {"keep", "drop"}


def _write(path, items):
    path.write_text(json.dumps({"total": len(items), "itemSummaries": items}))
    return str(path)


def test_a_file_larger_than_a_batch_is_imported_and_archived_as_one_answer(
    rtx4090, tmp_path, monkeypatch
):
    monkeypatch.setattr(import_command, "IMPORT_BATCH_ITEMS", 3)
    items = [
        make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", f"{1600 + n}.00") for n in range(10)
    ]

    assert "10 seen, 10 new" in run(_write(tmp_path / "a.json", items), "--gpu", rtx4090.slug)
    assert Listing.objects.visible().count() == 10

    items[0]["price"]["value"] = "1500.00"
    output = run(_write(tmp_path / "b.json", items[:6]), "--gpu", rtx4090.slug)

    assert "6 seen, 0 new, 1 updated, 4 archived" in output
    assert Listing.objects.visible().count() == 6
    assert Listing.objects.get(item_id=items[0]["itemId"]).price == Decimal("1500.00")


def test_a_file_is_read_an_item_at_a_time_whatever_its_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(search_files, "CHUNK_CHARS", 5)  # every value spans several chunks
    items = [
        make_item(1, 'A "quoted" title with ] and } and , inside', "1234.50"),
        make_item(2, "Ünïcödé title \\u2603", "99999.99", bidCount=1234567),
    ]
    path = tmp_path / "page.json"
    path.write_text(
        json.dumps({"href": "x", "limit": 200, "itemSummaries": items, "total": 2, "next": None})
    )

    assert list(search_files.iter_items(str(path))) == items


def test_other_writers_wait_for_a_large_import_instead_of_failing(tmp_path):
    # A large import in miniature: 25 batches, as 50,000 items make in production's batches of
    # IMPORT_BATCH_ITEMS (2,000), but of 400 items, so the test takes seconds, not tens of them.
    items = [
        make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", f"{1600 + n % 100}.00")
        for n in range(10_000)
    ]
    path = _write(tmp_path / "big.json", items)
    stop = tmp_path / "stop"
    # A short busy timeout (production waits 20 s): a writer fails if any one transaction holds
    # the lock longer than this. Here a batch of 400 holds it for less than a tenth of a second
    # and the closing one (archive, rankings, history) a few tenths, on a machine busy with
    # other work for up to 0.6 s; the whole file in one transaction holds it for seconds, and
    # even its writes alone in one transaction do (3 s on that busy machine for 8,000 items).
    timeout = "DATABASES['default']['OPTIONS']['timeout'] = 1\n"
    writes = (
        "import os, time\n"
        "from listings.models import RefreshLock\n"
        "from django.utils import timezone\n"
        "n = 0\n"
        f"while not os.path.exists({str(stop)!r}):\n"
        "    RefreshLock.objects.update_or_create(name='probe', defaults={'owner': str(n), "
        "'acquired_at': timezone.now(), 'expires_at': timezone.now()})\n"
        "    n += 1\n"
        "    time.sleep(0.05)\n"
        "print(f'writer done: {n} writes')\n"
    )
    batches_of_400 = (
        "from django.core.management import call_command\n"
        "from listings.management.commands import import_listings\n"
        "import_listings.IMPORT_BATCH_ITEMS = 400\n"
        f"call_command('import_listings', {path!r}, '--gpu', 'nvidia-geforce-rtx-4090')\n"
    )
    with SiteWorkers(workers=0, settings=timeout) as site:
        site.manage("shell", "-c", CREATE_CARD)
        writer = site.spawn("shell", "-c", writes)
        import_out = site.manage("shell", "-c", batches_of_400)
        stop.touch()
        writer_out, writer_err = writer.communicate(timeout=60)

    assert "10000 seen, 10000 new" in import_out
    assert writer.returncode == 0 and "writer done" in writer_out, writer_err


def test_a_file_nested_too_deeply_to_read_is_refused_with_a_message(rtx4090, tmp_path):
    bad = tmp_path / "deep.json"
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    good = json.dumps(make_item(1, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1650.00"))
    bad.write_text(f'{{"warnings": {deep}, "itemSummaries": [{good}]}}')

    with pytest.raises(CommandError, match="deep.json: a value nested too deeply"):
        run(str(bad), "--gpu", rtx4090.slug)

    assert not Listing.objects.exists()


def test_an_item_nested_too_deeply_to_decode_is_rejected_alone(rtx4090, tmp_path):
    deep = '{"a": ' * 100_000 + '"]}[\\\\"' + "}" * 100_000  # brackets in a string too
    good = [
        make_item(n, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1650.00") for n in (1, 2)
    ]
    path = tmp_path / "one-deep.json"
    path.write_text(f"[{json.dumps(good[0])}, {deep}, {json.dumps(good[1])}]")

    output = run(str(path), "--gpu", rtx4090.slug)

    assert "2 seen, 2 new" in output
    assert "1 malformed items rejected: 1 nested deeper than 16 levels" in output
    assert RefreshRun.objects.get().malformed == 1


def test_malformed_items_in_a_file_are_rejected_and_counted_and_the_rest_imported(
    rtx4090, tmp_path
):
    good = make_item(1, "NVIDIA GeForce RTX 4090 24GB Founders Edition", "1650.00")
    bad = make_item(2, "NVIDIA GeForce RTX 4090 24GB", "1600.00", buyingOptions=5)
    output = run(_write(tmp_path / "mixed.json", [good, bad]), "--gpu", rtx4090.slug)

    assert "1 seen, 1 new" in output and "1 malformed items rejected" in output
    assert RefreshRun.objects.get().malformed == 1
    assert list(Listing.objects.values_list("item_id", flat=True)) == [good["itemId"]]


def _raw_items_file(path, items, bad_json_items):
    """A search page of `items` followed by items given as JSON text (NaN, huge integers)."""
    good = json.dumps(items)[1:-1]
    path.write_text(f'{{"itemSummaries": [{good}, {", ".join(bad_json_items)}]}}')
    return str(path)


def _shop_page(client, gpu):
    return client.get(f"/ml/shop/gpu/{gpu.slug}/").content.decode()


@pytest.mark.django_db(transaction=True)  # pages are invalidated when the import commits
def test_unstorable_items_in_a_later_batch_are_rejected_alone_and_the_import_completes(
    rtx4090, tmp_path, monkeypatch, client
):
    monkeypatch.setattr(import_command, "IMPORT_BATCH_ITEMS", 3)
    dear = [make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", "1263.00") for n in range(4)]
    run(_write(tmp_path / "dear.json", dear), "--gpu", rtx4090.slug)
    assert "$1,263" in _shop_page(client, rtx4090)  # now in the page cache
    cheap = [make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", "200.00") for n in range(7)]
    bad = [
        json.dumps(make_item(20, "NVIDIA GeForce RTX 4090 24GB score", "199.00"))[:-1]
        + ', "seller": {"feedbackScore": 1'
        + "0" * 30
        + "}}",
        json.dumps(make_item(21, "NVIDIA GeForce RTX 4090 24GB date", "199.00"))[:-1]
        + ', "itemCreationDate": "0001-01-01T00:00:00+14:00"}',
        json.dumps(make_item(22, "NVIDIA GeForce RTX 4090 24GB nan", "199.00"))[:-1]
        + ', "bidCount": NaN}',
    ]

    output = run(_raw_items_file(tmp_path / "cheap.json", cheap, bad), "--gpu", rtx4090.slug)

    assert "7 seen, 3 new, 4 updated, 0 archived" in output
    assert "3 malformed items rejected" in output
    last = RefreshRun.objects.order_by("-pk").first()
    assert (last.status, last.malformed) == ("ok", 3)
    page = _shop_page(client, rtx4090)
    assert "$200" in page and "$1,263" not in page
    assert not Listing.objects.filter(item_id__in=["v1|314159270020|0", "v1|314159270021|0"])


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fails_mid_file_is_recorded_and_its_written_batches_shown(
    rtx4090, tmp_path, monkeypatch, client
):
    from listings import ingest

    monkeypatch.setattr(import_command, "IMPORT_BATCH_ITEMS", 3)
    dear = [make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", "1263.00") for n in range(4)]
    run(_write(tmp_path / "dear.json", dear), "--gpu", rtx4090.slug)
    assert "$1,263" in _shop_page(client, rtx4090)
    real_upsert, batches = ingest.upsert_batch, []

    def upsert_until_the_database_fails(**kwargs):
        batches.append(1)
        if len(batches) == 2:
            raise DatabaseError("the database went away")
        return real_upsert(**kwargs)

    monkeypatch.setattr(ingest, "upsert_batch", upsert_until_the_database_fails)
    cheap = [make_item(n, f"NVIDIA GeForce RTX 4090 24GB card #{n}", "200.00") for n in range(7)]

    with pytest.raises(CommandError, match="the database went away"):
        run(_write(tmp_path / "cheap.json", cheap), "--gpu", rtx4090.slug)

    last = RefreshRun.objects.order_by("-pk").first()
    assert last.status == "failed" and "the database went away" in last.error
    assert last.finished_at is not None
    page = _shop_page(client, rtx4090)
    assert "$200" in page  # the first batch was written: the page shows it
    assert Listing.objects.filter(is_active=True).count() == 4  # nothing archived


def test_an_import_never_fails_for_price_alerts_it_cannot_send(rtx4090, mail_server):
    from tests.listings.test_refresh_listings import _alert_on

    alert = _alert_on(rtx4090, target="1900.00")
    mail_server.stop()

    assert "5 seen, 5 new" in run(PAGE1, PAGE2, "--gpu", rtx4090.slug)

    alert.refresh_from_db()
    assert alert.last_sent_at is None
    mail_server.start()
    call_command("send_alerts", stdout=StringIO())
    # The used card and the lot of two at $1,900 a card; not the $1,500 auction.
    assert "2 new listings at or under $1,900" in mail_server.received[0]["Subject"]
