"""`make bench`: build a dataset at scale through the real ingestion path, serve it with
gunicorn and measure pages over loopback, with the page cache on and off.
Prints a table and a PASS or FAIL line per page against the speed guard, writes JSON.

The guard: a cached page (the same page again, each request with a new tracking parameter the
page does not read) within 2x the /healthz median; every page rendered with nothing cached
(CACHE_URL=dummycache://) within 30x. The command exits 1 when a page fails it.

Usage: python tests/bench/run_bench.py [--listings 52000] [--history 1000000] [--requests 200]
       [--refresh-workers 4,8,16] [--refresh-items 400] [--refresh-latency 0.6]
       [--refresh-only | --skip-refresh] [--skip-faults]
The refresh section times a full `refresh_listings` of the catalog against the loopback fake eBay;
the fault section times pages while a real redis-server is hung (SIGSTOP) and down, and the memory
of a refresh whose answer is a gzip bomb.
The database is DATABASE_URL when set (PostgreSQL via `make bench BENCH_DB=postgres`), else a fresh
SQLite file in a temp dir.
"""

import argparse
import io
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.paths import bench_paths  # noqa: E402
from tests.bench.report import print_table, write_and_guard  # noqa: E402

CONDITIONS = [("New", "1000"), ("Used", "3000"), ("Used", "3000"), ("Seller refurbished", "2500")]
COUNTRIES = ["US", "US", "US", "DE", "GB", "CN", "JP", "CA"]


