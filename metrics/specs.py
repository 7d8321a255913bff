"""The specs cards are ranked by: URL slug, catalog field, stored column and what each one means."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    slug: str
    field: str
    label: str
    unit: str
    noun: str
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
        field="fp32_tflops",
        label="FP32",
        unit="FP32 TFLOPS",
        noun="FP32 TFLOPS",
        explanation="Single-precision shader throughput, without tensor cores or sparsity.",
        when_to_choose=(
            "Classic training in full precision, scientific code and anything that does not "
            "use tensor cores."
        ),
    ),
    Spec(
        slug="fp16-flops",
        field="fp16_tflops",
        label="FP16",
        unit="FP16 TFLOPS",
        noun="FP16 TFLOPS",
        explanation="Half-precision tensor throughput (dense, no sparsity).",
        when_to_choose="Mixed-precision training and most inference of modern networks.",
    ),
    Spec(
        slug="fp8-flops",
        field="fp8_tflops",
        label="FP8",
        unit="FP8 TFLOPS",
        noun="FP8 TFLOPS",
        explanation="8-bit floating-point tensor throughput (dense); only recent cards have it.",
        when_to_choose="Serving LLMs with FP8 quantization on Ada, Hopper or newer cards.",
    ),
    Spec(
        slug="int8-tops",
        field="int8_tops",
        label="INT8",
        unit="INT8 TOPS",
        noun="INT8 TOPS",
        explanation="8-bit integer tensor throughput (dense).",
        when_to_choose="Quantized inference: vision models, speech and INT8 LLM serving.",
    ),
    Spec(
        slug="tensor-core",
        field="tensor_cores",
        label="Tensor cores",
        unit="tensor core",
        noun="tensor core",
        explanation="Number of matrix-multiply units; a rough count that ignores generation.",
        when_to_choose="Cards of one generation; across generations prefer a TFLOPS metric.",
    ),
    Spec(
        slug="memory-gb",
        field="memory_gb",
        label="Memory",
        unit="GB",
        noun="GB of memory",
        explanation="On-board memory: it decides which models fit on the card at all.",
        when_to_choose="Large models and long contexts: if it does not fit, speed does not matter.",
    ),
    Spec(
        slug="memory-bandwidth-gbs",
        field="memory_bandwidth_gbs",
        label="Memory bandwidth",
        unit="GB/s",
        noun="GB/s of memory bandwidth",
        explanation="How fast the card reads its memory; it bounds LLM token generation speed.",
        when_to_choose="LLM inference at small batch sizes, where every token reads all weights.",
    ),
)

SPECS_BY_SLUG = {spec.slug: spec for spec in SPECS}
