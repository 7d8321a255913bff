"""Which open LLMs a card can run and how fast: memory fit and single-stream tokens/s from specs.

The arithmetic takes plain dataclasses and returns them; `catalog.llm_catalogue` is the one
adapter from the database. Sizes are GiB (2^30 bytes), the unit card memory is sold in.

Fit: weights (total parameters x bits per weight) + KV cache (2 x layers x KV heads x head
dimension x context x 2 bytes, FP16) + a fixed runtime overhead per device must fit in one
device's memory. A board with several GPUs (MI250, K80, M10) is that many devices with an equal
share of memory, bandwidth and compute; a model split across devices runs them one after another,
at one device's speed.
Decode: single-stream generation reads the active weights (one row of an untied input embedding
table, not all of it) and the KV cache once per token: seconds per token = bytes / (device
bandwidth x efficiency) + layers x an overhead per layer, plus for a mixture of experts a routing
cost, k x layers / the device's FP32 shader rate (each expert layer adds a chain of small
dependent kernels, router, top-k, gathered expert products, whose time the shader cores set), or
k x 2 x active parameters / its GPU cores where no rate is published (Apple). The efficiency and
the overhead are fitted per backend family (`catalog.llm_calibration`), k on a family's own MoE
measurements or shared; a measurement from before its backend's latest era (an earlier build)
calibrates through the backend's earlier-build factor and never stands in for a card's figure.
Prefill: 2 x active parameters FLOPs per prompt token at the FP16 tensor rate, or at the FP32
shader rate on a card without tensor or matrix units, x the family's efficiency; where the vendor
publishes neither (Apple), at the family's measured rate per GPU core. Where llama.cpp does not
run a card there is no speed at all. Both speeds are estimates unless measured.
A whole computer (a Mac, a Strix Halo or GB10 machine) fits a model in the memory its GPU may use
by default, and only in one machine: it is never "two of them".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from catalog.llm_calibration import (
    Backtest,
    Calibration,
    CalibrationReport,
    Era,
    Family,
    FamilyFit,
    Sample,
    earlier_build,
    fit_families,
    signed_error_pct,
    with_expected_errors,
)

GIB = 2**30
KV_BYTES = 2  # FP16 keys and values, llama.cpp's default cache type
# llama.cpp's sliding-window cache: window + n_ubatch (default 512) cells, padded to 256.
SWA_UBATCH, SWA_PAD = 512, 256
# CUDA/ROCm context and llama.cpp compute buffers at a 512-token batch, per device.
RUNTIME_OVERHEAD_GIB = 0.5
DEFAULT_CONTEXT = 4096
# The model and quantisation a card's LLM speed is quoted at where one figure stands for it (the
# picker's default, the market reports' value bands); catalog.LlmReferenceRun stores each card's.
REFERENCE_MODEL, REFERENCE_QUANT = "llama-3.1-8b", "q4_k_m"
MIN_CONTEXT, MAX_CONTEXT = 512, 131072
MAX_CARDS = 8  # Larger setups are servers, not something the shop pages price.
# Memory kinds a calibration family can name: HBM stacks, LPDDR (unified memory), GDDR (the rest).
HBM, LPDDR, GDDR = "hbm", "lpddr", "gddr"
# The words in a measurement's backend text that name the llama.cpp backend it ran.
BACKEND_WORDS = {
    "cuda": ("cuda",),
    "rocm": ("rocm", "hip"),
    "vulkan": ("vulkan",),
    "sycl": ("sycl",),
    "metal": ("metal",),
}


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
    vocab_size: int | None = None
    tie_word_embeddings: bool | None = None  # None: unknown
    hidden_size: int | None = None

    @property
    def embedding_params_b(self) -> float:
        """The input embedding table, of which a token reads one row: 0 when unknown, or when the
        output layer shares it (and so reads it whole)."""
        if not self.vocab_size or not self.hidden_size or self.tie_word_embeddings is not False:
            return 0.0
        return self.vocab_size * self.hidden_size / 1e9

    @property
    def fixed_active_params_b(self) -> float:
        """The fixed-format weights one token reads: the active experts' share of them."""
        if not self.fixed_params_b:
            return 0.0
        share = self.active_experts / self.experts if self.experts and self.active_experts else 1
        return self.fixed_params_b * share

    @property
    def is_moe(self) -> bool:
        return self.active_params_b < self.total_params_b


