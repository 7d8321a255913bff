"""Which open LLMs a card can run and how fast: memory fit and single-stream tokens/s from specs.

The arithmetic takes plain dataclasses and returns them; `catalog.llm_catalogue` is the one
adapter from the database. Sizes are GiB (2^30 bytes), the unit card memory is sold in.

Fit: weights (total parameters x bits per weight) + KV cache (2 x layers x KV heads x head
dimension x context x 2 bytes, FP16) + a fixed runtime overhead per card must not exceed memory.
Decode: single-stream generation reads the active weights and the KV cache once per token, so it
is memory-bandwidth bound: seconds per token = bytes / (bandwidth x efficiency) + overhead. The
efficiency and the overhead are fitted by least squares to published measurements, apart for HBM
cards and for the rest (GDDR, LPDDR), which llama.cpp drives at very different shares of bandwidth.
Prefill: 2 x active parameters FLOPs per prompt token at the card's dense FP16 tensor rate x an
efficiency taken from the same measurements. Both speeds are estimates unless measured.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from functools import cached_property

GIB = 2**30
KV_BYTES = 2  # FP16 keys and values, llama.cpp's default cache type
# llama.cpp's sliding-window cache: window + n_ubatch (default 512) cells, padded to 256.
SWA_UBATCH, SWA_PAD = 512, 256
# CUDA/ROCm context and llama.cpp compute buffers at a 512-token batch, per card.
RUNTIME_OVERHEAD_GIB = 0.5
DEFAULT_CONTEXT = 4096
MIN_CONTEXT, MAX_CONTEXT = 512, 131072
MAX_CARDS = 8  # Larger setups are servers, not something the shop pages price.
# Used only when no measurement is loaded: typical of llama.cpp on recent cards.
FALLBACK_EFFICIENCY, FALLBACK_OVERHEAD_MS, FALLBACK_PREFILL_EFFICIENCY = 0.75, 0.5, 0.5
# Memory families fitted apart: llama.cpp's single-stream decode reaches a much smaller share of an
# HBM card's bandwidth than of a GDDR card's (per-token kernel and launch costs weigh more).
GDDR, HBM = "gddr", "hbm"
MEMORY_FAMILIES = (GDDR, HBM)
# A family with fewer measured points than this takes the other family's fit.
MIN_FAMILY_POINTS = 2


@dataclass(frozen=True)
class ModelSpec:
    slug: str
    name: str
    total_params_b: float
    active_params_b: float
    layers: int
    kv_heads: int
    head_dim: int
    max_context: int
    config_url: str = ""
    url: str = ""
    licence: str = ""
    notes: str = ""
    experts: int | None = None
    active_experts: int | None = None
    # Weights a published file keeps at one format whatever the quantisation (gpt-oss's MXFP4
    # experts); None for models whose every weight takes the chosen quantisation.
    fixed_params_b: float | None = None
    fixed_bits_per_weight: float | None = None
    fixed_weights_note: str = ""
    fixed_weights_source_url: str = ""
    sliding_window: int | None = None
    sliding_layers: int | None = None

    @property
    def fixed_active_params_b(self) -> float:
        """The fixed-format weights one token reads: the active experts' share of them."""
        if not self.fixed_params_b:
            return 0.0
        share = self.active_experts / self.experts if self.experts and self.active_experts else 1
        return self.fixed_params_b * share


@dataclass(frozen=True)
class CardSpec:
    slug: str
    label: str
    memory_gb: float | None
    bandwidth_gbs: float | None
    fp16_tflops: float | None
    # The rate prompt processing runs at: llama.cpp's FP16 matrix multiplies accumulate in FP16, so
    # the FP16-accumulate tensor rate where a card has two (GeForce), the one FP16 rate elsewhere.
    prefill_tflops: float | None = None
    memory_family: str = GDDR  # HBM or GDDR (any other memory, unknown included)


def memory_family(memory_type: str) -> str:
    """HBM for HBM2, HBM2e, HBM3 and HBM3e; GDDR for any other memory type or an unknown one."""
    return HBM if memory_type.upper().startswith("HBM") else GDDR


@dataclass(frozen=True)
class Measured:
    """A published figure: card, model, quantisation and where it comes from."""

    card: CardSpec
    model: ModelSpec
    quant_slug: str
    bits_per_weight: float
    context: int
    decode_tokens_per_s: float
    prefill_tokens_per_s: float | None
    backend: str
    test: str
    source_url: str
    published_on: str
    measured_model: str = ""


