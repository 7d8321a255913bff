"""Rankings: a vectorized numpy core on plain arrays, and one adapter from querysets and back.

The core never sees the ORM and the adapter never loops over listings: listings become arrays with
`values_list`, every per-listing and per-card figure is an array operation, and only per-card rows
are written back. NaN means "no data" inside the core; the adapter stores it as NULL or no row.
"""

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.db.models import BooleanField, Case, FloatField, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from catalog.models import PREVIEW, TOKENS_PER_S, BenchmarkResult, FormFactor, Gpu, MlModel
from catalog.specs import SPECS, dollars_per_unit, ranked_field
from listings.models import BID_ONLY, UNFLAGGED, Listing
from metrics.models import CardPrice, Scope, UseCaseScore
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)

# The headline price (going rate) is the median of the HEADLINE_K cheapest unit prices: the cheapest
# listings are what a buyer pays, and the median of several is not moved by one mispriced or scam
# listing. One seller's several listings of a card count once (one_per_seller), so a batch cannot
# fill the cheapest five on its own.
HEADLINE_K = 5

USED_KINDS = ("used", "refurbished")


@dataclass(frozen=True)
class CardPriceArrays:
    """Per card (aligned with the card index): listing count, headline and lowest unit price."""

    count: np.ndarray
    headline: np.ndarray
    lowest: np.ndarray


