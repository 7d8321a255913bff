"""Deterministic demo listings, so a fresh checkout without eBay keys shows a working shop.

Prices follow each card's typical used and new price from the catalog (not its MSRP). They are
built as eBay item summaries and go through the same screen and upsert as live data
(source "demo", is_demo=True), including junk the screen must reject, so the demo shows the
product as it behaves, not an idealised copy of it.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.utils import timezone

from catalog.models import Category, Gpu
from listings.ingest import (
    IngestReport,
    catalog_facts,
    ingest_items,
    new_run_id,
    notify_listings_changed,
)
from listings.models import RefreshSource

COUNTRIES = ("US", "US", "US", "DE", "GB", "CA", "JP", "HK")
NEW, USED = "new", "used"
# (condition id, condition text, which going price it follows, share of that price)
CONDITIONS = (
    ("1000", "New", NEW, (0.95, 1.1)),
    ("1500", "Open box", NEW, (0.85, 0.95)),
    ("2500", "Seller refurbished", USED, (0.95, 1.1)),
    ("3000", "Used", USED, (0.85, 1.05)),
    ("3000", "Used", USED, (0.9, 1.15)),
)
BOARD_MAKERS = {
    "NVIDIA": ("ASUS", "MSI", "Gigabyte", "PNY", "Zotac", "EVGA"),
    "AMD": ("Sapphire", "XFX", "PowerColor", "ASRock", "Gigabyte"),
    "Intel": ("ASRock", "Sparkle", "Intel", "Gunnir"),
    "Qualcomm": ("Qualcomm",),
}
# Without a typical price in the catalog, the MSRP aged by the card's years on sale stands in:
# datacenter cards fall fastest, and no card falls below a third of its MSRP.
DEPRECIATION = {Category.DATACENTER: 0.82, Category.WORKSTATION: 0.86, Category.GAMING: 0.9}
VALUE_FLOOR = 0.33
NEW_PREMIUM = Decimal("1.15")  # a new (old-stock) card where the catalog knows only the used price
# A seller with two ratings: listed with a flag, left out of the going rate.
NEW_SELLER = {"username": "demo-new-seller", "feedbackPercentage": "100.0", "feedbackScore": 2}


def market_prices(*, gpu: Gpu, today: date) -> dict[str, Decimal]:
    """The going used and new prices: the catalog's typical figures, else aged from the MSRP."""
    used, new = gpu.typical_used_usd, gpu.typical_new_usd
    if used is None and new is None:
        used = _aged_msrp(gpu=gpu, today=today)
    if used is None:
        used = (new / NEW_PREMIUM).quantize(Decimal("0.01"))
    if new is None:
        new = (used * NEW_PREMIUM).quantize(Decimal("0.01"))
    return {USED: Decimal(used), NEW: Decimal(new)}


def _aged_msrp(*, gpu: Gpu, today: date) -> Decimal:
    if gpu.msrp_usd:
        base = float(gpu.msrp_usd)
    elif gpu.category == Category.DATACENTER:
        base = (gpu.memory_gb or 16) * 250
    else:
        base = (gpu.memory_gb or 8) * 40 + (gpu.fp32_tflops or 10) * 10
    years = max(0.0, (today - gpu.release_date).days / 365.25) if gpu.release_date else 2.0
    factor = max(VALUE_FLOOR, DEPRECIATION.get(gpu.category, 0.86) ** years)
    return Decimal(str(round(max(60.0, base * factor), 2)))


def _search_url(query: str, category: str = "27386") -> str:
    return "https://www.ebay.com/sch/i.html?" + urlencode({"_nkw": query, "_sacat": category})


def _card_titles(gpu: Gpu, rng: random.Random, name: str, memory: str) -> list[str]:
    makers = BOARD_MAKERS.get(gpu.manufacturer, ("OEM",))
    return [
        f"{name}{memory} Graphics Card",
        f"{rng.choice(makers)} {name}{memory}",
        f"{name}{memory} - tested and working",
        f"{name}{memory} GPU",
        f"{rng.choice(makers)} {name}{memory} video card",
        f"{name}{memory} in original box",
        f"{name}{memory} accelerator card",
        f"{rng.choice(makers)} {name}{memory} graphics card, excellent condition",
        f"{name}{memory} GPU working pulled from workstation",
        f"{name}{memory} card with warranty",
    ]


def _machine_titles(rng: random.Random, name: str) -> list[str]:
    """A whole computer's offers: its configuration with some storage (which does not matter)."""
    sizes = ("1TB SSD", "2TB SSD", "4TB SSD")
    remarks = (
        "",
        " - excellent condition",
        " with original box",
        " - unlocked",
        " - tested, reset to factory",
        " with power cable",
        " lightly used",
        " - great for local LLMs",
        " with warranty",
        " open box",
    )
    return [f"{name} {rng.choice(sizes)}{remark}" for remark in remarks]


