"""The listing screen, on hand-written eBay item summaries and on the shared labelled samples."""

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Gpu
from listings.heuristics import CardFacts, Reason, parse_quantity, screen_listing, screen_listings
from listings.ingest import card_facts

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SAMPLES = SHARED / "ebay-samples"
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gpus.json"
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The screen is pure: these tests need no cache (nor Django) to reset."""
    yield


def card(slug, label, memory_gb, form_factor="pcie", category="datacenter", **extra):
    maker = label.split()[0]
    return CardFacts(slug, label, maker, memory_gb, form_factor, category, **extra)


def gaming(slug, label, memory_gb):
    return card(slug, label, memory_gb, category="gaming")


def workstation(slug, label, memory_gb):
    return card(slug, label, memory_gb, category="workstation")


CATALOG = [
    card("nvidia-t4", "NVIDIA T4", 16, typical_price=Decimal("2299")),
    card("nvidia-a10", "NVIDIA A10", 24),
    card("nvidia-a2", "NVIDIA A2 16GB", 16),
    card("nvidia-a100-pcie", "NVIDIA A100 PCIe 80GB", 80, part_numbers=("900-21001-0020-000",)),
    card("nvidia-a100-sxm", "NVIDIA A100 SXM4 80GB", 80, form_factor="sxm"),
    card(
        "nvidia-tesla-v100-16gb", "NVIDIA Tesla V100 16GB", 16, part_numbers=("699-2G500-0200-300",)
    ),
    card("nvidia-tesla-v100-32gb", "NVIDIA Tesla V100 32GB", 32),
    card("nvidia-tesla-p100", "NVIDIA Tesla P100", 16),
    workstation("nvidia-rtx-a5000", "NVIDIA RTX A5000", 24),
    workstation("nvidia-rtx-4000-ada-generation", "NVIDIA RTX 4000 Ada Generation", 20),
    workstation(
        "nvidia-rtx-pro-6000-blackwell-workstation",
        "NVIDIA RTX PRO 6000 Blackwell Workstation Edition",
        96,
    ),
    workstation(
        "nvidia-rtx-pro-6000-blackwell-max-q",
        "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
        96,
    ),
    gaming("nvidia-geforce-rtx-4070", "NVIDIA GeForce RTX 4070", 12),
    gaming("nvidia-geforce-rtx-4070-super", "NVIDIA GeForce RTX 4070 SUPER", 12),
    gaming("nvidia-geforce-rtx-4070-ti", "NVIDIA GeForce RTX 4070 Ti", 12),
    gaming("nvidia-geforce-rtx-4070-ti-super", "NVIDIA GeForce RTX 4070 Ti SUPER", 16),
    gaming("nvidia-geforce-rtx-4090", "NVIDIA GeForce RTX 4090", 24),
    gaming("amd-radeon-rx-7900-xt", "AMD Radeon RX 7900 XT", 20),
    gaming("amd-radeon-rx-7900-xtx", "AMD Radeon RX 7900 XTX", 24),
    gaming("amd-radeon-rx-590", "AMD Radeon RX 590", 8),
]
CARDS = {c.slug: c for c in CATALOG}


def item(title, price="100.00", currency="USD", condition_id="3000", feedback="99.6", score=812):
    return {
        "itemId": "v1|100000000001|0",
        "title": title,
        "price": {"value": price, "currency": currency},
        "condition": "Used",
        "conditionId": condition_id,
        "seller": {"username": "seller", "feedbackPercentage": feedback, "feedbackScore": score},
        "buyingOptions": ["FIXED_PRICE"],
    }


def screen(slug, title, **fields):
    return screen_listing(card=CARDS[slug], catalog=CATALOG, item=item(title, **fields))


def test_keeps_a_plain_listing_of_the_card():
    got = screen("nvidia-t4", "NVIDIA Tesla T4 16GB GDDR6 PCIe GPU Accelerator, pulled and tested")
    assert (got.verdict, got.reason, got.quantity) == ("keep", "", 1)
    assert (got.unit_price, got.currency) == (Decimal("100.00"), "USD")


def test_drops_fan_shroud_listed_as_t4():
    got = screen("nvidia-t4", "Blower Fan Shroud Kit for Tesla T4 P4 passive GPU", price="24.99")
    assert (got.verdict, got.reason) == ("drop", Reason.ACCESSORY)


T4, RTX_4090 = "nvidia-t4", "nvidia-geforce-rtx-4090"
PART_AND_DAMAGE_TITLES = [
    # (card, title, the reason it is dropped; "" when the card itself is for sale)
    (T4, "Low Profile Bracket for NVIDIA Tesla T4 16GB", Reason.ACCESSORY),
    (T4, "NVIDIA Tesla T4 PCIe power cable 8-pin", Reason.ACCESSORY),
    (T4, "EK water block for NVIDIA T4", Reason.ACCESSORY),
    (T4, "NVIDIA Tesla T4 empty box", Reason.ACCESSORY),
    (T4, "NVIDIA Tesla T4 16GB cooler only, no PCB", Reason.ACCESSORY),
    (T4, "Dell NVIDIA Tesla T4 16GB GPU with full height bracket", ""),
    (T4, "NVIDIA Tesla T4 16GB no bracket", ""),
    (T4, "NVIDIA Tesla T4 16GB passive heatsink, 70W", ""),
    (T4, "NVIDIA Tesla T4 16GB, power cable included", ""),
    (RTX_4090, "RTX 4090 Founders Edition - not working, no display", Reason.PARTS),
    (RTX_4090, "ASUS TUF RTX 4090 24GB artifacts, for repair", Reason.PARTS),
    (RTX_4090, "Gigabyte RTX 4090 Gaming OC sold as-is", Reason.PARTS),
    (RTX_4090, "NVIDIA RTX 4090 FE faulty", Reason.PARTS),
    (RTX_4090, "RTX 4090 FE new, damaged box, tested no artifacts", ""),
]


@pytest.mark.parametrize(("slug", "title", "reason"), PART_AND_DAMAGE_TITLES)
def test_drops_accessories_and_broken_cards_but_keeps_a_card_sold_with_its_own_parts(
    slug, title, reason
):
    got = screen(slug, title)
    assert (got.verdict, got.reason) == (("drop", reason) if reason else ("keep", ""))


def test_drops_for_parts_condition():
    got = screen("nvidia-geforce-rtx-4090", "MSI RTX 4090 Gaming X Trio 24GB", condition_id="7000")
    assert (got.verdict, got.reason) == ("drop", Reason.PARTS)


@pytest.mark.parametrize(
    ("title", "sibling"),
    [
        ("ZOTAC GeForce RTX 4070 Ti Trinity OC 12GB", "Ti"),
        ("MSI RTX 4070 SUPER Ventus 2X 12G", "SUPER"),
        ("ASUS Dual RTX 4070S White", "SUPER"),
        ("PNY GeForce RTX 4070Ti Super 16GB XLR8", "Ti SUPER"),
    ],
)
def test_drops_ti_and_super_siblings_of_the_4070(title, sibling):
    got = screen("nvidia-geforce-rtx-4070", title)
    assert (got.verdict, got.reason) == ("drop", Reason.WRONG_MODEL)
    assert sibling in got.note


MODEL_TITLES = [
    # (card searched, title, "keep" or the reason it is dropped)
    # A Ti SUPER is not the Ti, an XTX not the XT.
    ("nvidia-geforce-rtx-4070-ti", "RTX 4070 Ti SUPER 16GB", Reason.WRONG_MODEL),
    ("nvidia-geforce-rtx-4070-ti", "RTX 4070 Ti 12GB Gaming OC", "keep"),
    ("amd-radeon-rx-7900-xt", "Sapphire Pulse RX 7900XTX 24GB", Reason.WRONG_MODEL),
    ("amd-radeon-rx-7900-xt", "XFX MERC310 Radeon RX 7900 XT 20GB", "keep"),
    # A variant the catalog does not carry, and memory the slug rules out.
    (RTX_4090, "RTX 4090 D 24GB China edition", Reason.WRONG_MODEL),
    ("nvidia-tesla-v100-16gb", "NVIDIA Tesla V100 12GB PCIe", Reason.WRONG_MODEL),
    # A memory size no catalog sibling claims.
    ("nvidia-tesla-p100", "NVIDIA Tesla P100 12GB PCIe GPU", "keep"),
    ("nvidia-a100-pcie", "NVIDIA A100 40GB PCIe Ampere GPU", "keep"),
    # A PCIe card that says it is not SXM; an SXM card needs the title to say SXM.
    ("nvidia-a100-pcie", "NVIDIA A100 80GB PCIe version, not SXM", "keep"),
    ("nvidia-a100-sxm", "NVIDIA A100 40GB SXM4 module", "keep"),
    ("nvidia-a100-sxm", "NVIDIA A100 80GB PCIe", Reason.WRONG_MODEL),
    # A title naming no card at all.
    ("amd-radeon-rx-590", "AMD graphics card 8GB", Reason.OTHER),
    # Part codes are not models.
    ("nvidia-t4", "NVIDIA GeForce GTX 980 4GB T4-D2", Reason.WRONG_MODEL),
    ("nvidia-tesla-p100", "A2-4/A4905-1 NVIDIA Tesla P100 PCIe 16GB", "keep"),
    # The Quadro that shares the Ada card's number.
    ("nvidia-rtx-4000-ada-generation", "PNY Quadro RTX 4000 8GB", Reason.WRONG_MODEL),
    ("nvidia-rtx-4000-ada-generation", "NVIDIA RTX 4000 SFF Ada 20GB", "keep"),
]


@pytest.mark.parametrize(("slug", "title", "expected"), MODEL_TITLES)
def test_keeps_a_title_naming_the_card_and_drops_one_naming_another(slug, title, expected):
    got = screen(slug, title)
    assert (got.reason or got.verdict) == expected


def test_drops_32gb_v100_when_searching_the_16gb():
    got = screen("nvidia-tesla-v100-16gb", "NVIDIA Tesla V100 32GB HBM2 PCIe accelerator")
    assert (got.reason, got.note) == (Reason.WRONG_MODEL, "32GB is the NVIDIA Tesla V100 32GB")


def test_drops_sxm_module_listed_under_the_pcie_card():
    got = screen("nvidia-tesla-p100", "NVIDIA Tesla P100 SXM2 16GB HBM2 NVLink module")
    assert (got.reason, got.note) == (Reason.WRONG_MODEL, "an SXM module, not the PCIe card")
    assert screen("nvidia-tesla-p100", "Tesla P100 16GB SMX2").reason == "wrong_model"


def test_drops_laptop_module_of_a_workstation_card():
    got = screen("nvidia-rtx-a5000", "Dell Precision 7760 NVIDIA RTX A5000 16GB video card")
    assert (got.verdict, got.reason) == ("drop", Reason.WRONG_MODEL)
    assert screen("nvidia-geforce-rtx-4090", "RTX 4090 Laptop GPU 16GB MXM").reason == "wrong_model"


def test_drops_another_generation_that_shares_only_the_search_words():
    got = screen("nvidia-a10", "ZOTAC GeForce GTX 1060 Mini 6GB ZT-P10600A-10L")
    assert (got.reason, got.note) == (Reason.WRONG_MODEL, "names gtx 1060, not the NVIDIA A10")


def test_drops_a_listing_offering_several_models():
    got = screen("nvidia-tesla-p100", "NVIDIA Tesla P40 24GB / P100 16GB / M40 24GB GPU, choose")
    assert got.reason == Reason.WRONG_MODEL


def test_drops_the_max_q_when_searching_the_workstation_edition():
    slug = "nvidia-rtx-pro-6000-blackwell-workstation"
    assert screen(slug, "PNY RTX PRO 6000 Blackwell Max-Q 96GB").reason == "wrong_model"
    assert screen(slug, "NVIDIA RTX PRO 6000 Blackwell 96GB GDDR7").verdict == "keep"


def test_names_the_card_by_its_part_number_when_the_model_is_missing():
    assert screen("nvidia-a100-pcie", "NVIDIA Ampere 900-21001-0020-000 80GB").verdict == "keep"


def test_drops_a_listing_carrying_another_cards_part_number():
    got = screen("nvidia-tesla-v100-32gb", "699-2G500-0200-300 NVIDIA Tesla V100 Volta accelerator")
    assert got.reason == Reason.WRONG_MODEL


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Custom gaming PC RTX 4090 64GB DDR5 2TB", Reason.SYSTEM),
        ("Razer Core X eGPU enclosure with RTX 4090", Reason.SYSTEM),
        ("6x RTX 4090 mining rig complete", Reason.SYSTEM),
        ("RTX 4090 24GB + ASUS ROG X670E motherboard", Reason.BUNDLE),
        ("Ryzen 9 7950X3D and RTX 4090 combo", Reason.BUNDLE),
    ],
)
def test_drops_systems_and_bundles(title, reason):
    assert screen("nvidia-geforce-rtx-4090", title).reason == reason


@pytest.mark.parametrize(
    ("title", "quantity"),
    [
        ("Lot of 4 NVIDIA Tesla T4 16GB", 4),
        ("NVIDIA Tesla T4 16GB x8", 8),
        ("4pcs NVIDIA Tesla T4 16GB", 4),
        ("2x NVIDIA Tesla T4 16GB", 2),
        ("NVIDIA Tesla T4 16GB (qty 5)", 5),
        ("Set of 2 NVIDIA Tesla T4", 2),
        ("(3) NVIDIA Tesla T4 16GB pulls", 3),
        ("x10 NVIDIA Tesla T4 16GB", 10),
        ("lot of two NVIDIA Tesla T4", 2),
        ("NVIDIA Tesla T4 16GB PCIe 3.0 x16", 1),
        ("MSI RTX 4070 Ventus 2X 12G, 3X DP", 1),
        ("Gigabyte RTX 4090 Gaming OC 24GB, 3X WINDFORCE fans", 1),
        ("", 1),
    ],
)
def test_reads_lot_sizes_from_titles(title, quantity):
    assert parse_quantity(title) == quantity


def test_divides_a_lot_price_into_a_unit_price():
    got = screen("nvidia-t4", "Lot of 3 NVIDIA Tesla T4 16GB GPUs", price="2000.00")
    assert (got.verdict, got.quantity, got.unit_price) == ("keep", 3, Decimal("666.67"))


def test_keeps_a_seller_without_a_track_record_with_a_flag_instead_of_dropping_it():
    for feedback, score in (("85.7", 175), ("70.0", 900), ("0.0", 3), ("100.0", 9)):
        got = screen("nvidia-t4", "NVIDIA Tesla T4 16GB", feedback=feedback, score=score)
        assert (got.verdict, got.flags) == ("keep", ("low-feedback-seller",)), (feedback, score)
    proven = screen("nvidia-t4", "NVIDIA Tesla T4 16GB", feedback="95.0", score=10)
    assert (proven.verdict, proven.flags) == ("keep", ())


def batch(prices):
    return [item("NVIDIA Tesla T4 16GB GDDR6 GPU", price=p) for p in prices]


def test_drops_prices_far_from_the_batch():
    items = batch(["900.00", "950.00", "1000.00", "1100.00", "40.00", "15000.00"])
    got = screen_listings(card=CARDS["nvidia-t4"], catalog=CATALOG, items=items)
    assert [s.verdict for s in got] == ["keep"] * 4 + ["drop"] * 2
    assert {s.reason for s in got[4:]} == {Reason.PRICE_OUTLIER}


def test_checks_a_small_batch_against_the_typical_price():
    got = screen_listings(card=CARDS["nvidia-t4"], catalog=CATALOG, items=batch(["999.00", "9.99"]))
    assert [(s.verdict, s.reason) for s in got] == [("keep", ""), ("drop", "price_outlier")]


def test_screen_listing_checks_price_only_against_a_given_reference():
    title = "NVIDIA Tesla T4 16GB"
    assert screen("nvidia-t4", title, price="50.00").verdict == "keep"
    got = screen_listing(
        card=CARDS["nvidia-t4"],
        catalog=CATALOG,
        item=item(title, price="50.00"),
        reference_price=Decimal("1000"),
    )
    assert got.reason == Reason.PRICE_OUTLIER


@pytest.mark.parametrize(
    "price", [None, {}, {"value": "abc"}, {"value": "-5"}, "12.00", {"value": "NaN"}]
)
def test_drops_a_missing_or_garbled_price(price):
    listing = item("NVIDIA Tesla T4 16GB") | {"price": price}
    got = screen_listing(card=CARDS["nvidia-t4"], catalog=CATALOG, item=listing)
    assert (got.verdict, got.reason, got.unit_price) == ("drop", Reason.CURRENCY, None)


def test_drops_a_price_in_another_currency():
    got = screen("nvidia-t4", "NVIDIA Tesla T4 16GB", currency="EUR")
    assert (got.verdict, got.reason, got.currency) == ("drop", Reason.CURRENCY, "EUR")


@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        ({}, Reason.CURRENCY),
        ({"title": None, "price": {"value": "10", "currency": "USD"}}, Reason.OTHER),
        ({"title": 42, "price": {"value": "10", "currency": "USD"}, "seller": "x"}, Reason.OTHER),
        ({"title": "NVIDIA T4", "price": {"value": "1e999999", "currency": None}}, Reason.CURRENCY),
        (
            {
                "title": "NVIDIA T4",
                "price": {"value": "10", "currency": "USD"},
                "conditionId": 7000,
            },
            "parts",
        ),
        (
            {
                "title": "NVIDIA T4",
                "price": {"value": "10", "currency": "usd"},
                "seller": {"feedbackPercentage": [], "feedbackScore": "many"},
            },
            "",
        ),
    ],
)
def test_never_raises_on_malformed_items(listing, reason):
    got = screen_listing(card=CARDS["nvidia-t4"], catalog=CATALOG, item=listing)
    assert (got.reason, got.quantity) == (reason, 1)


def load_catalog():
    """CardFacts for every card of the project's catalog fixture, as the ingest builds them."""
    return [card_facts(gpu=Gpu(**gpu)) for gpu in json.loads(FIXTURE.read_text(encoding="utf-8"))]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no labelled eBay samples at {SAMPLES}")
