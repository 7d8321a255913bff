"""What a card's figures are: the one table that validation, the admin, learn pages, rankings and
shop pages read, and the one rule for dollars per unit of a spec."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    """A stored figure of a card: a learn page row and an admin field."""

    field: str
    label: str
    unit: str  # "" for a count
    note: str  # how the figure is obtained, unless the card's spec notes say otherwise
    basis: str = ""  # the key in Gpu.basis_notes that overrides `note`
    text: bool = False  # a name (GDDR6X, HBM3), not a number: shown as it is, never ranked
    system_label: str = ""  # the label on a whole computer's page, where it means another thing
    system_note: str = ""  # the note there, likewise

    def label_for(self, *, system: bool) -> str:
        return self.system_label if system and self.system_label else self.label

    def note_for(self, *, system: bool) -> str:
        return self.system_note if system and self.system_note else self.note


# Learn page order; every number must be positive when known.
FIGURES: tuple[Figure, ...] = (
    Figure(
        "memory_gb",
        "Memory",
        "GB",
        "On-board memory (VRAM / HBM).",
        system_note="Unified memory, shared by the CPU and the GPU.",
    ),
    Figure(
        "gpu_memory_gb",
        "Memory the GPU may use",
        "GB",
        "A whole computer's unified memory is shared: the share its GPU may use by default "
        "(macOS's working-set limit, the BIOS or driver split, what the OS leaves). The LLM fit "
        "uses it.",
        basis="GPU memory",
    ),
    Figure("memory_bandwidth_gbs", "Memory bandwidth", "GB/s", "Peak memory bandwidth."),
    Figure(
        "memory_type",
        "Memory type",
        "",
        "The memory technology (GDDR6, HBM3, ...) of the vendor document the card cites.",
        text=True,
    ),
    Figure("fp32_tflops", "FP32", "TFLOPS", "Shader (non-tensor) FP32.", basis="FP32"),
    Figure(
        "fp16_tflops",
        "FP16 tensor (FP32 accumulate)",
        "TFLOPS",
        "Dense tensor FP16 with FP32 accumulate.",
        basis="FP16",
    ),
    Figure(
        "fp16_fp16acc_tflops",
        "FP16 tensor (FP16 accumulate)",
        "TFLOPS",
        "Dense tensor FP16 with FP16 accumulate.",
        basis="FP16-acc",
    ),
    Figure(
        "fp8_tflops",
        "FP8 tensor",
        "TFLOPS",
        "Dense tensor FP8, FP32 accumulate where there are two rates.",
        basis="FP8",
    ),
    Figure("int8_tops", "INT8 tensor", "TOPS", "Dense INT8.", basis="INT8"),
    Figure("tensor_cores", "Tensor / matrix cores", "", "Count of tensor or matrix units."),
    Figure(
        "gpu_cores",
        "GPU cores",
        "",
        "Apple GPU cores, AMD compute units or NVIDIA CUDA cores, as the vendor counts them.",
        basis="GPU cores",
    ),
    Figure(
        "l2_cache_mb",
        "L2 cache",
        "MB",
        "The GPU's L2 cache, summed over the dies of a multi-die card; AMD's Infinity Cache, a "
        "further level, is not counted.",
        basis="L2 cache",
    ),
    Figure(
        "shared_memory_per_sm_kb",
        "Shared memory per SM",
        "KB",
        "The most on-chip shared memory one multiprocessor can give its thread blocks. NVIDIA: "
        "the largest shared-memory carve-out of an SM's L1, as CUDA reports it for the compute "
        "capability. AMD: a compute unit's local data share (LDS), 64 KB (160 KB on CDNA 4); "
        "RDNA's 128 KB per work-group processor is 64 KB per CU.",
        basis="Shared memory per SM",
    ),
    Figure(
        "tdp_w",
        "Board power",
        "W",
        "The vendor's rated power.",
        basis="Board power",
        system_label="Maximum power",
    ),
    Figure(
        "typical_power_w",
        "Typical power",
        "W",
        "The power the vendor states a whole computer or its chip runs at by default.",
        basis="Typical power",
    ),
    Figure("msrp_usd", "MSRP", "USD", "Launch price, for reference.", basis="MSRP"),
)
# Prices a card carries for reference; the admin shows them apart from its specs.
PRICE_FIELDS = ("msrp_usd", "typical_used_usd", "typical_new_usd")
# What the admin groups under "Specs".
SPEC_FIELDS = tuple(f.field for f in FIGURES if f.field not in PRICE_FIELDS)
# Specs that are names, not numbers.
TEXT_SPEC_FIELDS = tuple(f.field for f in FIGURES if f.text)
# Blank means unknown and is always allowed; a known figure or price must be above zero.
POSITIVE_SPEC_FIELDS = [n for n in (*SPEC_FIELDS, *PRICE_FIELDS) if n not in TEXT_SPEC_FIELDS]


@dataclass(frozen=True)
class Spec:
    """A spec cards are ranked and listings priced by."""

    slug: str  # in ranking URLs
    key: str  # in the shop page's sort parameter
    field: str
    label: str
    unit: str  # one unit: "FP32 TFLOPS", "tensor core"
    units: str  # several: "FP32 TFLOPS", "tensor cores"
    noun: str
    short_name: str  # "$/FP32"
    brief: str  # what the figure counts, in a few words
    explanation: str
    when_to_choose: str

    @property
    def column(self) -> str:
        """The CardPrice column holding dollars per one unit of this spec."""
        return f"dollars_per_{self.field}"

    @property
    def heading(self) -> str:
        """Row or column heading: "FP32 TFLOPS", "Tensor cores", "Memory (GB)"."""
        label, unit = self.label.lower(), self.unit.lower()
        if label in unit or unit in label:
            return self.unit if len(unit) > len(label) else self.label
        return f"{self.label} ({self.unit})"

    @property
    def per_unit(self) -> str:
        return f"$ per {self.unit}"


SPECS: tuple[Spec, ...] = (
    Spec(
        slug="fp32-flops",
        key="fp32",
        field="fp32_tflops",
        label="FP32",
        unit="FP32 TFLOPS",
        units="FP32 TFLOPS",
        noun="FP32 TFLOPS",
        short_name="$/FP32",
        brief="shader FP32, non-tensor",
        explanation="Single-precision shader throughput, without tensor cores or sparsity.",
        when_to_choose=(
            "Classic training in full precision, scientific code and anything that does not "
            "use tensor cores."
        ),
    ),
    Spec(
        slug="fp16-flops",
        key="fp16",
        field="fp16_tflops",
        label="FP16",
        unit="FP16 TFLOPS",
        units="FP16 TFLOPS",
        noun="FP16 TFLOPS",
        short_name="$/FP16",
        brief="dense FP16 tensor",
        explanation="Half-precision tensor throughput (dense, no sparsity).",
        when_to_choose="Mixed-precision training and most inference of modern networks.",
    ),
    Spec(
        slug="fp8-flops",
        key="fp8",
        field="fp8_tflops",
        label="FP8",
        unit="FP8 TFLOPS",
        units="FP8 TFLOPS",
        noun="FP8 TFLOPS",
        short_name="$/FP8",
        brief="dense FP8 tensor",
        explanation="8-bit floating-point tensor throughput (dense); only recent cards have it.",
        when_to_choose="Serving LLMs with FP8 quantization on Ada, Hopper or newer cards.",
    ),
    Spec(
        slug="int8-tops",
        key="int8",
        field="int8_tops",
        label="INT8",
        unit="INT8 TOPS",
        units="INT8 TOPS",
        noun="INT8 TOPS",
        short_name="$/INT8",
        brief="dense INT8 tensor",
        explanation="8-bit integer tensor throughput (dense).",
        when_to_choose="Quantized inference: vision models, speech and INT8 LLM serving.",
    ),
    Spec(
        slug="tensor-core",
        key="tensor",
        field="tensor_cores",
        label="Tensor cores",
        unit="tensor core",
        units="tensor cores",
        noun="tensor core",
        short_name="$/tensor core",
        brief="matrix units",
        explanation="Number of matrix-multiply units; a rough count that ignores generation.",
        when_to_choose="Cards of one generation; across generations prefer a TFLOPS metric.",
    ),
    Spec(
        slug="memory-gb",
        key="memory",
        field="memory_gb",
        label="Memory",
        unit="GB",
        units="GB",
        noun="GB of memory",
        short_name="$/GB",
        brief="memory: how large a model fits",
        explanation="On-board memory: it decides which models fit on the card at all.",
        when_to_choose="Large models and long contexts: if it does not fit, speed does not matter.",
    ),
    Spec(
        slug="memory-bandwidth-gbs",
        key="bandwidth",
        field="memory_bandwidth_gbs",
        label="Memory bandwidth",
        unit="GB/s",
        units="GB/s",
        noun="GB/s of memory bandwidth",
        short_name="$/GB/s",
        brief="memory bandwidth",
        explanation="How fast the card reads its memory; it bounds LLM token generation speed.",
        when_to_choose="LLM inference at small batch sizes, where every token reads all weights.",
    ),
    Spec(
        slug="l2-cache-mb",
        key="l2",
        field="l2_cache_mb",
        label="L2 cache",
        unit="MB L2 cache",
        units="MB of L2 cache",
        noun="MB of L2 cache",
        short_name="$/MB L2",
        brief="on-chip L2 cache",
        explanation=(
            "The on-chip cache every multiprocessor shares: the larger it is, the more of a "
            "layer's weights and activations are read without going to memory. AMD's Infinity "
            "Cache, a further level, is not counted."
        ),
        when_to_choose=(
            "Comparing cards of one architecture for small-batch inference and mid-sized "
            "matrices; across architectures memory bandwidth and TFLOPS say more."
        ),
    ),
    Spec(
        slug="shared-memory-per-sm-kb",
        key="smem",
        field="shared_memory_per_sm_kb",
        label="Shared memory per SM",
        unit="KB shared memory per SM",
        units="KB of shared memory per SM",
        noun="KB of shared memory per SM",
        short_name="$/KB smem",
        brief="shared memory per SM (NVIDIA) or LDS per CU (AMD)",
        explanation=(
            "The fast scratchpad one multiprocessor gives its thread blocks (NVIDIA shared "
            "memory, AMD LDS): it bounds the tile sizes of matrix and attention kernels. It is a "
            "per-SM figure, so it ranks generations, not card sizes."
        ),
        when_to_choose=(
            "Writing or running custom kernels (FlashAttention-style attention, large GEMM "
            "tiles) that need a big per-SM scratchpad."
        ),
    ),
)

SPECS_BY_SLUG = {spec.slug: spec for spec in SPECS}

# The specs a whole computer ranks by beside cards: the memory its GPU may use (what decides which
# models fit) and its memory bandwidth. Its price buys a computer, not a card, so dollars per TFLOPS
# or per MB of cache would not compare like with like; Apple publishes no TFLOPS, tensor-core, L2
# or shared-memory figure at all.
SYSTEM_SPEC_FIELDS = {"memory_gb": "gpu_memory_gb", "memory_bandwidth_gbs": "memory_bandwidth_gbs"}
SYSTEM_ABSENT_NOTE = (
    "Whole computers (Macs, Ryzen AI Max+ 395 machines, DGX Spark) are not ranked here: their "
    "price buys the whole computer, so dollars per {unit} would not compare like with like with "
    "a card, and Apple publishes no such figure. They rank beside cards by memory size and "
    "memory bandwidth."
)
SYSTEM_MEMORY_NOTE = (
    "For a whole computer the figure is the memory its GPU may use by default (about three "
    "quarters of a Mac's RAM, 96 GB of a 128 GB Ryzen AI Max+ 395, 113 GB of a DGX Spark), and "
    "its price is the whole computer's."
)
SYSTEM_BANDWIDTH_NOTE = (
    "A whole computer's bandwidth is its unified memory's, shared by CPU and GPU, and its price "
    "is the whole computer's."
)


def system_figure(spec: Spec) -> str | None:
    """The Gpu field a whole computer ranks by for `spec`, or None where it is not ranked."""
    return SYSTEM_SPEC_FIELDS.get(spec.field)


def ranked_value(gpu, spec: Spec) -> float | None:
    """The figure a card, or a whole computer, is priced per unit of for `spec` (None: none)."""
    if getattr(gpu, "is_system", False):
        figure = system_figure(spec)
        return getattr(gpu, figure) if figure else None
    return getattr(gpu, spec.field)


def system_note(spec: Spec) -> str:
    """What a spec's ranking says of whole computers: their figure, or why they are absent."""
    if spec.field == "memory_gb":
        return SYSTEM_MEMORY_NOTE
    if spec.field in SYSTEM_SPEC_FIELDS:
        return SYSTEM_BANDWIDTH_NOTE
    return SYSTEM_ABSENT_NOTE.format(unit=spec.unit)


def dollars_per_unit(price, value) -> Decimal | None:
    """Price over a spec value: None where either is unknown or the spec is not positive.

    The rule metrics.ranking.dollars_per_unit applies to whole arrays of cards at once."""
    if price is None or value is None or not value > 0:
        return None
    return Decimal(price) / Decimal(str(value))
