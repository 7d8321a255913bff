import io
import json
import shutil
from unittest import mock

import pytest
from django.core.management import call_command

from catalog import build as catalog_build
from catalog.build import build
from catalog.loader import default_fixtures_dir, load_catalog
from catalog.models import BenchmarkResult, Gpu, MlModel, UseCase
from catalog.signals import catalog_changed

CARDS, RESULTS, MODELS, USE_CASES = 154, 139, 18, 8  # 137 cards and 17 whole computers


def run(*args) -> str:
    out = io.StringIO()
    call_command("load_catalog", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    catalog_changed.connect(receiver)
    yield calls
    catalog_changed.disconnect(receiver)


@pytest.mark.django_db
def test_loads_every_card_model_use_case_and_mlperf_result():
    output = run()
    assert Gpu.objects.count() == CARDS
    assert BenchmarkResult.objects.count() == RESULTS
    assert MlModel.objects.count() == MODELS
    assert UseCase.objects.count() == USE_CASES
    assert f"cards: {CARDS} created, 0 updated, 0 unchanged" in output
    assert f"results: {RESULTS} created" in output


@pytest.mark.django_db
def test_every_mlperf_benchmark_has_a_model_linked_to_a_use_case():
    run()
    assert not MlModel.objects.filter(use_case__isnull=True).exists()
    ids = set(MlModel.objects.values_list("mlperf_id", flat=True))
    assert {"resnet50", "gptj-99", "llama2-70b-99.9", "stable-diffusion-xl", "whisper"} <= ids
    assert MlModel.objects.get(mlperf_id="rnnt").use_case.slug == "speech-to-text"
    assert MlModel.objects.get(mlperf_id="whisper").use_case.slug == "speech-to-text"


@pytest.mark.django_db
def test_second_run_creates_and_changes_nothing(sent, django_assert_max_num_queries):
    run()
    stamps = dict(Gpu.objects.values_list("slug", "updated_at"))
    # 12 to compare the fixtures with the rows, one more for the stored cloud offers; 7 to rerun
    # and store the LLM backtest, 5 to store the calibration (the last one's row, its family
    # fits, then the new ones), 3 to store each card's run of the reference model.
    with django_assert_max_num_queries(28):
        output = run()
    assert f"cards: 0 created, 0 updated, {CARDS} unchanged" in output
    assert f"results: 0 created, 0 updated, {RESULTS} unchanged" in output
    assert "already up to date" in output
    assert dict(Gpu.objects.values_list("slug", "updated_at")) == stamps
    assert len(sent) == 1, "only the first run changed the catalog"


@pytest.mark.django_db
def test_memory_types_load_and_fill_a_database_loaded_before_them():
    run()
    assert Gpu.objects.get(slug="nvidia-h200-sxm").memory_type == "HBM3e"
    assert Gpu.objects.get(slug="qualcomm-cloud-ai-100-pro").memory_type == "LPDDR4X"
    Gpu.objects.update(memory_type="")  # as the column's migration leaves existing rows

    run()

    assert not Gpu.objects.filter(memory_type="").exists()
    assert Gpu.objects.get(slug="nvidia-a100-sxm-40gb").memory_type == "HBM2"


@pytest.mark.django_db
def test_first_load_uses_bulk_queries_not_one_per_row(django_assert_max_num_queries):
    # Receivers downstream (rankings) do their own work; this pins the loader's queries only.
    # SQLite takes the 154 cards in batches by its limit on query parameters: seven at 38
    # columns; the 86 LLM measurements take two, the 143 cloud offers (nine columns) two.
    with mock.patch.object(catalog_changed, "send"), django_assert_max_num_queries(32):
        load_catalog()


@pytest.mark.django_db
def test_dry_run_reports_counts_but_writes_nothing(sent):
    output = run("--dry-run")
    assert f"cards: {CARDS} created" in output
    assert "nothing was written" in output
    assert Gpu.objects.count() == 0
    assert sent == []


@pytest.mark.django_db
def test_an_admin_edit_survives_a_reload_and_overwrite_replaces_it():
    run()
    l4 = Gpu.objects.get(slug="nvidia-l4")
    l4.fp32_tflops = 31.0
    l4.summary = ""
    l4.admin_edited_fields = ["fp32_tflops", "summary"]
    l4.save()

    output = run()
    l4.refresh_from_db()
    assert l4.fp32_tflops == 31.0
    assert l4.summary == "", "an admin who cleared a field keeps it cleared"
    assert f"cards: 0 created, 0 updated, {CARDS} unchanged" in output

    output = run("--overwrite")
    l4.refresh_from_db()
    assert l4.fp32_tflops == 30.3
    assert l4.summary.startswith("NVIDIA L4 is a datacenter PCIe card")
    assert l4.admin_edited_fields == []
    assert "cards: 0 created, 1 updated" in output


@pytest.mark.django_db
def test_reload_fills_blank_fields_and_missing_rows_but_keeps_other_values():
    run()
    Gpu.objects.filter(slug="nvidia-t4").update(memory_bandwidth_gbs=None, tdp_w=75)
    BenchmarkResult.objects.filter(gpu__slug="nvidia-t4").delete()

    output = run()
    t4 = Gpu.objects.get(slug="nvidia-t4")
    assert t4.memory_bandwidth_gbs == 320
    assert t4.tdp_w == 75, "a value that differs from the fixture is kept without --overwrite"
    assert BenchmarkResult.objects.filter(gpu=t4).count() == 4
    assert "cards: 0 created, 1 updated" in output
    assert "results: 4 created" in output


@pytest.mark.django_db
def test_rows_only_in_the_database_are_left_alone():
    run()
    Gpu.objects.create(
        slug="custom-card", label="Custom card", manufacturer="NVIDIA", category="gaming"
    )
    run("--overwrite")
    assert Gpu.objects.filter(slug="custom-card").exists()


@pytest.mark.django_db
def test_a_missing_fixture_file_is_a_command_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="gpus.json|use_cases.json"):
        run("--fixtures-dir", str(tmp_path))


