"""A card's specs as rows for the learn page: label, value, unit and the note on its basis."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Gpu
from catalog.presentation import figure
from catalog.specs import SPEC_TABLE

UNKNOWN = "unknown"
# Figures many cards have no source for: their row is left off a card that lacks one, not shown as
# "unknown" (catalog_data.json says why for each such card).
OMITTED_WHEN_UNKNOWN = ("l2_cache_mb", "shared_memory_per_sm_kb")
# Figures only whole computers have (unified memory shared with the CPU, GPU cores, typical
# power): a card's page leaves them off.
SYSTEM_ONLY = ("gpu_memory_gb", "gpu_cores", "typical_power_w")


@dataclass(frozen=True)
class SpecRow:
    label: str
    value: object  # None means unknown
    unit: str
    note: str


def spec_rows(gpu: Gpu) -> list[SpecRow]:
    """Every spec of `gpu` with its unit and how the figure was obtained."""
    notes, system = gpu.basis_notes, gpu.is_system
    rows = [
        (
            f,
            getattr(gpu, f.field),
            notes.get(f.basis, f.note) if f.basis else f.note_for(system=system),
        )
        for f in SPEC_TABLE
        if (system or f.field not in SYSTEM_ONLY)
        and (getattr(gpu, f.field) is not None or f.field not in OMITTED_WHEN_UNKNOWN)
    ]
    result = [
        SpecRow(
            f.label_for(system=system),
            (value or UNKNOWN) if f.text else figure(value, UNKNOWN),
            f.row_unit if value not in (None, "") else "",
            note,
        )
        for f, value, note in rows
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
