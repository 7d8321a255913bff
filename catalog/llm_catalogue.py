"""The LLM catalogue from the database as catalog.llm's dataclasses, cached per page generation."""

from catalog.llm import CardSpec, LlmCatalogue, Measured, ModelSpec, QuantSpec, calibrate
from catalog.models import LlmMeasurement, LlmModel, Quantization
from shopagent.cache import at_generation

CACHE_SECONDS = 3600


def card_spec(gpu) -> CardSpec:
    return CardSpec(
        slug=gpu.slug,
        label=gpu.label,
        memory_gb=gpu.memory_gb,
        bandwidth_gbs=gpu.memory_bandwidth_gbs,
        fp16_tflops=gpu.fp16_tflops,
        prefill_tflops=gpu.fp16_fp16acc_tflops or gpu.fp16_tflops,
    )


def _model_spec(row) -> ModelSpec:
    return ModelSpec(
        slug=row.slug,
        name=row.name,
        total_params_b=row.total_params_b,
        active_params_b=row.active_params_b,
        layers=row.layers,
        kv_heads=row.kv_heads,
        head_dim=row.head_dim,
        max_context=row.max_context,
        config_url=row.config_url,
        url=row.url,
        licence=row.licence,
        notes=row.notes,
    )


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
        *(f"gpu__{f}" for f in ("slug", "label", "memory_gb", "memory_bandwidth_gbs")),
        "gpu__fp16_tflops",
        "gpu__fp16_fp16acc_tflops",
        "model__slug",
        "quant__slug",
        "quant__bits_per_weight",
        "context",
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "backend",
        "test",
        "source_url",
        "published_on",
        "measured_model",
    )
    measurements = [
        Measured(
            card=card_spec(row.gpu),
            model=by_slug[row.model.slug],
            quant_slug=row.quant.slug,
            bits_per_weight=row.quant.bits_per_weight,
            context=row.context,
            decode_tokens_per_s=row.decode_tokens_per_s,
            prefill_tokens_per_s=row.prefill_tokens_per_s,
            backend=row.backend,
            test=row.test,
            source_url=row.source_url,
            published_on=row.published_on.isoformat(),
            measured_model=row.measured_model,
        )
        for row in rows
        if row.model.slug in by_slug
    ]
    return LlmCatalogue(models, quants, measurements, calibrate(measurements))
