"""Whole computers on the pages: the finder's whole-machine answers and host-PC cost, the LLM
tables, the all-cards filter, $/spec rankings, compare and open data."""

import pytest
from django.urls import reverse

from catalog.models import Gpu
from catalog.specs import SPECS_BY_SLUG, ranked_field, system_figure, system_note
from metrics.ranking import recompute_rankings
from tests.sitemap import sitemap_text

MACHINES = {
    "apple-mac-studio-m4-max-40c-128gb": 2700,  # GPU may use 96 of 128 GB
    "amd-ryzen-ai-max-plus-395-128gb": 1600,  # 96 of 128 GB
}
CARDS = {"nvidia-geforce-rtx-3090": 700, "nvidia-geforce-rtx-3060": 250}


@pytest.fixture
def machines(loaded_catalog, make_listing):
    for slug, price in {**MACHINES, **CARDS}.items():
        gpu = Gpu.objects.get(slug=slug)
        for _ in range(3):
            make_listing(gpu, price)
    recompute_rankings()


def _html(client, url, query=None) -> str:
    response = client.get(url, query or {})
    assert response.status_code == 200
    return response.content.decode()


def _finder(client, **params) -> dict:
    response = client.get(reverse("metrics:finder-json"), params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_finder_answers_whole_machines_beside_cards_plus_a_host_pc(client, machines):
    data = _finder(client, task="llm-70b")
    cards = [p for p in data["picks"] if p["kind"] == "card"]
    assert cards and all("plus a host PC" in p["reason"] for p in cards)
    # Two 3090s are better value than any machine: the machines come as their own answers.
    answered = data["picks"] + data["machines"]
    machine = next(p for p in answered if p["kind"] == "whole machine")
    assert machine["slug"] in MACHINES and machine["cards"] == 1
    assert machine["price_usd"] == MACHINES[machine["slug"]] and machine["host_pc_usd"] is None
    assert "Whole machine, no host PC needed: its GPU may use 96 of its 128 GB" in machine["reason"]


@pytest.mark.django_db
def test_a_stated_host_pc_cost_is_added_to_card_answers_only(client, machines):
    plain = _finder(client, task="llm-70b")
    hosted = _finder(client, task="llm-70b", host="800")
    assert hosted["host_pc_usd"] == 800.0
    by_slug = {p["slug"]: p for p in plain["picks"] + plain["machines"]}
    for pick in hosted["picks"] + hosted["machines"]:
        if pick["kind"] == "card":
            assert pick["host_pc_usd"] == 800.0
            assert "price includes a $800 host PC" in pick["reason"]
            if pick["slug"] in by_slug:
                assert pick["price_usd"] == by_slug[pick["slug"]]["price_usd"] + 800
        else:
            assert pick["price_usd"] == MACHINES[pick["slug"]] and pick["host_pc_usd"] is None
    # The home page's finder form keeps the cost it was given.
    html = _html(client, reverse("metrics:home"), {"task": "llm-70b", "host": "800"})
    assert 'name="host" min="0" step="any" inputmode="decimal" value="800"' in html
    assert "Whole machines" in html or "Whole computer" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("lots", "Ignored host=lots: not a number"),
        ("-1", "Ignored host=-1: must be a number of dollars, 0 or more"),
        ("200000", "Ignored host=200000: larger than 100,000"),
    ],
)
def test_a_bad_host_cost_is_ignored_with_a_note(client, machines, host, message):
    response = client.get(reverse("metrics:finder-json"), {"task": "llm-8b", "host": host})
    assert response.status_code == 400 and message in response.json()["error"]
    assert message in _html(client, reverse("metrics:llm-index"), {"host": host})


@pytest.mark.django_db
def test_proxy_tasks_leave_whole_computers_out_and_say_why(client, machines):
    data = _finder(client, task="fp16")
    assert not {p["slug"] for p in data["picks"]} & set(MACHINES)
    html = _html(client, reverse("metrics:home"), {"task": "fp16"})
    assert "Whole computers are not ranked on this proxy" in html


@pytest.mark.django_db
def test_llm_tables_show_a_machines_gpu_share_and_a_cards_host_pc(client, machines):
    url = reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"})
    html = _html(client, url, {"host": "500"})
    one = html[html.index('id="one-card"') :]
    assert '96.0 GB <span class="muted">of 128 GB: the GPU\'s default share</span>' in one
    assert '<span class="muted">(whole machine)</span>' in one
    assert "plus the $500 host PC you set" in one
    multi = html[html.index('id="multi-card"') :]
    assert "+ $500 host PC" in multi.split("</table>")[0]
    api = client.get(reverse("metrics:llm-json"), {"model": "llama-3.1-70b", "quant": "q4_k_m"})
    rows = {row["slug"]: row for row in api.json()["cards"]}
    mac = rows["apple-mac-studio-m4-max-40c-128gb"]
    assert (mac["whole_machine"], mac["memory_gb"], mac["gpu_memory_gb"]) == (True, 128, 96)
    assert (mac["fits"], mac["cards_needed"]) == (True, 1)
    card = rows["nvidia-geforce-rtx-3090"]
    assert (card["whole_machine"], card["memory_gb"], card["gpu_memory_gb"]) == (False, 24, 24)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("gpt-oss-120b", "gpt-oss 120B"),
        ("qwen3-235b-a22b", "Qwen3 235B-A22B"),
        ("llama-3.1-405b", "Llama 3.1 405B"),
    ],
)
def test_the_models_these_machines_are_bought_for_have_their_own_pages(
    client, machines, slug, name
):
    url = reverse("metrics:llm-model", kwargs={"slug": slug})
    html = _html(client, url)
    assert f"<title>Best GPU for {name}" in html
    assert "config.json" in html
    sitemap = sitemap_text(client)
    assert url in sitemap