@pytest.mark.parametrize(
    "filename, row, field, value",
    [
        ("gpus.json", 3, "source_url", "javascript:alert(1)"),
        ("gpus.json", 1, "reference_urls", ["https://example.com/a.pdf", "ftp://example.com/b"]),
        ("benchmark_results.json", 7, "source_url", "data:text/html,<script>alert(1)</script>"),
        ("ml_models.json", 2, "url", "ftp://example.com/paper.pdf"),
        ("llm_models.json", 1, "config_url", "javascript:alert(1)"),
        ("llm_measurements.json", 2, "source_url", "ftp://example.com/log.txt"),
    ],
)
@pytest.mark.django_db
def test_a_fixture_url_that_is_not_http_stops_the_load_naming_file_row_and_field(
    tmp_path, filename, row, field, value
):
    from django.core.management.base import CommandError

    shutil.copytree(default_fixtures_dir(), tmp_path, dirs_exist_ok=True)
    records = json.loads((tmp_path / filename).read_text(encoding="utf-8"))
    records[row - 1][field] = value
    (tmp_path / filename).write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run("--fixtures-dir", str(tmp_path))
    assert f"{filename} row {row}, field {field}: " in str(raised.value)
    assert "Enter an http:// or https:// address." in str(raised.value)
    assert "nothing was loaded" in str(raised.value)
    assert not Gpu.objects.exists() and not UseCase.objects.exists()


@pytest.mark.django_db
def test_figures_are_on_one_basis_dense_and_shader_fp32():
    run()
    cards = {g.slug: g for g in Gpu.objects.all()}
    h100 = cards["nvidia-h100-pcie"]
    assert h100.fp32_tflops == 51, "756 is sparse TF32, not shader FP32"
    assert h100.fp16_tflops == 756.5, "1513 with sparsity halves to 756.5 dense"
    assert cards["nvidia-h100-sxm"].fp16_tflops == 989.5
    assert cards["amd-instinct-mi300x"].fp16_tflops == 1307.4
    assert cards["nvidia-geforce-rtx-4070-ti"].fp32_tflops == 40.1, "4 ops/cycle count halved"
    assert cards["nvidia-geforce-rtx-5070"].fp32_tflops == 30.9, "TF32 figure replaced"
    assert cards["nvidia-rtx-a5000"].fp16_tflops == 111.1
    # Blank stays blank: unknown, never 0.
    assert cards["intel-gaudi2"].fp32_tflops is None
    assert cards["nvidia-l40"].fp16_fp16acc_tflops is None, "its datasheet gives only FP32-acc"
    assert cards["amd-radeon-rx-6800"].fp16_tflops is None, "shader FP16 is not a tensor figure"
    assert cards["nvidia-b200"].fp32_tflops == 75, "HGX B200's 600 TFLOPS over 8 GPUs"
    assert not Gpu.objects.filter(fp32_tflops=0).exists()
    assert "FP32: 51" in h100.spec_notes and "sparse TF32" not in h100.basis_notes["FP16"]


