"""What a card is: specs on one comparable basis, ML models, use cases, MLPerf results and cloud
offers."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from catalog.presentation import WEB_SCHEMES
from catalog.specs import POSITIVE_SPEC_FIELDS

# Source, log and reference URLs become links on pages, so only web addresses are stored.
WEB_URL = URLValidator(
    schemes=list(WEB_SCHEMES), message="Enter an http:// or https:// address.", code="web_url"
)


def validate_web_urls(value) -> None:
    """A list of http(s) addresses (a card's reference URLs)."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ValidationError("Enter a list of http:// or https:// addresses.")
    for url in value:
        WEB_URL(url)


def admin_edits_field() -> models.JSONField:
    """The names of the fields an admin changed on a row loaded from the fixtures."""
    return models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Fields an admin changed; load_catalog leaves them alone unless --overwrite.",
    )


class Manufacturer(models.TextChoices):
    NVIDIA = "NVIDIA", "NVIDIA"
    AMD = "AMD", "AMD"
    INTEL = "Intel"
    QUALCOMM = "Qualcomm"
    APPLE = "Apple"


class Category(models.TextChoices):
    """The market a card is made for: servers, professional workstations or gaming PCs."""

    DATACENTER = "datacenter"
    WORKSTATION = "workstation"
    GAMING = "gaming"


class FormFactor(models.TextChoices):
    """How a card fits a machine: a PCIe slot card, a module for a vendor's own board, a GPU
    built into laptops, or a whole computer."""

    PCIE = "pcie", "PCIe card"
    SXM = "sxm", "SXM module"
    OAM = "oam", "OAM module"
    SUPERCHIP = "superchip", "Superchip"
    MXM = "mxm", "MXM module"
    LAPTOP = "laptop", "Laptop GPU"
    SYSTEM = "system", "Whole computer"


# Modules that need their vendor's server board: the finder leaves them out unless asked.
SERVER_MODULES = (FormFactor.SXM, FormFactor.OAM, FormFactor.SUPERCHIP)
# What a desktop buyer can act on: a slot card, or a whole machine.
DESKTOP_FORM_FACTORS = (FormFactor.PCIE, FormFactor.SYSTEM)


class Cooling(models.TextChoices):
    """Active: the card's own fans. Passive: a heatsink that needs server airflow."""

    ACTIVE = "active"
    PASSIVE = "passive"


class LlamaCppBackend(models.TextChoices):
    """The llama.cpp backend a card runs best; blank where llama.cpp does not run it."""

    CUDA = "cuda", "CUDA"
    ROCM = "rocm", "ROCm"
    VULKAN = "vulkan", "Vulkan"
    SYCL = "sycl", "SYCL"
    METAL = "metal", "Metal"


# The memory technology on the card, as its datasheet names it: each name is its own label.
MEMORY_TYPES = (
    "GDDR5",
    "GDDR5X",
    "GDDR6",
    "GDDR6X",
    "GDDR7",
    "HBM2",
    "HBM2e",
    "HBM3",
    "HBM3e",
    "LPDDR4X",
    "LPDDR5",
    "LPDDR5X",
)


class MlSoftware(models.TextChoices):
    FIRST_CLASS = "first-class", "First-class"
    SUPPORTED = "supported"
    LIMITED = "limited"
    UNSUPPORTED = "unsupported"


class GpuQuerySet(models.QuerySet):
    def with_spec(self, field: str):
        """Cards that have a known, positive value for a spec field."""
        return self.filter(**{f"{field}__isnull": False, f"{field}__gt": 0})


# Names that sit where a card's slug goes in a page address (/ml/shop/gpu/<slug>/,
# /ml/learn/gpu/<slug>/) but belong to another page: a card slugged so would lose its page.
RESERVED_SLUGS = {
    "compare": "the compare page, /ml/shop/gpu/compare/",
    "performance": "the rankings, /ml/shop/gpu/performance/",
    "intel-habana-gaudi2": "the Gaudi 2's old learn page, which redirects to intel-gaudi2",
}


