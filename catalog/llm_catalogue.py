"""The LLM catalogue from the database as catalog.llm's dataclasses, cached per page generation."""

import json
from dataclasses import fields
from pathlib import Path

from django.conf import settings

from catalog.llm import CardSpec, LlmCatalogue, Measured, ModelSpec, QuantSpec, memory_family
from catalog.llm_calibration import Family
from catalog.models import LlmMeasurement, LlmModel, Quantization
from shopagent.cache import at_generation

CACHE_SECONDS = 3600
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


def read_families(path: Path | None = None) -> tuple[Family, ...]:
    """The calibration families of fixtures/llm_calibration.json, in their order."""
    path = path or Path(settings.BASE_DIR) / "fixtures" / CALIBRATION_FILE
    rows = json.loads(path.read_text(encoding="utf-8"))["families"]
    return tuple(
        Family(
            key=row["key"],
            label=row["label"],
            backend=row["backend"],
            memory=row["memory"],
            manufacturers=tuple(row["manufacturers"]),
            architectures=tuple(row["architectures"]),
            borrows_from=row["borrows_from"],
        )
        for row in rows
    )


def _model_spec(row) -> ModelSpec:
    # ModelSpec's fields are LlmModel columns of the same names.
    return ModelSpec(**_columns(row, [f.name for f in fields(ModelSpec)]))


def _columns(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def load_llm_catalogue() -> LlmCatalogue:
    """The catalogue, cached until the next catalog or listings change bumps the page generation."""
    return at_generation(
        "llm-catalogue", compute=_read_llm_catalogue, seconds=CACHE_SECONDS, local=True
    )


def _read_llm_catalogue() -> LlmCatalogue:
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
    catalogue = LlmCatalogue(models, quants, measurements, read_families())
    catalogue.report  # noqa: B018 - the backtest is computed once, with the cached catalogue
    return catalogue
