"""The local-LLM arithmetic on worked examples, and the fit on the published measurements."""

from dataclasses import replace

import pytest
from django.urls import reverse

from catalog import llm
from catalog.llm_catalogue import card_spec, load_llm_catalogue
from catalog.models import Gpu, LlmMeasurement, LlmModel, Quantization

LLAMA_8B = llm.ModelSpec("llama-3.1-8b", "Llama 3.1 8B", 8.03, 8.03, 32, 8, 128, 131072)
LLAMA_70B = llm.ModelSpec("llama-3.1-70b", "Llama 3.1 70B", 70.55, 70.55, 80, 8, 128, 131072)
Q4_0, Q4_K_M, Q8_0, F16 = 4.5, 4.85, 8.5, 16.0
# gpt-oss-20b as config.json gives it; 24 layers x 32 experts x 3 x 2880 x 2880 = 19.11 B of its
# weights are MoE experts, which every published GGUF keeps in MXFP4 (4.25 bits per weight).
GPT_OSS_20B = llm.ModelSpec(
    "gpt-oss-20b", "gpt-oss 20B", 20.9, 3.6, 24, 8, 64, 131072, experts=32, active_experts=4
)
GPT_OSS_20B = replace(GPT_OSS_20B, fixed_params_b=19.11, fixed_bits_per_weight=4.25)
# Alternate layers (12 of 24) attend to a 128-token sliding window; Gemma 2 27B's 23 of 46 to 4,096.
GPT_OSS_20B = replace(GPT_OSS_20B, sliding_window=128, sliding_layers=12)
GEMMA_2_27B = llm.ModelSpec("gemma-2-27b", "Gemma 2 27B", 27.2, 27.2, 46, 16, 128, 8192)
GEMMA_2_27B = replace(GEMMA_2_27B, sliding_window=4096, sliding_layers=23)


def test_kv_cache_of_llama_3_1_8b_at_4096_tokens_is_half_a_gib():
    # 2 (K and V) x 32 layers x 8 KV heads x 128 x 4096 tokens x 2 bytes = 536,870,912 bytes
    assert llm.kv_cache_gib(LLAMA_8B, 4096) == 0.5
    assert llm.kv_cache_gib(LLAMA_8B, 8192) == 1.0


def test_sliding_window_layers_hold_only_the_cells_llama_cpp_gives_them():
    # gpt-oss-20b: 2 x 8 KV heads x 64 x 2 bytes = 2,048 bytes a layer a token. 12 full layers
    # hold the whole context; 12 sliding layers hold 128 + 512 cells, padded to 768.
    assert llm.kv_cache_gib(GPT_OSS_20B, 131072) == 3.017578125  # was 6.0 counting every layer
    assert llm.kv_cache_gib(GPT_OSS_20B, 512) == 0.0234375  # a short context caps both kinds
    # Gemma 2 27B: 8,192 bytes a layer a token; the window (4,096 + 512 cells) only bites above it.
    assert llm.kv_cache_gib(GEMMA_2_27B, 4096) == 1.4375
    assert llm.kv_cache_gib(GEMMA_2_27B, 8192) == 2.24609375  # was 2.875


def test_llama_3_1_70b_at_q4_k_m_needs_two_24_gb_cards_or_one_48_gb_card():
    assert llm.weights_gib(LLAMA_70B, Q4_K_M) == pytest.approx(39.83, abs=0.01)
    assert llm.kv_cache_gib(LLAMA_70B, 4096) == 1.25
    assert not llm.fits(LLAMA_70B, Q4_K_M, 4096, 24)
    assert llm.cards_needed(LLAMA_70B, Q4_K_M, 4096, 24) == 2
    assert llm.fits(LLAMA_70B, Q4_K_M, 4096, 48)
    assert llm.cards_needed(LLAMA_70B, Q4_K_M, 4096, 12) == 4