def card_prices(
    *, card_index: np.ndarray, prices: np.ndarray, n_cards: int, k: int = HEADLINE_K
) -> CardPriceArrays:
    """Per card: listing count, lowest price and median of its k cheapest prices (NaN if none)."""
    card_index = np.asarray(card_index, dtype=np.int64)
    prices = np.asarray(prices, dtype=np.float64)
    count = np.bincount(card_index, minlength=n_cards)[:n_cards]
    headline = np.full(n_cards, np.nan)
    lowest = np.full(n_cards, np.nan)
    if prices.size:
        sorted_prices = prices[np.lexsort((prices, card_index))]
        start = np.concatenate(([0], np.cumsum(count)[:-1]))
        has = count > 0
        kept = np.minimum(count, k)[has]
        first = start[has]
        headline[has] = (
            sorted_prices[first + (kept - 1) // 2] + sorted_prices[first + kept // 2]
        ) / 2
        lowest[has] = sorted_prices[first]
    return CardPriceArrays(count=count, headline=headline, lowest=lowest)


def one_per_seller(
    *, group: np.ndarray, seller: np.ndarray, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(group, price) pairs with each seller's listings in a group (a card, or a card on one day)
    made one, at their median price: a seller's batch is one offer, not many. A seller of -1
    (unknown) leaves its listings as they are."""
    group = np.asarray(group, dtype=np.int64)
    seller = np.asarray(seller, dtype=np.int64)
    prices = np.asarray(prices, dtype=np.float64)
    known = seller >= 0
    if not known.any():
        return group, prices
    order = np.lexsort((prices[known], seller[known], group[known]))
    g, s, p = group[known][order], seller[known][order], prices[known][order]
    starts = np.flatnonzero(np.concatenate(([True], (g[1:] != g[:-1]) | (s[1:] != s[:-1]))))
    sizes = np.diff(np.append(starts, g.size))
    medians = (p[starts + (sizes - 1) // 2] + p[starts + sizes // 2]) / 2
    return np.concatenate((group[~known], g[starts])), np.concatenate((prices[~known], medians))


@dataclass(frozen=True)
class GoingRateArrays:
    """Per card (aligned with the card index) in one condition scope: listings shown, listings
    the going rate is made of, the going rate (headline) and the cheapest of those ("from")."""

    listed: np.ndarray
    priced: np.ndarray
    headline: np.ndarray
    lowest: np.ndarray


def going_rates(
    *,
    card_index: np.ndarray,
    prices: np.ndarray,
    seller: np.ndarray,
    priced: np.ndarray,
    n_cards: int,
) -> GoingRateArrays:
    """The going-rate rule: of a card's listings, the `priced` ones (fixed price, unflagged)
    count, one seller's several listings once at their median, and the headline is the median
    of the HEADLINE_K cheapest of those; "from" is the cheapest priced listing."""
    card_index = np.asarray(card_index, dtype=np.int64)
    priced = np.asarray(priced, dtype=bool)
    prices = np.asarray(prices, dtype=np.float64)
    listed = np.bincount(card_index, minlength=n_cards)[:n_cards]
    raw = card_prices(card_index=card_index[priced], prices=prices[priced], n_cards=n_cards)
    group, points = one_per_seller(
        group=card_index[priced], seller=np.asarray(seller)[priced], prices=prices[priced]
    )
    rate = card_prices(card_index=group, prices=points, n_cards=n_cards)
    return GoingRateArrays(
        listed=listed, priced=raw.count, headline=rate.headline, lowest=raw.lowest
    )


def seller_positions(keys) -> np.ndarray:
    """Each listing's seller as a position among the keys, -1 where the key is blank."""
    keys = np.asarray(keys, dtype=str)
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    return np.where(keys == "", -1, inverse).astype(np.int64)


def per_dollar(*, throughput: np.ndarray, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Throughput per dollar and dollars per unit of throughput, NaN where either is unknown."""
    throughput = np.asarray(throughput, dtype=np.float64)
    prices = np.asarray(prices, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = (throughput > 0) & (prices > 0)
        per = np.where(valid, throughput / prices, np.nan)
        cost = np.where(valid, prices / throughput, np.nan)
    return per, cost


def best_valid(
    *,
    card_index: np.ndarray,
    model_index: np.ndarray,
    round_key: np.ndarray,
    throughput: np.ndarray,
    preview: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of one result per (card, model): a run with a throughput figure (not NaN) before
    one without, a shipping run before a preview one, then the highest throughput, the newer
    round on a tie.

    Every stored result is a valid closed-division run; an older round's optimised run is what a
    buyer can reproduce, so it beats a newer round's slower (e.g. reference-code) run. A preview
    run is of hardware not yet shipping, so it stands in only for a card with no shipping run.
    """
    card_index = np.asarray(card_index)
    model_index = np.asarray(model_index)
    if card_index.size == 0:
        return np.zeros(0, dtype=np.int64)
    if preview is None:
        preview = np.zeros(card_index.size, dtype=bool)
    throughput = np.asarray(throughput, dtype=np.float64)
    order = np.lexsort(
        (
            -np.asarray(round_key),
            -throughput,
            np.asarray(preview, dtype=bool),
            ~np.isfinite(throughput),  # a run without the metric's figure only when no other
            model_index,
            card_index,
        )
    )
    cards, models = card_index[order], model_index[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (cards[1:] != cards[:-1]) | (models[1:] != models[:-1])
    return order[first]


def looser_targets(mlperf_ids: dict[int, str]) -> dict[int, int]:
    """Model id of each 99.9%-accuracy benchmark -> its 99% twin: a 99.9 run also meets 99."""
    by_id = {mlperf_id: pk for pk, mlperf_id in mlperf_ids.items()}
    return {
        pk: by_id[mlperf_id.removesuffix(".9")]
        for pk, mlperf_id in mlperf_ids.items()
        if mlperf_id.endswith("-99.9") and mlperf_id.removesuffix(".9") in by_id
    }


_ROUND_VERSION = re.compile(r"v?(\d+)\.(\d+)", re.IGNORECASE)


def round_key(label: str) -> float:
    """Sortable number for a round label ("MLPerf Inference v4.1" -> 4001); -1 if unknown."""
    match = _ROUND_VERSION.search(label or "")
    if not match:
        return -1.0
    return int(match.group(1)) * 1000.0 + int(match.group(2))


# --- adapter: querysets in, stored rows out ------------------------------------------------------


@dataclass(frozen=True)
class RecomputeReport:
    cards: int
    listings: int
    card_prices: int
    use_case_scores: int


@dataclass(frozen=True)
class Cards:
    """The cards being ranked: their ids in order (a card's position is its index in every
    array) and each one's spec figures by field."""

    ids: np.ndarray
    specs: list[dict]


@dataclass(frozen=True)
class ListingPrices:
    """Every listing the cards' pages list: its card's position, its landed unit price, its
    condition, its seller's position (-1 unknown) and whether it counts toward the going rate
    (fixed price, unflagged), aligned."""

    card: np.ndarray
    price: np.ndarray
    kind: np.ndarray
    seller: np.ndarray
    priced: np.ndarray

    def scopes(self) -> dict[str, np.ndarray]:
        """Which listings count in each condition scope."""
        return {
            Scope.ALL: np.ones(self.price.size, dtype=bool),
            Scope.NEW: self.kind == "new",
            Scope.USED: np.isin(self.kind, USED_KINDS),
        }


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _or_none(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _per_spec(price: float, specs: dict) -> dict[str, float | None]:
    """Dollars per unit of every ranked spec at this price, by CardPrice column (the one rule);
    a whole computer only per unit of what it ranks by (ranked_field), None elsewhere."""
    system = specs["form_factor"] == FormFactor.SYSTEM
    fields = {spec.column: ranked_field(spec, system=system) for spec in SPECS}
    figures = {
        column: dollars_per_unit(price, specs[field] if field else None)
        for column, field in fields.items()
    }
    return {column: None if per is None else float(per) for column, per in figures.items()}


def recompute_rankings(
    *, only_gpu_ids: Collection[int] | None = None, dry_run: bool = False
) -> RecomputeReport:
    """Recompute stored card prices and use-case scores from visible listings and the catalog.

    With only_gpu_ids, just those cards: every stored figure depends on its own card alone."""
    now = timezone.now()
    only = None if only_gpu_ids is None else sorted(set(only_gpu_ids))
    cards = _read_cards(only=only)
    listings = _read_listing_prices(cards=cards, only=only)
    headlines = {}
    price_objects = []
    for scope, mask in listings.scopes().items():
        result = going_rates(
            card_index=listings.card[mask],
            prices=listings.price[mask],
            seller=listings.seller[mask],
            priced=listings.priced[mask],
            n_cards=cards.ids.size,
        )
        headlines[scope] = result.headline
        price_objects += _card_price_rows(cards=cards, scope=scope, result=result, now=now)
    score_objects = _use_case_scores(cards=cards, headlines=headlines, now=now)
    report = RecomputeReport(
        cards=cards.ids.size,
        listings=listings.price.size,
        card_prices=len(price_objects),
        use_case_scores=len(score_objects),
    )
    if dry_run:
        return report
    stored_prices, stored_scores = CardPrice.objects.all(), UseCaseScore.objects.all()
    if only is not None:
        stored_prices = stored_prices.filter(gpu_id__in=only)
        stored_scores = stored_scores.filter(gpu_id__in=only)
    with transaction.atomic():
        stored_prices.delete()
        stored_scores.delete()
        CardPrice.objects.bulk_create(price_objects, batch_size=500)
        UseCaseScore.objects.bulk_create(score_objects, batch_size=500)
        transaction.on_commit(bump_generation)
    logger.info("Rankings recomputed: %s", report)
    return report


def _read_cards(*, only: list[int] | None) -> Cards:
    cards = Gpu.objects.order_by("id")
    if only is not None:
        cards = cards.filter(id__in=only)
    # A whole computer is priced per GB its GPU may use: its form factor and that share too.
    rows = list(cards.values("id", "form_factor", "gpu_memory_gb", *(spec.field for spec in SPECS)))
    return Cards(ids=np.array([row["id"] for row in rows], dtype=np.int64), specs=rows)


def _read_listing_prices(*, cards: Cards, only: list[int] | None) -> ListingPrices:
    # Every listing a card's page lists is counted; running auctions' bids (not prices yet) and
    # flagged listings are listed but not priced. Laptop GPUs are sold in laptops only: no card.
    listings = Listing.objects.listed().exclude(gpu__form_factor=FormFactor.LAPTOP).order_by()
    if only is not None:
        listings = listings.filter(gpu_id__in=only)
    priced = Case(
        When(Q(UNFLAGGED) & ~BID_ONLY, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    # Floats, not Decimals: building 50,000 Decimals costs more than the whole ranking.
    rows = list(
        listings.values_list(
            "gpu_id", Cast("unit_price", FloatField()), "condition_kind", "seller_key", priced
        )
    )
    gpu_id, price, kind, seller, counts = zip(*rows, strict=True) if rows else ((),) * 5
    return ListingPrices(
        card=np.searchsorted(cards.ids, np.array(gpu_id, dtype=np.int64)),
        price=np.array(price, dtype=np.float64),
        kind=np.array(kind, dtype=str),
        seller=seller_positions(seller),
        priced=np.array(counts, dtype=bool),
    )


def _card_price_rows(*, cards: Cards, scope: str, result: GoingRateArrays, now) -> list[CardPrice]:
    """One CardPrice per card with listings in this scope: counts, going rate, "from", $/spec
    (no price and no $/spec when none of its listings is priced)."""
    rows = []
    for i in np.flatnonzero(result.listed):
        headline = float(result.headline[i])
        priced = np.isfinite(headline)
        rows.append(
            CardPrice(
                gpu_id=int(cards.ids[i]),
                scope=scope,
                listing_count=int(result.listed[i]),
                priced_count=int(result.priced[i]),
                headline_price=_money(headline) if priced else None,
                lowest_price=_money(result.lowest[i]) if priced else None,
                computed_at=now,
                **(_per_spec(headline, cards.specs[i]) if priced else {}),
            )
        )
    return rows


# The BenchmarkResult columns a use-case score is made from.
RUN_FIELDS = (
    "gpu_id",
    "model_id",
    "round",
    "samples_per_s",
    "tokens_per_s",
    "system_name",
    "submitter",
    "source_url",
    "availability",
    "notes",
)


def _candidate_runs(*, cards: Cards) -> tuple[list[dict], set[int]]:
    """Every single-accelerator offline run of these cards, each naming the benchmark it ran
    (`ran`), plus a copy of each 99.9% run under its 99% twin, which it also meets; and the
    models ranked by tokens/s (a tokens/s use case's, MLPerf's official LLM metric)."""
    models = list(MlModel.objects.values("id", "mlperf_id", "use_case__metric"))
    mlperf_ids = {model["id"]: model["mlperf_id"] for model in models}
    by_tokens = {model["id"] for model in models if model["use_case__metric"] == TOKENS_PER_S}
    looser = looser_targets(mlperf_ids)
    runs = list(
        BenchmarkResult.objects.single_accelerator_offline()
        .filter(gpu_id__in=cards.ids.tolist())
        .order_by("gpu_id", "model_id", "-round", "id")  # Meta.ordering would join the cards
        .values(*RUN_FIELDS)
    )
    candidates = [{**run, "ran": mlperf_ids[run["model_id"]]} for run in runs]
    candidates += [
        {**run, "model_id": looser[run["model_id"]], "ran": mlperf_ids[run["model_id"]]}
        for run in runs
        if run["model_id"] in looser
    ]
    return candidates, by_tokens


def _use_case_scores(*, cards: Cards, headlines: dict[str, np.ndarray], now) -> list[UseCaseScore]:
    """Each card's best run per model, priced at its headline price in every scope."""
    runs, by_tokens = _candidate_runs(cards=cards)
    if not runs:
        return []
    rounds, round_inverse = np.unique([run["round"] for run in runs], return_inverse=True)
    card = np.searchsorted(cards.ids, np.array([run["gpu_id"] for run in runs], dtype=np.int64))
    models = np.array([run["model_id"] for run in runs], dtype=np.int64)
    samples = np.array([run["samples_per_s"] for run in runs], dtype=np.float64)
    tokens = np.array([run["tokens_per_s"] for run in runs], dtype=np.float64)
    chosen = best_valid(
        card_index=card,
        model_index=models,
        round_key=np.array([round_key(r) for r in rounds])[round_inverse],
        throughput=np.where(np.isin(models, list(by_tokens)), tokens, samples),
        preview=np.array([run["availability"] for run in runs], dtype=str) == PREVIEW,
    )
    scores = []
    for scope, headline in headlines.items():
        price = headline[card[chosen]]
        spd, dps = per_dollar(throughput=samples[chosen], prices=price)
        tpd, dpt = per_dollar(throughput=tokens[chosen], prices=price)
        for n, row in enumerate(chosen):
            run = runs[row]
            scores.append(
                UseCaseScore(
                    gpu_id=run["gpu_id"],
                    model_id=run["model_id"],
                    scope=scope,
                    samples_per_s=run["samples_per_s"],
                    tokens_per_s=run["tokens_per_s"],
                    round=run["round"],
                    system_name=run["system_name"][:300],
                    submitter=run["submitter"][:120],
                    source_url=run["source_url"],
                    run_benchmark=run["ran"],
                    headline_price=_money(price[n]) if np.isfinite(price[n]) else None,
                    samples_per_dollar=_or_none(spd[n]),
                    dollars_per_sample=_or_none(dps[n]),
                    tokens_per_dollar=_or_none(tpd[n]),
                    dollars_per_token=_or_none(dpt[n]),
                    availability=run["availability"],
                    notes=run["notes"],
                    computed_at=now,
                )
            )
    return scores
