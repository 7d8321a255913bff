import csv
import io
import json

import pytest
from django.urls import reverse

from catalog.models import MlModel, UseCase
from metrics.export import COLUMNS
from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db

# Every other column holds a number or null.
TEXT_COLUMNS = (
    "slug",
    "name",
    "vendor",
    "category",
    "ml_software",
    "form_factor",
    "cooling",
    "llama_cpp_backend",
    "source_url",
    "mlperf",
)
NUMBER_COLUMNS = [name for name in COLUMNS if name not in TEXT_COLUMNS]


@pytest.fixture
def catalog(make_gpu, make_listing, make_result, resnet):
    """A priced card with MLPerf results (one a faster 99.9% run) and a bare card without data."""
    llm = UseCase.objects.create(
        slug="large-language-model", area="Language", task="LLM", metric="tokens/s"
    )
    gptj_99 = MlModel.objects.create(
        slug="gptj-99", name="GPT-J (99%)", mlperf_id="gptj-99", use_case=llm
    )
    gptj_999 = MlModel.objects.create(
        slug="gptj-99-9", name="GPT-J (99.9%)", mlperf_id="gptj-99.9", use_case=llm
    )
    h100 = make_gpu(
        "nvidia-h100-pcie",
        label="NVIDIA H100 PCIe",
        memory_gb=80,
        memory_bandwidth_gbs=2000,
        fp32_tflops=51.2,
        fp16_tflops=756,
        fp16_fp16acc_tflops=756,
        fp8_tflops=1513,
        int8_tops=1513,
        tensor_cores=456,
        l2_cache_mb=50,
        shared_memory_per_sm_kb=228,
        tdp_w=350,
        ml_software="first-class",
        ml_software_note="Current CUDA and PyTorch builds",
        source_url="https://www.nvidia.com/h100-datasheet.pdf",
    )
    for price in [20000, 21000, 22000]:
        make_listing(h100, price, condition_kind="used")
    make_listing(h100, 30000.5, condition_kind="new")
    make_result(h100, resnet, 50000.0, round="MLPerf Inference v4.1")
    make_result(h100, resnet, 40000.0, round="MLPerf Inference v5.0")
    make_result(h100, gptj_99, 13.0, round="MLPerf Inference v4.1", tokens_per_s=897.0)
    make_result(h100, gptj_999, 31.0, round="MLPerf Inference v4.0", tokens_per_s=2139.0)
    make_gpu(
        "amd-radeon-rx-580",
        label='AMD Radeon RX 580 "8GB"',
        manufacturer="AMD",
        category="gaming",
        memory_bandwidth_gbs=None,
        fp16_tflops=None,
        int8_tops=None,
        tensor_cores=None,
        l2_cache_mb=None,
        shared_memory_per_sm_kb=None,
    )
    recompute_rankings()