@dataclass(frozen=True)
class DecodeFit:
    """One memory family's seconds per token = bytes read / (bandwidth x efficiency) + overhead."""

    efficiency: float
    overhead_ms: float
    prefill_efficiency: float
    points: int  # the family's own measured points
    family: str = GDDR
    borrowed_from: str = ""  # the family whose fit stands in when this one has too few points
    typical: bool = False  # too few points everywhere, or no physical fit: typical figures


@dataclass(frozen=True)
class Calibration:
    """One decode fit and one prompt efficiency per memory family."""

    fits: tuple[DecodeFit, ...]  # in MEMORY_FAMILIES order

    def for_family(self, family: str) -> DecodeFit:
        return next((f for f in self.fits if f.family == family), self.fits[0])

    def for_card(self, card: CardSpec) -> DecodeFit:
        return self.for_family(card.memory_family)

    @property
    def points(self) -> int:
        return sum(f.points for f in self.fits)


@dataclass(frozen=True)
class FitCheck:
    """One calibration point against the fitted estimate."""

    measured: Measured
    estimate: float
    error_pct: float  # signed: above zero the estimate is faster than the measurement


@dataclass(frozen=True)
class FitError:
    mean_abs_pct: float
    max_abs_pct: float
    checks: list[FitCheck]

    def of_family(self, family: str) -> FitError:
        """The error on one memory family's points."""
        return _summarise([c for c in self.checks if c.measured.card.memory_family == family])


@dataclass(frozen=True)
class CardRun:
    """One card running one model at one quantisation and context."""

    card: CardSpec
    weights_gib: float
    kv_cache_gib: float
    fits: bool | None  # None: the card's memory is unknown
    cards_needed: int | None  # None: unknown memory, or more than MAX_CARDS
    decode_tokens_per_s: float | None  # on the setup of `cards_needed` cards
    prefill_tokens_per_s: float | None
    basis: str  # "measured" or "estimate"
    measurement: Measured | None = None

    @property
    def memory_needed_gib(self) -> float:
        """Weights, KV cache and one card's runtime overhead."""
        return self.weights_gib + self.kv_cache_gib + RUNTIME_OVERHEAD_GIB

    @property
    def multi_card(self) -> bool:
        return self.cards_needed is not None and self.cards_needed > 1

    @property
    def basis_label(self) -> str:
        """The decode figure's basis in words; a measurement names the context it ran at."""
        if self.measurement is None:
            return "estimate"
        return f"measured at {self.measurement.context:,} tokens of context"


def weights_gib(model: ModelSpec, bits_per_weight: float) -> float:
    """Every weight in memory: an MoE model keeps all its experts loaded."""
    return _gib(model.total_params_b, model.fixed_params_b, model, bits_per_weight)


def active_weights_gib(model: ModelSpec, bits_per_weight: float) -> float:
    """The weights one generated token reads: the active experts only, for an MoE model."""
    return _gib(model.active_params_b, model.fixed_active_params_b, model, bits_per_weight)


def _gib(params_b: float, fixed_b: float | None, model: ModelSpec, bits_per_weight: float) -> float:
    """`params_b` billion weights, of which `fixed_b` stay at the model's fixed format."""
    fixed_b = fixed_b or 0.0
    fixed_bits = (model.fixed_bits_per_weight or bits_per_weight) * fixed_b
    return ((params_b - fixed_b) * bits_per_weight + fixed_bits) * 1e9 / 8 / GIB


def kv_cache_gib(model: ModelSpec, context: int) -> float:
    """Keys and values of every layer in FP16: `context` tokens on a full-attention layer, and on
    a sliding-window layer the cells llama.cpp gives it (`swa_cells`)."""
    sliding = model.sliding_layers or 0
    tokens = (model.layers - sliding) * context
    if sliding:
        tokens += sliding * swa_cells(model.sliding_window, context)
    return 2 * model.kv_heads * model.head_dim * tokens * KV_BYTES / GIB


