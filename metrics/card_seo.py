"""A card shop page's title and description."""

from catalog.models import Gpu
from catalog.presentation import figure, fit_title, money


def shop_seo(*, gpu: Gpu, summary: dict, page) -> dict:
    """A title of at most 70 characters and a description of 50-160, unique per card and page.

    The count is every listing shown and "from" the cheapest fixed-price one the going rate
    counts (summarize_groups), as on every page."""
    label, count = gpu.label, summary["count"]
    priced = bool(count) and summary["low"] is not None
    low = money(summary["low"], "whole", summary["currency"]) if priced else ""
    suffix = f" (page {page.number})" if page.number > 1 else ""
    titles = [
        f"{label} price for machine learning: {count} eBay deals from {low}{suffix} | ShopAgent",
        f"{label} prices: {count} eBay listings from {low}{suffix} | ShopAgent",
        f"{label} prices from {low}{suffix} | ShopAgent",
        f"{label} prices{suffix} | ShopAgent",
        f"{label} prices{suffix}",
    ]
    if not priced:
        titles = [
            f"{label} price for machine learning: eBay listings{suffix} | ShopAgent",
            f"{label} prices on eBay{suffix} | ShopAgent",
            f"{label} prices{suffix}",
        ]
    memory = f" {figure(gpu.memory_gb)} GB" if gpu.memory_gb else ""
    if gpu.is_laptop:
        lead = f"The {label}{memory} is a laptop GPU, sold only inside laptops: no card listings"
    elif priced:
        high = money(summary["high"], "whole", summary["currency"])
        lead = f"{count} live eBay listings for the {label}{memory}, {low} to {high} per card"
    elif count:
        lead = f"{count} live eBay listings for the {label}{memory}, none at a fixed price"
    else:
        lead = f"Live eBay listings for the {label}{memory}, none right now"
    descriptions = [
        f"{lead}, with dollars per TFLOPS, per GB of memory and per GB/s of bandwidth.",
        f"{lead}, with dollars per spec.",
        lead[:159] + ".",
    ]
    return {
        "seo_title": fit_title(*titles, limit=70),
        "seo_description": fit_title(*descriptions, limit=160),
    }
