"""Whole computers in the catalog build: Macs, Strix Halo mini PCs and DGX Spark machines.

fixtures/systems.json (hand-edited, every figure cited in its notes) gives each machine's facts in
one entry: its specs, the share of its unified memory the GPU may use, its GPU cores and power,
what runs LLMs on it, its eBay search and its typical price with month and source. `merge_systems`
spreads an entry over catalog_data.json's keyed blocks (memory type, form factor, cooling, power,
backend, software, prices, cache figures), so every card rule and check applies to machines too;
`finish_systems` then sets what only a machine has.
"""

from __future__ import annotations

import copy

SYSTEMS_FILE = "systems.json"
# Figures only a whole computer carries; cards leave them out of the fixture.
SYSTEM_FIELDS = ("gpu_memory_gb", "gpu_cores", "typical_power_w")
# (catalog_data.json block, key inside it, the entry's field) for the facts every card needs.
BLOCKS = (
    ("memory_types", "types", "memory_type"),
    ("form_factors", "form_factors", "form_factor"),
    ("cooling", "cooling", "cooling"),
    ("power_connectors", "connectors", "power_connectors"),
    ("llama_cpp_backends", "backends", "llama_cpp_backend"),
    ("runs_llms_with", "software", "runs_llms_with"),
)
# What the card-shaped part of an entry holds; build_data_card reads these.
CARD_KEYS = (
    "slug",
    "label",
    "category",
    "architecture",
    "release_date",
    "msrp_usd",
    "memory_gb",
    "memory_bandwidth_gbs",
    "fp32_tflops",
    "fp16_tflops",
    "fp16_fp16acc_tflops",
    "fp8_tflops",
    "int8_tops",
    "tensor_cores",
    "tdp_w",
    "cuda_compute_capability",
    "search_query",
    "aliases",
    "part_numbers",
    "source_url",
    "notes",
)


def merge_systems(data: dict, systems: list[dict]) -> dict:
    """catalog_data.json's data with the machines added to its card list and keyed blocks; a
    machine must be a system and must not repeat a slug the data already has."""
    merged = copy.deepcopy(data)
    known = {entry["slug"] for entry in merged["cards"]} | set(merged["prices"])
    problems = [
        f"{s['slug']}: slug already in catalog_data.json" for s in systems if s["slug"] in known
    ]
    problems += [
        f"{s['slug']}: form factor must be system" for s in systems if s["form_factor"] != "system"
    ]
    if problems:
        raise ValueError(f"{SYSTEMS_FILE}: " + "; ".join(problems))
    for entry in systems:
        slug = entry["slug"]
        merged["cards"].append({key: entry.get(key) for key in CARD_KEYS})
        for block, key, field in BLOCKS:
            merged[block][key][slug] = entry[field]
        merged["ml_software"][slug] = entry["ml_software"]
        merged["prices"][slug] = entry["prices"]
        merged["l2_cache"]["unknown"][slug] = entry["l2_cache_unknown"]
        merged["shared_memory_per_sm"]["unknown"][slug] = entry["shared_memory_unknown"]
    return merged


def finish_systems(gpus: list[dict], systems: list[dict]) -> None:
    """Set what only a machine carries: the GPU's share of its memory, its GPU cores and typical
    power, the eBay categories it sells in, its own price source and a summary that says what it
    is."""
    by_slug = {gpu["slug"]: gpu for gpu in gpus}
    for entry in systems:
        gpu = by_slug[entry["slug"]]
        for name in SYSTEM_FIELDS:
            gpu[name] = entry[name]
        gpu["ebay_category_ids"] = list(entry["ebay_category_ids"])
        # An eBay query with OR groups ("(DGX Spark, GB10)") is no name a seller writes.
        gpu["aliases"] = [a for a in gpu["aliases"] if "(" not in a]
        gpu["typical_price_source"] = entry["price_source"]
        gpu["summary"] = system_summary(gpu)


def system_summary(gpu: dict) -> str:
    """ "Apple Mac Studio M2 Ultra ... is a whole computer: CPU and GPU share 192 GB of unified
    memory, of which the GPU may use 144 GB by default." """
    text = f"{gpu['label']} is a whole computer"
    if gpu["memory_gb"]:
        text += f": CPU and GPU share {gpu['memory_gb']:g} GB of unified memory"
        if gpu["gpu_memory_gb"]:
            text += f", of which the GPU may use {gpu['gpu_memory_gb']:g} GB by default"
    return text + "."
