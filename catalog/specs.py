"""What a card's figures are: the one table that validation, the admin, learn pages, rankings and
shop pages read, and the one rule for dollars per unit of a spec."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Spec:
    """A stored figure of a card: a learn page row and an admin field. A ranked one (with a
    `slug`) is also a spec cards are ranked and listings priced by, per `unit`."""

    field: str
    row_label: str  # the learn page's row: "FP16 tensor (FP32 accumulate)"
    row_unit: str  # what the figure is counted in: "TFLOPS"; "" for a count
    note: str  # how the figure is obtained, unless the card's spec notes say otherwise
    basis: str = ""  # the key in Gpu.basis_notes that overrides `note`
    text: bool = False  # a name (GDDR6X, HBM3), not a number: shown as it is, never ranked
    # Ranked specs only.
    slug: str = ""  # in ranking URLs
    key: str = ""  # in the shop page's sort parameter
    label: str = ""  # short: "FP16"
    unit: str = ""  # one unit: "FP32 TFLOPS", "tensor core"
    units: str = ""  # several: "FP32 TFLOPS", "tensor cores"
    noun: str = ""
    short_name: str = ""  # "$/FP32"
    brief: str = ""  # what the figure counts, in a few words
    explanation: str = ""
    when_to_choose: str = ""
    # On a whole computer's page, where the figure means another thing.
    system_label: str = ""
    system_note: str = ""

    @property
    def ranked(self) -> bool:
        return bool(self.slug)

    def label_for(self, *, system: bool) -> str:
        return self.system_label if system and self.system_label else self.row_label

    def note_for(self, *, system: bool) -> str:
        return self.system_note if system and self.system_note else self.note

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


# Every figure, in learn page order. A known number must be positive.
SPEC_TABLE: tuple[Spec, ...] = (
    Spec(
        field="memory_gb",
        row_label="Memory",
        row_unit="GB",
        note="On-board memory (VRAM / HBM).",
        system_note="Unified memory, shared by the CPU and the GPU.",
        slug="memory-gb",
        key="memory",
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
        field="gpu_memory_gb",
        row_label="Memory the GPU may use",
        row_unit="GB",
        note=(
            "A whole computer's unified memory is shared: the share its GPU may use by default "
            "(macOS's working-set limit, the BIOS or driver split, what the OS leaves). The LLM "
            "fit uses it."
        ),
        basis="GPU memory",
    ),
    Spec(
        field="memory_bandwidth_gbs",
        row_label="Memory bandwidth",
        row_unit="GB/s",
        note="Peak memory bandwidth.",
        slug="memory-bandwidth-gbs",
        key="bandwidth",
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
        field="memory_type",
        row_label="Memory type",
        row_unit="",
        note="The memory technology (GDDR6, HBM3, ...) of the vendor document the card cites.",
        text=True,
    ),
    Spec(
        field="fp32_tflops",
        row_label="FP32",
        row_unit="TFLOPS",
        note="Shader (non-tensor) FP32.",
        basis="FP32",
        slug="fp32-flops",
        key="fp32",
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
        field="fp16_tflops",
        row_label="FP16 tensor (FP32 accumulate)",
        row_unit="TFLOPS",
        note="Dense tensor FP16 with FP32 accumulate.",
        basis="FP16",
        slug="fp16-flops",
        key="fp16",
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
        field="fp16_fp16acc_tflops",
        row_label="FP16 tensor (FP16 accumulate)",
        row_unit="TFLOPS",
        note="Dense tensor FP16 with FP16 accumulate.",
        basis="FP16-acc",
    ),
    Spec(
        field="fp8_tflops",
        row_label="FP8 tensor",
        row_unit="TFLOPS",
        note="Dense tensor FP8, FP32 accumulate where there are two rates.",
        basis="FP8",
        slug="fp8-flops",
        key="fp8",
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
        field="int8_tops",
        row_label="INT8 tensor",
        row_unit="TOPS",
        note="Dense INT8.",
        basis="INT8",
        slug="int8-tops",
        key="int8",
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
        field="tensor_cores",
        row_label="Tensor / matrix cores",
        row_unit="",
        note="Count of tensor or matrix units.",
        slug="tensor-core",
        key="tensor",
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
        field="gpu_cores",
        row_label="GPU cores",
        row_unit="",
        note="Apple GPU cores, AMD compute units or NVIDIA CUDA cores, as the vendor counts them.",
        basis="GPU cores",
    ),
    Spec(
        field="l2_cache_mb",
        row_label="L2 cache",
        row_unit="MB",
        note=(
            "The GPU's L2 cache, summed over the dies of a multi-die card; AMD's Infinity Cache, "
            "a further level, is not counted."
        ),
        basis="L2 cache",
        slug="l2-cache-mb",
        key="l2",
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
        field="shared_memory_per_sm_kb",
        row_label="Shared memory per SM",
        row_unit="KB",
        note=(
            "The most on-chip shared memory one multiprocessor can give its thread blocks. "
            "NVIDIA: the largest shared-memory carve-out of an SM's L1, as CUDA reports it for "
            "the compute capability. AMD: a compute unit's local data share (LDS), 64 KB (160 KB "
            "on CDNA 4); RDNA's 128 KB per work-group processor is 64 KB per CU."
        ),
        basis="Shared memory per SM",
        slug="shared-memory-per-sm-kb",
        key="smem",
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
    Spec(
        field="tdp_w",
        row_label="Board power",
        row_unit="W",
        note="The vendor's rated power.",
        basis="Board power",
        system_label="Maximum power",
    ),
    Spec(
        field="typical_power_w",
        row_label="Typical power",
        row_unit="W",
        note="The power the vendor states a whole computer or its chip runs at by default.",
        basis="Typical power",
    ),
    Spec(
        field="msrp_usd",
        row_label="MSRP",
        row_unit="USD",
        note="Launch price, for reference.",
        basis="MSRP",
    ),
)

# Prices a card carries for reference; the admin shows them apart from its specs.
PRICE_FIELDS = ("msrp_usd", "typical_used_usd", "typical_new_usd")
# What the admin groups under "Specs".
SPEC_FIELDS = tuple(s.field for s in SPEC_TABLE if s.field not in PRICE_FIELDS)
# Specs that are names, not numbers.
TEXT_SPEC_FIELDS = tuple(s.field for s in SPEC_TABLE if s.text)
# Blank means unknown and is always allowed; a known figure or price must be above zero.
POSITIVE_SPEC_FIELDS = [n for n in (*SPEC_FIELDS, *PRICE_FIELDS) if n not in TEXT_SPEC_FIELDS]

_BY_FIELD = {spec.field: spec for spec in SPEC_TABLE}
# The ranked specs in the order rankings, the home page, compare tables and shop sorts show them.
SPECS: tuple[Spec, ...] = tuple(
    _BY_FIELD[field]
    for field in (
        "fp32_tflops",
        "fp16_tflops",
        "fp8_tflops",
        "int8_tops",
        "tensor_cores",
        "memory_gb",
        "memory_bandwidth_gbs",
        "l2_cache_mb",
        "shared_memory_per_sm_kb",
    )
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


def ranked_field(spec: Spec, *, system: bool) -> str | None:
    """The Gpu field a card, or a whole computer, is priced per unit of for `spec` (None: a
    computer is not ranked by it)."""
    return system_figure(spec) if system else spec.field


def ranked_value(gpu, spec: Spec) -> float | None:
    """The figure a card, or a whole computer, is priced per unit of for `spec` (None: none)."""
    field = ranked_field(spec, system=getattr(gpu, "is_system", False))
    return getattr(gpu, field) if field else None


def system_note(spec: Spec) -> str:
    """What a spec's ranking says of whole computers: their figure, or why they are absent."""
    if spec.field == "memory_gb":
        return SYSTEM_MEMORY_NOTE
    if spec.field in SYSTEM_SPEC_FIELDS:
        return SYSTEM_BANDWIDTH_NOTE
    return SYSTEM_ABSENT_NOTE.format(unit=spec.unit)


def dollars_per_unit(price, value) -> Decimal | None:
    """Price over a spec value: None where either is unknown or the spec is not positive. The
    rankings' $/unit (per card, on its headline price) and the shop's $/spec pills (per
    listing) both come from here."""
    if price is None or value is None or not value > 0:
        return None
    return Decimal(price) / Decimal(str(value))
