"""Local LLMs per dollar: which cards run a model within a budget, and the home page finder.

catalog.llm says what a card can run; this module adds prices (the headline price in any
condition, as every ranking uses) and ranks setups by tokens/s per $1,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict

from catalog import llm
from catalog.models import Gpu
from metrics.models import CardPrice, Scope

MAX_BUDGET_USD = 10_000_000
TOP_FINDER = 3
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


def _shown(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def parse_budget(raw: str) -> tuple[Decimal | None, str | None]:
    """A positive dollar amount ("1000", "1,500", "$800"), or a note saying why it was ignored."""
    cleaned = raw.strip().replace(",", "").lstrip("$")
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"Ignored budget={_shown(raw)}: not a number"
    if not math.isfinite(value) or value <= 0:
        return None, f"Ignored budget={_shown(raw)}: must be a positive number of dollars"
    if value > MAX_BUDGET_USD:
        return None, f"Ignored budget={_shown(raw)}: larger than {MAX_BUDGET_USD:,}"
    return Decimal(str(round(value, 2))), None


def parse_context(raw: str) -> tuple[int | None, str | None]:
    try:
        value = int(raw.strip().replace(",", ""))
    except ValueError:
        return None, f"Ignored context={_shown(raw)}: not a whole number of tokens"
    if not llm.MIN_CONTEXT <= value <= llm.MAX_CONTEXT:
        span = f"{llm.MIN_CONTEXT:,} to {llm.MAX_CONTEXT:,}"
        return None, f"Ignored context={_shown(raw)}: choose {span} tokens"
    return value, None


def _single(query: QueryDict, name: str, notes: list[str]) -> str | None:
    given = [v.strip() for v in query.getlist(name) if v.strip()]
    if len(given) > 1:
        notes.append(f"Ignored {name}: given more than once")
        return None
    return given[0] if given else None


def parse_llm_query(query: QueryDict, catalogue: llm.LlmCatalogue) -> LlmQuery:
    """Model, quantisation, context and budget; anything unknown falls back with a visible note."""
    notes: list[str] = []
    values: dict = {}
    model = _single(query, "model", notes)
    if model is not None:
        if catalogue.model(model):
            values["model"] = model
        else:
            notes.append(f"Ignored model={_shown(model)}: no such model")
    quant = _single(query, "quant", notes)
    if quant is not None:
        if catalogue.quant(quant):
            values["quant"] = quant
        else:
            choices = ", ".join(q.slug for q in catalogue.quants)
            notes.append(f"Ignored quant={_shown(quant)}: choose one of {choices}")
    for name, parse in (("context", parse_context), ("budget", parse_budget)):
        raw = _single(query, name, notes)
        if raw is not None:
            value, note = parse(raw)
            if note:
                notes.append(note)
            else:
                values[name] = value
    return LlmQuery(**values, notes=tuple(notes))


def load_cards_and_prices() -> tuple[list[llm.CardSpec], dict[str, tuple[Decimal, int]]]:
    """Every card's LLM-relevant specs and its headline price in any condition (two queries)."""
    cards = [
        llm.card_spec(gpu)
        for gpu in Gpu.objects.only(
            "slug", "label", "memory_gb", "memory_bandwidth_gbs", "fp16_tflops"
        ).order_by("label")
    ]
    prices = {
        slug: (price, count)
        for slug, price, count in CardPrice.objects.filter(scope=Scope.ALL).values_list(
            "gpu__slug", "headline_price", "listing_count"
        )
    }
    return cards, prices


def _rows(
    catalogue: llm.LlmCatalogue,
    model: llm.ModelSpec,
    quant: llm.QuantSpec,
    context: int,
    cards: list[llm.CardSpec],
    prices: dict[str, tuple[Decimal, int]],
) -> list[LlmRow]:
    measured = catalogue.measured_by_key
    rows = []
    for card in cards:
        run = llm.run_on_card(
            model=model,
            quant_slug=quant.slug,
            bits_per_weight=quant.bits_per_weight,
            context=context,
            card=card,
            fit=catalogue.fit,
            measured=measured,
        )
        price, count = prices.get(card.slug, (None, None))
        rows.append(LlmRow(run=run, price=price, listing_count=count))
    return rows


def _value_order(row: LlmRow):
    per = row.tokens_per_s_per_1000_usd
    return (per is None, -(per or 0), row.run.card.label)


