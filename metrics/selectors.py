"""Read stored rankings for pages: a fixed number of queries whatever the number of cards."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, FilteredRelation, Q, QuerySet, When

from catalog.models import (
    PREVIEW,
    TOKENS_PER_S,
    Category,
    FormFactor,
    Gpu,
    MlModel,
    MlSoftware,
    UseCase,
)
from catalog.presentation import quoted, shows_needs
from catalog.search import card_names, filter_cards
from catalog.specs import SPECS, Spec, system_figure, system_note
from metrics.card_index import SYSTEMS, IndexQuery
from metrics.filters import RankingFilters
from metrics.history import Trend, trends
from metrics.models import CardPrice, PageGeneration, Scope, UseCaseScore
from shopagent.cache import GENERATION_ROW

TOP_N = 5
MAX_COMPARE = 8
# Catalog text and lists no ranking page shows: decoding six JSON fields per card was a third of
# the all-cards page's time.
UNSHOWN_GPU_FIELDS = (
    "supported_precisions",
    "summary",
    "spec_notes",
    "reference_urls",
    "source",
    "part_numbers",
    "search_query",
    "aliases",
    "ebay_category_ids",
    "admin_edited_fields",
)


@dataclass(frozen=True)
class CardRef:
    """The card as every ranking row shows it: a link by slug and label, and the ML software
    badge. A UseCaseScore's .gpu is read the same way."""

    slug: str
    label: str
    ml_software: str = ""
    ml_software_note: str = ""
    form_factor: str = "pcie"
    cooling: str = ""
    devices: int = 1

    @property
    def has_needs(self) -> bool:
        """Whether the card-needs badges show anything (catalog.presentation.shows_needs)."""
        return shows_needs(self.form_factor, self.cooling, self.devices)


# The Gpu columns a CardRef holds, in its fields' order.
CARD_REF_COLUMNS = (
    "slug",
    "label",
    "ml_software",
    "ml_software_note",
    "form_factor",
    "cooling",
    "devices",
)


@dataclass(frozen=True)
class RankedCard:
    """A card on a cost-per-spec page: what its row shows, with its headline price's 30-day
    trend."""

    gpu: CardRef
    spec_value: float | None
    headline_price: Decimal | None
    listing_count: int | None
    per_unit: float | None
    trend: Trend | None = None


@dataclass(frozen=True)
class SpecRanking:
    """Cards with a $/unit figure, cheapest per unit first, then the cards without data."""

    spec: Spec
    ranked: list[RankedCard]
    no_data: list[RankedCard]
    system_note: str = ""  # what whole computers' figure is here, or why they are absent


@dataclass(frozen=True)
class ModelTable:
    """One MLPerf model's cards: ranked by tokens/s per dollar when `by_tokens` (an LLM use
    case), else by samples/s per dollar; `no_data` have no price, `no_tokens` no tokens/s."""

    model: MlModel
    ranked: list[UseCaseScore]
    no_data: list[UseCaseScore]
    by_tokens: bool = False
    no_tokens: list[UseCaseScore] = field(default_factory=list)

    @property
    def has_tokens(self) -> bool:
        return self.by_tokens or any(score.tokens_per_s for score in self.ranked)


@dataclass(frozen=True)
class TopList:
    title: str
    spec: Spec | None = None
    use_case: UseCase | None = None
    model_name: str = ""
    rows: list = field(default_factory=list)
    # Cards with a result for the list's model but no current listing: why a list is short.
    unpriced: int = 0
    # The home finder's answer for the use case, where MLPerf covers only data-centre cards.
    finder_href: str = ""


PRICE_FIELDS = ("headline_price", "lowest_price", "listing_count")


def with_prices(
    queryset: QuerySet, scopes: dict[str, str], fields: dict[str, tuple[str, ...]] | None = None
) -> QuerySet:
    """Annotate each card with the stored price row of each scope under a prefix ("all_"): its
    PRICE_FIELDS, or those `fields` names for that prefix (a page that shows fewer)."""
    for prefix, scope in scopes.items():
        relation = f"{prefix}price_row"
        shown = (fields or {}).get(prefix, PRICE_FIELDS)
        queryset = queryset.annotate(
            **{relation: FilteredRelation("card_prices", condition=Q(card_prices__scope=scope))},
            **{f"{prefix}{name}": F(f"{relation}__{name}") for name in shown},
        )
    return queryset


