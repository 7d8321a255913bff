"""Whole computers with unified memory: their cited figures, the memory their GPU may use, the fit
and speed arithmetic on them, and their calibration families."""

import json
import statistics
from dataclasses import replace

import pytest

from catalog import llm
from catalog.llm_calibration import Calibration, Family, FamilyFit
from catalog.llm_catalogue import card_spec, load_llm_catalogue
from catalog.loader import default_fixtures_dir
from catalog.models import Gpu

SYSTEMS = {
    s["slug"]: s
    for s in json.loads((default_fixtures_dir() / "systems.json").read_text())["systems"]
}
GPUS = {g["slug"]: g for g in json.loads((default_fixtures_dir() / "gpus.json").read_text())}
REQUIRED = {
    "apple-mac-studio-m1-ultra-64c-128gb",
    "apple-mac-studio-m2-ultra-76c-192gb",
    "apple-mac-studio-m3-ultra-60c-96gb",
    "apple-mac-studio-m3-ultra-80c-512gb",
    "apple-mac-studio-m4-max-40c-128gb",
    "apple-macbook-pro-m3-max-40c-128gb",
    "apple-mac-mini-m4-pro-20c-64gb",
    "amd-ryzen-ai-max-plus-395-128gb",
    "nvidia-dgx-spark",
    # what else sells in volume: Max chips at 64-128 GB, the 60-core M2 Ultra, 256 GB M3 Ultra
    "apple-mac-studio-m2-ultra-60c-64gb",
    "apple-mac-studio-m3-ultra-60c-256gb",
    "apple-mac-studio-m4-max-40c-64gb",
    "apple-macbook-pro-m2-max-38c-96gb",
}
LLAMA_405B = llm.ModelSpec("llama-3.1-405b", "Llama 3.1 405B", 405.85, 405.85, 126, 8, 128, 131072)
LLAMA_70B = llm.ModelSpec("llama-3.1-70b", "Llama 3.1 70B", 70.55, 70.55, 80, 8, 128, 131072)
Q4_K_M = 4.85


def test_the_catalog_has_a_system_per_configuration_that_trades():
    assert set(SYSTEMS) >= REQUIRED
    for slug in SYSTEMS:
        assert GPUS[slug]["form_factor"] == "system", slug


@pytest.mark.parametrize("slug", sorted(SYSTEMS))
def test_every_system_cites_its_memory_bandwidth_gpu_cores_and_gpu_share(slug):
    gpu = GPUS[slug]
    notes = dict(line.split(": ", 1) for line in gpu["spec_notes"].splitlines() if ": " in line)
    assert gpu["memory_gb"] and gpu["memory_bandwidth_gbs"] and gpu["gpu_cores"], slug
    assert 0 < gpu["gpu_memory_gb"] < gpu["memory_gb"], slug
    for key in ("Memory", "GPU memory", "Memory bandwidth", "GPU cores", "Board power"):
        assert "https://" in notes[key] or notes[key].startswith("unknown"), (slug, key)
    # A figure no source gives stays blank and says why; an estimate of FLOPS says "derived".
    for field, key in (("fp32_tflops", "FP32"), ("fp16_tflops", "FP16")):
        if gpu[field] is None:
            assert notes[key].startswith("unknown"), (slug, key)
        else:
            assert "https://" in notes[key], (slug, key)
    assert gpu["ebay_category_ids"] and gpu["search_query"], slug
    assert gpu["typical_price_source"].startswith("2026-12 demo estimate"), slug


def test_what_runs_llms_on_each_kind_of_machine_and_with_which_llama_cpp_backend():
    for slug, gpu in GPUS.items():
        if gpu["form_factor"] != "system":
            continue
        note = gpu["ml_software_note"]
        if gpu["manufacturer"] == "Apple":
            assert gpu["llama_cpp_backend"] == "metal"
            assert all(word in note for word in ("llama.cpp", "MLX", "MPS")), slug
        elif gpu["manufacturer"] == "AMD":
            assert gpu["llama_cpp_backend"] == "vulkan"
            assert "ROCm" in note and "Vulkan" in note, slug
        else:
            assert (gpu["llama_cpp_backend"], gpu["cuda_compute_capability"]) == ("cuda", "12.1")
            assert "CUDA" in note, slug


def test_a_mac_gpu_may_use_three_quarters_of_its_memory_by_default_and_the_sysctl_raises_it():
    for slug, entry in SYSTEMS.items():
        if slug.startswith("apple-"):
            assert entry["gpu_memory_gb"] == entry["memory_gb"] * 3 / 4, slug
            assert "iogpu.wired_limit_mb" in GPUS[slug]["spec_notes"], slug
    strix, spark = GPUS["amd-ryzen-ai-max-plus-395-128gb"], GPUS["nvidia-dgx-spark"]
    assert strix["gpu_memory_gb"] == 96 and "gttsize" in strix["spec_notes"]
    assert spark["gpu_memory_gb"] == 113  # 119.7 GiB the OS sees, less an idle DGX OS's 6.4