def test_llama_3_1_8b_at_f16_does_not_fit_a_12_gb_card_but_q8_does():
    assert llm.weights_gib(LLAMA_8B, F16) == pytest.approx(14.96, abs=0.01)
    assert not llm.fits(LLAMA_8B, F16, 4096, 12)
    assert llm.cards_needed(LLAMA_8B, F16, 4096, 12) == 2
    assert llm.fits(LLAMA_8B, Q8_0, 4096, 12)


def test_a_longer_context_can_push_a_model_off_a_card():
    assert llm.fits(LLAMA_8B, Q8_0, 4096, 10)
    assert not llm.fits(LLAMA_8B, Q8_0, 32768, 10)  # 4 GiB of KV cache on top of 7.9 GiB


def test_unknown_memory_or_more_than_eight_cards_is_no_answer():
    assert llm.cards_needed(LLAMA_70B, F16, 4096, None) is None
    assert llm.cards_needed(LLAMA_70B, F16, 4096, 4) is None  # 131 GiB over 3.5 GiB cards


def test_mixture_of_experts_holds_every_expert_but_reads_only_the_active_ones():
    moe = llm.ModelSpec("moe", "MoE", 30.5, 3.3, 48, 4, 128, 32768)
    dense = llm.ModelSpec("dense", "Dense", 30.5, 30.5, 48, 4, 128, 32768)
    fit = llm.DecodeFit(efficiency=0.8, overhead_ms=0.0, prefill_efficiency=0.5, points=0)
    assert llm.weights_gib(moe, Q4_K_M) == llm.weights_gib(dense, Q4_K_M)
    moe_speed = llm.estimate_decode(moe, Q4_K_M, 4096, 1000, fit)
    dense_speed = llm.estimate_decode(dense, Q4_K_M, 4096, 1000, fit)
    assert moe_speed > 5 * dense_speed


def test_gpt_oss_20b_files_are_about_the_size_published_whatever_the_quantisation():
    # Published GGUFs: Q8_0 about 12.1 GB, F16 about 13.8 GB (1 GB = 1e9 bytes), not 22 and 42 GB.
    assert llm.weights_gib(GPT_OSS_20B, Q8_0) * llm.GIB / 1e9 == pytest.approx(12.05, abs=0.01)
    assert llm.weights_gib(GPT_OSS_20B, F16) * llm.GIB / 1e9 == pytest.approx(13.73, abs=0.01)
    # The MXFP4 file (11.27 GiB, llama.cpp PR #21024) lies between Q4_0 and F16.
    assert llm.weights_gib(GPT_OSS_20B, Q4_0) == pytest.approx(10.39, abs=0.01)
    assert llm.weights_gib(GPT_OSS_20B, F16) == pytest.approx(12.79, abs=0.01)
    assert llm.weights_gib(GPT_OSS_20B, Q4_0) < 11.27 < llm.weights_gib(GPT_OSS_20B, F16)


def test_gpt_oss_20b_at_f16_fits_one_16_gb_card():
    # 12.79 GiB of weights + 0.19 GiB of KV cache + 0.5 GiB of overhead
    assert llm.cards_needed(GPT_OSS_20B, F16, 4096, 16) == 1
    assert llm.cards_needed(GPT_OSS_20B, Q8_0, 4096, 12) == 1


def test_a_token_reads_only_the_active_experts_share_of_the_fixed_format_weights():
    # 4 of 32 experts: 2.39 B at 4.25 bits, the other 1.21 B active weights at the quantisation.
    assert GPT_OSS_20B.fixed_active_params_b == pytest.approx(2.389, abs=0.001)
    assert llm.active_weights_gib(GPT_OSS_20B, F16) == pytest.approx(3.438, abs=0.001)
    assert llm.active_weights_gib(GPT_OSS_20B, Q4_K_M) == pytest.approx(1.866, abs=0.001)
    # Without the fixed format every active weight would be read at 16 bits.
    assert llm.active_weights_gib(LLAMA_8B, F16) == pytest.approx(14.96, abs=0.01)


