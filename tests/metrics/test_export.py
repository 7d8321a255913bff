import csv
import io
import json

import pytest
from django.urls import resolve, reverse
from django.utils.http import http_date

from catalog.models import Gpu, MlModel, UseCase
from listings.models import RefreshRun
from metrics import urls as metrics_urls
from metrics.export import COLUMNS, DATA_VERSION, LICENCE
from metrics.history import record_price_history
from metrics.models import PageGeneration
from metrics.ranking import recompute_rankings
from shopagent.cache import bump_generation
from tests.factories import make_refresh

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
    run = {"availability": "available", "system_name": "1x H100", "submitter": "NVIDIA"}
    make_result(h100, resnet, 50000.0, round="MLPerf Inference v4.1", **run)
    make_result(h100, resnet, 40000.0, round="MLPerf Inference v5.0")
    make_result(h100, gptj_99, 13.0, round="MLPerf Inference v4.1", tokens_per_s=897.0)
    make_result(
        h100,
        gptj_999,
        31.0,
        round="MLPerf Inference v4.0",
        tokens_per_s=2139.0,
        availability="available",
        system_name="H100 PCIe, custom cooling",
        submitter="Example Labs",
        notes="1,000 W custom-cooled system",
    )
    preview = make_gpu(
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
    make_result(preview, resnet, 900.0, availability="preview", submitter="AMD", system_name="")
    recompute_rankings()


def _json(client) -> dict:
    response = client.get(reverse("metrics:data-gpus-json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _csv(client) -> list[dict]:
    """The rows as a default CSV reader reads the file: no lines to skip."""
    response = client.get(reverse("metrics:data-gpus-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


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
    [run] = bare["mlperf"]  # a run of hardware not shipping yet, and no system named
    assert (run["availability"], run["system"], run["submitter"]) == ("preview", None, "AMD")


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
        "availability": "available",
        "system": "1x H100",
        "submitter": "NVIDIA",
        "notes": None,
    }
    assert by_model["gptj-99"]["samples_per_s"] == 31.0  # the faster 99.9% run
    assert by_model["gptj-99"]["tokens_per_s"] == 2139.0
    assert by_model["gptj-99"]["benchmark"] == "gptj-99.9"
    assert by_model["gptj-99"]["round"] == "MLPerf Inference v4.0"
    # Each row says what ran, who ran it, whether it shipped, and its caveats.
    assert {key: by_model["gptj-99"][key] for key in ("availability", "system", "submitter")} == {
        "availability": "available",
        "system": "H100 PCIe, custom cooling",
        "submitter": "Example Labs",
    }
    assert by_model["gptj-99"]["notes"] == "1,000 W custom-cooled system"


def test_csv_has_the_same_columns_and_values_under_one_header_row(client, catalog):
    data = _json(client)
    rows = _csv(client)

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
    assert _csv(client) == []


@pytest.fixture
def priced_site(loaded_catalog, make_listing):
    """The real catalog with one priced card and its price history, the data generation bumped
    as every change does."""
    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")
    for price in (650, 700, 720):
        make_listing(gpu, price)
    recompute_rankings()
    record_price_history()
    make_refresh(gpu)  # when its listings were last checked: listings.json's as_of
    bump_generation()
    return gpu


def _data_paths(slug: str) -> list[str]:
    """A request for every file under /ml/data/."""
    return [
        reverse("metrics:data-gpus-json"),
        reverse("metrics:data-gpus-csv"),
        reverse("metrics:llm-json") + "?model=llama-3.1-8b",
        reverse("metrics:finder-json") + "?task=llm-8b&budget=2000",
        reverse("metrics:price-history-csv", kwargs={"slug": slug}),
        reverse("metrics:price-history-json", kwargs={"slug": slug}),
        reverse("metrics:data-gpu-listings", kwargs={"slug": slug}),
        reverse("metrics:rent-or-buy-json") + "?hours_per_day=8",
    ]


def test_every_data_file_states_its_version_as_of_licence_and_documentation(
    client, priced_site, settings
):
    data_routes = {
        pattern.name
        for pattern in metrics_urls.urlpatterns
        if str(pattern.pattern).startswith("ml/data/") and pattern.name != "data-index"
    }
    paths = _data_paths(priced_site.slug)
    assert {resolve(path.split("?")[0]).url_name for path in paths} == data_routes
    changed = PageGeneration.objects.get().changed_at
    checked = RefreshRun.objects.get(gpu=priced_site).finished_at
    readme = f"{settings.SITE_URL}{reverse('metrics:data-index')}"
    for path in paths:
        # A card's listings are current as of its last check on eBay; the rest, the last change.
        as_of = checked if path.endswith("listings.json") else changed
        for _ in ("rendered", "from the page cache"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response["Data-Version"] == str(DATA_VERSION), path
            assert response["Data-As-Of"] == as_of.isoformat(), path
            assert response["Last-Modified"] == http_date(as_of.timestamp()), path
            assert response["Link"] == (
                f'<{LICENCE["url"]}>; rel="license", <{readme}>; rel="describedby"'
            ), path
        if response["Content-Type"].startswith("application/json"):
            body = response.json()
            assert (body["version"], body["as_of"]) == (DATA_VERSION, as_of.isoformat()), path
            assert body["licence"] == LICENCE and body["documentation"] == readme, path
        else:  # a plain CSV: its first line is the header row, every row as wide
            rows = list(csv.reader(io.StringIO(response.content.decode())))
            assert rows[0][0] in ("slug", "date") and len(rows) > 1, path
            assert {len(row) for row in rows} == {len(rows[0])}, path


def test_the_data_readme_documents_every_file_and_is_linked_from_the_methodology(
    client, priced_site
):
    html = client.get(reverse("metrics:data-index")).content.decode()
    for path in _data_paths(priced_site.slug)[:4]:
        assert path.split("?")[0] in html
    for name in ("price-history.csv", "price-history.json", "listings.json", "rent-or-buy.json"):
        assert name in html
    fields = ("weights_gib", "setup_price_usd", "availability", "submitter", "as_of", "from_usd")
    for field in (*fields, "landed_price_usd", "in_going_rate"):
        assert f"<code>{field}</code>" in html
    assert f"now <strong>{DATA_VERSION}</strong>" in html
    methodology = client.get(reverse("catalog:methodology")).content.decode()
    assert f'href="{reverse("metrics:data-index")}"' in methodology
    assert 'rel="license"' in methodology
