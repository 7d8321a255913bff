"""The screen for whole computers: each configuration against real-looking titles of itself and
of its siblings (M2 Ultra 60- vs 76-core, M3 Ultra 96 vs 256 GB, Framework Desktop 64 vs 128 GB),
and the parts, locked machines, empty boxes and broken screens it rejects."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from listings import machine_screen
from listings.heuristics import CardFacts, Reason, screen_listing, screen_listings

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gpus.json"
KEEP, DROP = "keep", "drop"
CATALOG = [
    CardFacts(
        g["slug"],
        g["label"],
        g["manufacturer"],
        g["memory_gb"],
        g["form_factor"],
        g["category"],
        aliases=tuple(g["aliases"]),
        typical_price=Decimal(g["typical_used_usd"]) if g["typical_used_usd"] else None,
    )
    for g in json.loads(FIXTURE.read_text(encoding="utf-8"))
]
FACTS = {c.slug: c for c in CATALOG}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The screen is pure: these tests need no cache (nor Django) to reset."""
    yield


def item(title, price="3000", condition=("3000", "Used")):
    return {
        "itemId": "v1|1|0",
        "title": title,
        "price": {"value": price, "currency": "USD"},
        "seller": {"feedbackPercentage": "99.8"},
        "conditionId": condition[0],
        "condition": condition[1],
    }


