"""The LLM catalogue from the database as catalog.llm's dataclasses."""

import hashlib
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
    FormFactor,
    Gpu,
    LlmBacktest,
    LlmCalibration,
    LlmFamilyFit,
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
# The LlmModel columns a ModelSpec is made of, under the same names.
MODEL_SPEC_FIELDS = tuple(f.name for f in fields(ModelSpec))
# The LlmFamilyFit columns a stored family fit is made of, under FamilyFit's names.
FAMILY_FIT_COLUMNS = tuple(f.name for f in fields(FittedFamily) if f.name != "family")
# The LlmCalibration columns: Calibration's figures besides its fits, and what it was fitted on.
CALIBRATION_COLUMNS = (
    "moe_floor",
    "moe_points",
    "core_moe_floor",
    "unified_moe_floor",
    "overall_error_pct",
    "quant_factors",
    "earlier_factors",
    "measurements",
    "fixture_sha256",
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
    """A Gpu's LLM figures."""
    return card_spec_of({column: getattr(gpu, column) for column in CARD_SPEC_COLUMNS})


def card_spec_of(row: dict) -> CardSpec:
    """A card's LLM figures from its CARD_SPEC_COLUMNS by name (a `values()` row): the memory a
    model must fit in is the GPU's share of a computer's unified memory (Gpu.llm_memory_gb)."""
    system = row["form_factor"] == FormFactor.SYSTEM
    return CardSpec(
        slug=row["slug"],
        label=row["label"],
        memory_gb=row["gpu_memory_gb"] or row["memory_gb"],
        bandwidth_gbs=row["memory_bandwidth_gbs"],
        fp16_tflops=row["fp16_tflops"],
        prefill_tflops=row["fp16_fp16acc_tflops"] or row["fp16_tflops"],
        memory_family=memory_family(row["memory_type"]),
        fp32_tflops=row["fp32_tflops"],
        devices=row["devices"],
        backend=row["llama_cpp_backend"],
        manufacturer=row["manufacturer"],
        architecture=row["architecture"],
        runs_with=row["runs_llms_with"],
        gpu_cores=row["gpu_cores"],
        system=system,
        total_memory_gb=row["memory_gb"] if system else None,
    )


@dataclass(frozen=True)
class CalibrationFixture:
    """fixtures/llm_calibration.json: its calibration families, in their order, its backend eras
    (dated kernel changes after which earlier measurements on that backend no longer show
    today's speed) and the file's digest, which a stored fit names so that a fit made with other
    families or eras is never read as this one's."""

    families: tuple[Family, ...]
    eras: tuple[Era, ...]
    sha256: str


def read_calibration(path: Path | None = None) -> CalibrationFixture:
    """fixtures/llm_calibration.json, read once."""
    path = path or Path(settings.BASE_DIR) / "fixtures" / CALIBRATION_FILE
    raw = path.read_bytes()
    data = json.loads(raw)
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
    return CalibrationFixture(families, eras, hashlib.sha256(raw).hexdigest())


def load_llm_catalogue(
    *,
    stored: bool = True,
    backtests: bool = False,
    cards: dict[int, CardSpec] | None = None,
    fixture: CalibrationFixture | None = None,
) -> LlmCatalogue:
    """Every LLM, quantisation and measurement, with the decode fit and each family's expected
    error as `record_llm_figures` stored them while they match these measurements (else fitted
    here on the stored backtest, or with a backtest run here when none is stored) and, with
    `backtests`, the stored leave-one-out backtest itself (the methodology page shows it; the
    pages that only estimate need it only to fit). `stored=False` fits and backtests afresh.
    `cards`, every card's figures by its Gpu id where the page has read them already, spares
    the measurements reading them again."""
    # ModelSpec's fields are LlmModel columns of the same names; both by id, in their order.
    models = {
        row.pop("pk"): ModelSpec(**row) for row in LlmModel.objects.values("pk", *MODEL_SPEC_FIELDS)
    }
    quants = {
        row.pop("pk"): QuantSpec(**row)
        for row in Quantization.objects.values("pk", "slug", "name", "bits_per_weight")
    }
    measurements = _measurements(models, quants, cards)
    fixture = fixture or read_calibration()
    # Without measurements the fit is the typical figures: nothing stored to read.
    calibration = (
        _stored_calibration(fixture, len(measurements)) if stored and measurements else None
    )
    kept = None
    if stored and (backtests or calibration is None):
        kept = _stored_backtests(measurements)
    return LlmCatalogue(
        list(models.values()),
        list(quants.values()),
        measurements,
        fixture.families,
        fixture.eras,
        kept,
        calibration,
    )


def _measurements(
    models: dict[int, ModelSpec], quants: dict[int, QuantSpec], cards: dict[int, CardSpec] | None
) -> list[Measured]:
    """Every measurement, with its model, quantisation and card's figures, in the order they
    were added (one query, joining the cards only where `cards` is not given)."""
    gpu_columns = ("gpu_id",) if cards else tuple(f"gpu__{c}" for c in CARD_SPEC_COLUMNS)
    rows = LlmMeasurement.objects.order_by("pk").values(
        "pk", "model_id", "quant_id", "published_on", *MEASURED_COLUMNS, *gpu_columns
    )
    measured = []
    for row in rows:
        quant = quants[row["quant_id"]]
        card = (
            cards[row["gpu_id"]]
            if cards
            else card_spec_of({column: row[f"gpu__{column}"] for column in CARD_SPEC_COLUMNS})
        )
        measured.append(
            Measured(
                card=card,
                model=models[row["model_id"]],
                quant_slug=quant.slug,
                bits_per_weight=quant.bits_per_weight,
                published_on=row["published_on"].isoformat(),
                pk=row["pk"],
                **{column: row[column] for column in MEASURED_COLUMNS},
            )
        )
    return measured


def _stored_backtests(measurements: list[Measured]) -> list[Backtest] | None:
    """The backtest `record_llm_figures` stored, on these measurements; None when nothing is
    stored for them (a catalogue not loaded through `load_catalog`): then it is run."""
    if not measurements:
        return []
    by_pk = {m.pk: m for m in measurements}
    rows = LlmBacktest.objects.order_by("measurement_id").values_list(
        "measurement_id", "family_key", "estimate_tokens_per_s", "error_pct", "earlier_build"
    )
    backtests = [
        Backtest(by_pk[pk], key, estimate, error, earlier)
        for pk, key, estimate, error, earlier in rows
        if pk in by_pk
    ]
    return backtests or None


def _stored_calibration(fixture: CalibrationFixture, measurements: int) -> Calibration | None:
    """The fit `record_llm_figures` stored (one query); None when none is stored or it was made
    on another number of measurements or with another calibration fixture: then it is fitted."""
    rows = list(
        LlmFamilyFit.objects.order_by("position").values(
            "family_key", *FAMILY_FIT_COLUMNS, *(f"calibration__{c}" for c in CALIBRATION_COLUMNS)
        )
    )
    if not rows:
        return None
    head = {column: rows[0][f"calibration__{column}"] for column in CALIBRATION_COLUMNS}
    if (
        head.pop("measurements") != measurements
        or head.pop("fixture_sha256") != fixture.sha256
        or [row["family_key"] for row in rows] != [family.key for family in fixture.families]
    ):
        return None
    fits = tuple(
        FittedFamily(family, **{column: row[column] for column in FAMILY_FIT_COLUMNS})
        for family, row in zip(fixture.families, rows, strict=True)
    )
    # Stored as JSON objects; the fit keeps them as (key, factor) pairs in key order.
    head["quant_factors"] = tuple(sorted(head["quant_factors"].items()))
    head["earlier_factors"] = tuple(sorted(head["earlier_factors"].items()))
    return Calibration(fits, **head)


def record_llm_figures() -> int:
    """Run the leave-one-out backtest on the catalogue as it is now, the calibration with each
    family's expected error, and every card's run of the reference model, and store them,
    replacing the last; returns how many measurements the backtest estimated."""
    fixture = read_calibration()
    catalogue = load_llm_catalogue(stored=False, fixture=fixture)
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
        _store_calibration(report.calibration, len(catalogue.measurements), fixture, now)
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


def _store_calibration(
    calibration: Calibration, measurements: int, fixture: CalibrationFixture, now
) -> None:
    """The calibration as one LlmCalibration row and a LlmFamilyFit row per family, replacing
    the last."""
    LlmCalibration.objects.all().delete()
    stored = LlmCalibration.objects.create(
        moe_floor=calibration.moe_floor,
        moe_points=calibration.moe_points,
        core_moe_floor=calibration.core_moe_floor,
        unified_moe_floor=calibration.unified_moe_floor,
        overall_error_pct=calibration.overall_error_pct,
        quant_factors=dict(calibration.quant_factors),
        earlier_factors=dict(calibration.earlier_factors),
        measurements=measurements,
        fixture_sha256=fixture.sha256,
        computed_at=now,
    )
    LlmFamilyFit.objects.bulk_create(
        LlmFamilyFit(
            calibration=stored,
            position=position,
            family_key=fit.key,
            **{column: getattr(fit, column) for column in FAMILY_FIT_COLUMNS},
        )
        for position, fit in enumerate(calibration.fits)
    )


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
    catalogue = catalogue or load_llm_catalogue(backtests=True)
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