def test_decode_estimate_is_bandwidth_over_bytes_plus_overhead():
    fit = llm.DecodeFit(efficiency=0.5, overhead_ms=1.0, prefill_efficiency=0.5, points=0)
    bytes_read = (llm.active_weights_gib(LLAMA_8B, Q4_K_M) + 0.5) * llm.GIB
    expected = 1 / (bytes_read / (1000e9 * 0.5) + 0.001)
    assert llm.estimate_decode(LLAMA_8B, Q4_K_M, 4096, 1000, fit) == pytest.approx(expected)
    assert llm.estimate_decode(LLAMA_8B, Q4_K_M, 4096, None, fit) is None


def test_prefill_estimate_is_fp16_compute_over_two_flops_per_parameter():
    fit = llm.DecodeFit(efficiency=0.8, overhead_ms=0.0, prefill_efficiency=0.5, points=0)
    # 100 TFLOPS x 0.5 / (2 x 8.03e9) = 3,113 tokens/s
    assert llm.estimate_prefill(LLAMA_8B, 100, fit) == pytest.approx(3113.3, abs=0.1)


def _point(bandwidth, tokens_per_s, *, context=128, family=llm.GDDR):
    card = llm.CardSpec(f"card-{bandwidth}", "Card", 24, bandwidth, 100, memory_family=family)
    return llm.Measured(
        card, LLAMA_8B, "q4_k_m", Q4_K_M, context, tokens_per_s, None, "", "", "", ""
    )


def test_calibration_recovers_efficiency_and_overhead_from_exact_points():
    truth = llm.DecodeFit(efficiency=0.7, overhead_ms=2.0, prefill_efficiency=0.5, points=0)
    points = [
        _point(bw, llm.estimate_decode(LLAMA_8B, Q4_K_M, 128, bw, truth)) for bw in (300, 900)
    ]
    calibration = llm.calibrate(points)
    fit = calibration.for_family(llm.GDDR)
    assert fit.efficiency == pytest.approx(0.7)
    assert fit.overhead_ms == pytest.approx(2.0)
    assert llm.fit_error(points, calibration).max_abs_pct == pytest.approx(0, abs=1e-6)


def test_each_memory_family_is_fitted_on_its_own_points():
    gddr = llm.DecodeFit(efficiency=0.8, overhead_ms=1.5, prefill_efficiency=0.5, points=0)
    hbm = llm.DecodeFit(efficiency=0.55, overhead_ms=3.0, prefill_efficiency=0.5, points=0)
    points = [
        _point(bw, llm.estimate_decode(LLAMA_8B, Q4_K_M, 128, bw, gddr)) for bw in (400, 1000)
    ] + [
        _point(bw, llm.estimate_decode(LLAMA_8B, Q4_K_M, 128, bw, hbm), family=llm.HBM)
        for bw in (1935, 3350)
    ]
    calibration = llm.calibrate(points)
    on_hbm = calibration.for_family(llm.HBM)
    assert (on_hbm.efficiency, on_hbm.overhead_ms) == (pytest.approx(0.55), pytest.approx(3.0))
    assert calibration.for_family(llm.GDDR).efficiency == pytest.approx(0.8)
    assert calibration.points == 4
    assert llm.fit_error(points, calibration).of_family(llm.HBM).max_abs_pct < 1e-6


def test_a_family_with_too_few_points_takes_the_other_familys_fit():
    truth = llm.DecodeFit(efficiency=0.7, overhead_ms=2.0, prefill_efficiency=0.5, points=0)
    points = [
        _point(bw, llm.estimate_decode(LLAMA_8B, Q4_K_M, 128, bw, truth)) for bw in (300, 900)
    ] + [_point(2000, 120, family=llm.HBM)]
    on_hbm = llm.calibrate(points).for_family(llm.HBM)
    assert on_hbm.efficiency == pytest.approx(0.7) and on_hbm.overhead_ms == pytest.approx(2.0)
    assert (on_hbm.borrowed_from, on_hbm.points) == (llm.GDDR, 1)


