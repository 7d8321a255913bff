"""The catalog fixture's figures: one basis, the cards ML buyers shop for, support and prices."""

import json
from pathlib import Path

import pytest

from catalog.build import apply_memory_types
from catalog.models import MEMORY_TYPES, MlSoftware

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gpus.json"
CARDS = {gpu["slug"]: gpu for gpu in json.loads(FIXTURE.read_text(encoding="utf-8"))}

ADDED = [
    "nvidia-tesla-p40",
    "nvidia-tesla-v100s",
    "nvidia-a100-pcie-40gb",
    "nvidia-a100-sxm-40gb",
    "nvidia-rtx-a6000",
    "nvidia-rtx-a4000",
    "nvidia-rtx-a4500",
    "nvidia-rtx-5000-ada-generation",
    "nvidia-rtx-4500-ada-generation",
    "nvidia-quadro-rtx-8000",
    "nvidia-quadro-rtx-6000",
    "nvidia-titan-rtx",
    "nvidia-titan-v",
    "nvidia-geforce-rtx-2080-ti",
    "nvidia-geforce-rtx-3080-12gb",
    "nvidia-geforce-rtx-4060-ti-16gb",
    "nvidia-geforce-rtx-5060-ti-8gb",
    "amd-instinct-mi50-16gb",
    "amd-instinct-mi50-32gb",
    "amd-instinct-mi60",
    "amd-instinct-mi100",
    "amd-instinct-mi210",
    "amd-instinct-mi250",
    "amd-radeon-vii",
    "intel-arc-a770",
]


@pytest.mark.parametrize("slug", ADDED)
def test_cards_ml_buyers_shop_for_are_in_the_catalog_with_memory(slug):
    gpu = CARDS[slug]
    assert gpu["memory_gb"] > 0
    assert gpu["search_query"] and gpu["aliases"]


def test_existing_slugs_keep_their_meaning():
    memory = {
        "nvidia-a100-pcie": 80,
        "nvidia-a100-pcie-40gb": 40,
        "nvidia-geforce-rtx-4060-ti": 8,
        "nvidia-geforce-rtx-4060-ti-16gb": 16,
        "nvidia-geforce-rtx-5060-ti": 16,
        "nvidia-geforce-rtx-5060-ti-8gb": 8,
        "nvidia-geforce-rtx-3080": 10,
    }
    assert {slug: CARDS[slug]["memory_gb"] for slug in memory} == memory


def test_geforce_fp16_is_the_fp32_accumulate_rate():
    rtx_3090, rtx_4090 = CARDS["nvidia-geforce-rtx-3090"], CARDS["nvidia-geforce-rtx-4090"]
    assert (rtx_3090["fp16_tflops"], rtx_3090["fp16_fp16acc_tflops"]) == (71, 142)
    assert (rtx_4090["fp16_tflops"], rtx_4090["fp16_fp16acc_tflops"]) == (165.2, 330.3)
    assert rtx_4090["fp8_tflops"] == 330.3
    assert CARDS["nvidia-geforce-rtx-2080-ti"]["fp16_tflops"] == 53.8


def test_pro_and_datacenter_cards_run_both_accumulates_at_full_rate():
    for slug in ("nvidia-rtx-a6000", "nvidia-a100-pcie", "nvidia-titan-rtx", "nvidia-h100-sxm"):
        assert CARDS[slug]["fp16_tflops"] == CARDS[slug]["fp16_fp16acc_tflops"], slug


def test_v100_fp16_tensor_rate_follows_the_form_factor():
    fp16 = {
        "nvidia-tesla-v100-16gb": 112,
        "nvidia-tesla-v100-32gb": 112,
        "nvidia-tesla-v100-sxm2-16gb": 125,
        "nvidia-tesla-v100s": 130,
    }
    assert {slug: CARDS[slug]["fp16_tflops"] for slug in fp16} == fp16


def test_no_card_does_fp16_with_fp32_accumulate_faster_than_with_fp16_accumulate():
    faster = [
        slug
        for slug, gpu in CARDS.items()
        if gpu["fp16_tflops"] and gpu["fp16_fp16acc_tflops"]
        if gpu["fp16_tflops"] > gpu["fp16_fp16acc_tflops"]
    ]
    assert faster == []


