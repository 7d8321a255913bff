"""The local-LLM catalogue: open models, quantisations, published tokens/s measurements and the
stored leave-one-out backtest of the speed estimates on them."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from catalog.models.cards import WEB_URL, Gpu, admin_edits_field

# Model names carry versions ("Llama 3.1"), so their slugs keep the dot.
LLM_SLUG = RegexValidator(
    r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$", "Use lowercase letters, digits, hyphens and dots."
)


class LlmModel(models.Model):
    """An open large language model people run locally, with what the memory arithmetic needs.

    Architecture figures come from the model's Hugging Face config.json (`config_url`).
    """

    slug = models.CharField(
        max_length=100,
        unique=True,
        validators=[LLM_SLUG],
        help_text="Lowercase words joined by hyphens; dots allowed in versions (llama-3.1-8b).",
    )
    name = models.CharField(max_length=120)
    family = models.CharField(max_length=60, help_text="e.g. Llama 3.1, Qwen3, Gemma 2")
    total_params_b = models.FloatField("total parameters (billions)")
    active_params_b = models.FloatField(
        "active parameters per token (billions)", help_text="Equal to total for dense models."
    )
    layers = models.PositiveSmallIntegerField("transformer layers")
    hidden_size = models.PositiveIntegerField()
    attention_heads = models.PositiveSmallIntegerField()
    kv_heads = models.PositiveSmallIntegerField("key/value heads")
    head_dim = models.PositiveSmallIntegerField("head dimension")
    experts = models.PositiveSmallIntegerField("experts (MoE)", null=True, blank=True)
    active_experts = models.PositiveSmallIntegerField("experts per token", null=True, blank=True)
    max_context = models.PositiveIntegerField("context the model supports (tokens)")
    sliding_window = models.PositiveIntegerField(
        "sliding window (tokens)",
        null=True,
        blank=True,
        help_text="config.json's sliding_window, for models whose sliding-window layers attend to "
        "only the last N tokens; blank when every layer attends to the whole context.",
    )
    sliding_layers = models.PositiveSmallIntegerField(
        "layers with a sliding window",
        null=True,
        blank=True,
        help_text="How many of the layers use the window (from config.json's layer pattern).",
    )
    vocab_size = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="config.json's vocab_size. A generated token looks up one row of the input "
        "embedding table, so a token reads vocab size x hidden size fewer weights than the model "
        "holds (unless the output layer shares that table); blank when unknown.",
    )
    tie_word_embeddings = models.BooleanField(
        "output layer shares the embedding table",
        null=True,
        blank=True,
        help_text="config.json's tie_word_embeddings: the shared table is read whole by the "
        "output layer for every token; blank when unknown.",
    )
    fixed_params_b = models.FloatField(
        "parameters kept at a fixed format (billions)",
        null=True,
        blank=True,
        help_text="Weights every published file keeps at one format whatever the quantisation "
        "(gpt-oss keeps its MoE experts in MXFP4); empty when every weight takes the quantisation.",
    )
    fixed_bits_per_weight = models.FloatField(
        "bits per weight of the fixed-format parameters", null=True, blank=True
    )
    fixed_weights_note = models.TextField(
        "fixed-format weights: what and why", blank=True, help_text="How the count is worked out."
    )
    fixed_weights_source_url = models.URLField(
        "source of the fixed format", max_length=500, blank=True, validators=[WEB_URL]
    )
    licence = models.CharField(max_length=120, blank=True)
    url = models.URLField("model card", max_length=500, validators=[WEB_URL])
    config_url = models.URLField(
        "config.json the architecture comes from", max_length=500, validators=[WEB_URL]
    )
    notes = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "LLM"
        verbose_name_plural = "LLMs"
        constraints = [
            models.CheckConstraint(
                condition=Q(total_params_b__gt=0)
                & Q(active_params_b__gt=0)
                & Q(active_params_b__lte=F("total_params_b")),
                name="llm_params_positive_active_within_total",
            ),
            models.CheckConstraint(
                condition=(Q(fixed_params_b__isnull=True) & Q(fixed_bits_per_weight__isnull=True))
                | (
                    Q(fixed_params_b__gt=0)
                    & Q(fixed_params_b__lte=F("total_params_b"))
                    & Q(fixed_bits_per_weight__gt=0)
                ),
                name="llm_fixed_weights_both_or_neither_within_total",
            ),
            models.CheckConstraint(
                condition=(Q(sliding_window__isnull=True) & Q(sliding_layers__isnull=True))
                | (
                    Q(sliding_window__gt=0)
                    & Q(sliding_layers__gt=0)
                    & Q(sliding_layers__lte=F("layers"))
                ),
                name="llm_sliding_window_both_or_neither_within_layers",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("metrics:llm-model", kwargs={"slug": self.slug})


class Quantization(models.Model):
    """A llama.cpp weight format and its average bits per weight."""

    slug = models.SlugField(max_length=30, unique=True, help_text="e.g. q4_k_m")
    name = models.CharField(max_length=30, help_text="e.g. Q4_K_M")
    bits_per_weight = models.FloatField()
    source_url = models.URLField(max_length=500, blank=True, validators=[WEB_URL])
    notes = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bits_per_weight__gt=0) & Q(bits_per_weight__lte=32),
                name="quantization_bits_in_range",
            ),
        ]

    def __str__(self):
        return self.name


class LlmMeasurement(models.Model):
    """A published single-stream tokens/s figure: one card, one model, one quantisation."""

    gpu = models.ForeignKey(Gpu, on_delete=models.CASCADE, related_name="llm_measurements")
    model = models.ForeignKey(LlmModel, on_delete=models.CASCADE, related_name="measurements")
    quant = models.ForeignKey(Quantization, on_delete=models.PROTECT, related_name="measurements")
    backend = models.CharField(max_length=60, help_text="e.g. llama.cpp CUDA, llama.cpp Vulkan")
    test = models.CharField(max_length=60, blank=True, help_text="e.g. llama-bench tg128")
    context = models.PositiveIntegerField("tokens in the KV cache while measured", default=128)
    decode_tokens_per_s = models.FloatField()
    prefill_tokens_per_s = models.FloatField(null=True, blank=True)
    measured_model = models.CharField(
        max_length=200, blank=True, help_text="The exact model file, when it differs."
    )
    source_url = models.URLField(max_length=500, validators=[WEB_URL])
    published_on = models.DateField()
    build = models.CharField(
        "llama.cpp build",
        max_length=60,
        blank=True,
        help_text="The build number or commit the source reports, e.g. b2824 or 5cca2542a.",
    )
    notes = models.TextField(blank=True)
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["model", "quant", "gpu", "-published_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["gpu", "model", "quant", "backend", "source_url"],
                name="llm_measurement_unique_source",
            ),
            models.CheckConstraint(
                condition=Q(decode_tokens_per_s__gt=0), name="llm_measurement_decode_positive"
            ),
        ]

    def __str__(self):
        return f"{self.gpu} / {self.model} {self.quant}: {self.decode_tokens_per_s} tok/s"


class LlmBacktest(models.Model):
    """One measurement against the estimate the calibration makes without it: the leave-one-out
    backtest behind every estimate's expected error. Rewritten whenever the catalogue changes
    (`load_catalog`, an admin edit), so a page reads it instead of refitting once per point."""

    measurement = models.OneToOneField(
        LlmMeasurement, on_delete=models.CASCADE, related_name="backtest"
    )
    family_key = models.CharField(max_length=60)
    estimate_tokens_per_s = models.FloatField()
    error_pct = models.FloatField(help_text="Signed: above zero the estimate is faster.")
    earlier_build = models.BooleanField(
        default=False, help_text="Estimated with its backend's earlier-build factor."
    )
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.measurement}: {self.error_pct:+.1f}%"


class LlmReferenceRun(models.Model):
    """A card running the reference model (catalog.llm.REFERENCE_MODEL at REFERENCE_QUANT, the
    default context) on one card or several: its decode speed and that figure's basis. Rewritten
    with the LLM backtest whenever the catalogue changes (`load_catalog`, an admin edit), so a page
    showing one LLM figure for many cards (the market reports' value bands) reads it instead of
    loading the catalogue and estimating every card. No row: the card cannot run the model
    (llama.cpp does not run it, its memory is unknown or it needs more than MAX_CARDS)."""

    gpu = models.OneToOneField(Gpu, on_delete=models.CASCADE, related_name="llm_reference_run")
    cards_needed = models.PositiveSmallIntegerField()
    decode_tokens_per_s = models.FloatField()
    basis_note = models.CharField(
        max_length=120, help_text='"measured at 4,096 tokens", "estimate ±12%" and the like.'
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["gpu"]

    def __str__(self):
        return f"{self.gpu_id}: {self.decode_tokens_per_s:.0f} tokens/s ({self.basis_note})"


class LlmCalibration(models.Model):
    """The decode fit on every measurement (catalog.llm_calibration.Calibration) less its
    families' fits (LlmFamilyFit): the MoE floors, quantisation and earlier-build factors and the
    overall expected error. One row, rewritten with the LLM backtest whenever the catalogue
    changes (`load_catalog`, an admin edit), so a page reads the fit instead of refitting. Pages
    use it only while it matches what it was fitted on (as many measurements, the same
    calibration fixture); otherwise they fit again."""

    moe_floor = models.FloatField()
    moe_points = models.PositiveIntegerField()
    core_moe_floor = models.FloatField()
    unified_moe_floor = models.FloatField(null=True)
    overall_error_pct = models.FloatField(null=True)
    quant_factors = models.JSONField(help_text="Quantisation slug -> factor on its bytes time.")
    earlier_factors = models.JSONField(help_text="Backend -> its earlier-build factor.")
    measurements = models.PositiveIntegerField(help_text="How many measurements it was fitted on.")
    fixture_sha256 = models.CharField(
        max_length=64, help_text="The calibration fixture (families and eras) it was fitted with."
    )
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"LLM calibration on {self.measurements} measurements, {self.computed_at:%Y-%m-%d}"


class LlmFamilyFit(models.Model):
    """One backend family's stored fit (catalog.llm_calibration.FamilyFit), in the fixture's
    order, with its expected error from the stored backtest."""

    calibration = models.ForeignKey(LlmCalibration, on_delete=models.CASCADE, related_name="fits")
    position = models.PositiveSmallIntegerField()
    family_key = models.CharField(max_length=60)
    efficiency = models.FloatField()
    layer_overhead_us = models.FloatField()
    prefill_efficiency = models.FloatField()
    shader_prefill_efficiency = models.FloatField()
    points = models.PositiveIntegerField()
    core_prefill_gflops = models.FloatField(null=True)
    borrowed_from = models.CharField(max_length=60, blank=True)
    overhead_borrowed = models.BooleanField(default=False)
    typical = models.BooleanField(default=False)
    expected_error_pct = models.FloatField(null=True)
    expected_error_is_own = models.BooleanField(default=False)
    moe_floor = models.FloatField(null=True)

    class Meta:
        ordering = ["calibration", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["calibration", "family_key"], name="llm_family_fit_unique_family"
            ),
        ]

    def __str__(self):
        return f"{self.family_key}: efficiency {self.efficiency:.2f}"
