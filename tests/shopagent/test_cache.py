import json
import sqlite3

from tests.fakes.site_workers import SiteWorkers
from tests.listings.conftest import make_item

SLUG = "nvidia-geforce-rtx-4090"
SHOP = f"/ml/shop/gpu/{SLUG}/"
CREATE_CARD = (
    "from catalog.models import Gpu; Gpu.objects.create(slug='nvidia-geforce-rtx-4090', "
    "label='NVIDIA GeForce RTX 4090', manufacturer='NVIDIA', memory_gb=24, category='gaming', "
    "msrp_usd=1599)"
)


def _search_file(tmp_path, name, prices):
    items = [
        make_item(n, f"NVIDIA GeForce RTX 4090 24GB Founders Edition #{n}", price)
        for n, price in enumerate(prices)
    ]
    path = tmp_path / name
    path.write_text(json.dumps({"total": len(items), "itemSummaries": items}))
    return str(path)


def test_an_import_in_another_process_shows_on_the_next_request_to_every_worker(tmp_path):
    with SiteWorkers(workers=2) as site:
        site.manage("shell", "-c", CREATE_CARD)
        site.manage("import_listings", _search_file(tmp_path, "a.json", ["1650.00"]), "--gpu", SLUG)
        site.start()
        for worker in (0, 1):
            assert "$1,650" in site.get(worker, SHOP)
        # A write that bumps nothing stays unseen: both workers really serve their cached copy.
        with sqlite3.connect(site.dir / "site.sqlite3") as db:
            db.execute("UPDATE listings_listing SET title = title || ' unbumped'")
        for worker in (0, 1):
            assert "unbumped" not in site.get(worker, SHOP)

        site.manage("import_listings", _search_file(tmp_path, "b.json", ["1234.00"]), "--gpu", SLUG)

        for worker in (0, 1):
            page = site.get(worker, SHOP)
            assert "$1,234" in page and "$1,650" not in page


def test_the_demo_notice_goes_on_every_worker_with_the_change_that_retires_demo_listings():
    with SiteWorkers(workers=2) as site:
        site.manage("shell", "-c", CREATE_CARD)
        site.manage("seed_demo_listings")
        site.start()
        for worker in (0, 1):
            assert "Demo data:" in site.get(worker, SHOP)
            assert "Demo data:" in site.get(worker, "/")

        site.manage(
            "shell",
            "-c",
            "from listings.models import Listing; from shopagent.cache import bump_generation; "
            "Listing.objects.filter(is_demo=True).update(is_active=False); bump_generation()",
        )

        for worker in (0, 1):
            assert "Demo data:" not in site.get(worker, SHOP)
            assert "Demo data:" not in site.get(worker, "/")


def test_stored_pages_are_served_while_the_database_is_unreachable(tmp_path):
    with SiteWorkers(workers=1) as site:
        site.env["CONN_MAX_AGE"] = "0"  # a connection per request, so the next one fails
        site.manage("shell", "-c", CREATE_CARD)
        site.manage("import_listings", _search_file(tmp_path, "a.json", ["1650.00"]), "--gpu", SLUG)
        site.start()
        stored = {path: site.get(0, path) for path in (SHOP, "/", "/ml/shop/gpu/")}

        database = site.dir / "site.sqlite3"
        away = tmp_path / "away"
        away.mkdir()
        for part in site.dir.glob("site.sqlite3*"):
            part.rename(away / part.name)
        database.mkdir()  # a folder where the file was: the database cannot be opened

        for path, page in stored.items():
            assert site.get(0, f"{path}?utm_source=mail") == page, path
        assert site.request(0, "GET", "/healthz")[0] == 503
        assert site.request(0, "GET", "/ml/shop/gpu/performance/")[0] == 500  # never stored