def demo_items(*, gpu: Gpu, now: datetime) -> list[dict]:
    """Item summaries for one card or machine: ten offers, two lots, an engineering sample, an
    offer from a seller without a track record and four pieces of junk (a machine: its own
    junk), deterministic."""
    rng = random.Random(gpu.slug)  # noqa: S311 -- demo data, seeded for repeatability
    prices = market_prices(gpu=gpu, today=now.date())
    price = prices[USED]
    said = re.search(r"\d+\s?GB", gpu.label, flags=re.IGNORECASE)  # "RTX 3080 12GB" says it
    memory = f" {gpu.memory_gb:g}GB" if gpu.memory_gb and not said else ""
    name = gpu.label
    anchor = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    machine = gpu.is_system
    titles = _machine_titles(rng, name) if machine else _card_titles(gpu, rng, name, memory)
    category = str(gpu.ebay_category_ids[0]) if gpu.ebay_category_ids else "27386"
    items = []

    def add(title, amount, *, condition=None, quantity=1, auction=False, seller=None):
        n = len(items) + 1
        condition_id, condition_text, basis, share = condition or rng.choice(CONDITIONS)
        going = prices[basis]
        value = amount if amount is not None else going * Decimal(str(rng.uniform(*share)))
        item = {
            "itemId": f"demo|{gpu.slug[:80]}|{n}",
            "title": title[:80],
            "price": {"value": f"{value * quantity:.2f}", "currency": "USD"},
            # A few demo sellers list several offers each, as dealers do on eBay.
            "seller": seller
            or {
                "username": f"demo-seller-{n % 5}",
                "feedbackPercentage": f"{rng.uniform(97.5, 100):.1f}",
                "feedbackScore": rng.randint(40, 25000),
            },
            "condition": condition_text,
            "conditionId": condition_id,
            "buyingOptions": ["FIXED_PRICE", "BEST_OFFER"]
            if rng.random() < 0.3
            else ["FIXED_PRICE"],
            "shippingOptions": [
                {
                    "shippingCost": {
                        "value": rng.choice(("0.00", "0.00", "14.99", "35.00")),
                        "currency": "USD",
                    }
                }
            ],
            "itemLocation": {"country": rng.choice(COUNTRIES)},
            "itemWebUrl": _search_url(gpu.ebay_query, category),
            "itemCreationDate": (anchor - timedelta(days=rng.randint(1, 40))).isoformat(),
        }
        if auction:
            item["buyingOptions"] = ["AUCTION"]
            item["bidCount"] = rng.randint(0, 23)
            item["currentBidPrice"] = item["price"]
            item["itemEndDate"] = (anchor + timedelta(hours=rng.randint(6, 160))).isoformat()
        items.append(item)

    for index, title in enumerate(titles):
        add(title, None, auction=index in (2, 6))
    if machine:
        _add_machine_junk(add, rng, name, price)
        return items
    add(f"Lot of 2 {name}{memory}", None, quantity=2)
    add(f"Lot of 4 {name}{memory} graphics cards", None, quantity=4)
    add(f"{name}{memory} ES engineering sample", price * Decimal("0.6"), condition=CONDITIONS[3])
    add(f"{name}{memory} graphics card", price * Decimal("0.8"), seller=NEW_SELLER)
    add(f"{name} replacement cooling fan", Decimal(rng.randint(12, 39)), condition=CONDITIONS[0])
    add(f"Full height bracket for {name}", Decimal(rng.randint(6, 19)), condition=CONDITIONS[0])
    add(
        f"{name}{memory} for parts not working",
        price * Decimal("0.25"),
        condition=("7000", "For parts or not working", USED, (0.2, 0.3)),
    )
    add(f"Gaming PC desktop computer with {name}{memory}", price * Decimal("2.5"))
    return items


def _add_machine_junk(add, rng: random.Random, name: str, price: Decimal) -> None:
    """A whole computer's lots and junk: two machines at once, then a locked machine, parts,
    an empty box and a stand, which the screen must drop."""
    add(f"Lot of 2 {name} 1TB SSD", None, quantity=2)
    add(f"{name} 2TB SSD - iCloud locked", price * Decimal("0.4"))
    add(
        f"{name} 1TB SSD for parts, no power",
        price * Decimal("0.25"),
        condition=("7000", "For parts or not working", USED, (0.2, 0.3)),
    )
    add(f"Empty box only for {name}", Decimal(rng.randint(15, 60)), condition=CONDITIONS[0])
    add(f"Aluminium stand for {name}", Decimal(rng.randint(19, 49)), condition=CONDITIONS[0])


def seed_demo_listings(*, gpus: list[Gpu], now: datetime | None = None) -> list[IngestReport]:
    """Store demo listings for each card through the normal screen and upsert."""
    now = now or timezone.now()
    run_id = new_run_id()
    catalog = catalog_facts()
    reports = [
        ingest_items(
            gpu=gpu,
            # A laptop GPU is sold only inside laptops: there is no card to list.
            items=[] if gpu.is_laptop else demo_items(gpu=gpu, now=now),
            source=RefreshSource.DEMO,
            run_id=run_id,
            now=now,
            catalog=catalog,
            notify=False,
        )
        for gpu in gpus
    ]
    # One notice for all cards: rankings are recomputed once, not once per card.
    notify_listings_changed(gpu_ids={i for r in reports for i in r.changed_gpu_ids})
    return reports