@dataclass(frozen=True)
class CardSpec:
    """A card's figures for the whole board; `devices` GPUs share them evenly."""

    slug: str
    label: str
    memory_gb: float | None
    bandwidth_gbs: float | None
    fp16_tflops: float | None
    # The rate prompt processing runs at: llama.cpp's FP16 matrix multiplies accumulate in FP16, so
    # the FP16-accumulate tensor rate where a card has two (GeForce), the one FP16 rate elsewhere.
    prefill_tflops: float | None = None
    memory_family: str = GDDR  # HBM, LPDDR or GDDR (any other memory, unknown included)
    fp32_tflops: float | None = None  # shader FP32
    devices: int = 1
    backend: str = "cuda"  # llama.cpp backend; "" where llama.cpp does not run the card
    manufacturer: str = ""
    architecture: str = ""
    runs_with: str = ""  # what runs LLMs where llama.cpp does not
    gpu_cores: int | None = None  # prefill's basis where no FLOPS figure is published
    system: bool = False  # a whole computer: memory_gb is the GPU's share of unified memory
    total_memory_gb: float | None = None  # a whole computer's unified memory, all of it

    def per_device(self, value: float | None) -> float | None:
        return value / self.devices if value else None

    @property
    def device_memory_gb(self) -> float | None:
        return self.per_device(self.memory_gb)

    @property
    def device_bandwidth_gbs(self) -> float | None:
        return self.per_device(self.bandwidth_gbs)

    @property
    def compute_tflops(self) -> float | None:
        """One device's rate for a generated token's matrix work: one token's products are
        matrix-vector products, which run on the shader cores (tensor units need a batch), so the
        FP32 shader rate; the tensor rate only where no shader rate is known."""
        return self.per_device(self.fp32_tflops or self.fp16_tflops)

    @property
    def runs_llama_cpp(self) -> bool:
        return bool(self.backend)


def memory_family(memory_type: str) -> str:
    """HBM for HBM2..HBM3e, LPDDR for LPDDR4X/5/5X, GDDR for any other type or an unknown one."""
    kind = memory_type.upper()
    if kind.startswith("HBM"):
        return HBM
    return LPDDR if kind.startswith("LPDDR") else GDDR


def backend_of(text: str) -> str:
    """The llama.cpp backend a measurement's backend text names ("llama.cpp ROCm 6.0" -> rocm)."""
    lowered = text.lower()
    return next(
        (key for key, words in BACKEND_WORDS.items() if any(w in lowered for w in words)), ""
    )


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
    build: str = ""  # llama.cpp build number or commit, where the source gives one
    pk: int | None = None  # its LlmMeasurement row, when read from the database

    @cached_property
    def backend_key(self) -> str:
        """The llama.cpp backend it ran; the card's own when the text names none (read by the
        fit several times a point)."""
        return backend_of(self.backend) or self.card.backend


def weights_gib(model: ModelSpec, bits_per_weight: float) -> float:
    """Every weight in memory: an MoE model keeps all its experts loaded."""
    return _gib(model.total_params_b, model.fixed_params_b, model, bits_per_weight)


def active_weights_gib(model: ModelSpec, bits_per_weight: float) -> float:
    """The weights one generated token reads: the active experts only, for an MoE model, and one
    row of the input embedding table rather than all of it."""
    params_b = model.active_params_b - model.embedding_params_b
    return _gib(params_b, model.fixed_active_params_b, model, bits_per_weight)


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


def devices_needed(
    model: ModelSpec, bits_per_weight: float, context: int, device_memory_gb: float | None
) -> int | None:
    """How many devices of this memory hold the model split by layers; None when unknown."""
    need = weights_gib(model, bits_per_weight) + kv_cache_gib(model, context)
    return devices_for(need, device_memory_gb)