def _mac(memory_gb, bandwidth=800):
    """A Mac as the LLM arithmetic sees it: the GPU's default share of its memory."""
    return llm.CardSpec(
        "mac", "Mac", memory_gb * 3 / 4, bandwidth, None, memory_family="lpddr", backend="metal"
    )


def test_llama_3_1_70b_at_q4_k_m_fits_a_128_gb_mac_at_the_default_limit():
    need = (
        llm.weights_gib(LLAMA_70B, Q4_K_M)
        + llm.kv_cache_gib(LLAMA_70B, 4096)
        + llm.RUNTIME_OVERHEAD_GIB
    )
    assert need == pytest.approx(41.6, abs=0.1)  # 39.8 GiB of weights, 1.25 of KV cache
    assert llm.fits(LLAMA_70B, Q4_K_M, 4096, _mac(128).memory_gb)  # 96 GB for the GPU


def test_a_405b_model_at_q4_does_not_fit_192_gb_nor_the_192_gb_macs_gpu_share():
    assert llm.weights_gib(LLAMA_405B, Q4_K_M) == pytest.approx(229.2, abs=0.1)
    assert not llm.fits(LLAMA_405B, Q4_K_M, 4096, 192)
    assert not llm.fits(LLAMA_405B, Q4_K_M, 4096, _mac(192).memory_gb)  # 144 GB
    assert llm.fits(LLAMA_405B, Q4_K_M, 4096, _mac(512).memory_gb)  # 384 GB of a 512 GB M3 Ultra


@pytest.mark.django_db
def test_the_fit_on_a_machine_uses_its_gpu_share_and_never_two_machines(loaded_catalog):
    catalogue = load_llm_catalogue()
    cards = {gpu.slug: card_spec(gpu) for gpu in Gpu.objects.filter(form_factor="system")}
    q4, f16 = catalogue.quant("q4_k_m"), catalogue.quant("f16")

    def run(slug, model, quant=q4):
        return catalogue.run(
            model=catalogue.model(model), quant=quant, context=4096, card=cards[slug]
        )

    assert cards["apple-mac-studio-m4-max-40c-128gb"].memory_gb == 96
    seventy = run("apple-mac-studio-m4-max-40c-128gb", "llama-3.1-70b")
    assert (seventy.fits, seventy.cards_needed, seventy.devices_used) == (True, 1, 1)
    # 70B at F16 is 131 GiB: it fits the 192 GB Mac's 144 GB share, not a 128 GB Mac's 96 GB.
    assert run("apple-mac-studio-m2-ultra-76c-192gb", "llama-3.1-70b", f16).fits
    too_big = run("apple-mac-studio-m4-max-40c-128gb", "llama-3.1-70b", f16)
    assert (too_big.fits, too_big.cards_needed) == (False, None)  # not "two Macs"
    huge = run("apple-mac-studio-m2-ultra-76c-192gb", "llama-3.1-405b")
    assert (huge.fits, huge.cards_needed) == (False, None)
    assert run("apple-mac-studio-m3-ultra-80c-512gb", "llama-3.1-405b").fits
    assert run("apple-mac-studio-m2-ultra-76c-192gb", "qwen3-235b-a22b").fits  # 133 GiB
    assert not run("amd-ryzen-ai-max-plus-395-128gb", "qwen3-235b-a22b").fits
    assert run("nvidia-dgx-spark", "gpt-oss-120b").fits


@pytest.mark.django_db
def test_machines_show_measured_prefill_and_a_per_core_estimate_where_no_flops_exist(
    loaded_catalog,
):
    catalogue = load_llm_catalogue()
    cards = {gpu.slug: card_spec(gpu) for gpu in Gpu.objects.filter(form_factor="system")}
    model, q4_0 = catalogue.model("llama-2-7b"), catalogue.quant("q4_0")
    m3_ultra = catalogue.run(
        model=model, quant=q4_0, context=512, card=cards["apple-mac-studio-m3-ultra-80c-512gb"]
    )
    assert m3_ultra.basis == "measured" and m3_ultra.prefill_tokens_per_s == 1471
    # Apple publishes no FLOPS: a Mac's prompt speed is its GPU cores at the Metal family's
    # measured rate per core, so an 80-core M3 Ultra prefills about four times a 20-core M4 Pro.
    fit = catalogue.fit_for(cards["apple-mac-studio-m3-ultra-60c-96gb"])
    assert fit.key == "metal-apple" and 150 < fit.core_prefill_gflops < 350
    sixty = llm.estimate_prefill(model, cards["apple-mac-studio-m3-ultra-60c-96gb"], fit)
    twenty = llm.estimate_prefill(model, cards["apple-mac-mini-m4-pro-20c-64gb"], fit)
    assert sixty == pytest.approx(3 * twenty)