def llm_table(
    *,
    catalogue: llm.LlmCatalogue,
    model: llm.ModelSpec,
    quant: llm.QuantSpec,
    context: int,
    budget: Decimal | None,
    cards: list[llm.CardSpec],
    prices: dict[str, tuple[Decimal, int]],
) -> LlmTable:
    """Every card for one model: one-card fits, multi-card setups, unpriced and too small."""
    rows = _rows(catalogue, model, quant, context, cards, prices)
    runnable = [r for r in rows if r.run.cards_needed is not None]
    priced = [r for r in runnable if r.setup_price is not None]
    cheapest = min(priced, key=lambda r: (r.setup_price, r.run.card.label), default=None)
    within = [r for r in priced if budget is None or r.setup_price <= budget]
    return LlmTable(
        model=model,
        quant=quant,
        context=context,
        weights_gib=llm.weights_gib(model, quant.bits_per_weight),
        kv_cache_gib=llm.kv_cache_gib(model, context),
        single=sorted([r for r in within if r.run.cards_needed == 1], key=_value_order),
        multi=sorted([r for r in within if r.run.cards_needed > 1], key=_value_order),
        unpriced=sorted(
            [r for r in runnable if r.setup_price is None],
            key=lambda r: (r.run.cards_needed, r.run.card.label),
        ),
        too_small=[r for r in rows if r.run.cards_needed is None],
        over_budget=len(priced) - len(within),
        cheapest=cheapest,
    )


def api_rows(
    *,
    catalogue: llm.LlmCatalogue,
    model: llm.ModelSpec,
    quant: llm.QuantSpec,
    context: int,
    cards: list[llm.CardSpec],
    prices: dict[str, tuple[Decimal, int]],
) -> list[dict]:
    """The data API's card list: every card, decode speed only where one card holds the model."""
    out = []
    for row in _rows(catalogue, model, quant, context, cards, prices):
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
                "price_usd": float(row.price) if row.price is not None else None,
                "tokens_per_s_per_1000_usd": (
                    _round(row.tokens_per_s_per_1000_usd) if single else None
                ),
            }
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# The home page finder.

# Spec proxies where no benchmark covers the task; each floor is the memory the task needs.
PROXY_TASKS = {
    "image-generation": (
        "Image generation (SDXL)",
        12,
        "SDXL at 1024x1024 in FP16 needs about 12 GB",
    ),
    "fine-tuning": (
        "Fine-tuning, 7-8B (LoRA)",
        24,
        "LoRA fine-tuning of a 7-8B model in 16-bit needs about 24 GB",
    ),
    "fp16": ("General FP16 compute", 0, ""),
}


@dataclass(frozen=True)
class FinderPick:
    label: str
    slug: str
    cards: int
    price: Decimal
    reason: str
    basis: str  # "measured", "estimate" or "spec proxy"


@dataclass(frozen=True)
class FinderResult:
    task_label: str
    budget: Decimal | None
    picks: list[FinderPick]
    cheapest: FinderPick | None  # shown when nothing fits the budget
    basis_note: str


# "LLM by model size": one representative model per size, so the form needs no query.
LLM_TASKS = {
    "llm-8b": ("LLM, 8B (Llama 3.1 8B)", "llama-3.1-8b"),
    "llm-14b": ("LLM, 14B (Qwen3 14B)", "qwen3-14b"),
    "llm-moe-30b": ("LLM, 30B MoE (Qwen3 30B-A3B)", "qwen3-30b-a3b"),
    "llm-32b": ("LLM, 32B (Qwen3 32B)", "qwen3-32b"),
    "llm-70b": ("LLM, 70B (Llama 3.1 70B)", "llama-3.1-70b"),
}


def finder_tasks() -> list[tuple[str, str]]:
    """(value, label) for the "What do you want to do?" select."""
    tasks = [(slug, label) for slug, (label, _) in LLM_TASKS.items()]
    return tasks + [(slug, label) for slug, (label, _, _) in PROXY_TASKS.items()]


def parse_finder(query: QueryDict) -> tuple[str | None, Decimal | None, list[str]]:
    """The finder's task and budget; an unknown task or a bad budget is ignored with a note."""
    notes: list[str] = []
    task = _single(query, "task", notes)
    if task is not None and task not in LLM_TASKS and task not in PROXY_TASKS:
        notes.append(f"Ignored task={_shown(task)}: choose one of the listed tasks")
        task = None
    budget = None
    raw = _single(query, "budget", notes)
    if raw is not None:
        budget, note = parse_budget(raw)
        if note:
            notes.append(note)
    return task, budget, notes


