"""The pages `make bench` times (tests/bench/run_bench.py): add a page type here."""


def bench_paths(shop_slug: str, report_month: str) -> dict[str, str]:
    """The pages timed, by name: the busiest card's shop page, the newest market report and every
    other page type. "search" names one card: its answer is the redirect to that card's shop page
    (timed on its own as "shop"); "search_results" lists several cards."""
    shop = f"/ml/shop/gpu/{shop_slug}/"
    return {
        "healthz": "/healthz",
        "home": "/",
        "home_finder": "/?task=llm-14b&budget=1500",
        "shop": shop,
        "shop_filtered": f"{shop}?sort=deal&condition=used&page=2",
        "rankings": "/ml/shop/gpu/performance/",
        "cost_per_spec": "/ml/shop/gpu/performance/cost-per-fp32-flops/",
        "use_case": "/ml/shop/use-case/image-classification/",
        "all_cards": "/ml/shop/gpu/",
        "all_cards_search": "/ml/shop/gpu/?q=rtx&vendor=NVIDIA&sort=-per-fp16",
        "compare": "/ml/shop/gpu/compare/nvidia-geforce-rtx-3090-vs-nvidia-geforce-rtx-4090/",
        "learn": "/ml/learn/gpu/nvidia-geforce-rtx-4090/",
        "llm_picker": "/ml/shop/llm/",
        "llm_model": "/ml/shop/llm/llama-3.1-70b/?quant=q8_0&context=32768",
        "methodology": "/ml/learn/methodology/",
        "gpus_json": "/ml/data/gpus.json",
        "rent_or_buy": "/ml/shop/rent-or-buy/?kwh_usd=0.30",
        "rent_or_buy_json": "/ml/data/rent-or-buy.json?hours_per_day=8&kwh_usd=0.20&months=24",
        "deals_feed": "/ml/shop/deals.atom",
        "search": "/ml/search/?q=3090",
        "search_results": "/ml/search/?q=tesla",
        "sitemap": "/sitemap.xml",
        # The heaviest section the index lists: a URL per card, each dated by its last refresh.
        "sitemap_section": "/sitemap-shop.xml",
        "history_csv": f"/ml/data/gpu/{shop_slug}/price-history.csv",
        "listings_json": f"/ml/data/gpu/{shop_slug}/listings.json",
        "reports": "/ml/shop/reports/",
        "report": f"/ml/shop/reports/{report_month}/",
        "reports_feed": "/ml/shop/reports.atom",
    }