def test_calibration_with_one_point_falls_back_to_typical_figures():
    fit = llm.calibrate([_point(900, 100)]).for_family(llm.GDDR)
    assert (fit.efficiency, fit.overhead_ms) == (llm.FALLBACK_EFFICIENCY, llm.FALLBACK_OVERHEAD_MS)
    assert fit.typical


@pytest.mark.parametrize(
    "memory_type, family",
    [("HBM2", "hbm"), ("HBM2e", "hbm"), ("HBM3e", "hbm"), ("GDDR6X", "gddr"), ("LPDDR4X", "gddr")],
)
def test_hbm_memory_types_are_the_hbm_family_and_the_rest_gddr(memory_type, family):
    assert llm.memory_family(memory_type) == family
    assert llm.memory_family("") == llm.GDDR  # unknown memory


@pytest.mark.django_db
def test_fixtures_load_the_required_models_with_their_config_architecture(loaded_catalog):
    slugs = set(LlmModel.objects.values_list("slug", flat=True))
    assert {
        "llama-3.1-8b",
        "llama-3.1-70b",
        "qwen3-8b",
        "qwen3-14b",
        "qwen3-32b",
        "qwen3-30b-a3b",
        "mistral-7b",
        "mistral-nemo-12b",
        "gemma-2-27b",
        "gpt-oss-20b",
    } <= slugs
    llama = LlmModel.objects.get(slug="llama-3.1-70b")
    assert (llama.layers, llama.kv_heads, llama.head_dim, llama.hidden_size) == (80, 8, 128, 8192)
    oss = LlmModel.objects.get(slug="gpt-oss-20b")
    assert (oss.experts, oss.active_experts, oss.total_params_b, oss.active_params_b) == (
        32,
        4,
        20.9,
        3.6,
    )
    assert (oss.layers, oss.kv_heads, oss.head_dim) == (24, 8, 64)
    assert (oss.sliding_window, oss.sliding_layers) == (128, 12)
    assert (llama.sliding_window, llama.sliding_layers) == (None, None)
    assert all(m.config_url.endswith("/config.json") for m in LlmModel.objects.all())
    bits = dict(Quantization.objects.values_list("slug", "bits_per_weight"))
    assert bits["q4_k_m"] == 4.85 and bits["q8_0"] == 8.5 and bits["f16"] == 16.0


@pytest.mark.django_db
def test_every_measurement_cites_a_url_a_date_and_a_backend(loaded_catalog):
    rows = list(LlmMeasurement.objects.all())
    assert len(rows) == 19
    assert all(r.source_url.startswith("https://") and r.published_on and r.backend for r in rows)


@pytest.mark.django_db
def test_estimate_error_on_the_published_measurements_is_pinned(loaded_catalog):
    catalogue = load_llm_catalogue()
    calibration = catalogue.calibration
    gddr, hbm = calibration.for_family(llm.GDDR), calibration.for_family(llm.HBM)
    assert (gddr.points, hbm.points) == (9, 10)
    assert gddr.efficiency == pytest.approx(0.817, abs=0.001)
    assert gddr.overhead_ms == pytest.approx(2.05, abs=0.01)
    # A100 / H100 under llama.cpp: about half the bandwidth and twice the per-token overhead.
    assert hbm.efficiency == pytest.approx(0.552, abs=0.001)
    assert hbm.overhead_ms == pytest.approx(3.12, abs=0.01)
    assert not hbm.borrowed_from
    # Prompt speed over the FP16 tensor peak: the median of each family's pp512 runs.
    assert (gddr.prefill_efficiency, hbm.prefill_efficiency) == pytest.approx(
        (0.526, 0.307), abs=0.001
    )
    error = catalogue.error()
    assert error.of_family(llm.GDDR).mean_abs_pct == pytest.approx(12.6, abs=0.1)
    assert error.of_family(llm.GDDR).max_abs_pct == pytest.approx(27.0, abs=0.1)  # a MoE model
    assert error.of_family(llm.HBM).mean_abs_pct == pytest.approx(4.8, abs=0.1)
    assert error.of_family(llm.HBM).max_abs_pct == pytest.approx(12.1, abs=0.1)
    assert error.mean_abs_pct == pytest.approx(8.5, abs=0.1)


