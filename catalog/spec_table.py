"""A card's specs as rows for the learn page: label, value, unit and the note on its basis."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Gpu

UNKNOWN = "unknown"


@dataclass(frozen=True)
class SpecRow:
    label: str
    value: object  # None means unknown
    unit: str
    note: str


def format_figure(value) -> str:
    """A measured number for people: thousands separators, no float noise; None is unknown."""
    if value is None:
        return UNKNOWN
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.3f}".rstrip("0").rstrip(".")


def spec_rows(gpu: Gpu) -> list[SpecRow]:
    """Every spec of `gpu` with its unit and how the figure was obtained."""
    notes = gpu.basis_notes
    rows = [
        ("Memory", gpu.memory_gb, "GB", "On-board memory (VRAM / HBM)."),
        ("Memory bandwidth", gpu.memory_bandwidth_gbs, "GB/s", "Peak memory bandwidth."),
        ("FP32", gpu.fp32_tflops, "TFLOPS", notes.get("FP32", "Shader (non-tensor) FP32.")),
        (
            "FP16 tensor (FP32 accumulate)",
            gpu.fp16_tflops,
            "TFLOPS",
            notes.get("FP16", "Dense tensor FP16 with FP32 accumulate."),
        ),
        (
            "FP16 tensor (FP16 accumulate)",
            gpu.fp16_fp16acc_tflops,
            "TFLOPS",
            notes.get("FP16-acc", "Dense tensor FP16 with FP16 accumulate."),
        ),
        (
            "FP8 tensor",
            gpu.fp8_tflops,
            "TFLOPS",
            notes.get("FP8", "Dense tensor FP8, FP32 accumulate where there are two rates."),
        ),
        ("INT8 tensor", gpu.int8_tops, "TOPS", notes.get("INT8", "Dense INT8.")),
        ("Tensor / matrix cores", gpu.tensor_cores, "", "Count of tensor or matrix units."),
        ("L2 cache", gpu.l2_cache_mb, "MB", "Last-level on-chip cache."),
        ("Shared memory per SM", gpu.shared_memory_per_sm_kb, "KB", "Per multiprocessor."),
        ("Board power", gpu.tdp_w, "W", notes.get("Board power", "The vendor's rated power.")),
        ("MSRP", gpu.msrp_usd, "USD", notes.get("MSRP", "Launch price, for reference.")),
    ]
    result = [
        SpecRow(label, format_figure(value), unit if value is not None else "", note)
        for label, value, unit, note in rows
    ]
    result.append(
        SpecRow(
            "CUDA compute capability",
            gpu.cuda_compute_capability or UNKNOWN if gpu.manufacturer == "NVIDIA" else "n/a",
            "",
            "NVIDIA only; follows from the architecture.",
        )
    )
    result.append(
        SpecRow(
            "Precisions",
            ", ".join(gpu.supported_precisions) or UNKNOWN,
            "",
            "Number formats the hardware runs natively.",
        )
    )
    return result
