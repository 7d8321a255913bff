"""The fixture builder's MLPerf part: rows naming no catalog card are reported, not hidden."""

import shutil

from django.core.management import call_command

from catalog.build import build_results
from catalog.loader import default_fixtures_dir


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
        for name in ("catalog_data.json", "ml_models.json", "use_cases.json")
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
