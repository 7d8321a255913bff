"""The best value per budget band in a month, at that month's going rates (any condition): for
local LLMs, tokens/s per $1,000 on one card (Llama 3.1 8B at Q4_K_M, the LLM picker's default);
for FP16, dollars per FP16 TFLOPS. Only cards a buyer can act on count: desktop cards whose ML
software works, as the finder recommends them (metrics.llm.CardNeeds)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from catalog.llm import DEFAULT_CONTEXT
from catalog.llm_catalogue import load_llm_catalogue
from catalog.presentation import money
from catalog.specs import dollars_per_unit
from metrics.llm import (
    DEFAULT_MODEL,
    DEFAULT_QUANT,
    LlmRow,
    PricedCards,
    llm_table,
    load_priced_cards,
)

# Budget bands for one card, in dollars: (from, up to); None is open-ended.
BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 500),
    (500, 1000),
    (1000, 2000),
    (2000, 4000),
    (4000, 8000),
    (8000, None),
)


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


@dataclass(frozen=True)
class _Candidate:
    slug: str
    label: str
    price: Decimal
    value: float
    basis: str


def _best(
    candidates: Iterable[_Candidate], better: Callable[[_Candidate], float]
) -> list[BandPick]:
    picks = []
    candidates = list(candidates)
    for low, high in BANDS:
        band = Band(low, high)
        inside = [c for c in candidates if band.holds(c.price)]
        if inside:
            best = min(inside, key=lambda c: (better(c), c.label))
            picks.append(BandPick(band, best.slug, best.label, best.price, best.value, best.basis))
    return picks


@dataclass(frozen=True)
class Market:
    """What the bands are worked out from besides prices, read once for any number of months:
    the cards and the LLM rows of the model on one card (speeds do not depend on prices)."""

    cards: PricedCards
    llm_model: str
    llm_rows: list[LlmRow]


def load_market() -> Market:
    cards = load_priced_cards(prices={})
    catalogue = load_llm_catalogue()
    model, quant = catalogue.model(DEFAULT_MODEL), catalogue.quant(DEFAULT_QUANT)
    if model is None or quant is None:
        return Market(cards=cards, llm_model="", llm_rows=[])
    table = llm_table(
        catalogue=catalogue,
        model=model,
        quant=quant,
        context=DEFAULT_CONTEXT,
        budget=None,
        priced=cards,
    )
    # Every recommendable card that runs the model on one card is unpriced here.
    rows = [row for row in table.unpriced if row.run.cards_needed == 1]
    return Market(cards=cards, llm_model=f"{model.name} at {quant.name}", llm_rows=rows)


def value_bands(prices: dict[str, Decimal], *, market: Market) -> ValueBands:
    """The best LLM and FP16 value per band at these prices (card slug -> price)."""
    priced_rows = (
        replace(row, price=prices[row.run.card.slug])
        for row in market.llm_rows
        if row.run.card.slug in prices
    )
    llm = _best(
        (
            _Candidate(
                row.run.card.slug,
                row.run.card.label,
                row.price,
                row.tokens_per_s_per_1000_usd,
                _llm_basis(row.run),
            )
            for row in priced_rows
        ),
        better=lambda c: -c.value,
    )
    cards = market.cards
    fp16 = _best(
        (
            _Candidate(card.slug, card.label, prices[card.slug], float(per), "")
            for card in cards.cards
            if card.slug in prices
            and cards.needs[card.slug].recommendable(include_modules=False)
            and (per := dollars_per_unit(prices[card.slug], card.fp16_tflops)) is not None
        ),
        better=lambda c: c.value,
    )
    return ValueBands(llm_model=market.llm_model, llm=llm, fp16=fp16)


def _llm_basis(run) -> str:
    speed = f"{run.decode_tokens_per_s:.0f} tokens/s"
    if run.basis == "measured":
        return f"{speed}, {run.basis_label}"
    return f"{speed}, estimate {run.error_label}".rstrip()
