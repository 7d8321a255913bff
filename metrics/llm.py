"""Local LLMs per dollar: which cards run a model, at what price, within a budget.

catalog.llm says what a card can run; this module adds prices (the headline price in any
condition, as every ranking uses) and ranks setups by tokens/s per $1,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict

from catalog import llm
from catalog.llm_catalogue import CARD_SPEC_COLUMNS, card_spec
from catalog.models import Gpu
from catalog.presentation import typed_number
from metrics.models import CardPrice, Scope

MAX_BUDGET_USD = 10_000_000
DEFAULT_MODEL, DEFAULT_QUANT = "llama-3.1-8b", "q4_k_m"


@dataclass(frozen=True)
class LlmRow:
    """One card (or several of it) for one model: what the table row and the API show."""

    run: llm.CardRun
    price: Decimal | None  # one card's headline price
    listing_count: int | None

    @property
    def setup_price(self) -> Decimal | None:
        if self.price is None or self.run.cards_needed is None:
            return None
        return self.price * self.run.cards_needed

    @property
    def tokens_per_s_per_1000_usd(self) -> float | None:
        if not self.setup_price or self.run.decode_tokens_per_s is None:
            return None
        return self.run.decode_tokens_per_s / float(self.setup_price) * 1000

    @property
    def dollars_per_token_per_s(self) -> float | None:
        if not self.setup_price or not self.run.decode_tokens_per_s:
            return None
        return float(self.setup_price) / self.run.decode_tokens_per_s


@dataclass(frozen=True)
class LlmTable:
    model: llm.ModelSpec
    quant: llm.QuantSpec
    context: int
    weights_gib: float
    kv_cache_gib: float
    single: list[LlmRow]  # fits one card, best tokens/s per $1,000 first
    multi: list[LlmRow]  # needs 2..MAX_CARDS cards
    unpriced: list[LlmRow]  # runs, but no current listing gives a price
    too_small: list[LlmRow]  # would need more than MAX_CARDS, or memory unknown
    over_budget: int = 0
    cheapest: LlmRow | None = None  # the cheapest priced setup, whatever the budget


@dataclass(frozen=True)
class LlmQuery:
    """What the picker asked for, after lenient parsing."""

    model: str = DEFAULT_MODEL
    quant: str = DEFAULT_QUANT
    context: int = llm.DEFAULT_CONTEXT
    budget: Decimal | None = None
    notes: tuple[str, ...] = field(default=())


def shown_value(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def parse_budget(raw: str) -> tuple[Decimal | None, str | None]:
    """A dollar amount of at least $1 ("1000", "1,500", "$800"), or a note saying why it was
    ignored."""
    number = typed_number(raw.strip().removeprefix("$"))
    if number is None:
        return None, f"Ignored budget={shown_value(raw)}: not a number"
    value = Decimal(number)
    if value <= 0:
        return None, f"Ignored budget={shown_value(raw)}: must be a positive number of dollars"
    if value < 1:
        return None, f"Ignored budget={shown_value(raw)}: below $1"
    if value > MAX_BUDGET_USD:
        return None, f"Ignored budget={shown_value(raw)}: larger than {MAX_BUDGET_USD:,}"
    return value.quantize(Decimal("0.01")), None


def parse_context(raw: str) -> tuple[int | None, str | None]:
    number = typed_number(raw)
    if number is None or "." in number:
        return None, f"Ignored context={shown_value(raw)}: not a whole number of tokens"
    value = Decimal(number)  # no digit limit, unlike int(): thousands of digits are only large
    if not llm.MIN_CONTEXT <= value <= llm.MAX_CONTEXT:
        span = f"{llm.MIN_CONTEXT:,} to {llm.MAX_CONTEXT:,}"
        return None, f"Ignored context={shown_value(raw)}: choose {span} tokens"
    return int(value), None


def single_param(query: QueryDict, name: str, notes: list[str]) -> str | None:
    given = [v.strip() for v in query.getlist(name) if v.strip()]
    if len(given) > 1:
        notes.append(f"Ignored {name}: given more than once")
        return None
    return given[0] if given else None


def parse_llm_query(query: QueryDict, catalogue: llm.LlmCatalogue) -> LlmQuery:
    """Model, quantisation, context and budget; anything unknown falls back with a visible note."""
    notes: list[str] = []
    values: dict = {}
    model = single_param(query, "model", notes)
    if model is not None:
        if catalogue.model(model):
            values["model"] = model
        else:
            notes.append(f"Ignored model={shown_value(model)}: no such model")
    quant = single_param(query, "quant", notes)
    if quant is not None:
        if catalogue.quant(quant):
            values["quant"] = quant
        else:
            choices = ", ".join(q.slug for q in catalogue.quants)
            notes.append(f"Ignored quant={shown_value(quant)}: choose one of {choices}")
    for name, parse in (("context", parse_context), ("budget", parse_budget)):
        raw = single_param(query, name, notes)
        if raw is not None:
            value, note = parse(raw)
            if note:
                notes.append(note)
            else:
                values[name] = value
    return LlmQuery(**values, notes=tuple(notes))


@dataclass(frozen=True)
class PricedCards:
    """Every card's LLM-relevant specs and its headline price in any condition."""

    cards: list[llm.CardSpec]  # by label
    prices: dict[str, tuple[Decimal, int]]  # slug -> (headline price, listing count)

    def rows(
        self, catalogue: llm.LlmCatalogue, model: llm.ModelSpec, quant: llm.QuantSpec, context: int
    ) -> list[LlmRow]:
        """Each card running the model, with its price."""
        rows = []
        for card in self.cards:
            run = catalogue.run(model=model, quant=quant, context=context, card=card)
            price, count = self.prices.get(card.slug, (None, None))
            rows.append(LlmRow(run=run, price=price, listing_count=count))
        return rows


