"""make bench's report: the figures as tables, written to JSON, and the speed guard's PASS or
FAIL line per page."""

import json
from pathlib import Path

MODES = {
    "cache_on": "cached pages: each page again, with a new tracking parameter each request",
    "cache_off": (
        "nothing cached (CACHE_URL=dummycache://): every view renders, as the first view after"
        " a change does and every view while the cache is down"
    ),
}
# The guard: a page's median within this many times the /healthz median, per mode.
GUARD = {"cache_on": 2.0, "cache_off": 30.0}
# Pages the page cache never serves: guarded only with nothing cached.
NEVER_CACHED = {"healthz", "search", "search_results"}
# What each page answers: 200, but a search that names one card redirects to its shop page.
STATUS = {"search": 302}


def guard_lines(figures: dict) -> tuple[list[str], bool]:
    """A PASS or FAIL line per page and mode, and whether every page passed."""
    lines, ok = [], True
    for mode, limit in GUARD.items():
        for name, row in figures[mode].items():
            if name.startswith("_") or name == "healthz":
                continue
            if mode == "cache_on" and name in NEVER_CACHED:
                continue
            answered = row["statuses"] == [STATUS.get(name, 200)]
            passed = row["ratio"] <= limit and answered
            ok &= passed
            lines.append(
                f"  {'PASS' if passed else 'FAIL'} {mode:9s} {name:17s} {row['median_ms']:7.2f} ms"
                f" = {row['ratio']:5.1f}x /healthz ({row['healthz_ms']:.2f} ms; limit {limit:g}x)"
                + ("" if answered else f" statuses {row['statuses']}")
            )
    return lines, ok


def print_table(figures: dict) -> None:
    print(
        f"\nShopAgent bench on {figures['database']} "
        f"({figures['listings_active']} active listings, "
        f"{figures['history_rows']} price-history rows)"
    )
    print(
        f"  ingestion: {figures['ingest_items']} items in {figures['ingest_seconds']} s = "
        f"{figures['ingest_items_per_s']} items/s (target >= 2000)"
    )
    print(f"  ranking recompute: {figures['ranking_recompute_seconds']} s (target <= 0.5)")
    print(
        f"  page-cache hit: {figures['generation_read_us']} us median to read the page "
        "generation (one primary-key SELECT)"
    )
    imports = figures.get("imports")
    if imports:
        ratio = imports["changed_seconds"] / imports["new_seconds"]
        print(
            f"  import of {imports['items']} new items: {imports['new_seconds']} s "
            f"(peak RSS {imports['new_rss_mb']} MB); the same items with changed prices: "
            f"{imports['changed_seconds']} s = {ratio:.2f}x (target <= 2x)"
        )
        print(
            f"  import of a {imports['big_items']}-item file: {imports['big_seconds']} s, "
            f"peak RSS {imports['big_rss_mb']} MB (target < 500)"
        )
    print(
        f"  price history: a year rebuilt from {figures['history_aggregation_rows']} rows in "
        f"{figures['history_aggregation_seconds']} s ({figures['history_daily_prices']} daily "
        f"prices); today's record after a refresh {figures['history_today_seconds']} s"
    )
    for mode, heading in MODES.items():
        pages = figures[mode]
        print(f"\n  {heading}")
        print(
            f"  {'page':17s} {'median ms':>10s} {'p95 ms':>9s} {'req/s':>8s} {'/healthz':>9s}"
            f" {'x /healthz':>10s}  path"
        )
        for name, row in pages.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:17s} {row['median_ms']:10.2f} {row['p95_ms']:9.2f} "
                f"{row['requests_per_s']:8.1f} {row['healthz_ms']:9.2f} {row['ratio']:10.2f}"
                f"  {row['path']}"
            )
        print(f"  worker peak RSS: {pages['_worker_peak_rss_mb']} MB (target <= 250)")


def write_and_guard(figures: dict, *, output: Path, root: Path) -> bool:
    """Write the figures to bench-<database>.json, print the shop query's plan and the speed
    guard; whether every page passed."""
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"bench-{figures['database']}.json"
    target.write_text(json.dumps(figures, indent=2, default=str))
    shown = target.relative_to(root) if target.is_relative_to(root) else target
    print(f"\n  figures written to {shown}")
    print("  query plan of the shop page's listings query:")
    print("   ", figures["explain"]["shop_listings"].replace("\n", "\n    "))
    lines, ok = guard_lines(figures)
    print("\nSpeed guard: cached pages within 2x /healthz, pages with nothing cached within 30x")
    print("\n".join(lines))
    print(f"  {'every page passes' if ok else 'SOME PAGES FAIL'}")
    return ok