def devices_for(need_gib: float, device_memory_gb: float | None) -> int | None:
    """How many devices of this memory hold `need_gib` of weights and KV cache split by layers,
    each with its runtime overhead; None when unknown."""
    if not device_memory_gb or device_memory_gb <= RUNTIME_OVERHEAD_GIB:
        return None
    return max(1, math.ceil(need_gib / (device_memory_gb - RUNTIME_OVERHEAD_GIB) - 1e-9))


def cards_needed(
    model: ModelSpec,
    bits_per_weight: float,
    context: int,
    memory_gb: float | None,
    devices: int = 1,
) -> int | None:
    """How many of one card hold the model split by layers over its devices; None when unknown
    or over MAX_CARDS."""
    device_memory = memory_gb / devices if memory_gb else None
    return cards_for(devices_needed(model, bits_per_weight, context, device_memory), devices)


def cards_for(devices: int | None, per_card: int = 1) -> int | None:
    """How many cards of `per_card` GPUs give that many devices; None when unknown or over
    MAX_CARDS."""
    if devices is None:
        return None
    count = math.ceil(devices / per_card)
    return count if count <= MAX_CARDS else None


def fits(model: ModelSpec, bits_per_weight: float, context: int, memory_gb: float | None) -> bool:
    return cards_needed(model, bits_per_weight, context, memory_gb) == 1


def bytes_per_token_gib(model: ModelSpec, bits_per_weight: float, context: int) -> float:
    return active_weights_gib(model, bits_per_weight) + kv_cache_gib(model, context)


def ideal_seconds(
    model: ModelSpec, bits: float, context: int, card: CardSpec, read_gib: float | None = None
) -> float | None:
    """Seconds per token at one device's full bandwidth, no overhead; `read_gib`, the bytes a
    token reads, where the caller has them (a table of cards shares them: Workload)."""
    bandwidth = card.device_bandwidth_gbs
    if not bandwidth:
        return None
    if read_gib is None:
        read_gib = bytes_per_token_gib(model, bits, context)
    return read_gib * GIB / (bandwidth * 1e9)


@dataclass(frozen=True)
class Workload:
    """What every card's run of one model at one quantisation and context shares."""

    weights_gib: float
    kv_cache_gib: float
    read_gib: float  # what one generated token reads (bytes_per_token_gib)


def workload(model: ModelSpec, bits_per_weight: float, context: int) -> Workload:
    read = bytes_per_token_gib(model, bits_per_weight, context)
    return Workload(weights_gib(model, bits_per_weight), kv_cache_gib(model, context), read)


def per_core_floor(card: CardSpec) -> bool:
    """Whether the card's MoE floor counts GPU cores: no shader or tensor rate is published for
    it (Apple), so the floor is its active FLOPs per GPU core, and only a k fitted on its own
    family's MoE measurements applies to it."""
    return not card.compute_tflops and bool(card.gpu_cores)


def floor_seconds(model: ModelSpec, card: CardSpec) -> float:
    """A mixture of experts' routing cost per unit of k: one microsecond per expert layer at one
    shader TFLOPS, so k is microseconds x TFLOPS per layer; 0 for a dense model or a card with no
    known rate. Per layer, not per active FLOP: Qwen3-30B-A3B (48 layers of small experts) and
    gpt-oss-20b (24 layers) have the same active FLOPs but measure twice as far apart on cards.
    Where no rate is published (Apple), the active FLOPs per GPU core, as if each core did one
    TFLOPS: on Metal gpt-oss-20b is the slower of the two, and only a k fitted on such floors
    applies."""
    if not model.is_moe:
        return 0.0
    rate = card.compute_tflops
    if rate:
        return model.layers * 1e-6 / rate
    if card.gpu_cores:
        return 2 * model.active_params_b * 1e9 / (card.per_device(card.gpu_cores) * 1e12)
    return 0.0


