"""The terms the screen reads beside which card it is: lots ("pair", "2x", "x2", "set of 2"),
engineering samples and sellers without a track record, on real-looking eBay titles, false
friends included."""

from decimal import Decimal

import pytest

from listings.heuristics import CardFacts, screen_listing, screen_listings

CATALOG = [
    CardFacts("nvidia-h200-nvl", "NVIDIA H200 NVL", "NVIDIA", 141, "pcie", "datacenter"),
    CardFacts("nvidia-h100-pcie", "NVIDIA H100 PCIe", "NVIDIA", 80, "pcie", "datacenter"),
    CardFacts("nvidia-a100-pcie", "NVIDIA A100 PCIe 80GB", "NVIDIA", 80, "pcie", "datacenter"),
    CardFacts(
        "nvidia-tesla-v100-32gb", "NVIDIA Tesla V100 32GB", "NVIDIA", 32, "pcie", "datacenter"
    ),
    CardFacts("nvidia-tesla-p40", "NVIDIA Tesla P40", "NVIDIA", 24, "pcie", "datacenter"),
    CardFacts("nvidia-rtx-a6000", "NVIDIA RTX A6000", "NVIDIA", 48, "pcie", "workstation"),
    CardFacts("nvidia-geforce-rtx-3090", "NVIDIA GeForce RTX 3090", "NVIDIA", 24, "pcie", "gaming"),
    CardFacts("nvidia-geforce-rtx-4090", "NVIDIA GeForce RTX 4090", "NVIDIA", 24, "pcie", "gaming"),
    CardFacts("nvidia-geforce-rtx-5090", "NVIDIA GeForce RTX 5090", "NVIDIA", 32, "pcie", "gaming"),
    CardFacts("amd-instinct-mi210", "AMD Instinct MI210", "AMD", 64, "pcie", "datacenter"),
    CardFacts("amd-radeon-rx-7700s", "AMD Radeon RX 7700S", "AMD", 8, "laptop", "gaming"),
]
CARDS = {card.slug: card for card in CATALOG}


def item(title, *, price="1000.00", feedback="99.8", score=2500, **extra):
    return {
        "itemId": "v1|204500000001|0",
        "title": title,
        "price": {"value": price, "currency": "USD"},
        "condition": "Used",
        "conditionId": "3000",
        "seller": {
            "username": "gpu-dealer",
            "feedbackPercentage": feedback,
            "feedbackScore": score,
        },
        "buyingOptions": ["FIXED_PRICE"],
        **extra,
    }


def screen(slug, title, **fields):
    return screen_listing(card=CARDS[slug], catalog=CATALOG, item=item(title, **fields))