TITLES = [
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 24-Core CPU 76-Core GPU 192GB RAM 1TB SSD MQH63LL/A",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Mac Studio 2023 M2 Ultra 24C CPU 76C GPU 192GB 4TB Excellent",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio (2023) M2 Ultra 192GB/2TB - 76 Core GPU",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 24-Core 60-Core GPU 192GB 1TB",
        DROP,
        "wrong_model",
    ),
    ("apple-mac-studio-m2-ultra-76c-192gb", "Apple Mac Studio M2 Ultra 192GB 1TB", DROP, "other"),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 128GB 1TB SSD",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Pro 2023 M2 Ultra 76-Core GPU 192GB 1TB Tower",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 192GB - iCloud Locked - For Parts",
        DROP,
        "parts",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 192GB MDM Locked",
        DROP,
        "parts",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 192GB 2TB - iCloud Unlocked, Clean",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Mac Studio M2 Ultra 76-Core GPU 192GB 1TB no MDM, activation lock off",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Mac Studio M2 Ultra EMPTY BOX ONLY 76-core 192GB",
        DROP,
        "accessory",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 192GB 8TB with Studio Display",
        DROP,
        "bundle",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Stand Mount for Apple Mac Studio M2 Ultra 192GB",
        DROP,
        "accessory",
    ),
    (
        "apple-mac-studio-m2-ultra-76c-192gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 192GB 1TB w/ Power Cable and Box",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-60c-64gb",
        "Apple Mac Studio M2 Ultra 24-Core CPU 60-Core GPU 64GB 1TB",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-60c-64gb",
        "Apple Mac Studio M2 Ultra 24-Core CPU 76-Core GPU 64GB 1TB",
        DROP,
        "wrong_model",
    ),
    ("apple-mac-studio-m2-ultra-60c-64gb", "Apple Mac Studio M2 Ultra 64GB 1TB", DROP, "other"),
    (
        "apple-mac-studio-m2-ultra-60c-128gb",
        "Mac Studio M2 Ultra 60-core GPU 128GB 2TB SSD",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m2-ultra-60c-128gb",
        "Mac Studio M2 Ultra 60-core GPU 1TB SSD 128GB RAM",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m3-ultra-60c-96gb",
        "Apple Mac Studio 2025 M3 Ultra 28-Core CPU 60-Core GPU 96GB 1TB",
        KEEP,
        "",
    ),
    ("apple-mac-studio-m3-ultra-60c-96gb", "Apple Mac Studio M3 Ultra 28-core 96GB 1TB", KEEP, ""),
    ("apple-mac-studio-m3-ultra-60c-96gb", "Apple Mac Studio M3 Ultra 96GB 1TB", DROP, "other"),
    (
        "apple-mac-studio-m3-ultra-60c-96gb",
        "Apple Mac Studio M3 Ultra 28-Core CPU 60-Core GPU 256GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m3-ultra-60c-256gb",
        "Apple Mac Studio M3 Ultra 28-Core CPU 60-Core GPU 256GB 1TB",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m3-ultra-60c-256gb",
        "Apple Mac Studio M3 Ultra 28-Core CPU 60-Core GPU 96GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m3-ultra-60c-256gb",
        "Apple Mac Studio M3 Ultra 32-Core CPU 256GB 2TB",
        DROP,
        "wrong_model",
    ),
    ("apple-mac-studio-m3-ultra-80c-512gb", "Apple Mac Studio M3 Ultra 512GB 4TB", KEEP, ""),
    (
        "apple-mac-studio-m3-ultra-80c-512gb",
        "Apple Mac Studio M3 Ultra 32-Core CPU 80-Core GPU 512GB Unified Memory 2TB SSD",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m3-ultra-80c-512gb",
        "Apple Mac Studio M3 Ultra 80-Core GPU 256GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m4-max-40c-128gb",
        "Apple Mac Studio M4 Max 16-Core CPU 40-Core GPU 128GB 1TB",
        KEEP,
        "",
    ),
    ("apple-mac-studio-m4-max-40c-128gb", "Apple Mac Studio 2025 M4 Max 128GB 2TB", KEEP, ""),
    (
        "apple-mac-studio-m4-max-40c-128gb",
        "Apple MacBook Pro 16 M4 Max 16C/40C 128GB 2TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m4-max-40c-64gb",
        "Apple Mac Studio M4 Max 16-Core 40-Core GPU 64GB 512GB",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m4-max-40c-64gb",
        "Apple Mac Studio M4 Max 14-Core CPU 32-Core GPU 36GB 512GB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        'Apple MacBook Pro 16" M3 Max 16-Core CPU 40-Core GPU 128GB 2TB Space Black',
        KEEP,
        "",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        "MacBook Pro 16 M3 Max 128GB 1TB - cracked screen",
        DROP,
        "parts",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        "MacBook Pro 16 M3 Max 128GB 1TB Screen Lines, works",
        DROP,
        "parts",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        "MacBook Pro 16 M3 Max 128GB 4TB 140W Charger",
        KEEP,
        "",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        "Apple MacBook Pro 14 M3 Max 14-Core CPU 30-Core GPU 96GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-macbook-pro-m3-max-40c-128gb",
        "Apple MacBook Pro 16 M3 Pro 36GB 512GB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-macbook-pro-m3-max-40c-64gb",
        'Apple MacBook Pro 14" M3 Max 16-Core 40-Core GPU 64GB 2TB',
        KEEP,
        "",
    ),
    (
        "apple-macbook-pro-m4-max-40c-128gb",
        "MacBook Pro 16 M4 Max 16C CPU 40C GPU 128GB 2TB Activation Locked",
        DROP,
        "parts",
    ),
    (
        "apple-macbook-pro-m2-max-38c-96gb",
        "Apple MacBook Pro 16 2023 M2 Max 12-Core 38-Core GPU 96GB 2TB",
        KEEP,
        "",
    ),
    (
        "apple-macbook-pro-m2-max-38c-96gb",
        "Apple MacBook Pro 16 2023 M2 Max 30-Core GPU 96GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-mini-m4-pro-20c-64gb",
        "Apple Mac mini M4 Pro 14-Core CPU 20-Core GPU 64GB 1TB 10Gb Ethernet",
        KEEP,
        "",
    ),
    (
        "apple-mac-mini-m4-pro-20c-64gb",
        "Apple Mac mini M4 Pro 12-Core CPU 16-Core GPU 64GB 512GB",
        DROP,
        "wrong_model",
    ),
    ("apple-mac-mini-m4-pro-20c-64gb", "Apple Mac mini M4 Pro 64GB 1TB", DROP, "other"),
    ("apple-mac-mini-m4-pro-20c-64gb", "Apple Mac mini M4 Pro 14-Core 64GB 2TB", KEEP, ""),
    (
        "apple-mac-studio-m1-ultra-64c-128gb",
        "Apple Mac Studio M1 Ultra 20-Core CPU 64-Core GPU 128GB 2TB",
        KEEP,
        "",
    ),
    (
        "apple-mac-studio-m1-ultra-64c-128gb",
        "Apple Mac Studio M1 Ultra 20-Core CPU 48-Core GPU 128GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "apple-mac-studio-m1-ultra-64c-128gb",
        "Apple Mac Studio M2 Ultra 76-Core GPU 128GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "Framework Desktop AMD Ryzen AI Max+ 395 128GB DIY Edition 2TB",
        KEEP,
        "",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "GMKtec EVO-X2 AI Mini PC Ryzen AI Max+ 395 128GB LPDDR5X 2TB SSD",
        KEEP,
        "",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "HP Z2 Mini G1a Workstation AMD Ryzen AI Max+ PRO 395 128GB 1TB",
        KEEP,
        "",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "Framework Desktop Ryzen AI Max+ 395 64GB 1TB",
        DROP,
        "wrong_model",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "Framework Desktop AMD Ryzen AI Max 385 32GB",
        DROP,
        "wrong_model",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "Framework Desktop Mainboard Ryzen AI Max+ 395 128GB",
        DROP,
        "parts",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "ASUS ROG Flow Z13 Ryzen AI Max+ 395 128GB 1TB Tablet - cracked screen",
        DROP,
        "parts",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "GMKtec EVO-X2 Ryzen AI Max+ 395 128GB BIOS Locked",
        DROP,
        "parts",
    ),
    (
        "amd-ryzen-ai-max-plus-395-128gb",
        "Minisforum MS-A2 Ryzen 9 9955HX 128GB",
        DROP,
        "wrong_model",
    ),
    ("nvidia-dgx-spark", "NVIDIA DGX Spark 4TB Founders Edition GB10 128GB", KEEP, ""),
    ("nvidia-dgx-spark", "ASUS Ascent GX10 GB10 128GB 1TB AI Supercomputer", KEEP, ""),
    ("nvidia-dgx-spark", "Dell Pro Max with GB10 128GB 4TB", KEEP, ""),
    ("nvidia-dgx-spark", "NVIDIA DGX Station GB300", DROP, "wrong_model"),
    ("nvidia-dgx-spark", "QSFP cable for NVIDIA DGX Spark", DROP, "accessory"),
    ("nvidia-dgx-spark", "NVIDIA Jetson AGX Thor Developer Kit", DROP, "wrong_model"),
    ("nvidia-dgx-spark", "NVIDIA DGX Spark - not working, no power", DROP, "parts"),
]