def test_figures_match_the_vendors_datasheets():
    # RTX 4000 Ada: the datasheet's 327.6 TFLOPS tensor figure is FP8 with sparsity.
    rtx_4000 = CARDS["nvidia-rtx-4000-ada-generation"]
    assert (rtx_4000["fp8_tflops"], rtx_4000["fp16_tflops"]) == (163.8, 81.9)
    assert CARDS["nvidia-geforce-rtx-5090"]["fp32_tflops"] == 104.8
    # RDNA 3 peaks: CUs x 256 FLOP/clock x boost, as AMD states them.
    assert CARDS["amd-radeon-pro-w7600"]["fp32_tflops"] == 20.0
    assert CARDS["amd-radeon-rx-7900-xtx"]["fp16_tflops"] == 122.8
    board_power = {"nvidia-geforce-rtx-5060": 145, "amd-radeon-rx-7700-xt": 245}
    assert {slug: CARDS[slug]["tdp_w"] for slug in board_power} == board_power


def test_no_int8_figure_where_the_vendor_gives_none():
    for slug in ("nvidia-tesla-v100-16gb", "nvidia-tesla-v100-32gb", "nvidia-tesla-v100s"):
        assert CARDS[slug]["int8_tops"] is None, slug


def test_blanks_the_rankings_missed_are_filled():
    assert CARDS["nvidia-h100-nvl"]["fp32_tflops"] == 60
    assert CARDS["nvidia-h100-nvl"]["fp16_tflops"] == 835.5
    assert CARDS["nvidia-b200"]["fp16_tflops"] == 2250
    assert CARDS["nvidia-gh200-96gb"]["fp16_tflops"] == 989.5
    assert CARDS["intel-arc-b580"]["fp16_tflops"] == 116.5
    assert CARDS["amd-radeon-rx-9070-xt"]["int8_tops"] > 0
    assert CARDS["amd-radeon-pro-w7900"]["int8_tops"] > 0


@pytest.mark.parametrize(
    "slug",
    ["nvidia-geforce-rtx-4090", "nvidia-h100-pcie", "nvidia-b200", "amd-instinct-mi300x"]
    + ["amd-radeon-rx-9070-xt", "intel-gaudi2", "nvidia-rtx-6000-ada-generation"],
)
def test_every_architecture_with_fp8_has_an_fp8_figure(slug):
    assert CARDS[slug]["fp8_tflops"] > 0


def test_no_fp8_figure_for_architectures_without_fp8():
    for slug in ("nvidia-geforce-rtx-3090", "nvidia-a100-pcie", "amd-instinct-mi210"):
        assert CARDS[slug]["fp8_tflops"] is None, slug


def test_every_card_has_board_power_a_vendor_source_and_notes_for_its_figures():
    for slug, gpu in CARDS.items():
        if gpu["form_factor"] == "system":  # a machine's vendor may publish no power figure
            assert gpu["tdp_w"] or "Board power: unknown" in gpu["spec_notes"], slug
        else:
            assert gpu["tdp_w"] and gpu["tdp_w"] > 0, slug
        assert gpu["source_url"].startswith("https://"), slug
        for figure, key in (("fp16_tflops", "FP16:"), ("fp8_tflops", "FP8:")):
            if gpu[figure] is not None:
                assert key in gpu["spec_notes"], (slug, key)


def test_every_card_has_an_ml_software_level_and_reason():
    levels = set(MlSoftware.values)
    for slug, gpu in CARDS.items():
        assert gpu["ml_software"] in levels, slug
        assert gpu["ml_software_note"], slug
    assert CARDS["amd-radeon-rx-580x"]["ml_software"] == "unsupported"
    assert CARDS["amd-instinct-mi50-32gb"]["ml_software"] == "limited"
    assert CARDS["amd-instinct-mi210"]["ml_software"] == "supported"
    assert CARDS["nvidia-geforce-rtx-3090"]["ml_software"] == "first-class"