@pytest.mark.django_db
def test_datacenter_hbm_cards_are_estimated_near_what_llama_cpp_measures(loaded_catalog):
    catalogue = load_llm_catalogue()
    model, quant = catalogue.model("llama-3.1-8b"), catalogue.quant("q4_k_m")
    cards = {gpu.slug: card_spec(gpu) for gpu in Gpu.objects.all()}

    def estimate(slug):
        card = cards[slug]
        fit = catalogue.calibration.for_card(card)
        return llm.estimate_decode(model, quant.bits_per_weight, 4096, card.bandwidth_gbs, fit)

    # llama.cpp measures about 138 tokens/s on an A100 80GB PCIe (tg1024, May 2024); one fit for
    # every card estimated 192.
    assert estimate("nvidia-a100-pcie") == pytest.approx(122.2, abs=0.1)
    assert abs(estimate("nvidia-a100-pcie") - 138) / 138 < 0.15
    assert estimate("nvidia-h100-sxm") == pytest.approx(165.4, abs=0.1)  # was 267
    assert estimate("nvidia-geforce-rtx-4090") == pytest.approx(116.1, abs=0.1)  # about as before


@pytest.mark.django_db
def test_hbm_prompt_speed_is_estimated_from_hbm_runs(loaded_catalog):
    catalogue = load_llm_catalogue()
    model = catalogue.model("llama-3.1-8b")
    cards = {gpu.slug: card_spec(gpu) for gpu in Gpu.objects.all()}

    def prefill(slug):
        card = cards[slug]
        fit = catalogue.calibration.for_card(card)
        return llm.estimate_prefill(model, card.prefill_tflops, fit)

    # llama-bench pp512 on an A100 80GB PCIe: 5,981 tokens/s (May 2024); one efficiency for every
    # card, taken from GeForce runs, estimated 10,213.
    assert prefill("nvidia-a100-pcie") == pytest.approx(5964, abs=1)
    assert prefill("nvidia-h100-sxm") == pytest.approx(18916, abs=1)  # was 32,389
    assert prefill("nvidia-geforce-rtx-4090") == pytest.approx(10812, abs=1)  # unchanged


@pytest.mark.django_db
def test_a_measured_card_shows_the_measurement_and_others_an_estimate(loaded_catalog):
    catalogue = load_llm_catalogue()
    model, quant = catalogue.model("llama-3.1-8b"), catalogue.quant("q4_k_m")
    runs = {
        card.slug: catalogue.run(model=model, quant=quant, context=4096, card=card)
        for card in (
            llm.CardSpec("nvidia-geforce-rtx-3080", "RTX 3080", 10, 760, 119),
            llm.CardSpec("nvidia-geforce-rtx-3090", "RTX 3090", 24, 936.2, 142.75),
        )
    }
    measured = runs["nvidia-geforce-rtx-3080"]
    assert measured.basis == "measured" and measured.decode_tokens_per_s == 111.95
    assert measured.basis_label == "measured at 128 tokens of context"
    assert "dmatora" in measured.measurement.source_url
    estimated = runs["nvidia-geforce-rtx-3090"]  # measured at Q4_0 and Q8_0 only
    assert (estimated.basis, estimated.basis_label) == ("estimate", "estimate")
    # Past the default context the measurement, at 128 tokens, no longer stands for the setup.
    long = catalogue.run(
        model=model,
        quant=quant,
        context=8192,
        card=llm.CardSpec("nvidia-geforce-rtx-3080", "RTX 3080", 10, 760, 119),
    )
    assert long.basis == "estimate" and long.decode_tokens_per_s < 111.95