def estimate_decode(
    model: ModelSpec,
    bits_per_weight: float,
    context: int,
    card: CardSpec,
    fit: FamilyFit,
    moe_floor: float = 0.0,
    quant_factor: float = 1.0,
    read_gib: float | None = None,
) -> float | None:
    """Single-stream tokens/s of one device; None where bandwidth is unknown. `quant_factor`
    scales the bandwidth time for the weight format's kernels (the calibration's factor)."""
    ideal = ideal_seconds(model, bits_per_weight, context, card, read_gib)
    if ideal is None:
        return None
    seconds = (
        ideal * quant_factor / fit.efficiency
        + model.layers * fit.layer_overhead_us / 1e6
        + moe_floor * floor_seconds(model, card)
    )
    return 1 / seconds


def estimate_prefill(model: ModelSpec, card: CardSpec, fit: FamilyFit) -> float | None:
    """Prompt tokens/s: 2 FLOPs per active parameter per token at the FP16 tensor rate, or the
    FP32 shader rate on a card without tensor or matrix units, or where neither is published the
    family's measured FLOPs per GPU core."""
    tensor, shader = card.per_device(card.prefill_tflops), card.per_device(card.fp32_tflops)
    if tensor:
        flops = tensor * fit.prefill_efficiency * 1e12
    elif shader:
        flops = shader * fit.shader_prefill_efficiency * 1e12
    elif card.gpu_cores and fit.core_prefill_gflops:
        flops = card.gpu_cores * fit.core_prefill_gflops * 1e9
    else:
        return None
    return flops / (2 * model.active_params_b * 1e9)


def family_key(card: CardSpec, backend: str, families: tuple[Family, ...]) -> str | None:
    """The first calibration family matching the card on that backend; None for none."""
    for family in families:
        if family.matches(
            backend=backend,
            memory=card.memory_family,
            manufacturer=card.manufacturer,
            architecture=card.architecture,
        ):
            return family.key
    return None


def _sample(point: Measured, key: str, eras: tuple[Era, ...]) -> Sample | None:
    card = point.card
    ideal = ideal_seconds(point.model, point.bits_per_weight, point.context, card)
    if ideal is None:
        return None
    flops_per_token = 2 * point.model.active_params_b * 1e9
    tensor, shader = card.per_device(card.prefill_tflops), card.per_device(card.fp32_tflops)
    prefill = point.prefill_tokens_per_s
    cores = card.gpu_cores if prefill and not tensor and not shader else None
    return Sample(
        family_key=key,
        x=ideal,
        layers=point.model.layers,
        y=1 / point.decode_tokens_per_s,
        quant=point.quant_slug,
        backend=point.backend_key,
        earlier=earlier_build(point.backend_key, point.published_on, eras),
        floor=floor_seconds(point.model, card),
        core_floor=per_core_floor(card),
        prefill_ratio=prefill * flops_per_token / (tensor * 1e12) if prefill and tensor else None,
        shader_prefill_ratio=(
            prefill * flops_per_token / (shader * 1e12)
            if prefill and shader and not tensor
            else None
        ),
        core_prefill_gflops=prefill * flops_per_token / cores / 1e9 if cores else None,
    )


def _keyed(points: list[Measured], families: tuple[Family, ...]) -> list[tuple[Measured, str]]:
    """The points that fall in a calibration family, with its key."""
    keyed = []
    for point in points:
        key = family_key(point.card, point.backend_key, families)
        if key is not None and point.card.device_bandwidth_gbs:
            keyed.append((point, key))
    return keyed


def fit_points(
    points: list[Measured], families: tuple[Family, ...], eras: tuple[Era, ...] = ()
) -> Calibration:
    """The calibration from these measurements, without the backtest."""
    samples = [_sample(p, key, eras) for p, key in _keyed(points, families)]
    return fit_families(families, [s for s in samples if s is not None])


def calibrate(
    points: list[Measured], families: tuple[Family, ...], eras: tuple[Era, ...] = ()
) -> CalibrationReport:
    """The calibration on every measurement, each family's expected error from a leave-one-out
    backtest: every point estimated by a calibration fitted without it (an earlier build's with
    its backend's earlier-build factor)."""
    keyed = _keyed(points, families)
    # Each point's sample, worked out once for the full fit and every fit without one point.
    samples = [_sample(point, key, eras) for point, key in keyed]
    backtests = []
    for index, (point, key) in enumerate(keyed):
        others = [s for i, s in enumerate(samples) if i != index and s is not None]
        earlier = earlier_build(point.backend_key, point.published_on, eras)
        estimate = _estimate_point(point, key, fit_families(families, others), earlier)
        if estimate is not None:
            error = signed_error_pct(estimate, point.decode_tokens_per_s)
            backtests.append(Backtest(point, key, estimate, error, earlier))
    full = fit_families(families, [s for s in samples if s is not None])
    return CalibrationReport(with_expected_errors(full, backtests), backtests)