@pytest.mark.django_db
def test_cards_know_form_factor_search_words_aliases_and_provenance():
    run()
    t4 = Gpu.objects.get(slug="nvidia-t4")
    assert t4.search_query == "Tesla T4"
    assert "Tesla T4" in t4.aliases
    assert "900-2G183-0000-000" in t4.part_numbers
    assert "CC BY-SA 4.0" in t4.source
    assert t4.reference_urls[0].startswith("https://github.com/activescott/gpu-agent/")
    assert Gpu.objects.get(slug="nvidia-tesla-v100-16gb").search_query == "Tesla V100 16GB"
    assert Gpu.objects.get(slug="nvidia-h100-sxm").form_factor == "sxm"
    assert Gpu.objects.get(slug="amd-instinct-mi300x").form_factor == "oam"
    assert Gpu.objects.get(slug="nvidia-gh200-144gb").form_factor == "superchip"
    assert Gpu.objects.get(slug="nvidia-rtx-a5000").search_query == "RTX A5000"


@pytest.mark.django_db
def test_l4_resnet50_result_is_cited_with_round_and_log():
    run()
    result = BenchmarkResult.objects.get(
        gpu__slug="nvidia-l4",
        model__mlperf_id="resnet50",
        submitter="NVIDIA",
        round="MLPerf Inference v3.1",
    )
    assert result.samples_per_s == 12881.7
    assert result.division == "Closed" and result.scenario == "Offline"
    assert result.accelerator_count == 1
    assert result.source_url.startswith("https://github.com/mlcommons/inference_results_v3.1/")


@pytest.mark.django_db
def test_llm_results_carry_tokens_per_second():
    run()
    gptj = BenchmarkResult.objects.filter(model__mlperf_id="gptj-99", round="MLPerf Inference v4.1")
    assert gptj.exists()
    assert all(r.tokens_per_s and r.tokens_per_s > r.samples_per_s for r in gptj)


def test_committed_fixtures_are_what_the_builder_makes(reference_dir):
    built, _ = build(reference=reference_dir, fixtures=default_fixtures_dir())
    for name, records in built.items():
        committed = json.loads((default_fixtures_dir() / name).read_text(encoding="utf-8"))
        assert committed == json.loads(json.dumps(records)), f"{name} is stale: rerun the builder"


def test_basis_rules_on_single_rows():
    builder = catalog_build
    hand = catalog_build.HandData.read(default_fixtures_dir())
    row = {
        "slug": "x",
        "architecture": "ada",
        "corrections": "",
        "fp32_tflops": "120",
        "fp32_basis": "TF32 tensor, with sparsity",
        "fp32_nontensor_tflops": "",
        "fp16_tflops": "200",
        "fp16_basis": "tensor/matrix, with sparsity (per gpu-agent note)",
        "fp16_tensor_dense_tflops": "",
        "int8_tops_dense": "",
    }
    assert builder.fp32_on_basis(row, hand)[0] is None
    assert builder.fp16_on_basis(row, hand)[0] == 100
    assert builder.fp32_on_basis({**row, "fp32_basis": "shader/vector FP32"}, hand)[0] == 120
    assert (
        builder.fp16_on_basis({**row, "fp16_basis": "shader FP16 (2x FP32 rate)"}, hand)[0] is None
    )
    assert builder.fp32_on_basis({**row, "fp32_tflops": ""}, hand)[0] is None
    not_stated = {**row, "fp16_basis": "not stated in gpu-agent notes"}
    assert builder.fp16_on_basis(not_stated, hand)[0] is None
    assert builder.fp16_on_basis({**not_stated, "int8_tops_dense": "400"}, hand)[0] == 200
    assert builder.fp16_on_basis({**not_stated, "int8_tops_dense": "200"}, hand)[0] == 100