def _apply_filters(cards: QuerySet, filters: RankingFilters, *, gpu: str = "") -> QuerySet:
    """Category, memory, software and budget (on the annotated headline_price) filters.

    `gpu` is the path from the queryset's rows to their card ("gpu__" for per-card scores).
    """
    if filters.category:
        cards = cards.filter(**{f"{gpu}category": filters.category})
    if filters.min_memory is not None:
        # A whole computer's GPU may use only part of its memory: that part is what fits models.
        system = Q(**{f"{gpu}form_factor": FormFactor.SYSTEM})
        cards = cards.filter(
            (~system & Q(**{f"{gpu}memory_gb__gte": filters.min_memory}))
            | (system & Q(**{f"{gpu}gpu_memory_gb__gte": filters.min_memory}))
        )
    if filters.max_budget is not None:
        cards = cards.filter(headline_price__lte=filters.max_budget)
    if filters.software:
        cards = cards.filter(**{f"{gpu}ml_software": filters.software})
    return cards


def spec_ranking(*, spec: Spec, filters: RankingFilters) -> SpecRanking:
    """Cards by dollars per unit of one spec in the filters' condition scope, each with its
    headline price's trend (two queries). Whole computers only where the spec compares with a
    card's, by their own figure (system_figure)."""
    cards = _apply_filters(with_prices(Gpu.objects.all(), {"": filters.scope}), filters)
    figure = system_figure(spec)
    if figure is None:
        cards = cards.exclude(form_factor=FormFactor.SYSTEM)
    else:
        system = Q(form_factor=FormFactor.SYSTEM)
        cards = cards.annotate(
            system_value=Case(When(system, then=F(figure)), default=F(spec.field))
        )
    rows = (
        cards.annotate(per_unit=F(f"price_row__{spec.column}"))
        .order_by(F("per_unit").asc(nulls_last=True), "label")
        .values(
            *CARD_REF_COLUMNS,
            "headline_price",
            "listing_count",
            "per_unit",
            spec_value=F(spec.field) if figure is None else F("system_value"),
        )
    )
    trend_of = trends(scope=filters.scope)
    cards = [
        RankedCard(
            gpu=_card_ref(row, prefix=""),
            spec_value=row["spec_value"],
            headline_price=row["headline_price"],
            listing_count=row["listing_count"],
            per_unit=row["per_unit"],
            trend=trend_of.get(row["slug"]),
        )
        for row in rows
    ]
    return SpecRanking(
        spec=spec,
        ranked=[c for c in cards if c.per_unit is not None],
        no_data=[c for c in cards if c.per_unit is None],
        system_note=system_note(spec),
    )


def use_case_tables(*, use_case: UseCase, filters: RankingFilters) -> list[ModelTable]:
    """One table per MLPerf model of the use case, cards by throughput per dollar in the use
    case's metric (two queries)."""
    by_tokens = use_case.ranks_by_tokens
    per_dollar = "tokens_per_dollar" if by_tokens else "samples_per_dollar"
    scores = _apply_filters(
        UseCaseScore.objects.filter(model__use_case=use_case, scope=filters.scope),
        filters,
        gpu="gpu__",
    )
    scores = scores.select_related("gpu").defer(*(f"gpu__{name}" for name in UNSHOWN_GPU_FIELDS))
    scores = scores.order_by(F(per_dollar).desc(nulls_last=True), "gpu__label")
    by_model: dict[int, list[UseCaseScore]] = {}
    for score in scores:
        by_model.setdefault(score.model_id, []).append(score)
    tables = []
    for model in use_case.models.all():
        rows = by_model.get(model.pk, [])
        tables.append(
            ModelTable(
                model=model,
                ranked=[s for s in rows if getattr(s, per_dollar) is not None],
                no_data=[s for s in rows if s.headline_price is None],
                by_tokens=by_tokens,
                no_tokens=[
                    s for s in rows if s.headline_price is not None and s.tokens_per_dollar is None
                ]
                if by_tokens
                else [],
            )
        )
    return tables


@dataclass(frozen=True)
class TopRow:
    """One line of a home page top-5 list: the card and its $/unit or throughput per dollar
    (of a preview run when `preview`)."""

    gpu: CardRef
    value: float
    headline_price: Decimal | None = None
    preview: bool = False


def home_top_lists(*, limit: int = TOP_N) -> tuple[list[TopList], list[TopList]]:
    """Top cards per spec and per headline use case, in any condition (three queries)."""
    return _spec_top_lists(limit=limit), _use_case_top_lists(limit=limit)


def _card_ref(row: dict, prefix: str = "gpu__") -> CardRef:
    """The CardRef of a values() row that names its card's fields under `prefix`."""
    return CardRef(**{name: row[f"{prefix}{name}"] for name in CARD_REF_COLUMNS})


# The fields a CardRef shows, read through a row's `gpu`.
CARD_REF_FIELDS = tuple(f"gpu__{name}" for name in CARD_REF_COLUMNS)