def _estimate_point(
    point: Measured, key: str, calibration: Calibration, earlier: bool = False
) -> float | None:
    fit = calibration.fit(key)
    speed = estimate_decode(
        point.model,
        point.bits_per_weight,
        point.context,
        point.card,
        fit,
        calibration.floor_for(key, per_core=per_core_floor(point.card)),
        calibration.quant_factor(point.quant_slug),
    )
    if speed is None or not earlier:
        return speed
    return speed / calibration.earlier_factor(point.backend_key)


# The whole catalogue, as catalog.llm_catalogue reads it from the database.


@dataclass(frozen=True)
class QuantSpec:
    slug: str
    name: str
    bits_per_weight: float


@dataclass(frozen=True)
class CardRun:
    """One card (or several of it) running one model at one quantisation and context."""

    card: CardSpec
    weights_gib: float
    kv_cache_gib: float
    fits: bool | None  # None: the card's memory is unknown
    cards_needed: int | None  # None: unknown memory, or more than MAX_CARDS
    devices_used: int | None  # GPUs the model is split over (on a multi-GPU board, may be > 1)
    decode_tokens_per_s: float | None  # one stream, at the context shown
    prefill_tokens_per_s: float | None
    basis: str  # "measured", "estimate" or "no llama.cpp"
    context: int = DEFAULT_CONTEXT
    measurement: Measured | None = None
    family: FamilyFit | None = None

    @property
    def memory_needed_gib(self) -> float:
        """Weights, KV cache and one device's runtime overhead."""
        return self.weights_gib + self.kv_cache_gib + RUNTIME_OVERHEAD_GIB

    @property
    def device_split(self) -> bool:
        """One multi-GPU board with the model split over its GPUs."""
        return self.cards_needed == 1 and (self.devices_used or 1) > 1

    @property
    def backend(self) -> str:
        return self.card.backend

    @property
    def expected_error_pct(self) -> float | None:
        """The estimate's expected error (its family's backtest median); None when measured."""
        if self.basis != "estimate" or self.family is None:
            return None
        return self.family.expected_error_pct

    @property
    def error_label(self) -> str:
        """ "±N%" beside an estimate; "" for a measured figure."""
        error = self.expected_error_pct
        return "" if error is None else f"±{error:.0f}%"

    @property
    def scaled(self) -> bool:
        """A measured figure taken at another context and scaled to the one shown."""
        return self.measurement is not None and self.measurement.context != self.context

    @property
    def basis_label(self) -> str:
        """The decode figure's basis in words."""
        if self.basis == "no llama.cpp":
            return "llama.cpp does not run this card"
        if self.measurement is None:
            return "estimate"
        if self.scaled:
            return f"measured at {self.measurement.context:,} tokens, shown at {self.context:,}"
        return f"measured at {self.context:,} tokens"