@pytest.mark.parametrize(("slug", "title", "verdict", "reason"), TITLES)
def test_each_configuration_keeps_itself_and_drops_its_siblings_and_junk(
    slug, title, verdict, reason
):
    got = screen_listing(card=FACTS[slug], catalog=CATALOG, item=item(title))
    assert (got.verdict, got.reason) == (verdict, reason), got.note


def test_every_configuration_in_the_catalog_has_screen_rules():
    systems = [c for c in CATALOG if c.form_factor == "system"]
    assert len(systems) == 17
    for card in systems:
        machine = machine_screen.read_machine(card.label, card.memory_gb)
        assert machine is not None and machine.memory_gb == card.memory_gb, card.slug
        if machine.kind == "apple":  # the label gives the chip and both core counts
            assert machine.cpu_cores and machine.gpu_cores, card.slug
            by_cpu, by_gpu = machine_screen.APPLE_CHIPS[machine.chip]
            assert machine.gpu_cores in by_cpu[machine.cpu_cores], card.slug
            assert machine.memory_gb in by_gpu[machine.gpu_cores], card.slug
    # The screen's reasons are the ones listing rows record.
    for reason in (
        machine_screen.PARTS,
        machine_screen.ACCESSORY,
        machine_screen.WRONG_MODEL,
        machine_screen.BUNDLE,
        machine_screen.OTHER,
    ):
        assert Reason(reason)


def test_a_for_parts_condition_drops_a_machine_whatever_its_title_says():
    title = "Apple Mac Studio M2 Ultra 24-Core CPU 76-Core GPU 192GB 1TB"
    card = FACTS["apple-mac-studio-m2-ultra-76c-192gb"]
    got = screen_listing(card=card, catalog=CATALOG, item=item(title, condition=("7000", "")))
    assert (got.verdict, got.reason) == (DROP, Reason.PARTS)


def test_a_lot_of_two_machines_is_priced_per_machine_and_a_20_dollar_cable_is_no_machine():
    card = FACTS["nvidia-dgx-spark"]
    lot = screen_listing(
        card=card, catalog=CATALOG, item=item("Lot of 2 NVIDIA DGX Spark GB10 128GB", "6600")
    )
    assert (lot.verdict, lot.quantity, lot.unit_price) == (KEEP, 2, Decimal("3300.00"))
    cable = screen_listings(
        card=card,
        catalog=CATALOG,
        items=[item("NVIDIA DGX Spark GB10 power cable", "20")],
    )[0]
    assert (cable.verdict, cable.reason) == (DROP, Reason.PRICE_OUTLIER)


def test_the_card_screen_never_names_a_machine():
    # A card title with "M2" in it is no Mac: whole computers are screened apart.
    card = next(c for c in CATALOG if c.slug == "nvidia-geforce-rtx-4090")
    got = screen_listing(
        card=card,
        catalog=CATALOG,
        item=item("NVIDIA GeForce RTX 4090 24GB, fits M2 Ultra rig", "1900"),
    )
    assert got.verdict == KEEP, got.note