def _count_words(n: int) -> str:
    return {1: "one card", 2: "two cards", 3: "three cards", 4: "four cards"}.get(n, f"{n} cards")


def _llm_pick(row: LlmRow, model: llm.ModelSpec, quant: llm.QuantSpec) -> FinderPick:
    run = row.run
    speed = run.decode_tokens_per_s
    label = run.card.label if run.cards_needed == 1 else f"{run.cards_needed} × {run.card.label}"
    reason = (
        f"Fits {model.name} at {quant.name} on {_count_words(run.cards_needed)}; "
        f"{speed:,.0f} tok/s ({run.basis}); ${row.dollars_per_token_per_s:,.2f} per tok/s"
    )
    return FinderPick(label, run.card.slug, run.cards_needed, row.setup_price, reason, run.basis)


def find_cards(
    *,
    task: str,
    budget: Decimal | None,
    catalogue: llm.LlmCatalogue,
    cards: list[llm.CardSpec],
    prices: dict[str, tuple[Decimal, int]],
) -> FinderResult | None:
    """The top cards for a task within a budget, each with why; None for an unknown task."""
    if task in LLM_TASKS:
        model = catalogue.model(LLM_TASKS[task][1])
        quant = catalogue.quant(DEFAULT_QUANT)
        if model is None or quant is None:
            return None
        table = llm_table(
            catalogue=catalogue,
            model=model,
            quant=quant,
            context=llm.DEFAULT_CONTEXT,
            budget=budget,
            cards=cards,
            prices=prices,
        )
        ranked = sorted(
            [r for r in table.single + table.multi if r.tokens_per_s_per_1000_usd],
            key=_value_order,
        )
        return FinderResult(
            task_label=f"Run {model.name} at {quant.name}, {llm.DEFAULT_CONTEXT:,}-token context",
            budget=budget,
            picks=[_llm_pick(r, model, quant) for r in ranked[:TOP_FINDER]],
            cheapest=_llm_pick(table.cheapest, model, quant)
            if table.cheapest and table.cheapest.run.decode_tokens_per_s
            else None,
            basis_note="Ranked by tokens/s per $1,000; speeds are measured where a public "
            "measurement exists, otherwise estimated from memory bandwidth.",
        )
    if task not in PROXY_TASKS:
        return None
    label, floor, why = PROXY_TASKS[task]
    eligible = []
    for card in cards:
        price = prices.get(card.slug, (None, None))[0]
        if price and card.fp16_tflops and (card.memory_gb or 0) >= floor:
            eligible.append((float(price) / card.fp16_tflops, card, price))
    eligible.sort(key=lambda e: (e[0], e[1].label))
    within = [e for e in eligible if budget is None or e[2] <= budget]

    def pick(entry) -> FinderPick:
        per_tflops, card, price = entry
        floor_text = f" (≥ {floor} GB: {why})" if floor else ""
        reason = (
            f"{card.memory_gb:g} GB{floor_text}; {card.fp16_tflops:,.1f} FP16 TFLOPS; "
            f"${per_tflops:,.2f} per TFLOPS"
        )
        return FinderPick(card.label, card.slug, 1, price, reason, "spec proxy")

    cheapest = min(eligible, key=lambda e: (e[2], e[1].label), default=None)
    return FinderResult(
        task_label=label,
        budget=budget,
        picks=[pick(e) for e in within[:TOP_FINDER]],
        cheapest=pick(cheapest) if cheapest else None,
        basis_note="Spec proxy, not a benchmark: ranked by dense FP16 tensor TFLOPS per dollar"
        + (f" among cards with at least {floor} GB." if floor else "."),
    )


@dataclass(frozen=True)
class HomeFinder:
    """What the home page finder shows: the form's state, notes and, once asked, the answer."""

    tasks: list[tuple[str, str]]
    task: str | None
    budget: Decimal | None
    notes: list[str]
    result: FinderResult | None


def find_for_home(query: QueryDict) -> HomeFinder:
    """Parse the finder form and answer it; no query at all until a task is chosen."""
    task, budget, notes = parse_finder(query)
    result = None
    if task is not None:
        catalogue = llm.load_llm_catalogue()
        cards, prices = load_cards_and_prices()
        result = find_cards(
            task=task, budget=budget, catalogue=catalogue, cards=cards, prices=prices
        )
        if result is None:
            notes.append("That model is not in the catalogue yet.")
    return HomeFinder(finder_tasks(), task, budget, notes, result)
