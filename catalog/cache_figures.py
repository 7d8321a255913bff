"""L2 cache and shared memory per SM for every card, from catalog_data.json's two keyed blocks.

`l2_cache` gives each card's figure (or, under "unknown", why there is none); NVIDIA's shared
memory per SM follows from the compute capability and AMD's LDS per compute unit from the
architecture, in `shared_memory_per_sm`. Every figure carries its note into the card's spec notes
and its source URL into the card's reference URLs; a card without one stays blank, never 0 and
never guessed.
"""

from __future__ import annotations

L2_NOTE = "L2 cache"
SHARED_NOTE = "Shared memory per SM"


def check_cache_blocks(cards: dict[str, dict], l2: dict, shared: dict) -> None:
    """Every card has an L2 entry or a reason for none, and a shared-memory rule or a reason for
    none; no entry names a card the catalog lacks."""
    figures, unknown = l2["cards"], l2["unknown"]
    problems = [
        f"no L2 cache entry for {slug}" for slug in cards if slug not in {**figures, **unknown}
    ]
    problems += [
        f"L2 cache entry for unknown card {slug}"
        for slug in {**figures, **unknown}
        if slug not in cards
    ]
    problems += [
        f"{slug}: both an L2 figure and a reason for none" for slug in figures if slug in unknown
    ]
    problems += [
        f"{slug}: L2 cache must be above 0 MB" for slug, e in figures.items() if not e["mb"] > 0
    ]
    for slug, gpu in cards.items():
        rule = shared_rule(gpu, shared)
        if rule is None and slug not in shared["unknown"]:
            problems.append(f"no shared memory rule or reason for {slug}")
        if rule is not None and slug in shared["unknown"]:
            problems.append(f"{slug}: both a shared memory rule and a reason for none")
    problems += [
        f"shared memory reason for unknown card {slug}"
        for slug in shared["unknown"]
        if slug not in cards
    ]
    if problems:
        raise ValueError("; ".join(problems))


def shared_rule(gpu: dict, shared: dict) -> dict | None:
    """The shared-memory entry for a card: by compute capability (NVIDIA) or architecture."""
    if gpu["manufacturer"] == "NVIDIA":
        return shared["by_compute_capability"].get(gpu["cuda_compute_capability"])
    return shared["by_architecture"].get(gpu["architecture"])


def apply_cache_figures(gpu: dict, l2: dict, shared: dict) -> dict[str, str]:
    """Set the card's L2 cache and shared memory per SM; their spec-note lines by key."""
    figures = (
        ("l2_cache_mb", L2_NOTE, l2["cards"].get(gpu["slug"]), "mb", "MB", l2["unknown"]),
        (
            "shared_memory_per_sm_kb",
            SHARED_NOTE,
            shared_rule(gpu, shared),
            "kb",
            "KB",
            shared["unknown"],
        ),
    )
    notes = {}
    for field, key, entry, size, unit, unknown in figures:
        if entry is None:
            gpu[field] = None
            notes[key] = f"unknown: {unknown.get(gpu['slug'], 'no entry')}."
            continue
        gpu[field] = entry[size]
        notes[key] = f"{entry[size]:g} {unit}: {entry['note']} ({entry['source']})."
        if entry["url"] not in gpu["reference_urls"]:  # listed under the card's sources
            gpu["reference_urls"] = [*gpu["reference_urls"], entry["url"]]
    return notes