def load_priced_cards() -> PricedCards:
    """The cards and their prices (two queries)."""
    cards = [card_spec(gpu) for gpu in Gpu.objects.only(*CARD_SPEC_COLUMNS).order_by("label")]
    prices = {
        slug: (price, count)
        for slug, price, count in CardPrice.objects.filter(scope=Scope.ALL).values_list(
            "gpu__slug", "headline_price", "listing_count"
        )
    }
    return PricedCards(cards, prices)


def value_order(row: LlmRow):
    per = row.tokens_per_s_per_1000_usd
    return (per is None, -(per or 0), row.run.card.label)


def llm_table(
    *,
    catalogue: llm.LlmCatalogue,
    model: llm.ModelSpec,
    quant: llm.QuantSpec,
    context: int,
    budget: Decimal | None,
    priced: PricedCards,
) -> LlmTable:
    """Every card for one model: one-card fits, multi-card setups, unpriced and too small."""
    rows = priced.rows(catalogue, model, quant, context)
    runnable = [r for r in rows if r.run.cards_needed is not None]
    with_price = [r for r in runnable if r.setup_price is not None]
    cheapest = min(with_price, key=lambda r: (r.setup_price, r.run.card.label), default=None)
    within = [r for r in with_price if budget is None or r.setup_price <= budget]
    return LlmTable(
        model=model,
        quant=quant,
        context=context,
        weights_gib=llm.weights_gib(model, quant.bits_per_weight),
        kv_cache_gib=llm.kv_cache_gib(model, context),
        single=sorted([r for r in within if r.run.cards_needed == 1], key=value_order),
        multi=sorted([r for r in within if r.run.cards_needed > 1], key=value_order),
        unpriced=sorted(
            [r for r in runnable if r.setup_price is None],
            key=lambda r: (r.run.cards_needed, r.run.card.label),
        ),
        too_small=[r for r in rows if r.run.cards_needed is None],
        over_budget=len(with_price) - len(within),
        cheapest=cheapest,
    )


def api_rows(rows: list[LlmRow]) -> list[dict]:
    """The data API's card list: every card, decode speed only where one card holds the model."""
    out = []
    for row in rows:
        run = row.run
        single = run.cards_needed == 1
        out.append(
            {
                "slug": run.card.slug,
                "fits": bool(run.fits),
                "cards_needed": run.cards_needed,
                "decode_tokens_per_s": _round(run.decode_tokens_per_s) if single else None,
                "prefill_tokens_per_s": _round(run.prefill_tokens_per_s) if single else None,
                "basis": run.basis,
                "source_url": run.measurement.source_url if run.measurement else None,
                "measured_context": run.measurement.context if run.measurement else None,
                "price_usd": float(row.price) if row.price is not None else None,
                "tokens_per_s_per_1000_usd": (
                    _round(row.tokens_per_s_per_1000_usd) if single else None
                ),
            }
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# A small, a mid-size and a large model: what a compare page shows of local-LLM speed.
COMPARE_MODELS = ("llama-3.1-8b", "qwen3-32b", "llama-3.1-70b")
COMPARE_QUANT = "q4_k_m"


@dataclass(frozen=True)
class CompareLlm:
    model: llm.ModelSpec
    quant: llm.QuantSpec
    runs: list[llm.CardRun]  # one per compared card, in their order


def compare_llm_runs(*, cards: list[Gpu], catalogue: llm.LlmCatalogue) -> list[CompareLlm]:
    """Decode speed of COMPARE_MODELS at Q4_K_M and the default context on each compared card."""
    quant = catalogue.quant(COMPARE_QUANT)
    if quant is None or len(cards) < 2:
        return []
    specs = [card_spec(card) for card in cards]
    compared = []
    for slug in COMPARE_MODELS:
        model = catalogue.model(slug)
        if model is None:
            continue
        runs = [
            catalogue.run(model=model, quant=quant, context=llm.DEFAULT_CONTEXT, card=spec)
            for spec in specs
        ]
        compared.append(CompareLlm(model, quant, runs))
    return compared
