"""The fixture builder's MLPerf part: rows naming no catalog card are reported, not hidden."""

import json
import shutil

import pytest
from django.core.management import call_command

from catalog.loader import default_fixtures_dir
from catalog.mlperf_results import build_results, extra_results


def _row(gpu_slug: str, accelerator: str) -> dict:
    return {
        "version": "v5.1",
        "submitter": "Lenovo",
        "system_id": "SE100",
        "system_name": f"1x {accelerator}",
        "availability": "available",
        "accelerator": accelerator,
        "gpu_slug": gpu_slug,
        "accelerator_count": "1",
        "benchmark": "resnet50",
        "scenario": "Offline",
        "samples_per_s": "1234.5",
        "tokens_per_s": "",
        "official_result": "",
        "official_units": "",
        "framework": "TensorRT",
        "notes": "",
        "source": f"https://github.com/mlcommons/inference_results_v5.1/{accelerator}/log.txt",
    }


def test_result_rows_naming_no_catalog_card_are_reported():
    rows = [_row("nvidia-l4", "NVIDIA L4"), _row("", "NVIDIA RTX-2000E-Ada-16GB")]

    records, skipped = build_results(rows, {"nvidia-l4"})

    assert [r["gpu"] for r in records] == ["nvidia-l4"]
    assert skipped == [
        "no catalog card for v5.1 resnet50 'NVIDIA RTX-2000E-Ada-16GB' (gpu_slug ''): "
        "https://github.com/mlcommons/inference_results_v5.1/NVIDIA RTX-2000E-Ada-16GB/log.txt"
    ]


def test_the_command_rewrites_only_the_derived_files_byte_for_byte(reference_dir, tmp_path, capsys):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(default_fixtures_dir(), fixtures)
    (fixtures / "gpus.json").write_text("[]\n", encoding="utf-8")
    hand_edited = {
        name: (fixtures / name).read_bytes()
        for name in (
            "catalog_data.json",
            "ml_models.json",
            "use_cases.json",
            "mlperf_extra_results.json",
        )
    }

    call_command("build_catalog", reference=str(reference_dir), fixtures_dir=str(fixtures))

    out = capsys.readouterr().out
    assert "gpus.json: " in out and "rewritten" in out
    assert "benchmark_results.json: " in out and "unchanged" in out
    for name in ("gpus.json", "benchmark_results.json"):
        assert (fixtures / name).read_bytes() == (default_fixtures_dir() / name).read_bytes()
    for name, content in hand_edited.items():
        assert (fixtures / name).read_bytes() == content


def test_gptj_runs_before_v4_1_get_tokens_per_second_at_mlperfs_69_per_sample_and_say_so():
    v40 = {**_row("nvidia-h100-sxm", "NVIDIA H100-SXM-80GB"), "version": "v4.0"}
    v40.update(benchmark="gptj-99.9", samples_per_s="31.0737")
    v41 = {**v40, "version": "v4.1", "samples_per_s": "37.3842"}
    v41.update(official_result="2579.51", official_units="Tokens/s")

    (old, new), _ = build_results([v40, v41], {"nvidia-h100-sxm"})

    assert old["tokens_per_s"] == 2144.085  # 31.0737 x 69
    assert old["notes"] == "tokens/s derived: 69 tokens per sample, MLPerf's GPT-J conversion"
    assert new["tokens_per_s"] == 2579.51
    assert new["notes"] == "tokens/s is the official result"


def test_hand_read_results_the_reference_lacks_join_the_fixture_with_their_logs():
    results = json.loads((default_fixtures_dir() / "benchmark_results.json").read_text())
    h100 = {
        (r["model"], r["round"]): r
        for r in results
        if r["gpu"] == "nvidia-h100-sxm" and r["round"] == "MLPerf Inference v4.0"
    }
    bert, dlrm = (
        h100[("bert-99.9", "MLPerf Inference v4.0")],
        h100[("dlrm-v2-99.9", "MLPerf Inference v4.0")],
    )
    assert (bert["samples_per_s"], dlrm["samples_per_s"]) == (7939.77, 44022.7)
    assert bert["source_url"].endswith(
        "/DGX-H100_H100-SXM-80GBx1_TRT/bert-99.9/Offline/performance/run_1/mlperf_log_summary.txt"
    )
    assert "read from the published log on 2026-11-30" in bert["notes"]


def test_a_hand_read_result_the_reference_has_or_with_other_columns_is_refused():
    csv_row = {**_row("nvidia-l4", "NVIDIA L4"), "suite": "datacenter", "source_commit": ""}
    again = dict(csv_row)
    with pytest.raises(ValueError, match="already in the reference CSV"):
        extra_results([again], [csv_row])
    short = {k: v for k, v in csv_row.items() if k != "framework"} | {"benchmark": "bert-99"}
    with pytest.raises(ValueError, match=r"columns differ from the CSV's by \['framework'\]"):
        extra_results([short], [csv_row])
    unsourced = csv_row | {"benchmark": "bert-99", "source": "https://example.com/log.txt"}
    with pytest.raises(ValueError, match="source must be the run's published log"):
        extra_results([unsourced], [csv_row])
    new = csv_row | {"benchmark": "bert-99"}
    assert extra_results([new], [csv_row]) == [new]