def _env(tmp: Path, cache_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="shopagent.settings.base",
        DEBUG="false",
        ENV_FILE="/dev/null",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        CACHE_URL=cache_url,
        POSTHOG_API_KEY="",
        EBAY_CLIENT_ID="",
        EBAY_CLIENT_SECRET="",
        LOG_LEVEL="WARNING",
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    env["BENCH_SECRET_KEY"] = env["SECRET_KEY"]
    return env


def _fake_item(rng: random.Random, gpu, index: int, typical: float) -> dict:
    condition, condition_id = rng.choice(CONDITIONS)
    price = max(20.0, rng.lognormvariate(0, 0.18) * typical)
    auction = rng.random() < 0.15
    item_id = f"v1|9{gpu.pk:03d}{index:07d}|0"
    legacy = item_id.split("|")[1]
    item = {
        "itemId": item_id,
        "title": f"{gpu.label} {rng.choice(['Graphics Card', 'GPU', 'Video Card'])}"
        + (f" {int(gpu.memory_gb)}GB" if gpu.memory_gb and "GB" not in gpu.label else ""),
        "price": {"value": f"{price:.2f}", "currency": "USD"},
        "condition": condition,
        "conditionId": condition_id,
        "seller": {
            "feedbackPercentage": f"{rng.uniform(97, 100):.1f}",
            "feedbackScore": rng.randint(50, 50000),
        },
        "buyingOptions": ["AUCTION"] if auction else ["FIXED_PRICE", "BEST_OFFER"],
        "itemLocation": {"country": rng.choice(COUNTRIES)},
        "image": {"imageUrl": f"https://i.ebayimg.com/images/g/{legacy}/s-l225.jpg"},
        "itemWebUrl": f"https://www.ebay.com/itm/{legacy}",
        "itemAffiliateWebUrl": f"https://www.ebay.com/itm/{legacy}?mkcid=1&campid=5338000000",
        "shippingOptions": [
            {"shippingCostType": "FIXED", "shippingCost": {"value": "0.00", "currency": "USD"}}
        ],
        "itemCreationDate": "2026-10-01T10:00:00.000Z",
    }
    if auction:
        item["bidCount"] = rng.randint(0, 30)
        item["itemEndDate"] = "2026-12-01T10:00:00.000Z"
    return item


def build_dataset(args, tmp: Path) -> dict:
    """Migrate, load the catalog, import generated search responses, bulk-write price history,
    then time a ranking recompute and the price-history rebuild."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Gpu
    from listings.models import Listing
    from metrics.reports.months import published_months

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("load_catalog", verbosity=0)
    gpus = list(Gpu.objects.all())
    figures = _import_listings(args, tmp, gpus)
    figures.update(_write_history(args))
    figures.update(_time_recompute_and_history())
    figures["database"] = connection.vendor
    busiest = max(gpus, key=lambda g: Listing.objects.visible().filter(gpu=g).count())
    figures["shop_slug"] = busiest.slug
    newest = next(iter(published_months()), None)
    figures["report_month"] = f"{newest:%Y-%m}" if newest else "none"
    figures["explain"] = _explain(busiest)
    return figures


def _import_listings(args, tmp: Path, gpus) -> dict:
    """Every card's generated search answer through import_listings: items/s."""
    from django.core.management import call_command

    from listings.models import Listing

    per_card = max(1, args.listings // len(gpus))
    rng = random.Random(20261122)
    files = []
    for gpu in gpus:
        typical = float(gpu.msrp_usd or 0) or 800.0
        items = [_fake_item(rng, gpu, i, typical) for i in range(per_card)]
        path = tmp / f"search-{gpu.slug}.json"
        path.write_text(json.dumps({"total": len(items), "itemSummaries": items}))
        files.append((gpu.slug, path))
    started = time.perf_counter()
    for slug, path in files:
        call_command("import_listings", str(path), gpu=slug, verbosity=0, stdout=io.StringIO())
    elapsed = time.perf_counter() - started
    total_items = per_card * len(gpus)
    return {
        "ingest_items": total_items,
        "ingest_seconds": round(elapsed, 2),
        "ingest_items_per_s": round(total_items / elapsed, 1),
        "listings_active": Listing.objects.active().count(),
        "listings_visible": Listing.objects.visible().count(),
    }


def _write_history(args) -> dict:
    """args.history price-history rows spread over the listings, two days apart: with the default
    sizes about 38 days back, so the month before this one has a market report to time."""
    from listings.models import Listing, PriceHistory

    rng = random.Random(20261123)
    listing_ids = list(Listing.objects.values_list("id", flat=True))
    now = datetime.now(UTC)
    started = time.perf_counter()
    written, batch = 0, []
    while written < args.history:
        listing_id = listing_ids[written % len(listing_ids)]
        price = Decimal(rng.randint(100, 40000))
        batch.append(
            PriceHistory(
                listing_id=listing_id,
                observed_at=now - timedelta(hours=written // len(listing_ids) * 48),
                price=price,
                currency="USD",
                quantity=1,
                unit_price=price,
            )
        )
        written += 1
        if len(batch) == 10000:
            PriceHistory.objects.bulk_create(batch)
            batch = []
    PriceHistory.objects.bulk_create(batch)
    return {
        "history_rows": PriceHistory.objects.count(),
        "history_write_seconds": round(time.perf_counter() - started, 1),
    }


def _time_recompute_and_history() -> dict:
    """The best of three ranking recomputes, a year's daily-price rebuild and today's record."""
    from metrics.history import record_price_history, today_utc
    from metrics.ranking import recompute_rankings

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        recompute_rankings()
        timings.append(time.perf_counter() - started)
    figures = {"ranking_recompute_seconds": round(min(timings), 3)}
    # A year's rebuild of the daily headline prices from every stored price-history row.
    started = time.perf_counter()
    report = record_price_history(since=today_utc() - timedelta(days=365))
    figures["history_aggregation_seconds"] = round(time.perf_counter() - started, 2)
    figures["history_aggregation_rows"] = report.history_rows
    figures["history_daily_prices"] = report.daily_prices
    started = time.perf_counter()
    record_price_history()
    figures["history_today_seconds"] = round(time.perf_counter() - started, 3)
    return figures


def _explain(gpu) -> dict:
    """Query plans of the shop page's main query, to show the indexes are used."""
    from listings.models import Listing

    qs = Listing.objects.visible().filter(gpu=gpu).order_by("unit_price")[:24]
    return {"shop_listings": qs.explain()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not become ready")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is the page's answer: timed as it is, never followed to another page."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _get(url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    try:
        with _OPENER.open(url, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:  # a 3xx not followed, or a 4xx/5xx
        body, status = error.read(), error.code
    return time.perf_counter() - started, status, len(body)


def _measure_page(args, base: str, name: str, path: str) -> dict:
    """One page's latency (median, p95) and requests/s (four clients at once). Each timed
    request follows a timed /healthz request, so the page's ratio to /healthz is taken over the
    same moments: other jobs on a shared machine slow both alike."""
    total = args.requests * 2 + 5
    urls = [base + path] * total
    if name != "healthz":
        sep = "&" if "?" in path else "?"
        urls = [f"{base}{path}{sep}utm_source=bench-{i}" for i in range(total)]
    for url in urls[:5]:
        _get(url)
    samples, floor, statuses, size = [], [], set(), 0
    for url in urls[5 : 5 + args.requests]:
        floor.append(_get(base + "/healthz")[0] * 1000)
        seconds, status, size = _get(url)
        samples.append(seconds * 1000)
        statuses.add(status)
    samples.sort()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(_get, urls[5 + args.requests :]))
    throughput = args.requests / (time.perf_counter() - started)
    median, healthz = statistics.median(samples), statistics.median(floor)
    return {
        "path": path,
        "median_ms": round(median, 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "healthz_ms": round(healthz, 2),
        "ratio": round(median / healthz, 2),
        "requests_per_s": round(throughput, 1),
        "bytes": size,
        "statuses": sorted(statuses),
    }


def _worker_rss_kb(master_pid: int) -> int:
    """Peak resident memory (VmHWM) of the biggest gunicorn worker."""
    peak = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return peak


@contextmanager
def _serving(env: dict):
    """gunicorn (2 workers, production settings) on a free loopback port: (process, base URL)."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shopagent.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + "/healthz")
        yield server, base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def measure_server(args, tmp: Path, cache_url: str, paths: dict) -> dict:
    """Median/p95 latency and requests/s of each page. Every request but /healthz's carries a new
    tracking parameter (utm_source=...), which no page reads: with the page cache on, each is
    answered from the entry of the page it shows, as a shared link with a tracking parameter is."""
    results = {}
    with _serving(_env(tmp, cache_url)) as (server, base):
        for name, path in paths.items():
            results[name] = _measure_page(args, base, name, path)
        results["_worker_peak_rss_mb"] = round(_worker_rss_kb(server.pid) / 1024, 1)
    return results


def _health(base: str) -> dict:
    with urllib.request.urlopen(base + "/healthz", timeout=30) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def measure_redis_faults(tmp: Path, paths: dict) -> dict | None:
    """Pages from gunicorn on a real Redis that is then hung (SIGSTOP) and, after it resumes,
    killed: each page once, in turn, with /healthz's cache field; then the time until the
    cache is used again once Redis answers. None without redis-server."""
    from tests.fakes.redis_server import RedisServer, has_redis

    if not has_redis():
        return None
    figures = {}
    (tmp / "redis-fault").mkdir(exist_ok=True)
    with RedisServer(tmp / "redis-fault") as redis, _serving(_env(tmp, redis.url)) as (_, base):
        pages = [path for name, path in paths.items() if name != "healthz"]
        for path in pages * 2:
            _get(base + path)  # twice: once per worker, more or less
        for fault, (breaking, mending) in {
            "hung": (redis.hang, redis.resume),
            "down": (redis.kill, redis.start),
        }.items():
            breaking()
            timings = [round(_get(base + path)[0] * 1000, 1) for path in pages * 2]
            health = _health(base)
            mending()
            started = time.perf_counter()
            while _health(base)["cache"] != "ok":
                time.sleep(0.1)
            figures[fault] = {
                "first_ms": timings[0],
                "slowest_ms": max(timings),
                "median_ms": statistics.median(timings),
                "requests": len(timings),
                "healthz_cache": health["cache"],
                "cache_back_after_s": round(time.perf_counter() - started, 1),
            }
    return figures


def measure_gzip_bomb(tmp: Path, slug: str) -> dict:
    """refresh_listings of one card against a fake eBay whose answer is a 300 KB gzip body that
    inflates to 300 MB: time, peak memory and how the card ended."""
    from tests.fakes.ebay_server import FakeEbay, gzip_bomb

    bomb = gzip_bomb(300)
    env = _env(tmp, "locmemcache://bench")
    with FakeEbay() as fake:
        fake.default = bomb
        env.update(
            EBAY_CLIENT_ID="bench-id",
            EBAY_CLIENT_SECRET="bench-secret",
            EBAY_API_BASE_URL=fake.url,
            EBAY_AUTH_URL=fake.url,
            EBAY_MAX_RETRIES="0",
        )
        seconds, peak_mb, stderr = _timed_command(
            env, "refresh_listings", "--gpu", slug, check=False
        )
    return {
        "wire_kb": round(len(bomb.body) / 1024),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "outcome": (stderr.strip().splitlines() or ["(no error)"])[-1][:160],
    }


def print_faults(figures: dict) -> None:
    redis = figures.get("redis_faults")
    if redis:
        print("\n  Redis hung (SIGSTOP) or down (killed), gunicorn 2 workers, each page in turn:")
        for fault, row in redis.items():
            print(
                f"  {fault:5s}: first request {row['first_ms']} ms, slowest {row['slowest_ms']} ms,"
                f" median {row['median_ms']} ms over {row['requests']} requests; /healthz cache "
                f'"{row["healthz_cache"]}"; cache used again {row["cache_back_after_s"]} s after '
                "Redis answered"
            )
    bomb = figures.get("gzip_bomb")
    if bomb:
        print(
            f"\n  refresh against a {bomb['wire_kb']} KB gzip answer (300 MB inflated): "
            f"{bomb['seconds']} s, peak RSS {bomb['peak_rss_mb']} MB; {bomb['outcome']}"
        )


def measure_refresh(args) -> dict:
    """A full live refresh of the catalog against a fake eBay on loopback that answers each call
    after --refresh-latency seconds, with --refresh-items items per card, for each worker count."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from catalog.models import Gpu
    from listings.models import ApiUsage, Listing, RefreshRun
    from tests.fakes.ebay_server import FakeEbay, catalog_pages

    call_command("migrate", verbosity=0, interactive=False)
    if not Gpu.objects.exists():
        call_command("load_catalog", verbosity=0)
    cards = Gpu.objects.count()
    figures = {
        "cards": cards,
        "items_per_card": args.refresh_items,
        "latency_s": args.refresh_latency,
        "runs": [],
    }
    with FakeEbay() as fake:
        fake.responder = catalog_pages(
            items_per_card=args.refresh_items, latency=args.refresh_latency
        )
        settings.EBAY_CLIENT_ID, settings.EBAY_CLIENT_SECRET = "bench-id", "bench-secret"
        settings.EBAY_API_BASE_URL = settings.EBAY_AUTH_URL = fake.url
        settings.EBAY_DAILY_CALL_BUDGET = 10**6
        settings.EBAY_MAX_ITEMS_PER_CARD = max(settings.EBAY_MAX_ITEMS_PER_CARD, args.refresh_items)
        for workers in args.refresh_workers:
            Listing.objects.all().delete()  # every run stores every item anew
            RefreshRun.objects.all().delete()
            ApiUsage.objects.all().delete()
            calls_before = len(fake.searches())
            started = time.perf_counter()
            out = io.StringIO()
            try:
                call_command("refresh_listings", workers=workers, stdout=out, stderr=io.StringIO())
                ok = True
            except Exception as exc:  # a failed card still yields a timing; say so
                ok, out = False, io.StringIO(str(exc))
            elapsed = time.perf_counter() - started
            figures["runs"].append(
                {
                    "workers": workers,
                    "seconds": round(elapsed, 1),
                    "calls": len(fake.searches()) - calls_before,
                    "listings": Listing.objects.count(),
                    "max_concurrent_calls": fake.max_in_flight,
                    "ok": ok,
                }
            )
            fake.max_in_flight = 0
            print(
                f"  refresh, {workers:>2} workers: {elapsed:6.1f} s "
                f"({figures['runs'][-1]['calls']} calls, {Listing.objects.count()} listings)",
                flush=True,
            )
    return figures


def print_refresh(refresh: dict) -> None:
    print(
        f"\nFull refresh of {refresh['cards']} cards, {refresh['items_per_card']} items each, "
        f"fake eBay answering each call in {refresh['latency_s']} s (target <= 60 s):"
    )
    for run in refresh["runs"]:
        print(
            f"  {run['workers']:>2} workers: {run['seconds']:6.1f} s, {run['calls']} calls, "
            f"{run['listings']} listings stored, at most {run['max_concurrent_calls']} calls "
            f"at once{'' if run['ok'] else ' (some cards failed)'}"
        )


def _write_search_file(path: Path, items) -> None:
    """A search page envelope written an item at a time, so the bench never holds the file."""
    with path.open("w") as handle:
        handle.write('{"href": "", "itemSummaries": [')
        for n, item in enumerate(items):
            handle.write(("," if n else "") + json.dumps(item))
        handle.write("]}")


def _timed_command(env: dict, *args: str, check: bool = True) -> tuple[float, float, str]:
    """A manage.py command in its own process: (seconds, peak RSS in MB, its stderr).

    The peak is the child's own VmHWM, polled while it runs: a child's ru_maxrss on Linux starts
    from the forking parent's.
    """
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    status_file, peak_kb = Path(f"/proc/{process.pid}/status"), 0
    while process.poll() is None:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.1)
    stderr = process.stderr.read()
    if check and process.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {stderr[-500:]}")
    return time.perf_counter() - started, peak_kb / 1024, stderr


def _timed_import(env: dict, path: Path, slug: str) -> tuple[float, float]:
    """import_listings in its own process: (seconds, peak RSS in MB)."""
    seconds, peak_mb, _ = _timed_command(env, "import_listings", str(path), "--gpu", slug)
    return seconds, peak_mb


def measure_imports(args, tmp: Path, shop_slug: str) -> dict:
    """Large imports: new items, the same items with changed prices, then one very large file."""
    from catalog.models import Gpu

    gpu = Gpu.objects.exclude(slug=shop_slug).order_by("slug").first()
    typical = float(gpu.msrp_usd or 0) or 800.0
    env = _env(tmp, "locmemcache://bench")
    rng = random.Random(20261130)
    new = [_fake_item(rng, gpu, 1_000_000 + i, typical) for i in range(args.import_items)]
    _write_search_file(tmp / "import-new.json", new)
    for item in new:
        item["price"]["value"] = f"{float(item['price']['value']) * 0.9:.2f}"
    _write_search_file(tmp / "import-changed.json", new)
    del new
    figures = {"items": args.import_items, "card": gpu.slug}
    figures["new_seconds"], figures["new_rss_mb"] = _timed_import(
        env, tmp / "import-new.json", gpu.slug
    )
    figures["changed_seconds"], figures["changed_rss_mb"] = _timed_import(
        env, tmp / "import-changed.json", gpu.slug
    )
    _write_search_file(
        tmp / "import-big.json",
        (_fake_item(rng, gpu, 3_000_000 + i, typical) for i in range(args.big_import_items)),
    )
    figures["big_items"] = args.big_import_items
    figures["big_seconds"], figures["big_rss_mb"] = _timed_import(
        env, tmp / "import-big.json", gpu.slug
    )
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}


def measure_generation_read() -> float:
    """Microseconds one page-cache hit spends reading the page generation from the database."""
    from django.db import connection

    from shopagent.cache import bump_generation, current_generation

    bump_generation()
    timings = []
    for _ in range(2000):
        started = time.perf_counter()
        current_generation()
        timings.append(time.perf_counter() - started)
    connection.close()
    return round(statistics.median(timings) * 1e6, 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=52000)
    parser.add_argument("--history", type=int, default=1000000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--import-items", type=int, default=50000)
    parser.add_argument("--big-import-items", type=int, default=200000)
    parser.add_argument("--output", default=str(ROOT / "bench-results"))
    parser.add_argument(
        "--refresh-workers",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[4, 8, 16],
        help="worker counts for the full-refresh section, comma-separated",
    )
    parser.add_argument("--refresh-items", type=int, default=400)
    parser.add_argument("--refresh-latency", type=float, default=0.6)
    parser.add_argument("--refresh-only", action="store_true", help="only the refresh section")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument(
        "--skip-faults", action="store_true", help="no hung/down Redis or gzip-bomb figures"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    if args.refresh_only:
        with tempfile.TemporaryDirectory(prefix="shopagent-bench-") as tmpdir:
            os.environ.update(_env(Path(tmpdir), "locmemcache://bench"))
            refresh = measure_refresh(args)
        print_refresh(refresh)
        return
    with tempfile.TemporaryDirectory(prefix="shopagent-bench-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ.update(_env(tmp, "locmemcache://bench"))
        figures = build_dataset(args, tmp)
        paths = bench_paths(figures["shop_slug"], figures["report_month"])
        figures["cache_on"] = measure_server(args, tmp, "locmemcache://bench", paths)
        figures["cache_off"] = measure_server(args, tmp, "dummycache://", paths)
        if not args.skip_faults:
            figures["redis_faults"] = measure_redis_faults(tmp, paths)
            figures["gzip_bomb"] = measure_gzip_bomb(tmp, figures["shop_slug"])
        if not args.skip_refresh:
            figures["refresh"] = measure_refresh(args)
        figures["generation_read_us"] = measure_generation_read()
        if args.import_items:
            figures["imports"] = measure_imports(args, tmp, figures["shop_slug"])
    figures["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    figures["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print_table(figures)
    print_faults(figures)
    if "refresh" in figures:
        print_refresh(figures["refresh"])
    if not write_and_guard(figures, output=Path(args.output), root=ROOT):
        sys.exit(1)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
