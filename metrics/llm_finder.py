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
    LlmRow,
    PricedCards,
    llm_table,
    load_priced_cards,
    parse_budget,
    shown_value,
    single_param,
    value_order,
)

TOP_FINDER = 3
# The query parameters the finder reads.
PARAMS = ("task", "budget")

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
    return task, budget, notes


def _count_words(n: int) -> str:
    return {1: "one card", 2: "two cards", 3: "three cards", 4: "four cards"}.get(n, f"{n} cards")


def _llm_pick(row: LlmRow, model: llm.ModelSpec, quant: llm.QuantSpec) -> FinderPick:
    run = row.run
    speed = run.decode_tokens_per_s
    label = run.card.label if run.cards_needed == 1 else f"{run.cards_needed} × {run.card.label}"
    reason = (
        f"Fits {model.name} at {quant.name} on {_count_words(run.cards_needed)}; "
        f"{speed:,.0f} tok/s ({run.basis_label}); {per_unit(row.dollars_per_token_per_s)} per tok/s"
    )
    return FinderPick(label, run.card.slug, run.cards_needed, row.setup_price, reason, run.basis)


def find_cards(
    *,
    task: str,
    budget: Decimal | None,
    catalogue: llm.LlmCatalogue,
    priced: PricedCards,
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
            priced=priced,
        )
        ranked = sorted(
            [r for r in table.single + table.multi if r.tokens_per_s_per_1000_usd],
            key=value_order,
        )
        return FinderResult(
            task_label=f"Run {model.name} at {quant.name}, {llm.DEFAULT_CONTEXT:,}-token context",
            budget=budget,
            picks=[_llm_pick(r, model, quant) for r in ranked[:TOP_FINDER]],
            cheapest=_llm_pick(table.cheapest, model, quant)
            if table.cheapest and table.cheapest.run.decode_tokens_per_s
            else None,
            basis_note="Ranked by tokens/s per $1,000; speeds are measured where a public "
            "measurement exists (at the context it ran at, stated with it), otherwise estimated "
            f"from memory bandwidth at a {llm.DEFAULT_CONTEXT:,}-token context.",
        )
    if task not in PROXY_TASKS:
        return None
    label, floor, why = PROXY_TASKS[task]
    eligible = []
    for card in priced.cards:
        price = priced.prices.get(card.slug, (None, None))[0]
        if price and card.fp16_tflops and (card.memory_gb or 0) >= floor:
            eligible.append((float(price) / card.fp16_tflops, card, price))
    eligible.sort(key=lambda e: (e[0], e[1].label))
    within = [e for e in eligible if budget is None or e[2] <= budget]

    def pick(entry) -> FinderPick:
        per_tflops, card, price = entry
        floor_text = f" (≥ {floor} GB: {why})" if floor else ""
        reason = (
            f"{card.memory_gb:g} GB{floor_text}; {card.fp16_tflops:,.1f} FP16 TFLOPS; "
            f"{per_unit(per_tflops)} per TFLOPS"
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
        catalogue = load_llm_catalogue()
        result = find_cards(
            task=task, budget=budget, catalogue=catalogue, priced=load_priced_cards()
        )
        if result is None:
            notes.append("That model is not in the catalogue yet.")
    return HomeFinder(finder_tasks(), task, budget, notes, result)