@pytest.mark.django_db
def test_learn_page_shows_which_models_the_card_runs(client, loaded_catalog):
    url = reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-geforce-rtx-3090"})
    html = client.get(url).content.decode()
    assert "Runs these models" in html
    assert reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"}) in html
    assert "Multi-card setup: 2 cards" in html  # Llama 3.1 70B at Q4_K_M on 24 GB
    assert "estimate" in html


@pytest.mark.django_db
def test_methodology_publishes_the_fit_and_its_error(client, loaded_catalog):
    html = client.get(reverse("catalog:methodology")).content.decode()
    assert 'id="llm"' in html
    assert "mean absolute error 8.5%, largest 27.0%" in html
    assert "in-sample" in html
    hbm_row = html[html.index("HBM (HBM2, HBM2e, HBM3, HBM3e)") :].split("</tr>")[0]
    assert ">0.31<" in hbm_row  # its own prompt efficiency
    assert ">10<" in hbm_row and ">0.55<" in hbm_row and ">3.12<" in hbm_row and "4.8%" in hbm_row
    assert "uses the other family's fit" in html
    assert "github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference" in html
    assert "https://github.com/ggml-org/llama.cpp/pull/21024" in html
    # The error is in-sample: the calibration cards and their bandwidth range are named.
    assert "AMD Radeon RX 7900 XT, NVIDIA A100" in html
    assert "from 384 to 2039 GB/s of memory bandwidth" in html
    assert "on the 1 mixture-of-experts point above the estimate runs 27% from" in html
    assert "with the context it ran at" in html


@pytest.mark.parametrize(
    "name",
    [
        "admin:catalog_llmmodel_changelist",
        "admin:catalog_quantization_changelist",
        "admin:catalog_llmmeasurement_changelist",
    ],
)
def test_staff_see_and_search_the_llm_catalogue(staff_client, loaded_catalog, name):
    response = staff_client.get(reverse(name))
    assert response.status_code == 200


def test_an_admin_edit_to_a_model_is_kept_by_the_next_load_and_reaches_the_pages(
    staff_client, loaded_catalog, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.forms.models import model_to_dict

    learn = reverse("metrics:learn-gpu", args=["nvidia-l4"])
    assert "Llama 3.1 8B</a>" in staff_client.get(learn).content.decode()  # catalogue now cached
    model = LlmModel.objects.get(slug="llama-3.1-8b")
    data = {k: ("" if v is None else v) for k, v in model_to_dict(model).items() if k != "id"}
    data["name"] = "Llama 3.1 8B Instruct"
    url = reverse("admin:catalog_llmmodel_change", args=[model.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302
    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    model.refresh_from_db()
    assert model.name == "Llama 3.1 8B Instruct" and model.admin_edited_fields == ["name"]
    assert "Llama 3.1 8B Instruct</a>" in staff_client.get(learn).content.decode()


def test_a_slug_with_a_space_or_capitals_is_rejected(loaded_catalog):
    from django.core.exceptions import ValidationError

    model = LlmModel.objects.get(slug="llama-3.1-8b")
    model.slug = "Llama 3.1"
    with pytest.raises(ValidationError):
        model.full_clean()


def test_a_fixtures_folder_without_the_llm_files_still_loads(tmp_path, db):
    import shutil

    from catalog.loader import FIXTURE_FILES, default_fixtures_dir, load_catalog

    for filename in FIXTURE_FILES.values():
        shutil.copy(default_fixtures_dir() / filename, tmp_path / filename)
    report = load_catalog(fixtures_dir=tmp_path)
    assert "LLMs" not in report.counts and report.counts["cards"].created > 0
    assert not LlmModel.objects.exists()


def test_dry_run_counts_the_llm_catalogue_and_writes_nothing(db):
    from catalog.loader import load_catalog

    report = load_catalog(dry_run=True)
    assert report.counts["LLMs"].created == 12
    assert report.counts["quantizations"].created == 4
    assert report.counts["LLM measurements"].created == 19
    assert not LlmModel.objects.exists()