def test_typical_prices_look_like_the_used_market_and_say_where_they_come_from():
    def used(slug):
        return float(CARDS[slug]["typical_used_usd"])

    assert 700 <= used("nvidia-geforce-rtx-3090") <= 900
    assert 1800 <= used("nvidia-geforce-rtx-4090") <= 2200
    assert 200 <= used("nvidia-tesla-p40") <= 300
    assert 8000 <= used("nvidia-a100-pcie") <= 12000
    assert used("nvidia-tesla-v100-32gb") > used("nvidia-tesla-v100-16gb")
    assert used("nvidia-h100-pcie") < 37000
    for slug, gpu in CARDS.items():
        if gpu["form_factor"] == "system":  # each machine says its own month and basis
            assert gpu["typical_price_source"].startswith("2026-12 demo estimate"), slug
        elif gpu["typical_used_usd"] or gpu["typical_new_usd"]:
            assert "2025-10" in gpu["typical_price_source"], slug


def test_wrong_msrps_are_gone():
    assert CARDS["nvidia-h100-pcie"]["msrp_usd"] is None, "98000 was a reseller figure"
    # NVIDIA's launch prices: Quadro RTX 6000 $6,300, RTX 8000 $10,000 (not a later street price).
    assert (
        CARDS["nvidia-quadro-rtx-6000"]["msrp_usd"],
        CARDS["nvidia-quadro-rtx-8000"]["msrp_usd"],
    ) == (
        "6300",
        "10000",
    )


def test_l4_tensor_cores_match_its_58_sms():
    assert CARDS["nvidia-l4"]["tensor_cores"] == 232


def test_a_laptop_gpu_has_no_card_price():
    laptop = CARDS["amd-radeon-rx-7700s"]
    assert laptop["form_factor"] == "laptop"
    assert (laptop["msrp_usd"], laptop["typical_used_usd"], laptop["typical_new_usd"]) == (
        None,
    ) * 3
    assert "laptop GPU" in laptop["spec_notes"]


@pytest.mark.parametrize(
    "slug, released",
    [
        ("nvidia-h100-pcie", "2022-03-22"),  # not the H100 NVL's 2023-03-21
        ("nvidia-h100-nvl", "2023-03-21"),
        ("nvidia-h200-sxm", "2023-11-13"),  # not the H200 NVL's 2024-11-18
        ("amd-radeon-rx-9070-gre", None),  # on sale in May 2025, not 2026-06-02
    ],
)
def test_release_dates_belong_to_the_card_not_its_sibling(slug, released):
    assert CARDS[slug]["release_date"] == released
    if released:
        assert f"Release date: {released}" in CARDS[slug]["spec_notes"]


def test_every_card_names_its_memory_type_as_its_datasheet_does():
    assert {gpu["memory_type"] for gpu in CARDS.values()} <= set(MEMORY_TYPES)
    expected = {
        "nvidia-a100-pcie-40gb": "HBM2",
        "nvidia-a100-pcie": "HBM2e",
        "nvidia-h100-pcie": "HBM2e",
        "nvidia-h100-sxm": "HBM3",
        "nvidia-h200-sxm": "HBM3e",
        "nvidia-tesla-v100-32gb": "HBM2",
        "nvidia-tesla-p100": "HBM2",
        "nvidia-titan-v": "HBM2",
        "amd-radeon-vii": "HBM2",
        "amd-instinct-mi60": "HBM2",
        "amd-instinct-mi210": "HBM2e",
        "amd-instinct-mi300x": "HBM3",
        "amd-instinct-mi325x": "HBM3e",
        "intel-gaudi2": "HBM2e",
        "nvidia-l40s": "GDDR6",
        "nvidia-t4": "GDDR6",
        "nvidia-geforce-rtx-3090": "GDDR6X",
        "nvidia-geforce-rtx-5090": "GDDR7",
        "nvidia-tesla-p40": "GDDR5",
        "qualcomm-cloud-ai-100-standard": "LPDDR4X",
    }
    assert {slug: CARDS[slug]["memory_type"] for slug in expected} == expected


