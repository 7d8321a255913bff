"""The LLM catalogue from the database as catalog.llm's dataclasses."""

from dataclasses import dataclass, fields

from catalog.llm import (
    DEFAULT_CONTEXT,
    MAX_CARDS,
    MIN_FAMILY_POINTS,
    RUNTIME_OVERHEAD_GIB,
    Calibration,
    CardSpec,
    DecodeFit,
    FitError,
    LlmCatalogue,
    Measured,
    ModelOnCard,
    ModelSpec,
    QuantSpec,
    calibrate,
    memory_family,
    models_on_card,
)
from catalog.models import LlmMeasurement, LlmModel, Quantization

# The Gpu columns card_spec reads.
CARD_SPEC_COLUMNS = (
    "slug",
    "label",
    "memory_gb",
    "memory_bandwidth_gbs",
    "fp16_tflops",
    "fp16_fp16acc_tflops",
    "memory_type",
)
# The LlmMeasurement columns a Measured carries as they are.
MEASURED_COLUMNS = (
    "context",
    "decode_tokens_per_s",
    "prefill_tokens_per_s",
    "backend",
    "test",
    "source_url",
    "measured_model",
)


def card_spec(gpu) -> CardSpec:
    return CardSpec(
        slug=gpu.slug,
        label=gpu.label,
        memory_gb=gpu.memory_gb,
        bandwidth_gbs=gpu.memory_bandwidth_gbs,
        fp16_tflops=gpu.fp16_tflops,
        prefill_tflops=gpu.fp16_fp16acc_tflops or gpu.fp16_tflops,
        memory_family=memory_family(gpu.memory_type),
    )


def _model_spec(row) -> ModelSpec:
    # ModelSpec's fields are LlmModel columns of the same names.
    return ModelSpec(**_columns(row, [f.name for f in fields(ModelSpec)]))


def _columns(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def load_llm_catalogue() -> LlmCatalogue:
    """Every LLM, quantisation and measurement, with the decode fit calibrated on them."""
    models = [_model_spec(row) for row in LlmModel.objects.all()]
    by_slug = {m.slug: m for m in models}
    quants = [
        QuantSpec(q.slug, q.name, q.bits_per_weight)
        for q in Quantization.objects.only("slug", "name", "bits_per_weight")
    ]
    rows = LlmMeasurement.objects.select_related("gpu", "model", "quant").only(
        "gpu",
        "model",
        "quant",
        *(f"gpu__{column}" for column in CARD_SPEC_COLUMNS),
        "model__slug",
        "quant__slug",
        "quant__bits_per_weight",
        "published_on",
        *MEASURED_COLUMNS,
    )
    measurements = [
        Measured(
            card=card_spec(row.gpu),
            model=by_slug[row.model.slug],
            quant_slug=row.quant.slug,
            bits_per_weight=row.quant.bits_per_weight,
            published_on=row.published_on.isoformat(),
            **_columns(row, MEASURED_COLUMNS),
        )
        for row in rows
        if row.model.slug in by_slug
    ]
    return LlmCatalogue(models, quants, measurements, calibrate(measurements))


@dataclass(frozen=True)
class CardModels:
    """A card's "runs these models" table: every catalogued LLM at one quantisation and the
    default context on that card."""

    gpu_label: str
    quant: QuantSpec | None
    rows: list[ModelOnCard]
    context: int = DEFAULT_CONTEXT
    overhead_gib: float = RUNTIME_OVERHEAD_GIB


def models_on(gpu, *, catalogue: LlmCatalogue | None = None) -> CardModels:
    """Which catalogued LLMs the card holds at Q4_K_M and the default context, and how fast."""
    catalogue = catalogue or load_llm_catalogue()
    quant, rows = models_on_card(catalogue, card_spec(gpu))
    return CardModels(gpu_label=gpu.label, quant=quant, rows=rows)


@dataclass(frozen=True)
class FamilyFit:
    """One memory family's decode fit and its error on the family's own measurements."""

    fit: DecodeFit
    error: FitError


@dataclass(frozen=True)
class CalibrationScope:
    """What the calibration points cover, so the error figures are read as in-sample."""

    cards: list[str]
    min_bandwidth_gbs: float | None
    max_bandwidth_gbs: float | None
    moe_points: int
    moe_min_error_pct: float | None
    moe_max_error_pct: float | None


@dataclass(frozen=True)
class LlmMethodology:
    """The methodology page's LLM section: each family's fit and error, every calibration point,
    what they cover, and the fixed assumptions."""

    calibration: Calibration
    families: list[FamilyFit]
    error: FitError
    scope: CalibrationScope
    quants: list[QuantSpec]
    overhead_gib: float = RUNTIME_OVERHEAD_GIB
    default_context: int = DEFAULT_CONTEXT
    max_cards: int = MAX_CARDS
    min_family_points: int = MIN_FAMILY_POINTS


def llm_methodology(*, catalogue: LlmCatalogue | None = None) -> LlmMethodology:
    """The decode fit of each memory family, its error on every calibration point, and what the
    points cover."""
    catalogue = catalogue or load_llm_catalogue()
    error = catalogue.error()
    return LlmMethodology(
        calibration=catalogue.calibration,
        families=[
            FamilyFit(fit=fit, error=error.of_family(fit.family))
            for fit in catalogue.calibration.fits
        ],
        error=error,
        scope=_calibration_scope(error),
        quants=catalogue.quants,
    )


def _calibration_scope(error: FitError) -> CalibrationScope:
    bandwidths = [c.measured.card.bandwidth_gbs for c in error.checks]
    moe = [
        c.error_pct
        for c in error.checks
        if c.measured.model.active_params_b < c.measured.model.total_params_b
    ]
    return CalibrationScope(
        cards=sorted({c.measured.card.label for c in error.checks}),
        min_bandwidth_gbs=min(bandwidths, default=None),
        max_bandwidth_gbs=max(bandwidths, default=None),
        moe_points=len(moe),
        moe_min_error_pct=min(moe, default=None),
        moe_max_error_pct=max(moe, default=None),
    )
