"""The home page finder: "What do you want to do?" and a budget, answered with the top cards."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import QueryDict

from catalog import llm
from catalog.llm_catalogue import load_llm_catalogue
from catalog.presentation import per_unit
from metrics.llm import (
    DEFAULT_QUANT,
    CardNeeds,
    LlmRow,
    PricedCards,
    llm_table,
    load_priced_cards,
    parse_budget,
    parse_include,
    shown_value,
    single_param,
    value_order,
)

TOP_FINDER = 3
# The query parameters the finder reads.
PARAMS = ("task", "budget", "include")

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
    price: Decimal  # the whole setup
    reason: str
    basis: str  # "measured", "estimate" or "spec proxy"
    unit_price: Decimal | None = None  # one card's, for a multi-card setup
    needs: CardNeeds = CardNeeds()
    listing_count: int = 0  # the card's listings, as every page counts them
    from_price: Decimal | None = None  # its cheapest fixed-price listing without a flag

    def as_json(self) -> dict:
        return {
            "slug": self.slug,
            "cards": self.cards,
            "price_usd": float(self.price),
            "reason": self.reason,
            "basis": self.basis,
            "listing_count": self.listing_count,
            "from_usd": None if self.from_price is None else float(self.from_price),
        }


@dataclass(frozen=True)
class FinderResult:
    task: str
    task_label: str
    budget: Decimal | None
    picks: list[FinderPick]
    cheapest: FinderPick | None  # shown when nothing fits the budget
    basis_note: str
    include_modules: bool = False

    def as_json(self) -> dict:
        return {
            "task": self.task,
            "budget_usd": float(self.budget) if self.budget is not None else None,
            "include": "modules" if self.include_modules else None,
            "picks": [pick.as_json() for pick in self.picks],
            "cheapest": self.cheapest.as_json() if self.cheapest else None,
        }


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


@dataclass(frozen=True)
class FinderQuery:
    task: str | None
    budget: Decimal | None
    include_modules: bool
    notes: list[str]


def parse_finder(query: QueryDict) -> FinderQuery:
    """The finder's task, budget and whether to include server modules; an unknown task or a
    bad budget is ignored with a note."""
    notes: list[str] = []
    task = single_param(query, "task", notes)
    if task is not None and task not in LLM_TASKS and task not in PROXY_TASKS:
        notes.append(f"Ignored task={shown_value(task)}: choose one of the listed tasks")
        task = None
    budget = None
    raw = single_param(query, "budget", notes)
    if raw is not None:
        budget, note = parse_budget(raw)
        if note:
            notes.append(note)
    include_modules = parse_include(query, notes)
    return FinderQuery(task, budget, include_modules, notes)


def _count_words(n: int) -> str:
    return {1: "one card", 2: "two cards", 3: "three cards", 4: "four cards"}.get(n, f"{n} cards")


def _setup_label(label: str, cards: int) -> str:
    return label if cards == 1 else f"{cards} × {label}"


def _llm_pick(row: LlmRow, model: llm.ModelSpec, quant: llm.QuantSpec) -> FinderPick:
    run = row.run
    speed = run.decode_tokens_per_s
    basis = run.basis_label + (f", {run.error_label}" if run.error_label else "")
    split = f", split over its {run.devices_used} GPUs" if run.device_split else ""
    reason = (
        f"Fits {model.name} at {quant.name} on {_count_words(run.cards_needed)}{split}; "
        f"{speed:,.0f} tok/s ({basis}); {per_unit(row.dollars_per_token_per_s)} per tok/s"
    )
    return FinderPick(
        _setup_label(run.card.label, run.cards_needed),
        run.card.slug,
        run.cards_needed,
        row.setup_price,
        reason,
        run.basis,
        unit_price=row.price,
        needs=row.needs,
        listing_count=row.listing_count or 0,
        from_price=row.from_price,
    )


def find_cards(
    *,
    task: str,
    budget: Decimal | None,
    catalogue: llm.LlmCatalogue,
    priced: PricedCards,
    include_modules: bool = False,
) -> FinderResult | None:
    """The top cards a buyer can act on for a task within a budget, each with why; None for an
    unknown task. Server modules only when asked for; never a laptop GPU or a card whose ML
    software is unsupported."""
    if task in LLM_TASKS:
        return _find_for_llm(task, budget, catalogue, priced, include_modules)
    if task in PROXY_TASKS:
        return _find_by_proxy(task, budget, priced, include_modules)
    return None


def _find_for_llm(task, budget, catalogue, priced, include_modules) -> FinderResult | None:
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
        priced=priced,
        include_modules=include_modules,
    )
    ranked = sorted(
        [r for r in table.single + table.multi if r.tokens_per_s_per_1000_usd], key=value_order
    )
    return FinderResult(
        task=task,
        task_label=f"Run {model.name} at {quant.name}, {llm.DEFAULT_CONTEXT:,}-token context",
        budget=budget,
        picks=[_llm_pick(r, model, quant) for r in ranked[:TOP_FINDER]],
        cheapest=_llm_pick(table.cheapest, model, quant) if table.cheapest else None,
        basis_note="Ranked by tokens/s per $1,000, every speed at a "
        f"{llm.DEFAULT_CONTEXT:,}-token context: measured where a public measurement exists "
        "(scaled from the context it ran at, and saying so), otherwise estimated from memory "
        "bandwidth, with ±N% the expected error of the card's backend family.",
        include_modules=include_modules,
    )


def _find_by_proxy(task, budget, priced, include_modules) -> FinderResult:
    label, floor, why = PROXY_TASKS[task]
    training = task == "fine-tuning"
    eligible = []
    for card in priced.cards:
        needs = priced.needs.get(card.slug, CardNeeds())
        market = priced.prices.get(card.slug, (None, 0, None))
        price = market[0]
        if not needs.recommendable(include_modules=include_modules):
            continue
        if price and card.fp16_tflops and (card.memory_gb or 0) >= floor:
            # Training without BF16 needs FP16 loss scaling: such cards rank after those with it.
            lacks_bf16 = training and not needs.bf16
            eligible.append((lacks_bf16, float(price) / card.fp16_tflops, card, market, needs))
    eligible.sort(key=lambda e: (e[0], e[1], e[2].label))
    within = [e for e in eligible if budget is None or e[3][0] <= budget]

    def pick(entry) -> FinderPick:
        lacks_bf16, per_tflops, card, (price, count, lowest), needs = entry
        floor_text = f" (≥ {floor} GB: {why})" if floor else ""
        bf16 = ""
        if training:
            bf16 = (
                "; no BF16: trains in FP16 with loss scaling, ranked after cards with BF16"
                if lacks_bf16
                else "; BF16"
            )
        reason = (
            f"{card.memory_gb:g} GB{floor_text}; {card.fp16_tflops:,.1f} FP16 TFLOPS; "
            f"{per_unit(per_tflops)} per TFLOPS{bf16}"
        )
        return FinderPick(
            card.label,
            card.slug,
            1,
            price,
            reason,
            "spec proxy",
            needs=needs,
            listing_count=count,
            from_price=lowest,
        )

    cheapest = min(eligible, key=lambda e: (e[3][0], e[2].label), default=None)
    note = "Spec proxy, not a benchmark: ranked by dense FP16 tensor TFLOPS per dollar" + (
        f" among cards with at least {floor} GB" if floor else ""
    )
    if training:
        note += "; cards without BF16 rank after those with it"
    return FinderResult(
        task=task,
        task_label=label,
        budget=budget,
        picks=[pick(e) for e in within[:TOP_FINDER]],
        cheapest=pick(cheapest) if cheapest else None,
        basis_note=note + ".",
        include_modules=include_modules,
    )


@dataclass(frozen=True)
class HomeFinder:
    """What the home page finder shows: the form's state, notes and, once asked, the answer."""

    tasks: list[tuple[str, str]]
    task: str | None
    budget: Decimal | None
    notes: list[str]
    result: FinderResult | None
    include_modules: bool = False


def find_for_home(query: QueryDict) -> HomeFinder:
    """Parse the finder form and answer it; no query at all until a task is chosen."""
    asked = parse_finder(query)
    notes, result = list(asked.notes), None
    if asked.task is not None:
        result = find_cards(
            task=asked.task,
            budget=asked.budget,
            catalogue=load_llm_catalogue(),
            priced=load_priced_cards(),
            include_modules=asked.include_modules,
        )
        if result is None:
            notes.append("That model is not in the catalogue yet.")
    return HomeFinder(
        finder_tasks(), asked.task, asked.budget, notes, result, asked.include_modules
    )
