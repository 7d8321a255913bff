"""The LLM catalogue from the database as catalog.llm's dataclasses."""

import json
from dataclasses import dataclass, fields
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.llm import (
    DEFAULT_CONTEXT,
    MAX_CARDS,
    REFERENCE_MODEL,
    REFERENCE_QUANT,
    RUNTIME_OVERHEAD_GIB,
    CardRun,
    CardSpec,
    LlmCatalogue,
    Measured,
    ModelOnCard,
    ModelSpec,
    QuantSpec,
    memory_family,
    models_on_card,
)
from catalog.llm_calibration import (
    FULL_FIT_POINTS,
    OWN_FLOOR_POINTS,
    Backtest,
    BacktestSummary,
    Calibration,
    Era,
    Family,
)
from catalog.llm_calibration import FamilyFit as FittedFamily
from catalog.models import (
    Gpu,
    LlmBacktest,
    LlmMeasurement,
    LlmModel,
    LlmReferenceRun,
    Quantization,
)

CALIBRATION_FILE = "llm_calibration.json"
# The Gpu columns card_spec reads.
CARD_SPEC_COLUMNS = (
    "slug",
    "label",
    "manufacturer",
    "architecture",
    "memory_gb",
    "gpu_memory_gb",
    "memory_bandwidth_gbs",
    "fp32_tflops",
    "fp16_tflops",
    "fp16_fp16acc_tflops",
    "memory_type",
    "devices",
    "llama_cpp_backend",
    "runs_llms_with",
    "gpu_cores",
    "form_factor",
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
    "build",
)


def card_spec(gpu) -> CardSpec:
    return CardSpec(
        slug=gpu.slug,
        label=gpu.label,
        memory_gb=gpu.llm_memory_gb,
        bandwidth_gbs=gpu.memory_bandwidth_gbs,
        fp16_tflops=gpu.fp16_tflops,
        prefill_tflops=gpu.fp16_fp16acc_tflops or gpu.fp16_tflops,
        memory_family=memory_family(gpu.memory_type),
        fp32_tflops=gpu.fp32_tflops,
        devices=gpu.devices,
        backend=gpu.llama_cpp_backend,
        manufacturer=gpu.manufacturer,
        architecture=gpu.architecture,
        runs_with=gpu.runs_llms_with,
        gpu_cores=gpu.gpu_cores,
        system=gpu.is_system,
        total_memory_gb=gpu.memory_gb if gpu.is_system else None,
    )


def read_calibration(path: Path | None = None) -> tuple[tuple[Family, ...], tuple[Era, ...]]:
    """fixtures/llm_calibration.json, read once: its calibration families, in their order, and
    its backend eras (dated kernel changes after which earlier measurements on that backend no
    longer show today's speed)."""
    path = path or Path(settings.BASE_DIR) / "fixtures" / CALIBRATION_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    families = tuple(
        Family(
            key=row["key"],
            label=row["label"],
            backend=row["backend"],
            memory=row["memory"],
            manufacturers=tuple(row["manufacturers"]),
            architectures=tuple(row["architectures"]),
            borrows_from=row["borrows_from"],
            unified=row.get("unified", False),
        )
        for row in data["families"]
    )
    eras = tuple(
        Era(row["backend"], row["since"], row.get("reason", ""), row.get("source_url", ""))
        for row in data.get("eras", [])
    )
    return families, eras


def _model_spec(row) -> ModelSpec:
    # ModelSpec's fields are LlmModel columns of the same names.
    return ModelSpec(**_columns(row, [f.name for f in fields(ModelSpec)]))


def _columns(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def load_llm_catalogue(*, with_stored_backtest: bool = True) -> LlmCatalogue:
    """Every LLM, quantisation and measurement, with the decode fit calibrated on them and the
    stored leave-one-out backtest behind each family's expected error."""
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
            pk=row.pk,
            **_columns(row, MEASURED_COLUMNS),
        )
        for row in rows
        if row.model.slug in by_slug
    ]
    stored = _stored_backtests(measurements) if with_stored_backtest else None
    families, eras = read_calibration()
    return LlmCatalogue(models, quants, measurements, families, eras, stored)


def _stored_backtests(measurements: list[Measured]) -> list[Backtest] | None:
    """The backtest `record_llm_figures` stored, on these measurements; None when nothing is
    stored for them (a catalogue not loaded through `load_catalog`): then it is run."""
    by_pk = {m.pk: m for m in measurements}
    rows = LlmBacktest.objects.filter(measurement_id__in=by_pk).order_by("measurement_id")
    backtests = [
        Backtest(
            by_pk[row.measurement_id],
            row.family_key,
            row.estimate_tokens_per_s,
            row.error_pct,
            row.earlier_build,
        )
        for row in rows
    ]
    return backtests if backtests or not measurements else None