def _json(client) -> dict:
    response = client.get(reverse("metrics:data-gpus-json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _csv(client) -> tuple[list[str], list[dict]]:
    response = client.get(reverse("metrics:data-gpus-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("".join(lines[len(comments) :]))))
    return comments, rows


def test_json_lists_every_card_with_typed_figures_nulls_and_headline_prices(client, catalog):
    data = _json(client)

    assert data["licence"]["name"] == "CC BY-SA 4.0"
    assert data["licence"]["url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert "gpu-agent" in data["attribution"]
    assert data["columns"] == list(COLUMNS)
    cards = {card["slug"]: card for card in data["gpus"]}
    assert list(cards) == ["amd-radeon-rx-580", "nvidia-h100-pcie"]
    for card in cards.values():
        assert list(card) == list(COLUMNS)
        for name in NUMBER_COLUMNS:
            assert card[name] is None or type(card[name]) in (int, float), name
    h100 = cards["nvidia-h100-pcie"]
    assert h100["name"] == "NVIDIA H100 PCIe" and h100["vendor"] == "NVIDIA"
    assert h100["category"] == "datacenter"
    assert h100["fp16_tflops"] == 756 and h100["fp8_tflops"] == 1513
    assert h100["tensor_cores"] == 456 and h100["board_power_w"] == 350
    assert h100["l2_cache_mb"] == 50 and h100["shared_memory_per_sm_kb"] == 228
    assert h100["ml_software"] == "first-class"
    assert (h100["form_factor"], h100["devices"], h100["llama_cpp_backend"]) == ("pcie", 1, "cuda")
    assert h100["headline_used_usd"] == 21000.0  # median of the 3 used listings
    assert h100["headline_new_usd"] == 30000.5
    assert h100["source_url"] == "https://www.nvidia.com/h100-datasheet.pdf"
    bare = cards["amd-radeon-rx-580"]
    assert bare["name"] == 'AMD Radeon RX 580 "8GB"'
    for name in ("fp16_tflops", "fp8_tflops", "int8_tops", "tensor_cores", "board_power_w"):
        assert bare[name] is None, name
    assert bare["l2_cache_mb"] is None and bare["shared_memory_per_sm_kb"] is None
    assert bare["headline_used_usd"] is None and bare["headline_new_usd"] is None
    assert bare["ml_software"] is None and bare["source_url"] is None
    assert bare["cooling"] is None  # unknown
    assert bare["mlperf"] == []


def test_json_mlperf_rows_are_the_ones_the_rankings_use(client, catalog):
    h100 = next(c for c in _json(client)["gpus"] if c["slug"] == "nvidia-h100-pcie")
    by_model = {row["model"]: row for row in h100["mlperf"]}

    assert sorted(by_model) == ["gptj-99", "gptj-99-9", "resnet50"]
    assert by_model["resnet50"] == {
        "model": "resnet50",
        "samples_per_s": 50000.0,
        "tokens_per_s": None,
        "round": "MLPerf Inference v4.1",
        "source_url": "https://github.com/mlcommons/results/nvidia-h100-pcie/v4.1/log.txt",
        "benchmark": "resnet50",
    }
    assert by_model["gptj-99"]["samples_per_s"] == 31.0  # the faster 99.9% run
    assert by_model["gptj-99"]["tokens_per_s"] == 2139.0
    assert by_model["gptj-99"]["benchmark"] == "gptj-99.9"
    assert by_model["gptj-99"]["round"] == "MLPerf Inference v4.0"


def test_csv_has_the_same_columns_and_values_with_the_licence_in_a_header_comment(client, catalog):
    data = _json(client)
    comments, rows = _csv(client)

    assert "CC BY-SA 4.0" in comments[0]
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in comments[0]
    assert list(rows[0]) == list(COLUMNS)
    assert {"l2_cache_mb", "shared_memory_per_sm_kb"} <= set(rows[0])
    assert [row["slug"] for row in rows] == [card["slug"] for card in data["gpus"]]
    for row, card in zip(rows, data["gpus"], strict=True):
        assert json.loads(row["mlperf"]) == card["mlperf"]
        for name in COLUMNS[:-1]:
            if card[name] is None:
                assert row[name] == "", name
            elif name in NUMBER_COLUMNS:
                assert float(row[name]) == card[name], name
            else:
                assert row[name] == card[name], name


def test_export_is_linked_from_the_methodology_page(client, db):
    html = client.get(reverse("catalog:methodology")).content.decode()
    assert reverse("metrics:data-gpus-json") in html
    assert reverse("metrics:data-gpus-csv") in html
    assert "CC BY-SA 4.0" in html


def test_export_is_cached_and_follows_a_recompute(
    client,
    catalog,
    make_gpu,
    make_listing,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    first = _json(client)
    with django_assert_num_queries(1):  # the page generation, read on every request
        assert _json(client) == first
    make_listing(make_gpu("nvidia-l4", label="NVIDIA L4"), 2500)
    assert "nvidia-l4" not in [c["slug"] for c in _json(client)["gpus"]]  # cached
    with django_capture_on_commit_callbacks(execute=True):
        recompute_rankings()
    l4 = next(c for c in _json(client)["gpus"] if c["slug"] == "nvidia-l4")
    assert l4["headline_used_usd"] == 2500.0


def test_export_answers_with_an_empty_catalog(client, db):
    assert _json(client)["gpus"] == []
    comments, rows = _csv(client)
    assert rows == [] and comments