def test_screens_the_shared_samples_with_high_precision_and_recall():
    catalog = load_catalog()
    by_slug = {c.slug: c for c in catalog}
    labels = defaultdict(dict)
    for row in csv.DictReader((SAMPLES / "labels.csv").open()):
        labels[row["gpu"]][row["itemId"]] = row
    tp = fp = fn = lots = lots_right = 0
    for gpu, rows in labels.items():
        items = json.loads((SAMPLES / f"search-{gpu}.json").read_text())
        got = dict(
            zip(
                (i["itemId"] for i in items),
                screen_listings(card=by_slug[gpu], catalog=catalog, items=items),
                strict=True,
            )
        )
        for item_id, row in rows.items():
            kept, keep = got[item_id].verdict == "keep", row["verdict"] == "keep"
            tp, fp, fn = tp + (kept and keep), fp + (kept and not keep), fn + (keep and not kept)
            if kept and keep and int(row["quantity"]) > 1:
                lots += 1
                lots_right += got[item_id].quantity == int(row["quantity"])
    assert tp / (tp + fp) >= 0.99
    assert tp / (tp + fn) >= 0.99
    assert lots_right == lots


def variant_titles():
    """Labelled titles: (title, the card it sells or None, the sibling it must not land on)."""
    with open(DATA / "variant_titles.csv", encoding="utf-8", newline="") as rows:
        return [(row["title"], row["card"] or None, row["sibling"]) for row in csv.DictReader(rows)]


