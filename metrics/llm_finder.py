"""The home page finder: "What do you want to do?" and a budget, answered with the top cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from catalog import llm
from catalog.llm_catalogue import load_llm_catalogue
from catalog.models import FormFactor
from catalog.presentation import money, per_unit
from metrics.llm import (
    DEFAULT_QUANT,
    CardNeeds,
    LlmRow,
    PricedCards,
    llm_table,
    load_priced_cards,
    parse_budget,
    parse_host,
    parse_include,
    parsed_param,
    shown_value,
    single_param,
    value_order,
)

TOP_FINDER = 3
# Whole computers answered beside the top picks when none of them is one.
TOP_MACHINES = 2
# The query parameters the finder reads.
PARAMS = ("task", "budget", "include", "host")

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


# Use cases MLPerf measures only on data-centre cards, and the finder task that answers them
# for any card (with a labelled spec proxy).
USE_CASE_TASKS = {"text-to-image": "image-generation"}


def finder_href(*, use_case: str, budget: Decimal | None = None) -> str:
    """The home finder's answer for a use case within a budget, or "" when it has none."""
    task = USE_CASE_TASKS.get(use_case)
    if task is None:
        return ""
    query = {"task": task, **({"budget": f"{budget.normalize():f}"} if budget else {})}
    return f"{reverse('metrics:home')}?{urlencode(query)}#finder-heading"


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
    machine: bool = False  # a whole computer: no host PC to add
    host_usd: Decimal | None = None  # the stated host-PC cost `price` includes
    listing_count: int = 0  # the card's listings, as every page counts them
    from_price: Decimal | None = None  # its cheapest fixed-price listing without a flag

    def as_json(self) -> dict:
        return {
            "slug": self.slug,
            "kind": "whole machine" if self.machine else "card",
            "cards": self.cards,
            "price_usd": float(self.price),
            "host_pc_usd": float(self.host_usd) if self.host_usd else None,
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
    machines: list[FinderPick] = field(default_factory=list)  # whole computers beside the picks
    host_usd: Decimal | None = None  # the stated host-PC cost card answers include

    def as_json(self) -> dict:
        return {
            "task": self.task,
            "budget_usd": float(self.budget) if self.budget is not None else None,
            "include": "modules" if self.include_modules else None,
            "host_pc_usd": float(self.host_usd) if self.host_usd else None,
            "picks": [pick.as_json() for pick in self.picks],
            "machines": [pick.as_json() for pick in self.machines],
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
    host: Decimal | None = None


def parse_finder(query: QueryDict) -> FinderQuery:
    """The finder's task, budget, host-PC cost and whether to include server modules; an
    unknown task or a bad budget or cost is ignored with a note."""
    notes: list[str] = []
    task = single_param(query, "task", notes)
    if task is not None and task not in LLM_TASKS and task not in PROXY_TASKS:
        notes.append(f"Ignored task={shown_value(task)}: choose one of the listed tasks")
        task = None
    budget = parsed_param(query, "budget", parse_budget, notes)
    include_modules = parse_include(query, notes)
    host = parsed_param(query, "host", parse_host, notes)
    return FinderQuery(task, budget, include_modules, notes, host)


def _count_words(n: int) -> str:
    return {1: "one card", 2: "two cards", 3: "three cards", 4: "four cards"}.get(n, f"{n} cards")


def _setup_label(label: str, cards: int) -> str:
    return label if cards == 1 else f"{cards} × {label}"


def host_words(host_usd: Decimal | None) -> str:
    """What a card answer's price leaves out or includes: the PC the cards go in."""
    if host_usd:
        return f"price includes a {money(host_usd)} host PC"
    return "plus a host PC"


def _llm_pick(row: LlmRow, model: llm.ModelSpec, quant: llm.QuantSpec) -> FinderPick:
    run = row.run
    speed = run.decode_tokens_per_s
    basis = run.basis_label + (f", {run.error_label}" if run.error_label else "")
    split = f", split over its {run.devices_used} GPUs" if run.device_split else ""
    rate = f"{speed:,.0f} tok/s ({basis}); {per_unit(row.dollars_per_token_per_s)} per tok/s"
    if row.machine:
        card = run.card
        reason = (
            f"Whole machine, no host PC needed: its GPU may use {card.memory_gb:g} of its "
            f"{card.total_memory_gb or card.memory_gb:g} GB by default; fits {model.name} at "
            f"{quant.name}; {rate}"
        )
    else:
        reason = (
            f"Fits {model.name} at {quant.name} on {_count_words(run.cards_needed)}{split}, "
            f"{host_words(row.host_price)}; {rate}"
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
        machine=row.machine,
        host_usd=row.host_price,
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
    host_usd: Decimal | None = None,
) -> FinderResult | None:
    """The top cards or whole machines a buyer can act on for a task within a budget, each
    with why; None for an unknown task. Server modules only when asked for; never a laptop GPU
    or a card whose ML software is unsupported. `host_usd` is added to every card answer."""
    if task in LLM_TASKS:
        return _find_for_llm(task, budget, catalogue, priced, include_modules, host_usd)
    if task in PROXY_TASKS:
        return _find_by_proxy(task, budget, priced, include_modules, host_usd)
    return None


def _find_for_llm(task, budget, catalogue, priced, include_modules, host_usd):
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
        host_usd=host_usd,
    )
    ranked = sorted(
        [r for r in table.single + table.multi if r.tokens_per_s_per_1000_usd], key=value_order
    )
    picks = ranked[:TOP_FINDER]
    # The best whole machines too, when no top pick is one: a buyer weighs both kinds.
    machines = [] if any(r.machine for r in picks) else [r for r in ranked if r.machine]
    card_price = (
        f"includes the {money(host_usd)} host PC you set."
        if host_usd
        else "is the cards' alone: set a host-PC cost to add one to every card answer."
    )
    return FinderResult(
        task=task,
        task_label=f"Run {model.name} at {quant.name}, {llm.DEFAULT_CONTEXT:,}-token context",
        budget=budget,
        picks=[_llm_pick(r, model, quant) for r in picks],
        cheapest=_llm_pick(table.cheapest, model, quant) if table.cheapest else None,
        basis_note="Ranked by tokens/s per $1,000, every speed at a "
        f"{llm.DEFAULT_CONTEXT:,}-token context: measured where a public measurement exists "
        "(scaled from the context it ran at, and saying so), otherwise estimated from memory "
        f"bandwidth, with ±N% the expected error of the card's backend family. A whole "
        f"machine's price is the computer's; a card setup's {card_price}",
        include_modules=include_modules,
        machines=[_llm_pick(r, model, quant) for r in machines[:TOP_MACHINES]],
        host_usd=host_usd,
    )


def _find_by_proxy(task, budget, priced, include_modules, host_usd) -> FinderResult:
    label, floor, why = PROXY_TASKS[task]
    training = task == "fine-tuning"
    eligible = []
    for card in priced.cards:
        needs = priced.needs.get(card.slug, CardNeeds())
        price, count, lowest = priced.prices.get(card.slug, (None, 0, None))
        # Whole computers rank by LLM speed, not FP16 TFLOPS: Apple publishes none.
        if needs.form_factor == FormFactor.SYSTEM:
            continue
        if not needs.recommendable(include_modules=include_modules):
            continue
        if price and host_usd:
            price += host_usd
        market = (price, count, lowest)
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
            f"{per_unit(per_tflops)} per TFLOPS{bf16}; {host_words(host_usd)}"
        )
        return FinderPick(
            card.label,
            card.slug,
            1,
            price,
            reason,
            "spec proxy",
            needs=needs,
            host_usd=host_usd,
            listing_count=count,
            from_price=lowest,
        )

    cheapest = min(eligible, key=lambda e: (e[3][0], e[2].label), default=None)
    note = "Spec proxy, not a benchmark: ranked by dense FP16 tensor TFLOPS per dollar" + (
        f" among cards with at least {floor} GB" if floor else ""
    )
    if training:
        note += "; cards without BF16 rank after those with it"
    note += (
        ". Whole computers are not ranked on this proxy: Apple publishes no FP16 TFLOPS, and "
        "they are compared by LLM speed"
    )
    return FinderResult(
        task=task,
        task_label=label,
        budget=budget,
        picks=[pick(e) for e in within[:TOP_FINDER]],
        cheapest=pick(cheapest) if cheapest else None,
        basis_note=note + ".",
        include_modules=include_modules,
        host_usd=host_usd,
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
    host: Decimal | None = None


def find_for_home(query: QueryDict) -> HomeFinder:
    """Parse the finder form and answer it; no query at all until a task is chosen."""
    asked = parse_finder(query)
    notes, result = list(asked.notes), None
    if asked.task is not None:
        priced = load_priced_cards()
        result = find_cards(
            task=asked.task,
            budget=asked.budget,
            catalogue=load_llm_catalogue(cards=priced.by_id),
            priced=priced,
            include_modules=asked.include_modules,
            host_usd=asked.host,
        )
        if result is None:
            notes.append("That model is not in the catalogue yet.")
    return HomeFinder(
        finder_tasks(),
        asked.task,
        asked.budget,
        notes,
        result,
        asked.include_modules,
        asked.host,
    )
