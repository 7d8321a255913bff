"""The fixture builder's MLPerf part: rows naming no catalog card are reported, not hidden."""

import importlib.util
from pathlib import Path


def _builder():
    path = Path(__file__).resolve().parents[2] / "fixtures" / "build_catalog.py"
    spec = importlib.util.spec_from_file_location("build_catalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_result_rows_naming_no_catalog_card_are_printed_in_the_summary(capsys):
    rows = [_row("nvidia-l4", "NVIDIA L4"), _row("", "NVIDIA RTX-2000E-Ada-16GB")]

    records = _builder().build_results(rows, {"nvidia-l4"})

    assert [r["gpu"] for r in records] == ["nvidia-l4"]
    out = capsys.readouterr().out
    assert "no catalog card for v5.1 resnet50 'NVIDIA RTX-2000E-Ada-16GB'" in out
    assert "https://github.com/mlcommons/inference_results_v5.1/NVIDIA RTX-2000E" in out
    assert "skipped 1 row(s) naming no card" in out