@pytest.mark.parametrize(("title", "card_slug", "sibling_slug"), variant_titles())
def test_variant_titles_land_on_their_own_card_not_the_sibling(title, card_slug, sibling_slug):
    catalog = load_catalog()
    by_slug = {c.slug: c for c in catalog}
    item = {"title": title, "price": {"value": "500.00", "currency": "USD"}}

    def verdict(slug):
        return screen_listing(card=by_slug[slug], catalog=catalog, item=item)

    if card_slug:
        assert verdict(card_slug).verdict == "keep", verdict(card_slug).note
    dropped = verdict(sibling_slug)
    assert (dropped.verdict, dropped.reason) == ("drop", "wrong_model")


def test_a_new_memory_variant_needs_no_rule_only_a_catalog_row():
    """Siblings come from the catalog: a made-up 20 GB card takes its titles from the 16 GB one."""
    base = card("acme-x100", "ACME X100 16GB", 16, category="gaming")
    variant = card("acme-x100-20gb", "ACME X100 20GB", 20, category="gaming")
    item = {"title": "ACME X100 20GB graphics card", "price": {"value": "400", "currency": "USD"}}

    assert screen_listing(card=base, catalog=[base], item=item).verdict == "keep"
    assert screen_listing(card=base, catalog=[base, variant], item=item).reason == "wrong_model"
    assert screen_listing(card=variant, catalog=[base, variant], item=item).verdict == "keep"


def test_a_small_batch_is_checked_against_the_used_market_not_the_launch_price():
    """A used RTX 3090 goes for ~$800: $150 is a part or a scam, though it is 10% of the MSRP."""
    priced = card(
        "nvidia-geforce-rtx-3090",
        "NVIDIA GeForce RTX 3090",
        24,
        category="gaming",
        typical_price=Decimal("800"),
    )
    items = [item("NVIDIA GeForce RTX 3090 24GB", price=p) for p in ("780.00", "150.00")]

    got = screen_listings(card=priced, catalog=[priced], items=items)

    assert [(s.verdict, s.reason) for s in got] == [("keep", ""), ("drop", "price_outlier")]
