"""The best value per budget band, on the real catalogue and its LLM figures."""

from decimal import Decimal

import pytest

from catalog.llm import DEFAULT_CONTEXT
from catalog.llm_catalogue import load_llm_catalogue
from metrics.llm import DEFAULT_MODEL, DEFAULT_QUANT, llm_table, load_priced_cards
from metrics.reports.bands import Band, load_market, value_bands

pytestmark = pytest.mark.django_db


def test_bands_are_labelled_by_what_they_hold():
    assert [Band(0, 500).label, Band(500, 1000).label, Band(8000, None).label] == [
        "Under $500",
        "$500–$1,000",
        "$8,000 and up",
    ]
    assert Band(500, 1000).holds(Decimal("500")) and not Band(500, 1000).holds(Decimal("1000"))


def test_each_band_takes_its_best_card_for_llms_and_for_fp16(loaded_catalog):
    prices = {
        "nvidia-geforce-rtx-3090": Decimal("800"),
        "nvidia-geforce-rtx-4090": Decimal("1800"),
        "nvidia-geforce-rtx-3060": Decimal("250"),
        "nvidia-h100-sxm": Decimal("18000"),  # a server module: never recommended
        "nvidia-rtx-6000-ada-generation": Decimal("6000"),
    }

    bands = value_bands(prices, market=load_market())

    llm = {pick.band.label: pick.slug for pick in bands.llm}
    assert llm == {
        "Under $500": "nvidia-geforce-rtx-3060",
        "$500–$1,000": "nvidia-geforce-rtx-3090",
        "$1,000–$2,000": "nvidia-geforce-rtx-4090",
        "$4,000–$8,000": "nvidia-rtx-6000-ada-generation",
    }
    assert bands.llm_model == "Llama 3.1 8B at Q4_K_M"
    assert all("tokens/s" in pick.basis for pick in bands.llm)
    fp16 = {pick.band.label: pick for pick in bands.fp16}
    assert "$8,000 and up" not in fp16
    pick = fp16["$500–$1,000"]
    assert pick.value == pytest.approx(800 / 71, rel=0.01)  # RTX 3090: 71 dense FP16 TFLOPS


def test_a_bands_llm_figure_is_the_one_the_llm_picker_shows_at_that_price(loaded_catalog):
    prices = {"nvidia-geforce-rtx-3090": Decimal("800"), "nvidia-geforce-rtx-3060": Decimal("250")}
    catalogue = load_llm_catalogue()
    table = llm_table(
        catalogue=catalogue,
        model=catalogue.model(DEFAULT_MODEL),
        quant=catalogue.quant(DEFAULT_QUANT),
        context=DEFAULT_CONTEXT,
        budget=None,
        priced=load_priced_cards(prices={slug: (p, 1, p) for slug, p in prices.items()}),
    )
    picker = {row.run.card.slug: row for row in table.single}

    picks = value_bands(prices, market=load_market()).llm
    assert {pick.slug for pick in picks} == set(prices)
    for pick in picks:
        row = picker[pick.slug]
        assert pick.value == pytest.approx(row.tokens_per_s_per_1000_usd)
        speed = f"{row.run.decode_tokens_per_s:.0f} tokens/s"
        assert pick.basis == f"{speed}, {row.run.basis_label} {row.run.error_label}".strip()