@pytest.mark.parametrize(
    ("slug", "title", "units"),
    [
        ("nvidia-h200-nvl", "NVIDIA H200 NVL 141GB HBM3e PCIe GPU - PAIR", 2),
        ("nvidia-tesla-v100-32gb", "Pair of NVIDIA Tesla V100 32GB PCIe GPU Accelerators", 2),
        ("nvidia-rtx-a6000", "(Matched Pair) NVIDIA RTX A6000 48GB GDDR6 Graphics Cards", 2),
        ("nvidia-geforce-rtx-3090", "2x NVIDIA GeForce RTX 3090 Founders Edition 24GB", 2),
        ("nvidia-geforce-rtx-3090", "EVGA GeForce RTX 3090 FTW3 Ultra 24GB GDDR6X x2", 2),
        ("nvidia-h100-pcie", "NVIDIA H100 80GB HBM2e PCIe x2 Tested Working", 2),
        ("nvidia-tesla-p40", "2 pcs NVIDIA Tesla P40 24GB GDDR5 GPU Accelerator", 2),
        ("nvidia-tesla-p40", "NVIDIA Tesla P40 24GB GPU 2pcs", 2),
        ("nvidia-a100-pcie", "Set of 2 NVIDIA A100 80GB PCIe Tensor Core GPU", 2),
        ("nvidia-a100-pcie", "Lot of 4 NVIDIA A100 80GB PCIe 900-21001-0020-000", 4),
        ("nvidia-tesla-p40", "LOT OF (6) NVIDIA Tesla P40 24GB Accelerator", 6),
        ("nvidia-tesla-p40", "NVIDIA Tesla P40 24GB - 8 units", 8),
        ("nvidia-rtx-a6000", "4 x NVIDIA RTX A6000 48GB workstation GPUs", 4),
        ("nvidia-tesla-v100-32gb", "Two NVIDIA Tesla V100 32GB PCIe GPUs", 2),
    ],
)
def test_multi_unit_wording_gives_the_units_and_a_per_card_price(slug, title, units):
    got = screen(slug, title, price=f"{900 * units}.00")

    assert (got.verdict, got.quantity) == ("keep", units), got.note
    assert got.unit_price == Decimal("900.00")


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("nvidia-a100-pcie", "NVIDIA A100 80GB PCIe 4.0 x16 Passive Tensor Core GPU"),
        ("nvidia-geforce-rtx-3090", "NVIDIA GeForce RTX 3090 24GB GDDR6X x16 Graphics Card"),
        ("nvidia-tesla-p40", "NVIDIA Tesla P40 24GB PCIe 3.0 x8 GPU"),
        ("nvidia-tesla-p40", "NVIDIA Tesla P40 24GB PCIe Gen3 x8 GPU"),
        ("nvidia-geforce-rtx-3090", "MSI GeForce RTX 3090 Ventus 3X OC 24GB, 2x fans work great"),
        ("nvidia-geforce-rtx-4090", "Gigabyte RTX 4090 Gaming OC 24GB, 3X WINDFORCE Fans"),
        ("nvidia-geforce-rtx-4090", "ASUS TUF RTX 4090 24GB OC, takes 2x 8-pin power"),
        ("nvidia-geforce-rtx-3090", "EVGA RTX 3090 FTW3 24GB with pair of cables"),
        ("nvidia-rtx-a6000", "NVIDIA RTX A6000 48GB 4x DP, HDMI x2 adapter included"),
        ("nvidia-a100-pcie", "NVIDIA A100 80GB PCIe - 4 units available, ships today"),
        ("nvidia-geforce-rtx-4090", "MSI Ventus 2X GeForce RTX 4090 24GB"),
    ],
)
def test_false_friends_of_lot_wording_stay_single(slug, title):
    got = screen(slug, title)

    assert (got.verdict, got.quantity, got.unit_price) == ("keep", 1, Decimal("1000.00"))


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("nvidia-h200-nvl", "NVIDIA H200 NVL 141GB QS Qualification Sample PCIe GPU"),
        ("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe ES Engineering Sample"),
        ("nvidia-geforce-rtx-5090", "NVIDIA GeForce RTX 5090 32GB ES engineering board"),
        ("nvidia-geforce-rtx-4090", "RTX 4090 24GB Engineering Sample QS working"),
        ("amd-instinct-mi210", "AMD Instinct MI210 64GB HBM2e pre-production card"),
        ("nvidia-a100-pcie", "NVIDIA A100 80GB PCIe sample, tested"),
        ("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe ES/QS version"),
    ],
)
def test_engineering_and_qualification_samples_are_kept_with_a_flag(slug, title):
    got = screen(slug, title)

    assert (got.verdict, got.flags) == ("keep", ("engineering-sample",)), got.note
    assert "engineering sample" in got.note


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("nvidia-a100-pcie", "NVIDIA A100 80GB PCIe retail card, not ES"),
        ("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe non-ES retail version"),
        ("nvidia-geforce-rtx-3090", "NVIDIA GeForce RTX 3090 24GB (sample photo, actual card)"),
        ("nvidia-geforce-rtx-4090", "ASUS ROG Strix RTX 4090 24GB - pictures are samples"),
        ("nvidia-geforce-rtx-3090", "NVIDIA GeForce RTX 3090 Founders Edition Series"),
        ("nvidia-tesla-p40", "NVIDIA Tesla P40 24GB, no engineering sample"),
    ],
)
def test_retail_cards_and_sample_photos_are_not_flagged(slug, title):
    got = screen(slug, title)

    assert (got.verdict, got.flags) == ("keep", ())


def test_item_specifics_can_say_engineering_sample():
    aspects = [{"type": "STRING", "name": "Engineering Sample", "value": "Yes"}]
    flagged = screen("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe", localizedAspects=aspects)
    retail = [{"type": "STRING", "name": "Engineering Sample", "value": "No"}]
    plain = screen("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe", localizedAspects=retail)

    assert flagged.flags == ("engineering-sample",)
    assert plain.flags == ()


def test_a_sample_the_screen_drops_still_carries_its_flag_for_the_report():
    got = screen("nvidia-h100-pcie", "NVIDIA H100 80GB PCIe ES engineering sample - for parts")

    assert (got.verdict, got.reason, got.flags) == ("drop", "parts", ("engineering-sample",))


@pytest.mark.parametrize(
    ("feedback", "score", "flagged"),
    [
        ("100.0", 3, True),  # a new seller: three ratings
        ("100.0", 9, True),
        ("94.9", 5000, True),  # a long record with too many unhappy buyers
        ("0.0", 1, True),
        ("0.0", 252, False),  # a long record, no rating in the last 12 months: eBay says 0.0
        ("95.0", 10, False),
        ("99.8", 2500, False),
    ],
)
def test_sellers_without_a_track_record_are_flagged(feedback, score, flagged):
    got = screen(
        "nvidia-geforce-rtx-5090",
        "NVIDIA GeForce RTX 5090 32GB Founders Edition",
        feedback=feedback,
        score=score,
    )

    assert got.verdict == "keep"
    assert got.flags == (("low-feedback-seller",) if flagged else ())


def test_a_laptop_gpu_gets_no_listing():
    got = screen("amd-radeon-rx-7700s", "AMD Radeon RX 7700S 8GB GPU")

    assert (got.verdict, got.reason) == ("drop", "system")
    assert "laptop GPU" in got.note


def test_one_batch_keeps_flags_through_the_price_check():
    items = [
        item(f"NVIDIA H100 80GB PCIe GPU #{n}", price=f"{24000 + 100 * n}.00") for n in range(4)
    ]
    items.append(item("NVIDIA H100 80GB PCIe QS qualification sample", price="15500.00"))

    got = screen_listings(card=CARDS["nvidia-h100-pcie"], catalog=CATALOG, items=items)

    assert [s.verdict for s in got] == ["keep"] * 5
    assert got[-1].flags == ("engineering-sample",)
