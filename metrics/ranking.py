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
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from catalog.models import PREVIEW, TOKENS_PER_S, BenchmarkResult, FormFactor, Gpu, MlModel
from catalog.specs import SPECS, system_figure
from listings.models import Listing
from metrics.models import CardPrice, Scope, UseCaseScore
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)

# The headline price is the median of the HEADLINE_K cheapest unit prices: the cheapest listings are
# what a buyer pays, and the median of several is not moved by one mispriced or scam listing.
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


def dollars_per_unit(*, prices: np.ndarray, specs: np.ndarray) -> np.ndarray:
    """Price (n,) over each spec (n, s): dollars per unit, NaN where spec or price is unknown."""
    prices = np.asarray(prices, dtype=np.float64)
    specs = np.asarray(specs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = prices[:, None] / specs
        out[~(specs > 0) | ~np.isfinite(out)] = np.nan
    return out


def system_specs(
    *, spec_matrix: np.ndarray, is_system: np.ndarray, system_matrix: np.ndarray
) -> np.ndarray:
    """The spec matrix (cards, specs) with each whole computer's row replaced by `system_matrix`'s
    (NaN where a computer does not rank by the spec, its GPU's memory share for memory)."""
    out = np.array(spec_matrix, dtype=np.float64, copy=True)
    is_system = np.asarray(is_system, dtype=bool)
    out[is_system] = np.asarray(system_matrix, dtype=np.float64)[is_system]
    return out


def listing_dollars_per_unit(
    *, card_index: np.ndarray, prices: np.ndarray, spec_matrix: np.ndarray
) -> np.ndarray:
    """Per listing: unit price over every spec of its card, (listings, specs), NaN if unknown."""
    return dollars_per_unit(prices=prices, specs=np.asarray(spec_matrix)[card_index])


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


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _or_none(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def recompute_rankings(
    *, only_gpu_ids: Collection[int] | None = None, dry_run: bool = False
) -> RecomputeReport:
    """Recompute stored card prices and use-case scores from visible listings and the catalog.

    With only_gpu_ids, just those cards: every stored figure depends on its own card alone."""
    now = timezone.now()
    cards = Gpu.objects.order_by("id")
    # Running auctions' bids are not prices yet: landed prices of everything else make the headline.
    listings = Listing.objects.priced_for_headline().order_by()  # card_prices sorts, not the db
    stored_prices, stored_scores = CardPrice.objects.all(), UseCaseScore.objects.all()
    if only_gpu_ids is not None:
        only = sorted(set(only_gpu_ids))
        cards, listings = cards.filter(id__in=only), listings.filter(gpu_id__in=only)
        stored_prices = stored_prices.filter(gpu_id__in=only)
        stored_scores = stored_scores.filter(gpu_id__in=only)
    # Each card's specs, then what a whole computer ranks by in their place (None: not ranked).
    system_fields = [system_figure(s) for s in SPECS]
    gpu_rows = list(
        cards.values_list(
            "id", "form_factor", *(s.field for s in SPECS), *(f for f in system_fields if f)
        )
    )
    gpu_ids = np.array([row[0] for row in gpu_rows], dtype=np.int64)
    width = len(SPECS)
    spec_matrix = np.array([row[2 : 2 + width] for row in gpu_rows], dtype=np.float64).reshape(
        len(gpu_rows), width
    )
    system_matrix = np.full(spec_matrix.shape, np.nan)
    known = [j for j, f in enumerate(system_fields) if f]
    system_matrix[:, known] = np.array(
        [row[2 + width :] for row in gpu_rows], dtype=np.float64
    ).reshape(len(gpu_rows), len(known))
    spec_matrix = system_specs(
        spec_matrix=spec_matrix,
        is_system=np.array([row[1] == FormFactor.SYSTEM for row in gpu_rows], dtype=bool),
        system_matrix=system_matrix,
    )
    n_cards = gpu_ids.size

    # Floats, not Decimals: building 50,000 Decimals costs more than the whole ranking.
    listing_rows = list(
        listings.values_list("gpu_id", Cast("unit_price", FloatField()), "condition_kind")
    )
    if listing_rows:
        listing_gpu, listing_price, listing_kind = zip(*listing_rows, strict=True)
    else:
        listing_gpu, listing_price, listing_kind = (), (), ()
    card_index = np.searchsorted(gpu_ids, np.array(listing_gpu, dtype=np.int64))
    prices = np.array(listing_price, dtype=np.float64)
    kinds = np.array(listing_kind, dtype=str)
    scope_masks = {
        Scope.ALL: np.ones(prices.size, dtype=bool),
        Scope.NEW: kinds == "new",
        Scope.USED: np.isin(kinds, USED_KINDS),
    }

    headline_by_scope = {}
    price_objects = []
    for scope, mask in scope_masks.items():
        result = card_prices(card_index=card_index[mask], prices=prices[mask], n_cards=n_cards)
        headline_by_scope[scope] = result.headline
        per_spec = dollars_per_unit(prices=result.headline, specs=spec_matrix)
        for i in np.flatnonzero(result.count):
            price_objects.append(
                CardPrice(
                    gpu_id=int(gpu_ids[i]),
                    scope=scope,
                    listing_count=int(result.count[i]),
                    headline_price=_money(result.headline[i]),
                    lowest_price=_money(result.lowest[i]),
                    computed_at=now,
                    **{s.column: _or_none(per_spec[i, j]) for j, s in enumerate(SPECS)},
                )
            )

    model_rows = list(MlModel.objects.values_list("id", "mlperf_id", "use_case__metric"))
    mlperf_ids = {pk: mlperf_id for pk, mlperf_id, _ in model_rows}
    # Models of a tokens/s use case rank by MLPerf's official LLM metric, the rest by samples/s.
    by_tokens = {pk for pk, _, metric in model_rows if metric == TOKENS_PER_S}
    looser = looser_targets(mlperf_ids)
    bench_rows = list(
        BenchmarkResult.objects.single_accelerator_offline()
        .filter(gpu_id__in=gpu_ids.tolist())
        .order_by("gpu_id", "model_id", "-round", "id")  # Meta.ordering would join the cards
        .values_list(
            "gpu_id",
            "model_id",
            "round",
            "samples_per_s",
            "tokens_per_s",
            "system_name",
            "source_url",
            "availability",
            "notes",
        )
    )
    # A 99.9% run is also a candidate for its 99% twin, ranked there under the 99% model.
    # Each row carries the benchmark it ran; a 99.9% run also competes under its 99% twin.
    candidates = [(*row, mlperf_ids[row[1]]) for row in bench_rows]
    candidates += [
        (row[0], looser[row[1]], *row[2:], mlperf_ids[row[1]])
        for row in bench_rows
        if row[1] in looser
    ]
    score_objects = []
    if candidates:
        (
            b_gpu,
            b_model,
            b_round,
            b_samples,
            b_tokens,
            b_system,
            b_source,
            b_availability,
            b_notes,
            b_ran,
        ) = zip(*candidates, strict=True)
        rounds, round_inverse = np.unique(np.array(b_round, dtype=str), return_inverse=True)
        b_card = np.searchsorted(gpu_ids, np.array(b_gpu, dtype=np.int64))
        models = np.array(b_model, dtype=np.int64)
        samples = np.array(b_samples, dtype=np.float64)
        tokens = np.array(b_tokens, dtype=np.float64)
        chosen = best_valid(
            card_index=b_card,
            model_index=models,
            round_key=np.array([round_key(r) for r in rounds])[round_inverse],
            throughput=np.where(np.isin(models, list(by_tokens)), tokens, samples),
            preview=np.array(b_availability, dtype=str) == PREVIEW,
        )
        for scope, headline in headline_by_scope.items():
            price = headline[b_card[chosen]]
            spd, dps = per_dollar(throughput=samples[chosen], prices=price)
            tpd, dpt = per_dollar(throughput=tokens[chosen], prices=price)
            for n, row in enumerate(chosen):
                score_objects.append(
                    UseCaseScore(
                        gpu_id=b_gpu[row],
                        model_id=b_model[row],
                        scope=scope,
                        samples_per_s=b_samples[row],
                        tokens_per_s=b_tokens[row],
                        round=b_round[row],
                        system_name=b_system[row][:300],
                        source_url=b_source[row],
                        run_benchmark=b_ran[row],
                        headline_price=_money(price[n]) if np.isfinite(price[n]) else None,
                        samples_per_dollar=_or_none(spd[n]),
                        dollars_per_sample=_or_none(dps[n]),
                        tokens_per_dollar=_or_none(tpd[n]),
                        dollars_per_token=_or_none(dpt[n]),
                        availability=b_availability[row],
                        notes=b_notes[row],
                        computed_at=now,
                    )
                )

    report = RecomputeReport(
        cards=n_cards,
        listings=prices.size,
        card_prices=len(price_objects),
        use_case_scores=len(score_objects),
    )
    if dry_run:
        return report
    with transaction.atomic():
        stored_prices.delete()
        stored_scores.delete()
        CardPrice.objects.bulk_create(price_objects, batch_size=500)
        UseCaseScore.objects.bulk_create(score_objects, batch_size=500)
        transaction.on_commit(bump_generation)
    logger.info("Rankings recomputed: %s", report)
    return report