def swa_cells(window: int, context: int) -> int:
    """KV cells llama.cpp allocates to a sliding-window layer: the window plus one micro-batch,
    rounded up to 256 cells, never more than the context (llama-server and llama-cli default,
    `--swa-full` off)."""
    padded = -(-(window + SWA_UBATCH) // SWA_PAD) * SWA_PAD
    return min(context, padded)


def cards_needed(
    model: ModelSpec, bits_per_weight: float, context: int, memory_gb: float | None
) -> int | None:
    """How many of one card hold the model split by layers; None when unknown or over MAX_CARDS."""
    if not memory_gb or memory_gb <= RUNTIME_OVERHEAD_GIB:
        return None
    need = weights_gib(model, bits_per_weight) + kv_cache_gib(model, context)
    count = max(1, math.ceil(need / (memory_gb - RUNTIME_OVERHEAD_GIB) - 1e-9))
    return count if count <= MAX_CARDS else None


def fits(model: ModelSpec, bits_per_weight: float, context: int, memory_gb: float | None) -> bool:
    return cards_needed(model, bits_per_weight, context, memory_gb) == 1


def bytes_per_token_gib(model: ModelSpec, bits_per_weight: float, context: int) -> float:
    return active_weights_gib(model, bits_per_weight) + kv_cache_gib(model, context)


def estimate_decode(
    model: ModelSpec,
    bits_per_weight: float,
    context: int,
    bandwidth_gbs: float | None,
    fit: DecodeFit,
) -> float | None:
    """Single-stream tokens/s from bandwidth. A layer split runs its cards one after another, so a
    multi-card setup reads the same bytes per token at one card's bandwidth."""
    if not bandwidth_gbs:
        return None
    seconds = (
        bytes_per_token_gib(model, bits_per_weight, context)
        * GIB
        / (bandwidth_gbs * 1e9 * fit.efficiency)
        + fit.overhead_ms / 1000
    )
    return 1 / seconds


def estimate_prefill(model: ModelSpec, tflops: float | None, fit: DecodeFit) -> float | None:
    """Prompt tokens/s from dense FP16 tensor compute: 2 FLOPs per active parameter per token."""
    if not tflops:
        return None
    return tflops * 1e12 * fit.prefill_efficiency / (2 * model.active_params_b * 1e9)


def calibrate(points: list[Measured]) -> Calibration:
    """Each memory family's decode fit from that family's points; a family with fewer than
    MIN_FAMILY_POINTS takes the other family's fit (and says so). The prompt efficiency is each
    family's own too: a family without a published prompt figure takes the other's."""
    by_family = {f: [p for p in points if p.card.memory_family == f] for f in MEMORY_FAMILIES}
    prefill = {f: _prefill_efficiency(by_family[f]) for f in MEMORY_FAMILIES}
    known = [value for value in prefill.values() if value is not None]
    fallback = known[0] if known else FALLBACK_PREFILL_EFFICIENCY
    own = {f: _fit_family(f, by_family[f], prefill[f] or fallback) for f in MEMORY_FAMILIES}
    fits = []
    for family in MEMORY_FAMILIES:
        fit = own[family]
        other = next(own[f] for f in MEMORY_FAMILIES if f != family)
        if fit.points < MIN_FAMILY_POINTS and other.points >= MIN_FAMILY_POINTS:
            fit = replace(
                other,
                family=family,
                points=fit.points,
                borrowed_from=other.family,
                prefill_efficiency=fit.prefill_efficiency,
            )
        fits.append(fit)
    return Calibration(tuple(fits))


def _fit_family(family: str, points: list[Measured], prefill: float) -> DecodeFit:
    """Least squares of seconds/token on bytes/bandwidth: slope 1/efficiency, intercept overhead.

    Falls back to typical figures with fewer than two points or a fit without physical meaning."""
    usable = [p for p in points if p.card.bandwidth_gbs]
    xs = [_ideal_seconds(p) for p in usable]
    ys = [1 / p.decode_tokens_per_s for p in usable]
    typical = DecodeFit(
        FALLBACK_EFFICIENCY, FALLBACK_OVERHEAD_MS, prefill, len(xs), family, typical=True
    )
    if len(xs) < 2 or len(set(xs)) < 2:
        return typical
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    if slope <= 0 or 1 / slope > 1:
        return typical
    if intercept < 0:  # no negative overhead: refit through the origin
        slope, intercept = (
            sum(x * y for x, y in zip(xs, ys, strict=True)) / sum(x * x for x in xs),
            0.0,
        )
    return DecodeFit(1 / slope, intercept * 1000, prefill, len(xs), family)


def _ideal_seconds(p: Measured) -> float:
    """Seconds per token at the card's full bandwidth, no overhead."""
    bytes_read = bytes_per_token_gib(p.model, p.bits_per_weight, p.context) * GIB
    return bytes_read / (p.card.bandwidth_gbs * 1e9)


def _prefill_efficiency(points: list[Measured]) -> float | None:
    """Median of measured prompt tokens/s over the FP16 tensor-compute ceiling; None without a
    published prompt figure."""
    ratios = [
        p.prefill_tokens_per_s * 2 * p.model.active_params_b * 1e9 / (p.card.prefill_tflops * 1e12)
        for p in points
        if p.prefill_tokens_per_s and p.card.prefill_tflops
    ]
    return statistics.median(ratios) if ratios else None


def fit_error(points: list[Measured], calibration: Calibration) -> FitError:
    """Mean and largest absolute % error of the estimate on the points it was fitted to, each
    point against its own memory family's fit."""
    checks = []
    for p in points:
        fit = calibration.for_card(p.card)
        estimate = estimate_decode(p.model, p.bits_per_weight, p.context, p.card.bandwidth_gbs, fit)
        if estimate is not None:
            error = 100 * (estimate - p.decode_tokens_per_s) / p.decode_tokens_per_s
            checks.append(FitCheck(measured=p, estimate=estimate, error_pct=error))
    return _summarise(checks)


def _summarise(checks: list[FitCheck]) -> FitError:
    errors = [abs(c.error_pct) for c in checks]
    return FitError(
        mean_abs_pct=statistics.fmean(errors) if errors else 0.0,
        max_abs_pct=max(errors, default=0.0),
        checks=checks,
    )


# The whole catalogue, as catalog.llm_catalogue reads it from the database.


@dataclass(frozen=True)
class QuantSpec:
    slug: str
    name: str
    bits_per_weight: float


@dataclass(frozen=True)
class LlmCatalogue:
    models: list[ModelSpec]
    quants: list[QuantSpec]
    measurements: list[Measured]
    calibration: Calibration

    def model(self, slug: str) -> ModelSpec | None:
        return next((m for m in self.models if m.slug == slug), None)

    def quant(self, slug: str) -> QuantSpec | None:
        return next((q for q in self.quants if q.slug == slug), None)

    @cached_property
    def measured_by_key(self) -> dict[tuple[str, str, str], Measured]:
        """The newest measurement per (card, model, quantisation)."""
        best: dict[tuple[str, str, str], Measured] = {}
        for m in sorted(self.measurements, key=lambda m: m.published_on):
            best[(m.card.slug, m.model.slug, m.quant_slug)] = m
        return best

    def error(self) -> FitError:
        return fit_error(self.measurements, self.calibration)

    def run(self, *, model: ModelSpec, quant: QuantSpec, context: int, card: CardSpec) -> CardRun:
        """Fit, cards needed and speeds of one model on one card. A decode measurement wins over
        the estimate when the setup is the measured one (one card, a context no longer than the
        default) and is shown with the shorter context it ran at (`CardRun.basis_label`);
        prefill is always the compute estimate."""
        bits = quant.bits_per_weight
        needed = cards_needed(model, bits, context, card.memory_gb)
        measurement = self.measured_by_key.get((card.slug, model.slug, quant.slug))
        fit = self.calibration.for_card(card)
        decode = estimate_decode(model, bits, context, card.bandwidth_gbs, fit)
        prefill = estimate_prefill(model, card.prefill_tflops, fit)
        basis = "estimate"
        if measurement and needed == 1 and context <= DEFAULT_CONTEXT:
            decode, basis = measurement.decode_tokens_per_s, "measured"
        if needed is None:
            decode = prefill = None
        return CardRun(
            card=card,
            weights_gib=weights_gib(model, bits),
            kv_cache_gib=kv_cache_gib(model, context),
            fits=None if not card.memory_gb else needed == 1,
            cards_needed=needed,
            decode_tokens_per_s=decode,
            prefill_tokens_per_s=prefill if needed is not None else None,
            basis=basis,
            measurement=measurement if basis == "measured" else None,
        )


@dataclass(frozen=True)
class ModelOnCard:
    """A row of a card's "runs these models" table."""

    model: ModelSpec
    run: CardRun


def models_on_card(
    catalogue: LlmCatalogue, card: CardSpec, quant_slug: str = "q4_k_m"
) -> tuple[QuantSpec | None, list[ModelOnCard]]:
    """Every catalogued model on one card at one quantisation and the default context."""
    quant = catalogue.quant(quant_slug) or (catalogue.quants[0] if catalogue.quants else None)
    if quant is None:
        return None, []
    rows = [
        ModelOnCard(
            model=model,
            run=catalogue.run(model=model, quant=quant, context=DEFAULT_CONTEXT, card=card),
        )
        for model in catalogue.models
    ]
    return quant, rows