def record_llm_figures() -> int:
    """Run the leave-one-out backtest on the catalogue as it is now and every card's run of the
    reference model, and store both, replacing the last; returns how many measurements the
    backtest estimated."""
    catalogue = load_llm_catalogue(with_stored_backtest=False)
    report = catalogue.report
    now = timezone.now()
    with transaction.atomic():
        LlmBacktest.objects.all().delete()
        LlmBacktest.objects.bulk_create(
            LlmBacktest(
                measurement_id=b.point.pk,
                family_key=b.family_key,
                estimate_tokens_per_s=b.estimate,
                error_pct=b.error_pct,
                earlier_build=b.earlier,
                computed_at=now,
            )
            for b in report.backtests
        )
        LlmReferenceRun.objects.all().delete()
        LlmReferenceRun.objects.bulk_create(
            LlmReferenceRun(
                gpu_id=gpu_id,
                cards_needed=run.cards_needed,
                decode_tokens_per_s=run.decode_tokens_per_s,
                basis_note=" ".join(part for part in (run.basis_label, run.error_label) if part),
                computed_at=now,
            )
            for gpu_id, run in _reference_runs(catalogue)
            if run.cards_needed is not None and run.decode_tokens_per_s is not None
        )
    return len(report.backtests)


def _reference_runs(catalogue: LlmCatalogue) -> list[tuple[int, CardRun]]:
    """Each card's run of the reference model at the default context, by Gpu id."""
    model, quant = catalogue.model(REFERENCE_MODEL), catalogue.quant(REFERENCE_QUANT)
    if model is None or quant is None:
        return []
    return [
        (
            gpu.pk,
            catalogue.run(model=model, quant=quant, context=DEFAULT_CONTEXT, card=card_spec(gpu)),
        )
        for gpu in Gpu.objects.only(*CARD_SPEC_COLUMNS)
    ]


@dataclass(frozen=True)
class CardModels:
    """A card's "runs these models" table: every catalogued LLM at one quantisation and the
    default context on that card."""

    gpu_label: str
    quant: QuantSpec | None
    rows: list[ModelOnCard]
    context: int = DEFAULT_CONTEXT
    overhead_gib: float = RUNTIME_OVERHEAD_GIB
    laptop: bool = False  # a laptop GPU: one per machine, so no multi-card setup


def models_on(gpu, *, catalogue: LlmCatalogue | None = None) -> CardModels:
    """Which catalogued LLMs the card holds at Q4_K_M and the default context, and how fast."""
    catalogue = catalogue or load_llm_catalogue()
    quant, rows = models_on_card(catalogue, card_spec(gpu))
    return CardModels(gpu_label=gpu.label, quant=quant, rows=rows, laptop=gpu.is_laptop)


@dataclass(frozen=True)
class FamilyRow:
    """One backend family's fit and the leave-one-out backtest of its own measurements."""

    fit: FittedFamily
    summary: BacktestSummary


@dataclass(frozen=True)
class CalibrationScope:
    """What the measurements cover, so estimates for other cards are read as extrapolated."""

    cards: list[str]
    min_bandwidth_gbs: float | None
    max_bandwidth_gbs: float | None
    moe_points: int


@dataclass(frozen=True)
class LlmMethodology:
    """The methodology page's LLM section: each backend family's fit, the leave-one-out backtest
    behind its expected error (every measured point, estimated without it), what the points
    cover, and the fixed assumptions."""

    calibration: Calibration
    families: list[FamilyRow]
    overall: BacktestSummary
    backtests: list[Backtest]
    scope: CalibrationScope
    quants: list[QuantSpec]
    eras: tuple[Era, ...] = ()
    overhead_gib: float = RUNTIME_OVERHEAD_GIB
    default_context: int = DEFAULT_CONTEXT
    max_cards: int = MAX_CARDS
    full_fit_points: int = FULL_FIT_POINTS
    own_floor_points: int = OWN_FLOOR_POINTS


def llm_methodology(*, catalogue: LlmCatalogue | None = None) -> LlmMethodology:
    """Each backend family's fit, its backtest and what the measurements cover."""
    catalogue = catalogue or load_llm_catalogue()
    report = catalogue.report
    return LlmMethodology(
        calibration=report.calibration,
        families=[
            FamilyRow(fit=fit, summary=summary)
            for fit, summary in zip(report.calibration.fits, report.summaries(), strict=True)
        ],
        overall=report.overall,
        backtests=report.backtests,
        scope=_calibration_scope(report.backtests),
        quants=catalogue.quants,
        eras=catalogue.eras,
    )


def _calibration_scope(backtests: list[Backtest]) -> CalibrationScope:
    bandwidths = [b.point.card.device_bandwidth_gbs for b in backtests]
    return CalibrationScope(
        cards=sorted({b.point.card.label for b in backtests}),
        min_bandwidth_gbs=min(bandwidths, default=None),
        max_bandwidth_gbs=max(bandwidths, default=None),
        moe_points=sum(1 for b in backtests if b.point.model.is_moe),
    )