def test_the_memory_type_block_must_name_every_card_once_with_a_known_type():
    cards = {"nvidia-l4": {"slug": "nvidia-l4"}, "nvidia-a100-pcie": {"slug": "nvidia-a100-pcie"}}
    with pytest.raises(ValueError, match="no memory type entry for nvidia-a100-pcie"):
        apply_memory_types(cards, {"nvidia-l4": "GDDR6"})
    with pytest.raises(ValueError, match="unknown memory type 'HBM4'"):
        apply_memory_types(cards, {"nvidia-l4": "GDDR6", "nvidia-a100-pcie": "HBM4"})
    with pytest.raises(ValueError, match="memory type for unknown card nvidia-x"):
        apply_memory_types(cards, {"nvidia-l4": "", "nvidia-a100-pcie": "HBM2e", "nvidia-x": ""})
    apply_memory_types(cards, {"nvidia-l4": "", "nvidia-a100-pcie": "HBM2e"})
    assert (cards["nvidia-l4"]["memory_type"], cards["nvidia-a100-pcie"]["memory_type"]) == (
        "",
        "HBM2e",
    )


def test_every_card_says_how_it_fits_a_machine_and_how_it_is_cooled():
    assert {gpu["form_factor"] for gpu in CARDS.values()} <= {
        "pcie",
        "sxm",
        "oam",
        "superchip",
        "mxm",
        "laptop",
        "system",
    }
    assert CARDS["nvidia-tesla-v100-sxm2-16gb"]["form_factor"] == "sxm"
    assert CARDS["intel-gaudi2"]["form_factor"] == "oam"
    # Datacenter PCIe cards have no fans of their own; gaming cards do.
    assert CARDS["nvidia-tesla-p40"]["cooling"] == "passive"
    assert CARDS["nvidia-geforce-rtx-3090"]["cooling"] == "active"
    assert CARDS["nvidia-tesla-p40"]["power_connectors"] == "1x 8-pin CPU (EPS-12V)"
    assert "Needs: PCIe card; passive cooling" in CARDS["nvidia-tesla-p40"]["spec_notes"]


def test_multi_gpu_boards_count_their_devices():
    assert CARDS["amd-instinct-mi250"]["devices"] == 2
    assert CARDS["nvidia-tesla-k80"]["devices"] == 2
    assert CARDS["nvidia-tesla-m10"]["devices"] == 4
    assert CARDS["nvidia-geforce-rtx-3090"]["devices"] == 1
    m10, k80 = CARDS["nvidia-tesla-m10"], CARDS["nvidia-tesla-k80"]
    assert (m10["memory_gb"], m10["memory_bandwidth_gbs"]) == (32, 332.8)  # 4 x 8 GB, 4 x 83.2
    assert (k80["memory_gb"], k80["memory_bandwidth_gbs"]) == (24, 480)  # 2 x 12 GB, 2 x 240
    # Honest software badges: Kepler is off every current CUDA and PyTorch build.
    assert k80["ml_software"] == "unsupported" and m10["ml_software"] == "limited"
    assert "Tesla M10" in m10["aliases"] and "Tesla K80" in k80["aliases"]


def test_llama_cpp_backend_is_blank_where_llama_cpp_does_not_run_the_card():
    assert CARDS["intel-gaudi2"]["llama_cpp_backend"] == ""
    assert "Optimum Habana" in CARDS["intel-gaudi2"]["runs_llms_with"]
    assert CARDS["qualcomm-cloud-ai-100-pro"]["llama_cpp_backend"] == ""
    assert "Cloud AI SDK" in CARDS["qualcomm-cloud-ai-100-pro"]["runs_llms_with"]
    assert CARDS["intel-arc-a770"]["llama_cpp_backend"] == "sycl"
    assert CARDS["amd-radeon-rx-6800"]["llama_cpp_backend"] == "vulkan"
    assert CARDS["amd-radeon-rx-7900-xtx"]["llama_cpp_backend"] == "rocm"
    assert CARDS["nvidia-tesla-p40"]["llama_cpp_backend"] == "cuda"


def test_a_card_missing_from_a_needs_block_stops_the_build():
    from catalog.build import apply_card_needs

    data = json.loads((FIXTURE.parent / "catalog_data.json").read_text(encoding="utf-8"))
    cards = {slug: dict(gpu) for slug, gpu in CARDS.items()}
    del data["cooling"]["cooling"]["nvidia-tesla-p40"]
    data["form_factors"]["form_factors"]["nvidia-t4"] = "cartridge"
    with pytest.raises(ValueError) as raised:
        apply_card_needs(cards, data)
    assert "cooling: no entry for nvidia-tesla-p40" in str(raised.value)
    assert "form_factors: nvidia-t4 has unknown value 'cartridge'" in str(raised.value)


