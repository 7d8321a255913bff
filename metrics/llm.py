"""Local LLMs per dollar: which cards run a model, at what price, within a budget.

catalog.llm says what a card can run; this module adds prices (the headline price in any
condition, as every ranking uses) and ranks setups by tokens/s per $1,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.http import QueryDict
from django.utils.safestring import SafeString

from catalog import llm
from catalog.llm_catalogue import CARD_SPEC_COLUMNS, card_spec, card_spec_of
from catalog.models import DESKTOP_FORM_FACTORS, SERVER_MODULES, Gpu, MlSoftware
from catalog.presentation import money, shows_needs, sig, typed_number
from metrics.models import CardPrice, Scope
from metrics.ownership import DEFAULT_KWH_USD, LlmEnergy, llm_energy, parse_kwh
from metrics.rows import run_cells

MAX_BUDGET_USD = 10_000_000
# A stated host-PC cost, added to every card setup (a whole computer needs none).
MAX_HOST_USD = 100_000
DEFAULT_MODEL, DEFAULT_QUANT = llm.REFERENCE_MODEL, llm.REFERENCE_QUANT
# The `include` value that adds server modules (SXM, OAM, superchip) to the recommendations.
INCLUDE_MODULES = "modules"
# ML software a buyer can act on: anything but unsupported (and unknown).
WORKING_SOFTWARE = (MlSoftware.FIRST_CLASS, MlSoftware.SUPPORTED, MlSoftware.LIMITED)
# The Gpu columns CardNeeds reads (besides the slug).
NEEDS_COLUMNS = (
    "form_factor",
    "cooling",
    "power_connectors",
    "devices",
    "ml_software",
    "ml_software_note",
    "supported_precisions",
    "tdp_w",
)


@dataclass(frozen=True)
class CardNeeds:
    """What a buyer must know before acting on a card: how it fits a machine, how it is cooled,
    how it is powered, its GPUs and whether its ML software works."""

    form_factor: str = "pcie"
    cooling: str = ""
    power_connectors: str = ""
    devices: int = 1
    ml_software: str = ""
    ml_software_note: str = ""
    supported_precisions: tuple[str, ...] = ()
    tdp_w: int | None = None  # rated board power

    @property
    def has_needs(self) -> bool:
        """Whether the card-needs badges show anything (catalog.presentation.shows_needs)."""
        return shows_needs(self.form_factor, self.cooling, self.devices)

    @property
    def server_module(self) -> bool:
        return self.form_factor in SERVER_MODULES

    @property
    def desktop(self) -> bool:
        return self.form_factor in DESKTOP_FORM_FACTORS

    @property
    def software_works(self) -> bool:
        return self.ml_software in WORKING_SOFTWARE

    @property
    def bf16(self) -> bool:
        return "BF16" in self.supported_precisions

    def recommendable(self, *, include_modules: bool) -> bool:
        """A card the finder may answer with: a desktop card (or, when asked, a server module)
        whose ML software works. Laptop GPUs and MXM modules never."""
        fits = self.desktop or (include_modules and self.server_module)
        return fits and self.software_works


@dataclass(frozen=True)
class LlmRow:
    """One card (or several of it) for one model: what the table row and the API show."""

    run: llm.CardRun
    price: Decimal | None  # one card's (or whole computer's) headline price
    listing_count: int | None
    needs: CardNeeds = field(default_factory=CardNeeds)
    host_usd: Decimal | None = None  # the stated host-PC cost a card setup adds
    from_price: Decimal | None = None  # the cheapest fixed-price listing without a flag
    kwh_usd: Decimal = DEFAULT_KWH_USD  # what electricity costs, for the energy figures

    @cached_property
    def energy(self) -> LlmEnergy | None:
        """Tokens per joule and electricity per million tokens at every card's board power."""
        if self.run.cards_needed is None or not self.needs.tdp_w:
            return None
        power = self.needs.tdp_w * self.run.cards_needed
        return llm_energy(
            tokens_per_s=self.run.decode_tokens_per_s, power_w=power, kwh_usd=self.kwh_usd
        )

    @property
    def machine(self) -> bool:
        """A whole computer: its price needs no host PC."""
        return self.run.card.system

    @property
    def host_price(self) -> Decimal | None:
        """The host-PC cost this setup adds: the stated one for cards, none for a computer."""
        return None if self.machine or not self.host_usd else self.host_usd

    @cached_property
    def cards_price(self) -> Decimal | None:
        if self.price is None or self.run.cards_needed is None:
            return None
        return self.price * self.run.cards_needed

    @cached_property
    def setup_price(self) -> Decimal | None:
        """What the setup costs: its cards and the stated host PC, or the whole computer."""
        if self.cards_price is None:
            return None
        return self.cards_price + (self.host_price or 0)

    @cached_property
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
    other_software: list[LlmRow] = field(default_factory=list)  # llama.cpp does not run them
    hidden_modules: int = 0  # server modules left out unless asked for
    hidden_unsupported: int = 0  # cards whose ML software does not work, never recommended
    include_modules: bool = False
    kwh_usd: Decimal = DEFAULT_KWH_USD
    host_usd: Decimal | None = None  # the stated host-PC cost added to card setups

    @property
    def too_small_machines(self) -> int:
        """Whole computers whose GPU may not use enough memory: never split over several."""
        return sum(1 for row in self.too_small if row.run.card.system)

    @property
    def too_small_cards(self) -> int:
        return len(self.too_small) - self.too_small_machines