def _spec_top_lists(*, limit: int) -> list[TopList]:
    """The cheapest cards per unit of each ranked spec (one query)."""
    # Sorted here per spec: no order from the database, so no join for CardPrice's ordering.
    prices = list(
        CardPrice.objects.filter(scope=Scope.ALL)
        .order_by()
        .values(*CARD_REF_FIELDS, *(spec.column for spec in SPECS))
    )
    lists = []
    for spec in SPECS:
        priced = [row for row in prices if row[spec.column] is not None]
        priced.sort(key=lambda row: (row[spec.column], row["gpu__label"], row["gpu__slug"]))
        rows = [TopRow(gpu=_card_ref(row), value=row[spec.column]) for row in priced[:limit]]
        lists.append(TopList(title=spec.unit, spec=spec, rows=rows))
    return lists


def _use_case_top_lists(*, limit: int) -> list[TopList]:
    """The most throughput per dollar for each headline use case, each in its own metric
    (tokens/s per dollar for LLMs, else samples/s), on the model with the most priced cards
    (two queries)."""
    use_cases = list(UseCase.objects.filter(is_headline=True))
    by_tokens = Q(model__use_case__metric=TOKENS_PER_S)
    scores = (
        UseCaseScore.objects.filter(model__use_case__in=use_cases, scope=Scope.ALL)
        .annotate(
            per_dollar=Case(
                When(by_tokens, then=F("tokens_per_dollar")), default=F("samples_per_dollar")
            )
        )
        .order_by(F("per_dollar").desc(nulls_last=True), "gpu__label")
        .values(
            "model__use_case_id",
            "model_id",
            "model__name",
            "per_dollar",
            "headline_price",
            "availability",
            *CARD_REF_FIELDS,
        )
    )
    by_use_case: dict[int, dict[int, list[TopRow]]] = {}
    model_names: dict[int, str] = {}
    unpriced: dict[int, dict[int, int]] = {}  # use case -> model -> results without a price
    for score in scores:
        model_names[score["model_id"]] = score["model__name"]
        if score["per_dollar"] is None:
            if score["headline_price"] is None:
                counts = unpriced.setdefault(score["model__use_case_id"], {})
                counts[score["model_id"]] = counts.get(score["model_id"], 0) + 1
            continue
        models = by_use_case.setdefault(score["model__use_case_id"], {})
        models.setdefault(score["model_id"], []).append(
            TopRow(
                gpu=_card_ref(score),
                value=score["per_dollar"],
                headline_price=score["headline_price"],
                preview=score["availability"] == PREVIEW,
            )
        )
    lists = []
    for use_case in use_cases:
        models = by_use_case.get(use_case.pk, {})
        waiting = unpriced.get(use_case.pk, {})
        # The model with the most priced cards gives the broadest comparison; with none priced,
        # the one with the most results waiting for a listing.
        model = max(models, key=lambda m: (len(models[m]), model_names[m]), default=None)
        if model is None:
            model = max(waiting, key=lambda m: (waiting[m], model_names[m]), default=None)
        lists.append(
            TopList(
                title=use_case.task,
                use_case=use_case,
                model_name=model_names.get(model, ""),
                rows=models.get(model, [])[:limit],
                unpriced=waiting.get(model, 0),
            )
        )
    return lists


@dataclass(frozen=True)
class IndexCard:
    """One row of the all-cards table: what it shows of a card and its prices."""

    gpu: CardRef
    manufacturer: str
    category_label: str
    ml_software_label: str
    memory_gb: float | None
    fp16_tflops: float | None
    tdp_w: int | None
    headline_price: Decimal | None
    new_headline_price: Decimal | None
    used_headline_price: Decimal | None
    all_listing_count: int | None
    all_lowest_price: Decimal | None  # "from": the cheapest fixed-price listing without a flag
    per_fp16: float | None
    per_gb: float | None  # a whole computer's per GB its GPU may use
    gpu_memory_gb: float | None = None  # a whole computer's GPU share


# The figures of an IndexCard that are the card's values as they are.
INDEX_FIGURES = (
    "memory_gb",
    "fp16_tflops",
    "tdp_w",
    "headline_price",
    "new_headline_price",
    "used_headline_price",
    "all_listing_count",
    "all_lowest_price",
    "per_fp16",
    "per_gb",
)