@pytest.mark.django_db
def test_the_machines_held_out_runs_are_estimated_within_15_percent_median(loaded_catalog):
    report = load_llm_catalogue().report
    machines = ("metal-apple-m1", "metal-apple", "vulkan-lpddr", "cuda-lpddr")
    errors = [abs(b.error_pct) for b in report.backtests if b.family_key in machines]
    # Each run estimated by a fit that never saw it: the aim, 15% median, none over 35%.
    assert len(errors) >= 30
    assert statistics.median(errors) <= 15 and max(errors) <= 35
    by_family = {s.family_key: s for s in report.summaries()}
    for key, least in zip(machines, (3, 7, 7, 7), strict=True):
        summary = by_family[key]
        # The M1 Ultra's three runs disagree most (its 70B run reads the least of its bandwidth).
        assert summary.points >= least and summary.median_abs_pct <= 20, key
    cards = {gpu.slug: card_spec(gpu) for gpu in Gpu.objects.filter(form_factor="system")}
    catalogue = load_llm_catalogue()
    assert {catalogue.fit_for(card).key for card in cards.values()} == set(machines)
    # A machine's MoE runs fit its own family's floor; the cards keep the shared one.
    calibration = catalogue.calibration
    assert calibration.fit("cuda-lpddr").moe_floor is not None
    assert calibration.fit("cuda-gddr").moe_floor is None
    # Apple publishes no shader rate: a Mac's MoE floor counts GPU cores, with the Metal k.
    assert calibration.fit("metal-apple").moe_floor > 0
    assert calibration.floor_for("metal-apple-m1", per_core=True) == calibration.core_moe_floor


@pytest.mark.django_db
def test_a_machines_measurements_never_move_a_cards_estimate(loaded_catalog):
    catalogue = load_llm_catalogue()
    cards_only = [m for m in catalogue.measurements if not m.card.system]
    assert len(cards_only) < len(catalogue.measurements)
    alone = llm.fit_points(cards_only, catalogue.families, catalogue.eras)
    full = catalogue.calibration
    # The quantisation factors, the cards' MoE k and every card family's fit are the same.
    assert full.quant_factors == alone.quant_factors
    assert full.moe_floor == pytest.approx(alone.moe_floor)
    for fit in alone.fits:
        if fit.points and not fit.family.unified:
            mine = full.fit(fit.key)
            assert (mine.efficiency, mine.layer_overhead_us) == pytest.approx(
                (fit.efficiency, fit.layer_overhead_us)
            ), fit.key


def test_a_mac_moe_floor_counts_gpu_cores_and_never_takes_the_shader_k():
    moe = llm.ModelSpec("moe", "MoE", 30.5, 3.3, 48, 4, 128, 40960)
    mac = llm.CardSpec("mac", "Mac", 96, 800, None, memory_family=llm.LPDDR, gpu_cores=60)
    card = llm.CardSpec("card", "Card", 24, 936, 71, fp32_tflops=35.6)
    # No published rate: 2 x active parameters over the GPU cores, each counted as one TFLOPS;
    # a card's cost is per expert layer (48 here) at its shader rate.
    assert llm.per_core_floor(mac) and not llm.per_core_floor(card)
    assert llm.floor_seconds(moe, mac) == pytest.approx(2 * 3.3e9 / 60e12)
    assert llm.floor_seconds(moe, card) == pytest.approx(48e-6 / 35.6)
    # A family without its own k: the shared one of its kind, never the other kind's.
    calibration = Calibration(fits=(), moe_floor=20.0, moe_points=0, core_moe_floor=3.0)
    assert calibration.floor_for("nowhere") == 20.0
    assert calibration.floor_for("nowhere", per_core=True) == 3.0


def test_a_machine_family_without_its_own_moe_k_takes_the_machines_not_the_cards():
    unified = Family("strix", "Strix", "vulkan", memory="lpddr", unified=True)
    radeon = Family("radeon", "Radeon", "vulkan", memory="gddr")
    fits = tuple(FamilyFit(family, 0.8, 40.0, 0.5, 0.5, points=4) for family in (unified, radeon))
    calibration = Calibration(fits=fits, moe_floor=2000.0, moe_points=3, unified_moe_floor=900.0)
    # An old card's routing cost is no guide to a machine's: each kind keeps its own k.
    assert calibration.floor_for("strix") == 900.0
    assert calibration.floor_for("radeon") == 2000.0
    # With no machine MoE run at all, the cards' k is all there is.
    assert replace(calibration, unified_moe_floor=None).floor_for("strix") == 2000.0


def test_every_catalog_text_fits_its_column():
    # PostgreSQL enforces a CharField's max_length; SQLite does not, so the fixtures are checked.
    from catalog.models import LlmMeasurement, LlmModel

    def limits(model):
        return {
            f.name: f.max_length
            for f in model._meta.get_fields()
            if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
        }

    fixtures = default_fixtures_dir()
    rows = [
        (Gpu, GPUS.values()),
        (LlmMeasurement, json.loads((fixtures / "llm_measurements.json").read_text())),
        (LlmModel, json.loads((fixtures / "llm_models.json").read_text())),
    ]
    for model, records in rows:
        for record in records:
            for name, limit in limits(model).items():
                value = record.get(name)
                assert not isinstance(value, str) or len(value) <= limit, (record, name)