@pytest.mark.django_db
def test_a_model_no_machine_holds_says_a_machine_is_never_split(client, machines):
    html = _html(client, reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-405b"}))
    # About 232 GiB at Q4_K_M: only the 512 GB M3 Ultra's GPU share (384 GB) holds it.
    machines = Gpu.objects.filter(form_factor="system").count()
    assert f"{machines - 1} whole computers cannot hold it" in html
    assert "a model is never split over two computers" in html
    api = client.get(reverse("metrics:llm-json"), {"model": "llama-3.1-405b", "quant": "q4_k_m"})
    mac = {row["slug"]: row for row in api.json()["cards"]}["apple-mac-studio-m4-max-40c-128gb"]
    assert (mac["fits"], mac["cards_needed"]) == (False, None)


@pytest.mark.django_db
def test_a_machines_runs_these_models_table_speaks_of_its_gpu_share_not_cards(client, machines):
    url = reverse("metrics:learn-gpu", kwargs={"slug": "apple-mac-studio-m4-max-40c-128gb"})
    html = _html(client, url)
    table = html[html.index('id="llms"') :]
    table = table[: table.index("</table>")]
    assert "Yes, in the 96 GB its GPU may use" in table  # Llama 3.1 70B, 41.6 GiB
    assert "No: more than the 96 GB its GPU may use by default" in table  # Llama 3.1 405B
    assert "one card" not in table and "8 cards" not in table


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "has_machine", "has_card"),
    [("", True, True), ("cards", False, True), ("systems", True, False)],
)
def test_the_all_cards_page_filters_cards_machines_or_both(
    client, machines, kind, has_machine, has_card
):
    html = _html(client, reverse("metrics:shop-index"), {"kind": kind} if kind else {})
    body = html.split("<tbody>")[1]
    assert ('value="amd-ryzen-ai-max-plus-395-128gb"' in body) is has_machine
    assert ('value="nvidia-geforce-rtx-3090"' in body) is has_card
    if has_machine:
        assert '128<br><span class="muted">(GPU: 96)</span>' in body


@pytest.mark.django_db
def test_the_all_cards_page_ignores_an_unknown_kind_with_a_note(client, machines):
    html = _html(client, reverse("metrics:shop-index"), {"kind": "phones"})
    assert "Ignored Show “phones”: choose one of Cards, Whole computers" in html
    # The memory filter reads a computer's GPU share: 96 GB, not its 128.
    html = _html(client, reverse("metrics:shop-index"), {"min_memory": "100"})
    assert 'value="amd-ryzen-ai-max-plus-395-128gb"' not in html.split("<tbody>")[1]


@pytest.mark.django_db
def test_spec_rankings_list_machines_only_by_memory_and_bandwidth(client, machines):
    def ranking(slug):
        url = reverse("metrics:cost-per-spec", kwargs={"metric": slug})
        return _html(client, url)

    fp32 = ranking("fp32-flops")
    assert "amd-ryzen-ai-max-plus-395-128gb" not in fp32  # it has a derived FP32 figure
    assert "are not ranked here: their price buys the whole computer" in fp32
    memory = ranking("memory-gb")
    assert "apple-mac-studio-m4-max-40c-128gb" in memory
    assert "the memory its GPU may use by default" in memory
    strix = Gpu.objects.get(slug="amd-ryzen-ai-max-plus-395-128gb")
    price = strix.card_prices.get(scope="all")
    assert price.dollars_per_memory_gb == pytest.approx(1600 / 96)
    assert price.dollars_per_memory_bandwidth_gbs == pytest.approx(1600 / 256)
    assert price.dollars_per_fp32_tflops is None and price.dollars_per_fp16_tflops is None
    assert "bandwidth is its unified memory" in ranking("memory-bandwidth-gbs")


def test_a_machine_ranks_by_its_gpu_share_and_bandwidth_only():
    memory, bandwidth = SPECS_BY_SLUG["memory-gb"], SPECS_BY_SLUG["memory-bandwidth-gbs"]
    fp16 = SPECS_BY_SLUG["fp16-flops"]
    assert (system_figure(memory), system_figure(bandwidth)) == (
        "gpu_memory_gb",
        "memory_bandwidth_gbs",
    )
    assert system_figure(fp16) is None and "FP16 TFLOPS" in system_note(fp16)
    # A whole computer is priced per unit of those two only, per GB of its GPU's share.
    assert ranked_field(memory, system=True) == "gpu_memory_gb"
    assert ranked_field(memory, system=False) == "memory_gb"
    assert ranked_field(fp16, system=True) is None and ranked_field(fp16, system=False)


@pytest.mark.django_db
def test_compare_says_what_a_price_buys_and_what_a_machines_gpu_may_use(client, machines):
    url = reverse("metrics:compare") + (
        "?gpu=apple-mac-studio-m4-max-40c-128gb&gpu=nvidia-geforce-rtx-3090"
    )
    html = _html(client, url)
    assert "The price buys" in html and "the card: it needs a host PC" in html
    assert "Memory the GPU may use (GB)" in html
    assert "Not given for a whole computer" in html


@pytest.mark.django_db
def test_open_data_carries_a_machines_own_figures(client, machines):
    rows = {
        row["slug"]: row for row in client.get(reverse("metrics:data-gpus-json")).json()["gpus"]
    }
    mac = rows["apple-mac-studio-m4-max-40c-128gb"]
    assert (mac["form_factor"], mac["memory_gb"], mac["gpu_memory_gb"]) == ("system", 128, 96)
    assert mac["gpu_cores"] == 40 and mac["fp16_tflops"] is None
    assert rows["nvidia-geforce-rtx-3090"]["gpu_memory_gb"] is None