def card_index(*, filters: RankingFilters, index: IndexQuery | None = None) -> list[IndexCard]:
    """Every card with its headline prices and $/spec, in the chosen order (one query; two when
    searching, whatever the number of cards)."""
    index = index or IndexQuery()
    scopes = {"": filters.scope, "all_": Scope.ALL, "new_": Scope.NEW, "used_": Scope.USED}
    shown = {"": ("headline_price",), "all_": ("lowest_price", "listing_count")}
    shown |= {"new_": ("headline_price",), "used_": ("headline_price",)}
    cards = _apply_filters(with_prices(Gpu.objects.all(), scopes, shown), filters)
    if index.vendor:
        cards = cards.filter(manufacturer=index.vendor)
    if index.kind:
        system = Q(form_factor=FormFactor.SYSTEM)
        cards = cards.filter(system if index.kind == SYSTEMS else ~system)
    if index.q:
        found, _ = filter_cards(card_names(typed=index.q), index.q)
        cards = cards.filter(slug__in=[card.slug for card in found])
    cards = cards.annotate(
        per_fp16=F("price_row__dollars_per_fp16_tflops"),
        per_gb=F("price_row__dollars_per_memory_gb"),
    )
    order = F(index.column.order_by)
    order = order.desc(nulls_last=True) if index.descending else order.asc(nulls_last=True)
    rows = cards.order_by(order, "label").values(
        *CARD_REF_COLUMNS, "manufacturer", "category", "gpu_memory_gb", *INDEX_FIGURES
    )
    categories, software = dict(Category.choices), dict(MlSoftware.choices)
    return [
        IndexCard(
            gpu=_card_ref(row, prefix=""),
            manufacturer=row["manufacturer"],
            category_label=categories.get(row["category"], row["category"]),
            ml_software_label=software.get(row["ml_software"], ""),
            **{name: row[name] for name in INDEX_FIGURES},
            gpu_memory_gb=row["gpu_memory_gb"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Comparison:
    cards: list[Gpu]
    notes: list[str]
    scores: list[UseCaseScore] = field(default_factory=list)


def compare_cards(*, slugs: list[str]) -> Comparison:
    """The chosen cards in the order given, with prices, $/spec and MLPerf scores in any condition
    (two queries)."""
    wanted, notes = [], []
    for slug in slugs:
        if slug and slug not in wanted:
            wanted.append(slug)
    if len(wanted) > MAX_COMPARE:
        notes.append(
            f"Compared the first {MAX_COMPARE} cards; ignored {len(wanted) - MAX_COMPARE}."
        )
        wanted = wanted[:MAX_COMPARE]
    scopes = {"all_": Scope.ALL, "new_": Scope.NEW, "used_": Scope.USED}
    cards = (
        with_prices(Gpu.objects.filter(slug__in=wanted), scopes)
        .annotate(**{f"per_{s.field}": F(f"all_price_row__{s.column}") for s in SPECS})
        .defer(*UNSHOWN_GPU_FIELDS)
    )
    found = {card.slug: card for card in cards}
    for slug in wanted:
        if slug not in found:
            notes.append(f"Ignored card {quoted(slug)}: no such card")
    chosen = [found[s] for s in wanted if s in found]
    scores = []
    if len(chosen) > 1:
        scores = list(
            UseCaseScore.objects.filter(gpu__in=chosen, scope=Scope.ALL).select_related("model")
        )
    return Comparison(cards=chosen, notes=notes, scores=scores)


@dataclass(frozen=True)
class ChoiceGroup:
    """One vendor's cards in the compare picker: (slug, name without the vendor) pairs, so a
    phone-width select shows the part of a name that tells two cards apart."""

    vendor: str
    cards: list[tuple[str, str]]


def card_choices() -> list[ChoiceGroup]:
    """Every card by vendor, for the compare picker (one query)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = Gpu.objects.order_by("manufacturer", "label").values_list(
        "manufacturer", "slug", "label"
    )
    for vendor, slug, label in rows:
        name = label.removeprefix(f"{vendor} ") if vendor else label
        groups.setdefault(vendor or "Other", []).append((slug, name))
    return [ChoiceGroup(vendor=vendor, cards=cards) for vendor, cards in groups.items()]


def pair_cards(*, candidates: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The first reading of a compare address whose two slugs are both cards (one query)."""
    slugs = {slug for pair in candidates for slug in pair}
    if not slugs:
        return None
    known = set(Gpu.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for first, second in candidates:
        if first in known and second in known and first != second:
            return first, second
    return None


def compare_sitemap_slugs() -> tuple[list[str], set[str]]:
    """Priced cards cheapest first, and every card's slug (two queries)."""
    priced = list(
        CardPrice.objects.filter(scope=Scope.ALL, headline_price__isnull=False)
        .order_by("headline_price", "gpu__slug")
        .values_list("gpu__slug", flat=True)
    )
    return priced, set(Gpu.objects.values_list("slug", flat=True))


def ranked_spec_slugs() -> set[str]:
    """Slugs of the specs whose ranking has at least one priced card (one query)."""
    counts = CardPrice.objects.filter(scope=Scope.ALL).aggregate(
        **{spec.slug: Count(spec.column) for spec in SPECS}
    )
    return {slug for slug, n in counts.items() if n}


def data_as_of() -> datetime | None:
    """When the stored data last changed (the latest refresh, import, recompute or catalog edit
    that altered it): what a data document is current as of (one primary-key read)."""
    return (
        PageGeneration.objects.filter(pk=GENERATION_ROW)
        .values_list("changed_at", flat=True)
        .first()
    )