@dataclass(frozen=True)
class LlmCatalogue:
    models: list[ModelSpec]
    quants: list[QuantSpec]
    measurements: list[Measured]
    families: tuple[Family, ...]
    eras: tuple[Era, ...] = ()
    # The stored leave-one-out backtest (catalog.LlmBacktest); None: run it here.
    stored_backtests: list[Backtest] | None = None
    # The stored calibration with each family's expected error (catalog.LlmCalibration); None:
    # fit it here.
    stored_calibration: Calibration | None = None

    def model(self, slug: str) -> ModelSpec | None:
        return next((m for m in self.models if m.slug == slug), None)

    def quant(self, slug: str) -> QuantSpec | None:
        return next((q for q in self.quants if q.slug == slug), None)

    @cached_property
    def report(self) -> CalibrationReport:
        """The calibration on every measurement with its backtest: the stored ones where the
        catalogue has them (the stored backtest alone: one full fit), else run here (one fit per
        measurement)."""
        if self.stored_backtests is None:
            return calibrate(self.measurements, self.families, self.eras)
        calibration = self.stored_calibration
        if calibration is None:
            calibration = with_expected_errors(
                fit_points(self.measurements, self.families, self.eras), self.stored_backtests
            )
        return CalibrationReport(calibration, self.stored_backtests)

    @cached_property
    def calibration(self) -> Calibration:
        """The stored calibration, else the report's (read once per card run: cached)."""
        if self.stored_calibration is not None:
            return self.stored_calibration
        return self.report.calibration

    @cached_property
    def measured_by_key(self) -> dict[tuple[str, str, str, str], Measured]:
        """The newest current-build measurement per (card, model, quantisation, backend): one
        from before its backend's latest era shows an older build's speed, so the card's figure
        stays the estimate."""
        best: dict[tuple[str, str, str, str], Measured] = {}
        for m in sorted(self.measurements, key=lambda m: m.published_on):
            if not earlier_build(m.backend_key, m.published_on, self.eras):
                best[(m.card.slug, m.model.slug, m.quant_slug, m.backend_key)] = m
        return best

    def fit_for(self, card: CardSpec) -> FamilyFit | None:
        """The card's own backend family's fit; None where llama.cpp does not run it."""
        if not card.runs_llama_cpp:
            return None
        key = family_key(card, card.backend, self.families)
        return self.calibration.fit(key) if key else None

    def decode(
        self, model: ModelSpec, quant: QuantSpec, context: int, card: CardSpec
    ) -> float | None:
        """The estimate of one device's single-stream decode on the card's own backend."""
        fit = self.fit_for(card)
        return None if fit is None else self._decode(model, quant, context, card, fit)

    def _decode(self, model, quant, context, card, fit, read_gib=None) -> float | None:
        calibration = self.calibration
        bits, factor = quant.bits_per_weight, calibration.quant_factor(quant.slug)
        floor = calibration.floor_for(fit.key, per_core=per_core_floor(card))
        return estimate_decode(model, bits, context, card, fit, floor, factor, read_gib)

    def run(
        self,
        *,
        model: ModelSpec,
        quant: QuantSpec,
        context: int,
        card: CardSpec,
        work: Workload | None = None,
    ) -> CardRun:
        """Fit, cards needed and speeds of one model on one card. A measurement on the card's own
        backend of the same model and quantisation, on one device, stands in for the estimate,
        scaled to the context shown by the card's own decode model; its prompt speed, where it
        has one, stands in for the compute estimate. `work`: the model's figures a table of
        cards shares (`workload`), worked out once for it."""
        work = work or workload(model, quant.bits_per_weight, context)
        weights, kv_cache = work.weights_gib, work.kv_cache_gib
        devices = devices_for(weights + kv_cache, card.device_memory_gb)
        needed = cards_for(devices, card.devices)
        if card.system and needed != 1:
            needed = None  # a model too big for one machine is not split over several
        fit = self.fit_for(card)
        decode = prefill = measured = None
        if fit is not None and needed is not None:
            decode = self._decode(model, quant, context, card, fit, work.read_gib)
            prefill = estimate_prefill(model, card, fit)
            measured = self.measured_by_key.get((card.slug, model.slug, quant.slug, card.backend))
            if measured and needed == 1 and devices == 1 and decode:
                then = self._decode(model, quant, measured.context, card, fit)
                decode = measured.decode_tokens_per_s * decode / then if then else None
                prefill = measured.prefill_tokens_per_s or prefill
            else:
                measured = None
        return CardRun(
            card=card,
            weights_gib=weights,
            kv_cache_gib=kv_cache,
            fits=None if not card.memory_gb else needed == 1,
            cards_needed=needed,
            devices_used=devices if needed is not None else None,
            decode_tokens_per_s=decode,
            prefill_tokens_per_s=prefill,
            basis="measured" if measured else "estimate" if fit else "no llama.cpp",
            context=context,
            measurement=measured,
            family=fit,
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