@pytest.mark.parametrize(
    ("slug", "l2_mb", "shared_kb"),
    [
        ("nvidia-tesla-v100-16gb", 6, 96),
        ("nvidia-tesla-p100", 4, 64),
        ("nvidia-geforce-rtx-2080-ti", 5.5, 64),
        ("nvidia-a100-pcie-40gb", 40, 164),
        ("nvidia-geforce-rtx-3090", 6, 100),
        ("nvidia-geforce-rtx-3080", 5, 100),
        ("nvidia-geforce-rtx-3060", 3, 100),
        ("nvidia-geforce-rtx-4090", 72, 100),
        ("nvidia-geforce-rtx-4070", 36, 100),
        ("nvidia-l4", 48, 100),
        ("nvidia-h100-sxm", 50, 228),
        ("nvidia-geforce-rtx-5090", 96, 100),
        ("nvidia-b200", None, 228),
        ("amd-instinct-mi250", 16, 64),
        ("amd-instinct-mi300x", 32, 64),
        ("amd-instinct-mi355x", 32, 160),
        ("amd-radeon-rx-7900-xtx", 6, 64),
        ("amd-radeon-rx-6800-xt", 4, 64),
        ("intel-arc-b580", 18, None),
        ("intel-gaudi2", None, None),
    ],
)
def test_cache_figures_are_the_vendors_with_what_each_counts(slug, l2_mb, shared_kb):
    card = CARDS[slug]
    assert (card["l2_cache_mb"], card["shared_memory_per_sm_kb"]) == (l2_mb, shared_kb)
    notes = dict(line.split(": ", 1) for line in card["spec_notes"].splitlines() if ": " in line)
    for key, value in (("L2 cache", l2_mb), ("Shared memory per SM", shared_kb)):
        # A figure names its source; a blank says why there is none.
        assert notes[key].startswith("unknown: " if value is None else f"{value:g} "), key


def test_most_cards_have_cache_figures_and_each_cites_a_reference_url():
    with_l2 = [card for card in CARDS.values() if card["l2_cache_mb"]]
    with_shared = [card for card in CARDS.values() if card["shared_memory_per_sm_kb"]]
    assert len(with_l2) >= 95 and len(with_shared) >= 120
    assert all(
        card["manufacturer"] != "NVIDIA" or card["form_factor"] == "system"
        for card in CARDS.values()
        if card not in with_shared
    )
    data = json.loads((FIXTURE.parent / "catalog_data.json").read_text(encoding="utf-8"))
    for slug, entry in data["l2_cache"]["cards"].items():
        assert entry["url"] in CARDS[slug]["reference_urls"], slug
        assert entry["source"].startswith(("read 2026-", "entered 2026-", "derived ")), slug


def test_the_cache_blocks_must_cover_every_card_with_a_figure_or_a_reason():
    from catalog.cache_figures import check_cache_blocks

    cards = {
        "nvidia-l4": {"manufacturer": "NVIDIA", "cuda_compute_capability": "8.9"},
        "intel-x": {"manufacturer": "Intel", "architecture": "Xe2"},
    }
    figure = {"mb": 48, "note": "48 MB", "url": "https://example.com", "source": "read"}
    rule = {"kb": 100, "note": "100 KB", "url": "https://example.com", "source": "read"}
    shared = {"by_compute_capability": {"8.9": rule}, "by_architecture": {}, "unknown": {}}
    l2 = {"cards": {"nvidia-l4": figure}, "unknown": {}}
    with pytest.raises(ValueError, match="no L2 cache entry for intel-x"):
        check_cache_blocks(cards, l2, shared)
    l2["unknown"]["intel-x"] = "no source"
    with pytest.raises(ValueError, match="no shared memory rule or reason for intel-x"):
        check_cache_blocks(cards, l2, shared)
    shared["unknown"]["intel-x"] = "no source"
    check_cache_blocks(cards, l2, shared)
    l2["unknown"]["nvidia-l4"] = "no source"
    with pytest.raises(ValueError, match="nvidia-l4: both an L2 figure and a reason for none"):
        check_cache_blocks(cards, l2, shared)