class Gpu(models.Model):
    """One card or accelerator. Performance figures are dense (no sparsity); FP32 is shader FP32."""

    slug = models.SlugField(max_length=100, unique=True)
    label = models.CharField(max_length=120)
    manufacturer = models.CharField(max_length=20, choices=Manufacturer.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    form_factor = models.CharField(
        max_length=20, choices=FormFactor.choices, default=FormFactor.PCIE
    )
    cooling = models.CharField(
        max_length=10, choices=Cooling.choices, blank=True, help_text="Blank = unknown."
    )
    power_connectors = models.CharField(
        max_length=120,
        blank=True,
        help_text='Board power inputs, e.g. "2x 8-pin PCIe", "1x 16-pin 12V-2x6", "none (powered '
        'through the module socket)"; blank = unknown.',
    )
    devices = models.PositiveSmallIntegerField(
        default=1,
        help_text="GPUs the system sees on this board (2 for an MI250 or a K80, 4 for an M10): "
        "memory, bandwidth and compute are split evenly between them.",
    )
    llama_cpp_backend = models.CharField(
        "llama.cpp backend",
        max_length=10,
        choices=LlamaCppBackend.choices,
        blank=True,
        help_text="The backend llama.cpp runs this card with; blank where llama.cpp does not run "
        "it (no llama.cpp speed is shown).",
    )
    runs_llms_with = models.CharField(
        "runs LLMs with",
        max_length=200,
        blank=True,
        help_text="Where llama.cpp does not run the card: the software that does (Optimum "
        "Habana, vLLM, the vendor's SDK).",
    )
    architecture = models.CharField(max_length=60, blank=True)
    release_date = models.DateField(null=True, blank=True)
    msrp_usd = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    memory_gb = models.FloatField("memory (GB)", null=True, blank=True)
    memory_bandwidth_gbs = models.FloatField("memory bandwidth (GB/s)", null=True, blank=True)
    memory_type = models.CharField(
        max_length=10,
        choices=[(name, name) for name in MEMORY_TYPES],
        blank=True,
        help_text="Blank = unknown.",
    )
    gpu_memory_gb = models.FloatField(
        "memory the GPU may use (GB)",
        null=True,
        blank=True,
        help_text="Whole computers with unified memory: the share the GPU may use by default "
        "(macOS's working-set limit, the BIOS or driver split, what the OS leaves); the LLM fit "
        "uses it. Blank on a card, whose memory is all the GPU's.",
    )
    gpu_cores = models.PositiveIntegerField(
        "GPU cores",
        null=True,
        blank=True,
        help_text="Apple GPU cores, AMD compute units or NVIDIA CUDA cores, as the vendor counts "
        "them (the spec notes say which); given for whole computers.",
    )
    fp32_tflops = models.FloatField("FP32 TFLOPS (non-tensor)", null=True, blank=True)
    fp16_tflops = models.FloatField(
        "FP16 tensor TFLOPS (dense, FP32 accumulate)", null=True, blank=True
    )
    fp16_fp16acc_tflops = models.FloatField(
        "FP16 tensor TFLOPS (dense, FP16 accumulate)", null=True, blank=True
    )
    fp8_tflops = models.FloatField("FP8 TFLOPS (dense)", null=True, blank=True)
    int8_tops = models.FloatField("INT8 TOPS (dense)", null=True, blank=True)
    tensor_cores = models.PositiveIntegerField(null=True, blank=True)
    l2_cache_mb = models.FloatField("L2 cache (MB)", null=True, blank=True)
    shared_memory_per_sm_kb = models.FloatField("shared memory per SM (KB)", null=True, blank=True)
    tdp_w = models.PositiveIntegerField(
        "board power (W)",
        null=True,
        blank=True,
        help_text="A card's rated board power; a whole computer's maximum power.",
    )
    typical_power_w = models.PositiveIntegerField(
        "typical power (W)",
        null=True,
        blank=True,
        help_text="A whole computer's typical power as its vendor states it (the chip's default "
        "power on Strix Halo and GB10); blank where the vendor gives none.",
    )
    cuda_compute_capability = models.CharField(max_length=10, blank=True)
    ml_software = models.CharField(
        "ML software support", max_length=20, choices=MlSoftware.choices, blank=True
    )
    ml_software_note = models.CharField("ML software support, why", max_length=200, blank=True)
    source_url = models.URLField(
        "spec source",
        max_length=500,
        blank=True,
        validators=[WEB_URL],
        help_text="Vendor datasheet or whitepaper.",
    )
    typical_used_usd = models.DecimalField(
        "typical used price (USD)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    typical_new_usd = models.DecimalField(
        "typical new price (USD)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    typical_price_source = models.CharField(
        "typical prices, month and source", max_length=300, blank=True
    )
    supported_precisions = models.JSONField(default=list, blank=True)

    summary = models.TextField(blank=True)
    spec_notes = models.TextField(
        blank=True, help_text="How each figure was put on the comparable basis, and corrections."
    )
    reference_urls = models.JSONField(default=list, blank=True, validators=[validate_web_urls])
    source = models.CharField(max_length=300, blank=True, help_text="Where the specs come from.")
    part_numbers = models.JSONField(default=list, blank=True)

    search_query = models.CharField(
        max_length=200, blank=True, help_text="eBay search words; the label when blank."
    )
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other names sellers use in titles."
    )
    ebay_category_ids = models.JSONField(
        default=list, blank=True, help_text="eBay categories to search; 27386 when empty."
    )

    admin_edited_fields = admin_edits_field()
    updated_at = models.DateTimeField(auto_now=True)

    objects = GpuQuerySet.as_manager()

    class Meta:
        ordering = ["manufacturer", "label"]
        indexes = [
            models.Index(fields=["category"]),
            models.Index(fields=["memory_gb"]),
            models.Index(fields=["form_factor"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(memory_gb__isnull=True) | Q(memory_gb__gt=0), name="gpu_memory_positive"
            ),
            models.CheckConstraint(
                condition=Q(memory_bandwidth_gbs__isnull=True) | Q(memory_bandwidth_gbs__gt=0),
                name="gpu_bandwidth_positive",
            ),
            models.CheckConstraint(
                condition=Q(fp32_tflops__isnull=True) | Q(fp32_tflops__gt=0),
                name="gpu_fp32_positive",
            ),
            models.CheckConstraint(
                condition=Q(fp16_tflops__isnull=True) | Q(fp16_tflops__gt=0),
                name="gpu_fp16_positive",
            ),
            models.CheckConstraint(
                condition=Q(fp8_tflops__isnull=True) | Q(fp8_tflops__gt=0), name="gpu_fp8_positive"
            ),
            models.CheckConstraint(
                condition=Q(int8_tops__isnull=True) | Q(int8_tops__gt=0), name="gpu_int8_positive"
            ),
            models.CheckConstraint(
                condition=Q(msrp_usd__isnull=True) | Q(msrp_usd__gt=0), name="gpu_msrp_positive"
            ),
            models.CheckConstraint(condition=Q(devices__gte=1), name="gpu_devices_positive"),
            models.CheckConstraint(
                condition=Q(gpu_memory_gb__isnull=True)
                | (Q(gpu_memory_gb__gt=0) & Q(gpu_memory_gb__lte=F("memory_gb"))),
                name="gpu_memory_share_within_memory",
            ),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse("metrics:learn-gpu", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = (
                f"“{self.slug}” is the address of another page ({RESERVED_SLUGS[self.slug]}); "
                "choose another slug."
            )
        for name in POSITIVE_SPEC_FIELDS:
            value = getattr(self, name)
            if value is not None and value <= 0:
                label = self._meta.get_field(name).verbose_name
                errors[name] = (
                    f"{label.capitalize()} must be greater than zero; leave it blank if unknown."
                )
        if self.release_date and self.release_date > timezone.localdate():
            errors["release_date"] = "The release date cannot be in the future."
        if errors:
            raise ValidationError(errors)

    @property
    def basis_notes(self) -> dict[str, str]:
        """Each figure's derivation from `spec_notes`, keyed by its prefix ("FP32", "FP16", ...)."""
        notes = {}
        for line in self.spec_notes.splitlines():
            key, sep, text = line.partition(":")
            if sep and key.strip():
                notes[key.strip()] = text.strip()
        return notes

    @property
    def is_laptop(self) -> bool:
        """A GPU sold only built into laptops: no card to buy, so no buy advice."""
        return self.form_factor == FormFactor.LAPTOP

    @property
    def is_system(self) -> bool:
        """A whole computer (a Mac, a Strix Halo mini PC, a DGX Spark): its price is the
        machine's, and the LLM fit uses the memory its GPU may use."""
        return self.form_factor == FormFactor.SYSTEM

    @property
    def llm_memory_gb(self) -> float | None:
        """The memory a model must fit in: the GPU's share of a computer's unified memory, or a
        card's whole memory."""
        return self.gpu_memory_gb or self.memory_gb

    @property
    def ebay_query(self) -> str:
        return self.search_query or self.label


SOURCES_HELP = "Where the facts above come from: one 'fact: URL (read YYYY-MM-DD)' per line."


class MlModel(models.Model):
    """A model MLPerf Inference benchmarks (ResNet50-v1.5, GPT-J 6B, ...)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=120)
    mlperf_id = models.CharField(
        "MLPerf benchmark id", max_length=60, unique=True, help_text="e.g. resnet50, gptj-99"
    )
    use_case = models.ForeignKey(
        "UseCase", on_delete=models.PROTECT, related_name="models", null=True, blank=True
    )
    parameters = models.CharField(max_length=40, blank=True, help_text="e.g. 25.6M, 70B")
    url = models.URLField("paper or model card", max_length=500, blank=True, validators=[WEB_URL])
    summary = models.TextField(blank=True)
    sources = models.TextField(blank=True, help_text=SOURCES_HELP)
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:learn-model", kwargs={"slug": self.slug})


# MLPerf's official metric for its LLM benchmarks; a use case with this metric ranks by it.
TOKENS_PER_S = "tokens/s"


class UseCase(models.Model):
    """A task people buy a card for, measured by one or more MLPerf models."""

    slug = models.SlugField(max_length=100, unique=True)
    area = models.CharField(max_length=60, help_text="e.g. Vision, Language")
    task = models.CharField(max_length=120, help_text="e.g. Image classification")
    metric = models.CharField(max_length=40, default="samples/s")
    summary = models.TextField(blank=True)
    sources = models.TextField(blank=True, help_text=SOURCES_HELP)
    position = models.PositiveSmallIntegerField(default=0)
    is_headline = models.BooleanField(default=False, help_text="Shown on the home page.")
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["position", "task"]

    def __str__(self):
        return self.task

    def get_absolute_url(self):
        return reverse("catalog:learn-use-case", kwargs={"slug": self.slug})

    @property
    def ranks_by_tokens(self) -> bool:
        """Ranked by tokens/s per dollar (MLPerf's LLM metric), not samples/s per dollar."""
        return self.metric == TOKENS_PER_S


# MLPerf's status for hardware that was not shipping yet when the result was submitted.
PREVIEW = "preview"


class BenchmarkResultQuerySet(models.QuerySet):
    def single_accelerator_offline(self):
        return self.filter(accelerator_count=1, scenario="Offline", division="Closed")


class BenchmarkResult(models.Model):
    """One MLPerf Inference result: one system x one benchmark in one round."""

    gpu = models.ForeignKey(Gpu, on_delete=models.CASCADE, related_name="benchmark_results")
    model = models.ForeignKey(MlModel, on_delete=models.PROTECT, related_name="results")
    round = models.CharField(max_length=40, help_text='e.g. "MLPerf Inference v4.1"')
    division = models.CharField(max_length=20, default="Closed")
    scenario = models.CharField(max_length=20, default="Offline")
    accelerator_count = models.PositiveSmallIntegerField(default=1)
    samples_per_s = models.FloatField()
    tokens_per_s = models.FloatField(null=True, blank=True)
    system_id = models.CharField(max_length=200, blank=True)
    system_name = models.CharField(max_length=300, blank=True)
    submitter = models.CharField(max_length=120, blank=True)
    availability = models.CharField(max_length=20, blank=True)
    framework = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True, validators=[WEB_URL])
    admin_edited_fields = admin_edits_field()

    objects = BenchmarkResultQuerySet.as_manager()

    class Meta:
        ordering = ["gpu", "model", "-round"]
        indexes = [models.Index(fields=["model", "gpu", "round"])]
        constraints = [
            models.UniqueConstraint(
                # Several submitters publish the same system id (NVIDIA's reference systems).
                fields=["gpu", "model", "round", "scenario", "submitter", "system_id"],
                name="benchmark_result_unique_run",
            ),
            models.CheckConstraint(
                condition=Q(samples_per_s__gt=0), name="benchmark_samples_positive"
            ),
            models.CheckConstraint(
                condition=Q(accelerator_count__gte=1), name="benchmark_accelerators_positive"
            ),
        ]

    def __str__(self):
        return f"{self.gpu} / {self.model} / {self.round}"


class OfferKind(models.TextChoices):
    """How a cloud offer is sold: a fixed on-demand rate, interruptible spot capacity, or a
    marketplace of hosts who set their own prices (Vast.ai, RunPod's Community Cloud)."""

    ON_DEMAND = "on-demand", "On-demand"
    SPOT = "spot", "Spot"
    COMMUNITY = "community", "Community / marketplace"


class CloudOffer(models.Model):
    """A published price for renting one of a card's GPUs for an hour, with its source and date.

    Multi-GPU instances are stored per GPU (the instance price divided by its GPUs), and the
    note says so."""

    gpu = models.ForeignKey(Gpu, on_delete=models.CASCADE, related_name="cloud_offers")
    provider = models.CharField(max_length=80)
    kind = models.CharField(max_length=12, choices=OfferKind.choices)
    instance = models.CharField(
        max_length=120, blank=True, help_text="The instance or plan priced, e.g. p5.48xlarge."
    )
    usd_per_gpu_hour = models.DecimalField("USD per GPU-hour", max_digits=9, decimal_places=4)
    observed_on = models.DateField(help_text="When the price was published or observed.")
    source_url = models.URLField(max_length=500, validators=[WEB_URL])
    note = models.TextField(blank=True, help_text="What the price covers; how it was divided.")
    admin_edited_fields = admin_edits_field()

    class Meta:
        ordering = ["gpu", "kind", "usd_per_gpu_hour", "provider"]
        indexes = [models.Index(fields=["kind", "gpu"], name="cloud_offer_kind_gpu")]
        constraints = [
            models.UniqueConstraint(
                fields=["gpu", "provider", "kind", "instance"], name="cloud_offer_unique"
            ),
            models.CheckConstraint(
                condition=Q(usd_per_gpu_hour__gt=0), name="cloud_offer_price_positive"
            ),
        ]

    def __str__(self):
        return f"{self.gpu} / {self.provider} {self.kind}: ${self.usd_per_gpu_hour}/GPU-hour"