@dataclass(frozen=True)
class LlmQuery:
    """What the picker asked for, after lenient parsing."""

    model: str = DEFAULT_MODEL
    quant: str = DEFAULT_QUANT
    context: int = llm.DEFAULT_CONTEXT
    budget: Decimal | None = None
    include_modules: bool = False
    kwh_usd: Decimal = DEFAULT_KWH_USD
    host: Decimal | None = None
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


def parse_host(raw: str) -> tuple[Decimal | None, str | None]:
    """The host-PC cost added to card setups: dollars from 0 (none) up to MAX_HOST_USD."""
    number = typed_number(raw.strip().removeprefix("$"))
    if number is None:
        return None, f"Ignored host={shown_value(raw)}: not a number"
    value = Decimal(number)
    if value < 0:
        return None, f"Ignored host={shown_value(raw)}: must be a number of dollars, 0 or more"
    if value > MAX_HOST_USD:
        return None, f"Ignored host={shown_value(raw)}: larger than {MAX_HOST_USD:,}"
    return (value.quantize(Decimal("0.01")) if value else None), None


def parsed_param(query: QueryDict, name: str, parse, notes: list[str]):
    """One parameter read by `parse` (value, note); a note joins `notes`, the value is None."""
    raw = single_param(query, name, notes)
    if raw is None:
        return None
    value, note = parse(raw)
    if note:
        notes.append(note)
    return value


def parse_context(raw: str) -> tuple[int | None, str | None]:
    number = typed_number(raw)
    if number is None or "." in number:
        return None, f"Ignored context={shown_value(raw)}: not a whole number of tokens"
    value = Decimal(number)  # no digit limit, unlike int(): thousands of digits are only large
    if not llm.MIN_CONTEXT <= value <= llm.MAX_CONTEXT:
        span = f"{llm.MIN_CONTEXT:,} to {llm.MAX_CONTEXT:,}"
        return None, f"Ignored context={shown_value(raw)}: choose {span} tokens"
    return int(value), None


# The query parameters the LLM picker reads.
PARAMS = ("model", "quant", "context", "budget", "include", "host", "kwh_usd")


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
    for name, parse in (
        ("context", parse_context),
        ("budget", parse_budget),
        ("host", parse_host),
        ("kwh_usd", parse_kwh),
    ):
        value = parsed_param(query, name, parse, notes)
        if value is not None:
            values[name] = value
    values["include_modules"] = parse_include(query, notes)
    return LlmQuery(**values, notes=tuple(notes))


def parse_include(query: QueryDict, notes: list[str]) -> bool:
    """`include=modules` adds server modules; any other value is ignored with a note."""
    raw = single_param(query, "include", notes)
    if raw is None:
        return False
    if raw == INCLUDE_MODULES:
        return True
    notes.append(
        f"Ignored include={shown_value(raw)}: the only choice is include={INCLUDE_MODULES}"
    )
    return False


