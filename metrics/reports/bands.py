"""The best value per budget band in a month, at that month's going rates (any condition): for
local LLMs, tokens/s per $1,000 on one card (Llama 3.1 8B at Q4_K_M, the LLM picker's default);
for FP16, dollars per FP16 TFLOPS. Only cards a buyer can act on count: desktop cards whose ML
software works, as the finder recommends them (metrics.llm.CardNeeds)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Gpu, LlmModel, Quantization
from catalog.presentation import money
from catalog.specs import dollars_per_unit
from metrics.llm import DEFAULT_MODEL, DEFAULT_QUANT, CardNeeds

# Budget bands for one card, in dollars: (from, up to); None is open-ended.
BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 500),
    (500, 1000),
    (1000, 2000),
    (2000, 4000),
    (4000, 8000),
    (8000, None),
)
BAND_FLOORS = [low for low, _ in BANDS]  # each band runs from its floor to the next one's


@dataclass(frozen=True)
class Band:
    low: int
    high: int | None

    @property
    def label(self) -> str:
        if self.low == 0:
            return f"Under {money(self.high)}"
        if self.high is None:
            return f"{money(self.low)} and up"
        return f"{money(self.low)}–{money(self.high)}"

    def holds(self, price: Decimal) -> bool:
        return price >= self.low and (self.high is None or price < self.high)


@dataclass(frozen=True)
class BandPick:
    """The best card of a band: its price that month and its figure (tokens/s per $1,000, or $
    per FP16 TFLOPS), with the figure's basis."""

    band: Band
    slug: str
    label: str
    price: Decimal
    value: float
    basis: str = ""


@dataclass(frozen=True)
class ValueBands:
    llm_model: str
    llm: list[BandPick]
    fp16: list[BandPick]


@dataclass
class _Candidate:
    slug: str
    label: str
    price: Decimal
    value: float
    basis: str


def _best(
    candidates: Iterable[_Candidate], better: Callable[[_Candidate], float]
) -> list[BandPick]:
    """Each band's best candidate, in the bands' order (one pass over the candidates)."""
    bands = [Band(low, high) for low, high in BANDS]
    best: dict[int, _Candidate] = {}
    for candidate in candidates:
        index = bisect_right(BAND_FLOORS, candidate.price) - 1  # the bands run on from 0
        held = best.get(index)
        if index >= 0 and (
            held is None or (better(candidate), candidate.label) < (better(held), held.label)
        ):
            best[index] = candidate
    return [
        BandPick(bands[index], c.slug, c.label, c.price, c.value, c.basis)
        for index, c in sorted(best.items())
    ]


@dataclass(frozen=True)
class MarketCard:
    """A card the bands may pick: one a buyer can act on, with its dense FP16 TFLOPS and its
    stored speed on the reference LLM where it runs it on one card."""

    slug: str
    label: str
    fp16_tflops: float | None
    llm_tokens_per_s: float | None
    llm_basis: str


@dataclass(frozen=True)
class Market:
    """What the bands are worked out from besides prices, read once for any number of months
    (speeds do not depend on prices)."""

    llm_model: str
    cards: list[MarketCard]


def load_market() -> Market:
    """Every recommendable card with its stored reference-model run (catalog.LlmReferenceRun):
    three queries, no estimate made here."""
    rows = Gpu.objects.values(
        "slug",
        "label",
        "form_factor",
        "ml_software",
        "fp16_tflops",
        "llm_reference_run__cards_needed",
        "llm_reference_run__decode_tokens_per_s",
        "llm_reference_run__basis_note",
    )
    cards = [
        _market_card(row)
        for row in rows
        if CardNeeds(form_factor=row["form_factor"], ml_software=row["ml_software"]).recommendable(
            include_modules=False
        )
    ]
    model = LlmModel.objects.filter(slug=DEFAULT_MODEL).values_list("name", flat=True).first()
    quant = Quantization.objects.filter(slug=DEFAULT_QUANT).values_list("name", flat=True).first()
    return Market(llm_model=f"{model} at {quant}" if model and quant else "", cards=cards)


def _market_card(row: dict) -> MarketCard:
    """A card with its stored run, which counts when one card runs the model."""
    speed = row["llm_reference_run__decode_tokens_per_s"]
    if row["llm_reference_run__cards_needed"] != 1:
        speed = None
    # "95 tokens/s, estimate ±12%"
    basis = "" if speed is None else f"{speed:.0f} tokens/s, {row['llm_reference_run__basis_note']}"
    return MarketCard(
        slug=row["slug"],
        label=row["label"],
        fp16_tflops=row["fp16_tflops"],
        llm_tokens_per_s=speed,
        llm_basis=basis,
    )


def value_bands(prices: dict[str, Decimal], *, market: Market) -> ValueBands:
    """The best LLM and FP16 value per band at these prices (card slug -> price)."""
    priced = [card for card in market.cards if card.slug in prices]
    llm = _best(
        (
            # Tokens/s per $1,000 of one card, as the LLM picker works it out (metrics.llm).
            _Candidate(
                c.slug,
                c.label,
                prices[c.slug],
                c.llm_tokens_per_s / float(prices[c.slug]) * 1000,
                c.llm_basis,
            )
            for c in priced
            if c.llm_tokens_per_s is not None
        ),
        better=lambda c: -c.value,
    )
    fp16 = _best(
        (
            _Candidate(c.slug, c.label, prices[c.slug], float(per), "")
            for c in priced
            if (per := dollars_per_unit(prices[c.slug], c.fp16_tflops)) is not None
        ),
        better=lambda c: c.value,
    )
    return ValueBands(llm_model=market.llm_model, llm=llm, fp16=fp16)