@dataclass(frozen=True)
class PricedCards:
    """Every card's LLM-relevant specs and its headline price in any condition."""

    cards: list[llm.CardSpec]  # by label
    # slug -> (headline price, listing count, "from" price): CardPrice in any condition
    prices: dict[str, tuple[Decimal | None, int, Decimal | None]]
    needs: dict[str, CardNeeds] = field(default_factory=dict)  # slug -> what the card needs
    by_id: dict[int, llm.CardSpec] = field(default_factory=dict)  # Gpu id -> its figures

    def rows(
        self,
        catalogue: llm.LlmCatalogue,
        model: llm.ModelSpec,
        quant: llm.QuantSpec,
        context: int,
        host_usd: Decimal | None = None,
        kwh_usd: Decimal = DEFAULT_KWH_USD,
        *,
        recommendable_with_modules: bool | None = None,
    ) -> list[LlmRow]:
        """Each card running the model, with its price (card setups with the stated host PC) and
        what electricity costs; only the cards a buyer can act on (CardNeeds.recommendable)
        when `recommendable_with_modules` says whether server modules count."""
        rows = []
        work = llm.workload(model, quant.bits_per_weight, context)
        for card in self.cards:
            needs = self.needs.get(card.slug, CardNeeds())
            if recommendable_with_modules is not None and not needs.recommendable(
                include_modules=recommendable_with_modules
            ):
                continue
            run = catalogue.run(model=model, quant=quant, context=context, card=card, work=work)
            price, count, lowest = self.prices.get(card.slug, (None, None, None))
            rows.append(
                LlmRow(
                    run=run,
                    price=price,
                    listing_count=count,
                    needs=needs,
                    host_usd=host_usd,
                    from_price=lowest,
                    kwh_usd=kwh_usd,
                )
            )
        return rows


def load_priced_cards(
    *, prices: dict[str, tuple[Decimal, int, Decimal | None]] | None = None
) -> PricedCards:
    """The cards, what they need and their prices: today's headline prices in any condition, or
    the `prices` given by slug (price, listing count, "from" price), such as a past month's (two
    queries, or one with `prices`)."""
    # By label, and by slug where two cards share one, so every database lists them alike.
    gpus = Gpu.objects.order_by("label", "slug").values("pk", *CARD_SPEC_COLUMNS, *NEEDS_COLUMNS)
    gpus = list(gpus)
    by_id = {gpu["pk"]: card_spec_of(gpu) for gpu in gpus}
    needs = {gpu["slug"]: card_needs(gpu) for gpu in gpus}
    if prices is None:
        slugs = {gpu["pk"]: gpu["slug"] for gpu in gpus}
        prices = {
            slugs[gpu_id]: (price, count, lowest)
            for gpu_id, price, count, lowest in CardPrice.objects.filter(scope=Scope.ALL)
            .order_by()  # into a dict: no order, and no join for CardPrice's ordering by card
            .values_list("gpu_id", "headline_price", "listing_count", "lowest_price")
        }
    return PricedCards(list(by_id.values()), prices, needs, by_id)


def card_needs(row: dict) -> CardNeeds:
    """A card's needs as the finder and the badges read them, from its NEEDS_COLUMNS by name (a
    `values()` row)."""
    values = {name: row[name] for name in NEEDS_COLUMNS}
    values["supported_precisions"] = tuple(values["supported_precisions"] or ())
    return CardNeeds(**values)


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
    include_modules: bool = False,
    host_usd: Decimal | None = None,
    kwh_usd: Decimal = DEFAULT_KWH_USD,
) -> LlmTable:
    """Every card a buyer can act on for one model: one-card fits (whole computers among them),
    multi-card setups, unpriced, too small and cards llama.cpp does not run; server modules only
    when asked for, cards whose ML software does not work never (both counted). `host_usd` is
    added to every card setup's price, never to a whole computer's."""
    rows = priced.rows(
        catalogue,
        model,
        quant,
        context,
        host_usd,
        kwh_usd,
        recommendable_with_modules=include_modules,
    )
    every = [priced.needs.get(card.slug, CardNeeds()) for card in priced.cards]
    runnable = [
        r for r in rows if r.run.cards_needed is not None and r.run.decode_tokens_per_s is not None
    ]
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
        too_small=[r for r in rows if r.run.cards_needed is None and r.run.card.runs_llama_cpp],
        over_budget=len(with_price) - len(within),
        cheapest=cheapest,
        other_software=[r for r in rows if not r.run.card.runs_llama_cpp],
        hidden_modules=0
        if include_modules
        else sum(1 for needs in every if needs.server_module and needs.software_works),
        hidden_unsupported=sum(1 for needs in every if needs.desktop and not needs.software_works),
        include_modules=include_modules,
        host_usd=host_usd,
        kwh_usd=kwh_usd,
    )


def shown_rows(rows: list[LlmRow]) -> list[dict]:
    """The rows of an LLM table as shown (`shown_row`), each with its rank as text."""
    return [shown_row(row, rank=str(rank)) for rank, row in enumerate(rows, 1)]


def shown_row(row: LlmRow, rank: str = "") -> dict:
    """What a row of the LLM tables shows, by name: its figures formatted as every page formats
    them (catalog.presentation), so a table of 150 cards renders without a filter per cell. The
    figures (digits, separators, "$", a dash) and the basis (our own words) have nothing to
    escape: SafeString spares a table some 1,300 escapes, as Django's floatformat marks its
    numbers safe."""
    run, energy = row.run, row.energy
    safe = SafeString  # our own figures and words: nothing to escape
    needs = row.needs
    # A one-card row shows prompt speed, a multi-card setup its whole price: each formats its own.
    single = run.cards_needed == 1
    return {
        **run_cells(run, energy),
        "rank": rank,
        "card": run.card,
        "ml_software": needs.ml_software,
        "ml_software_note": needs.ml_software_note,
        "has_needs": needs.has_needs,
        "form_factor": needs.form_factor,
        "cooling": needs.cooling,
        "devices": needs.devices,
        "machine": row.machine,
        # Counts as text: an int in a template is localised per row.
        "cards_needed": str(run.cards_needed),
        "memory": safe(sig(run.card.memory_gb, 3)),
        "total_memory": safe(sig(run.card.total_memory_gb, 3)) if row.machine else None,
        "per_1000_usd": safe(sig(row.tokens_per_s_per_1000_usd, 3)),
        "decode": safe(sig(run.decode_tokens_per_s, 3)),
        "prefill": None
        if run.prefill_tokens_per_s is None or not single
        else safe(sig(run.prefill_tokens_per_s, 3)),
        "price": safe(money(row.price)),
        "host_price": safe(money(row.host_price)) if row.host_price else "",
        "setup_price": None if single else safe(money(row.setup_price)),
    }


def api_rows(rows: list[LlmRow]) -> list[dict]:
    """The data API's card list: every card at the context asked for, with its basis and
    expected error; decode speed, its price and tokens/s per $1,000 for one card or a multi-card
    setup (of `cards_needed` cards, priced whole), as the pages show them; prompt speed only for
    one card, as the pages show it."""
    out = []
    for row in rows:
        run = row.run
        single = run.cards_needed == 1
        out.append(
            {
                "slug": run.card.slug,
                "fits": bool(run.fits),
                "cards_needed": run.cards_needed,
                "devices_used": run.devices_used,
                "decode_tokens_per_s": _round(run.decode_tokens_per_s),
                "prefill_tokens_per_s": _round(run.prefill_tokens_per_s) if single else None,
                "basis": run.basis,
                "expected_error_pct": _round(run.expected_error_pct),
                "backend": run.card.backend or None,
                "runs_with": run.card.runs_with or None,
                "context": run.context,
                "source_url": run.measurement.source_url if run.measurement else None,
                "measured_context": run.measurement.context if run.measurement else None,
                "form_factor": row.needs.form_factor,
                "whole_machine": row.machine,
                "memory_gb": run.card.total_memory_gb or run.card.memory_gb,
                "gpu_memory_gb": run.card.memory_gb,
                "price_usd": float(row.price) if row.price is not None else None,
                "setup_price_usd": _money(row.setup_price),
                "listing_count": row.listing_count or 0,
                "from_usd": float(row.from_price) if row.from_price is not None else None,
                "tokens_per_s_per_1000_usd": _round(row.tokens_per_s_per_1000_usd),
            }
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


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
