"""Local-LLM pages, the data API and the home page finder, on the real catalog with test prices."""

import itertools
import json
import re

import pytest
from django.urls import reverse

from metrics.ranking import recompute_rankings
from tests.metrics.conftest import listing_seen_now
from tests.sitemap import sitemap_text

pytestmark = pytest.mark.django_db

PRICES = {
    "nvidia-geforce-rtx-3060": 250,  # 12 GB
    "nvidia-geforce-rtx-3080": 400,  # 10 GB, measured on Llama 3.1 8B Q4_K_M
    "nvidia-geforce-rtx-3090": 700,  # 24 GB
    "amd-radeon-rx-7900-xtx": 800,  # 24 GB
    "nvidia-l40s": 7000,  # 48 GB
}


def _price(prices):
    """Three listings of each card at its price, and the rankings they make."""
    from catalog.models import Gpu

    for slug, price in prices.items():
        gpu = Gpu.objects.get(slug=slug)
        for _ in range(3):
            listing_seen_now(gpu, price)
    recompute_rankings()


@pytest.fixture(scope="module")
def priced_cards(catalog_for_module, module_db):
    """The cards of PRICES on sale, written once for the module's tests (see `module_db`)."""
    with module_db.writing("priced_cards"):
        _price(PRICES)


@pytest.fixture
def shop(priced_cards, loaded_catalog):
    """The real catalog with the cards of PRICES on sale."""


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _api(client, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"{reverse('metrics:llm-json')}?{query}")


def test_70b_page_lists_one_48_gb_card_and_two_24_gb_cards_as_a_multi_card_setup(client, shop):
    url = reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"})
    html = _html(client, url)
    assert "<title>Best GPU for Llama 3.1 70B" in html
    one_card = html[html.index('id="one-card"') : html.index('id="multi-card"')]
    assert "NVIDIA L40S" in one_card and "RTX 3090" not in one_card
    multi = html[html.index('id="multi-card"') :]
    assert "Multi-card setup: 2 ×" in multi and "NVIDIA GeForce RTX 3090" in multi
    assert "$1,400" in multi and "($700 each)" in multi
    assert "(estimate)" in multi


def test_picker_filters_by_budget_and_names_the_cheapest_option(client, shop):
    url = reverse("metrics:llm-index") + "?model=llama-3.1-70b&quant=q4_k_m&budget=900"
    html = _html(client, url)
    assert '<option value="llama-3.1-70b" selected>' in html
    assert 'name="budget" min="1" step="any" inputmode="decimal" value="900"' in html
    assert "no priced card within $900" in html
    assert "the cheapest that runs it is 4 × NVIDIA GeForce RTX 3060 at $1,000" in html


def test_8b_page_shows_the_measured_figure_with_its_source_and_context(client, shop):
    html = _html(client, reverse("metrics:llm-index") + "?model=llama-3.1-8b&quant=q4_k_m")
    # One context basis: the 111.95 tokens/s measured at 128 tokens is shown at 4,096, saying so.
    assert "https://github.com/dmatora/LLM-inference-speed-benchmarks/issues/12" in html
    assert "measured at 128 tokens, shown at 4,096: <a" in html
    assert "llama.cpp CUDA, 2024-08-26" in html
    assert "(111.95 tokens/s as measured)" in html


def test_gpt_oss_20b_at_f16_runs_on_one_16_gb_card(client, shop, make_listing):
    from catalog.models import Gpu

    for _ in range(3):
        make_listing(Gpu.objects.get(slug="nvidia-geforce-rtx-4060-ti-16gb"), 450)
    recompute_rankings()
    url = reverse("metrics:llm-model", kwargs={"slug": "gpt-oss-20b"}) + "?quant=f16"
    html = _html(client, url)
    # 19.11B MXFP4 experts + 1.79B at 16 bits, not 20.9B at 16 bits (38.9 GiB).
    assert "weights 12.8 GiB" in html
    assert "19.11B of the weights stay at 4.25 bits per weight" in html
    assert 'id="fixed-format-weights"' in html and "bartowski/openai_gpt-oss-20b-GGUF" in html
    one_card = html[html.index('id="one-card"') : html.index('id="multi-card"')]
    assert "NVIDIA GeForce RTX 4060 Ti 16GB" in one_card and "RTX 3060" not in one_card
    multi = html[html.index('id="multi-card"') :]
    assert "Multi-card setup: 2 ×" in multi and "NVIDIA GeForce RTX 3060" in multi  # 12 GB


def test_tokens_per_thousand_dollars_is_readable(client, shop):
    html = _html(client, reverse("metrics:llm-index") + "?model=llama-3.1-8b&quant=q4_k_m")
    # RTX 3080: 103 tok/s (measured, scaled to 4,096 tokens) at $400 is 257 tok/s per $1,000,
    # not 0.257 per dollar.
    per_thousand = '<td class="num" data-label="Tokens/s per $1,000">257</td>'
    assert per_thousand + '<td class="num" data-label="Decode tokens/s">103</td>' in html


@pytest.mark.parametrize(
    "query, note",
    [
        ("model=nope", "Ignored model=nope: no such model"),
        ("quant=q2_k", "Ignored quant=q2_k: choose one of"),
        ("context=abc", "Ignored context=abc: not a whole number of tokens"),
        ("context=10", "Ignored context=10: choose 512 to 131,072 tokens"),
        ("budget=-5", "Ignored budget=-5: must be a positive number of dollars"),
        ("budget=nan", "Ignored budget=nan: not a number"),
        ("budget=0.001", "Ignored budget=0.001: below $1"),
        ("budget=1_000", "Ignored budget=1_000: not a number"),
        ("budget=١٠٠٠", "Ignored budget=١٠٠٠: not a number"),
        ("context=٨١٩٢", "Ignored context=٨١٩٢: not a whole number of tokens"),
        ("context=8_192", "Ignored context=8_192: not a whole number of tokens"),
        ("context=8.192", "Ignored context=8.192: not a whole number of tokens"),
        ("budget=1&budget=2", "Ignored budget: given more than once"),
    ],
)
def test_invalid_picker_input_is_ignored_with_a_visible_note(client, shop, query, note):
    html = _html(client, reverse("metrics:llm-index") + "?" + query)
    assert note in html
    assert "Cards and whole machines that run it alone" in html


def test_a_context_beyond_the_model_is_capped_with_a_note(client, shop):
    url = reverse("metrics:llm-model", kwargs={"slug": "gemma-2-27b"}) + "?context=32768"
    html = _html(client, url)
    assert "Gemma 2 27B supports at most 8,192 tokens; showing that context." in html
    # 2 x 16 KV heads x 128 x 2 bytes x (23 full layers x 8,192 tokens + 23 sliding-window layers
    # x 4,608 cells) = 2.246 GiB
    assert "KV cache 2.25 GiB at 8192 tokens" in html


def test_unknown_model_page_is_404(client, shop):
    assert client.get(reverse("metrics:llm-model", kwargs={"slug": "gpt-9"})).status_code == 404


def test_api_returns_fit_speed_and_price_per_card(client, shop):
    response = _api(client, model="llama-3.1-70b", quant="q4_k_m")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["model"], data["quant"], data["context"]) == ("llama-3.1-70b", "q4_k_m", 4096)
    assert data["weights_gib"] == pytest.approx(39.834, abs=0.001)
    assert data["kv_cache_gib"] == 1.25
    cards = {card["slug"]: card for card in data["cards"]}
    rtx3090 = cards["nvidia-geforce-rtx-3090"]
    assert (rtx3090["fits"], rtx3090["cards_needed"]) == (False, 2)
    # A multi-card setup's speed and price, as the page's multi-card table shows them.
    assert rtx3090["price_usd"] == 700.0 and rtx3090["setup_price_usd"] == 1400.0
    assert rtx3090["decode_tokens_per_s"] > 0 and rtx3090["expected_error_pct"] > 0
    assert rtx3090["prefill_tokens_per_s"] is None
    assert rtx3090["tokens_per_s_per_1000_usd"] == pytest.approx(
        rtx3090["decode_tokens_per_s"] / 1.4, abs=0.01
    )
    page = _html(client, reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"}))
    row = next(r for r in page.split('id="multi-card"')[1].split("<tr>") if "rtx-3090/" in r)
    shown = re.search(r'data-label="Decode tokens/s">([\d.]+) ', row)[1]
    assert float(shown) == pytest.approx(rtx3090["decode_tokens_per_s"], rel=0.01)
    assert '$1,400 <span class="muted">($700 each)' in row
    l40s = cards["nvidia-l40s"]  # measured at 256 tokens (May 2024), shown at 4,096
    assert (l40s["fits"], l40s["cards_needed"], l40s["basis"]) == (True, 1, "measured")
    assert l40s["expected_error_pct"] is None and l40s["measured_context"] == 256
    assert 10 < l40s["decode_tokens_per_s"] < 15.46 and "XiongjieDai" in l40s["source_url"]
    assert l40s["tokens_per_s_per_1000_usd"] == pytest.approx(
        l40s["decode_tokens_per_s"] / 7, abs=0.01
    )
    a40 = cards["nvidia-quadro-rtx-8000"]  # no measurement: an estimate with its family's error
    assert a40["basis"] == "estimate" and a40["source_url"] is None
    assert a40["expected_error_pct"] > 0 and (a40["backend"], a40["context"]) == ("cuda", 4096)
    gaudi = cards["intel-gaudi2"]  # llama.cpp does not run it: no figure, what does run it
    assert (gaudi["basis"], gaudi["decode_tokens_per_s"], gaudi["backend"]) == (
        "no llama.cpp",
        None,
        None,
    )
    assert "Optimum Habana" in gaudi["runs_with"]
    assert set(rtx3090) == {
        "slug",
        "fits",
        "cards_needed",
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "basis",
        "expected_error_pct",
        "backend",
        "runs_with",
        "context",
        "devices_used",
        "form_factor",
        "whole_machine",
        "memory_gb",
        "gpu_memory_gb",
        "source_url",
        "measured_context",
        "price_usd",
        "setup_price_usd",
        "listing_count",
        "from_usd",
        "tokens_per_s_per_1000_usd",
    }


def test_api_cites_a_measurement_and_honours_the_context(client, shop):
    data = _api(client, model="llama-3.1-8b", quant="q4_k_m", context=8192).json()
    assert data["kv_cache_gib"] == 1.0
    short = _api(client, model="llama-3.1-8b", quant="q4_k_m").json()
    rtx3080 = {c["slug"]: c for c in short["cards"]}["nvidia-geforce-rtx-3080"]
    assert rtx3080["basis"] == "measured" and rtx3080["decode_tokens_per_s"] < 111.95
    assert "dmatora" in rtx3080["source_url"] and rtx3080["measured_context"] == 128
    assert rtx3080["context"] == 4096 and rtx3080["expected_error_pct"] is None
    longer = {c["slug"]: c for c in data["cards"]}["nvidia-geforce-rtx-3080"]
    assert longer["basis"] == "measured" and longer["context"] == 8192
    assert longer["decode_tokens_per_s"] < rtx3080["decode_tokens_per_s"]
    f16 = _api(client, model="llama-3.1-8b", quant="f16").json()
    rtx3060 = {c["slug"]: c for c in f16["cards"]}["nvidia-geforce-rtx-3060"]
    assert (rtx3060["fits"], rtx3060["cards_needed"]) == (False, 2)


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"model": "nope", "quant": "q4_k_m"}, 404, "Unknown model"),
        ({"quant": "q4_k_m"}, 404, "Unknown model"),
        ({"model": "llama-3.1-8b", "quant": "q3"}, 400, "Unknown quant"),
        ({"model": "llama-3.1-8b", "quant": "f16", "context": "lots"}, 400, "context"),
        ({"model": "llama-3.1-8b", "quant": "f16", "context": "999999999"}, 400, "context"),
        ({"model": "gemma-2-27b", "quant": "q8_0", "context": "16384"}, 400, "at most 8192"),
        ({"model": "llama-3.1-8b", "quant": "f16", "context": "٨١٩٢"}, 400, "not a whole number"),
        ({"model": "llama-3.1-8b", "quant": "f16", "context": "8_192"}, 400, "not a whole number"),
        ({"model": "llama-3.1-8b", "quant": "f16", "context": "9" * 5000}, 400, "choose 512"),
    ],
)
def test_api_errors_are_json(client, shop, params, status, message):
    response = _api(client, **params)
    assert response.status_code == status
    assert message in json.loads(response.content)["error"]


@pytest.mark.parametrize("name", ["model", "quant", "context"])
def test_api_refuses_a_parameter_given_twice_as_the_pages_do(client, shop, name):
    values = {"model": "llama-3.1-8b", "quant": "q4_k_m", "context": "8192"}
    query = "&".join(f"{k}={v}" for k, v in values.items()) + f"&{name}={values[name]}"

    response = client.get(f"{reverse('metrics:llm-json')}?{query}")

    assert response.status_code == 400
    assert response.json() == {"error": f"{name}: given more than once"}
    page = _html(client, f"{reverse('metrics:llm-index')}?{query}")
    assert f"Ignored {name}: given more than once" in page


def test_api_quantisation_defaults_to_q4_k_m(client, shop):
    data = _api(client, model="llama-3.1-8b").json()
    assert data["quant"] == "q4_k_m"
    assert data == _api(client, model="llama-3.1-8b", quant="q4_k_m").json()


def test_api_takes_thousands_commas(client, shop):
    response = _api(client, model="llama-3.1-8b", quant="q4_k_m", context="8,192")
    assert response.status_code == 200 and response.json()["context"] == 8192


def test_home_finder_answers_a_70b_budget_with_two_cards_and_reasons(client, shop):
    html = _html(client, reverse("metrics:home") + "?task=llm-70b&budget=2000")
    assert "What do you want to do?" in html
    assert 'name="budget" min="1" step="any" inputmode="decimal" value="2000"' in html
    assert html.index("What do you want to do?") < html.index("Top 5 GPUs")
    picks = html[html.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert picks.count("<li>") == 3
    assert "2 × NVIDIA GeForce RTX 3090</a>" in picks and ": $1,400 ($700 each)." in picks
    assert "Fits Llama 3.1 70B at Q4_K_M on two cards" in picks
    assert "tok/s (estimate, ±" in picks and "per tok/s" in picks


def test_home_finder_states_the_context_a_measured_speed_ran_at(client, shop):
    html = _html(client, reverse("metrics:home") + "?task=llm-8b&budget=500")
    picks = html[html.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert "NVIDIA GeForce RTX 3080" in picks
    assert "103 tok/s (measured at 128 tokens, shown at 4,096)" in picks


def test_home_finder_says_what_the_cheapest_working_option_costs(client, shop):
    html = _html(client, reverse("metrics:home") + "?task=llm-70b&budget=300")
    assert "Nothing within $300 does this." in html
    assert "4 × NVIDIA GeForce RTX 3060</a>" in html and ": $1,000 ($250 each)." in html


def test_home_finder_image_generation_uses_a_labelled_spec_proxy(client, shop):
    html = _html(client, reverse("metrics:home") + "?task=image-generation&budget=1000")
    picks = html[html.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert "NVIDIA GeForce RTX 3080" not in picks  # 10 GB is under the 12 GB floor
    assert "NVIDIA GeForce RTX 3060" in picks and "per TFLOPS" in picks
    assert "Spec proxy, not a benchmark" in html


def test_home_finder_fine_tuning_needs_24_gb_and_fp16_compute_has_no_floor(client, shop):
    tuning = _html(client, reverse("metrics:home") + "?task=fine-tuning")
    picks = tuning[tuning.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert "NVIDIA GeForce RTX 3090" in picks and "NVIDIA GeForce RTX 3060" not in picks
    assert "at least 24 GB" in tuning
    compute = _html(client, reverse("metrics:home") + "?task=fp16&budget=500")
    picks = compute[compute.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert "NVIDIA GeForce RTX 3080" in picks and "NVIDIA GeForce RTX 3090" not in picks


@pytest.mark.parametrize(
    "query, note",
    [
        ("task=crypto", "Ignored task=crypto: choose one of the listed tasks"),
        ("task=llm-8b&budget=lots", "Ignored budget=lots: not a number"),
    ],
)
def test_home_finder_ignores_bad_input_with_a_note(client, shop, query, note):
    html = _html(client, reverse("metrics:home") + "?" + query)
    assert note in html


def test_shop_page_shows_which_models_the_card_runs(client, shop):
    url = reverse("metrics:shop-gpu", kwargs={"slug": "nvidia-geforce-rtx-3080"})
    html = _html(client, url)
    assert "Runs these models" in html and "Yes, one card" in html
    assert "llama.cpp CUDA, 2024-08-26" in html  # the measured Llama 3.1 8B row


def test_llm_pages_are_in_the_sitemap(client, shop):
    xml = sitemap_text(client)
    assert "/ml/shop/llm/</loc>" in xml
    assert "/ml/shop/llm/llama-3.1-70b/</loc>" in xml


@pytest.mark.parametrize(
    "url, most",
    [
        (reverse("metrics:llm-index") + "?model=llama-3.1-70b&budget=5000", 8),
        (reverse("metrics:llm-model", kwargs={"slug": "qwen3-32b"}), 8),
        (reverse("metrics:llm-json") + "?model=llama-3.1-70b&quant=q8_0", 8),
        (reverse("metrics:home") + "?task=llm-32b&budget=1500", 11),
    ],
)
def test_llm_pages_query_a_fixed_number_of_times(
    client, shop, django_assert_max_num_queries, url, most
):
    """The LLM catalogue (three queries, and one for its stored calibration), cards and prices, the
    page generation and, on HTML pages, the demo notice or, on llm.json, the data's as-of time,
    whatever the number of cards."""
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


NASTY = ["", "-1", "1e309", "nan", "-Infinity", "1" * 5000, "१२", "½", "%00", "a\x00b", "😀" * 50]


@pytest.mark.parametrize("name", ["model", "quant", "context", "budget", "task", "include", "host"])
def test_hostile_values_never_cause_a_server_error(client, shop, name):
    for value in NASTY:
        query = {name: value}
        for url in (
            reverse("metrics:llm-index"),
            reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-8b"}),
            reverse("metrics:home"),
        ):
            # A NUL byte is refused site-wide with a 400; everything else is ignored with a note.
            assert client.get(url, query).status_code in (200, 400), (url, name, value)
        api = client.get(
            reverse("metrics:llm-json"), {"model": "llama-3.1-8b", "quant": "q4_k_m", **query}
        )
        assert api.status_code in (200, 400, 404), (name, value)
        if api["Content-Type"] == "application/json":
            assert "error" in api.json() or "cards" in api.json()
        finder = client.get(reverse("metrics:finder-json"), {"task": "llm-8b", **query})
        assert finder.status_code in (200, 400), (name, value)


# Cards a desktop buyer cannot act on, priced cheaply so that a finder that let them through
# would answer with them.
MODULES = {
    "nvidia-tesla-v100-sxm2-16gb": 120,  # SXM2: needs an NVIDIA server board
    "amd-instinct-mi250": 900,  # OAM
    "intel-gaudi2": 1500,  # OAM, and llama.cpp does not run it
    "nvidia-gh200-96gb": 2000,  # superchip
}
NEVER = {
    "amd-radeon-rx-7700s": 60,  # laptop GPU
    "amd-radeon-rx-580x": 70,  # ML software unsupported
    "nvidia-tesla-k80": 20,  # ML software unsupported
}
TASKS = [
    "llm-8b",
    "llm-14b",
    "llm-moe-30b",
    "llm-32b",
    "llm-70b",
    "image-generation",
    "fine-tuning",
    "fp16",
]


@pytest.fixture(scope="module")
def priced_market(priced_cards, module_db):
    """Cards a desktop buyer cannot act on, on sale cheaply beside those of PRICES."""
    with module_db.writing("priced_market"):
        _price({**MODULES, **NEVER})


@pytest.fixture
def market(priced_market, shop):
    """The shop with server modules, laptop GPUs and unsupported cards on sale too."""


def _finder(client, **params):
    return client.get(reverse("metrics:finder-json"), params)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("budget", ["150", "1000", "100000"])
def test_finder_by_default_answers_only_with_desktop_cards_whose_software_works(
    client, market, task, budget
):
    data = _finder(client, task=task, budget=budget).json()
    answered = [p["slug"] for p in data["picks"]] + (
        [data["cheapest"]["slug"]] if data["cheapest"] else []
    )
    assert answered, (task, budget)
    assert not set(answered) & (set(MODULES) | set(NEVER))


@pytest.mark.parametrize("task", TASKS)
def test_including_server_modules_never_brings_a_laptop_or_unsupported_card(client, market, task):
    data = _finder(client, task=task, budget="100000", include="modules").json()
    answered = {p["slug"] for p in data["picks"]} | {(data["cheapest"] or {}).get("slug")}
    assert not answered & set(NEVER)


def test_include_modules_adds_sxm_modules_with_their_badge(client, market):
    default = _html(client, reverse("metrics:home") + "?task=image-generation&budget=500")
    default = default[default.index('class="finder-picks"') :]
    assert "Tesla V100 SXM2" not in default[: default.index("</ol>")]
    html = _html(client, reverse("metrics:home") + "?task=image-generation&include=modules")
    picks = html[html.index('class="finder-picks"') :]
    picks = picks[: picks.index("</ol>")]
    assert "NVIDIA Tesla V100 SXM2 16GB" in picks  # $120 for 125 FP16 TFLOPS
    assert "SXM module: needs an SXM server board" in picks
    assert 'name="include" value="modules" checked' in html


def test_finder_json_answers_with_total_and_reason(client, market):
    response = _finder(client, task="llm-70b", budget="2000")
    assert response.status_code == 200
    data = response.json()
    assert (data["task"], data["budget_usd"]) == ("llm-70b", 2000.0)
    first = data["picks"][0]
    assert set(first) == {
        "slug",
        "kind",
        "cards",
        "price_usd",
        "host_pc_usd",
        "reason",
        "basis",
        "listing_count",
        "from_usd",
    }
    assert (first["kind"], first["host_pc_usd"]) == ("card", None)
    assert "on two cards, plus a host PC" in first["reason"]
    assert (first["slug"], first["cards"], first["price_usd"]) == (
        "nvidia-geforce-rtx-3090",
        2,
        1400.0,
    )
    assert first["basis"] == "estimate" and "±" in first["reason"]
    over = _finder(client, task="llm-70b", budget="300").json()
    assert over["picks"] == [] and over["cheapest"]["slug"] == "nvidia-geforce-rtx-3060"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"task": "crypto", "budget": "500"}, "Ignored task=crypto"),
        ({"budget": "500"}, "Unknown task"),
        ({"task": "llm-8b", "budget": "lots"}, "not a number"),
        ({"task": "llm-8b", "budget": "-5"}, "positive"),
        ({"task": "llm-8b", "include": "everything"}, "include=modules"),
    ],
)
def test_finder_json_rejects_an_unknown_task_or_a_bad_budget(client, market, params, message):
    response = _finder(client, **params)
    assert response.status_code == 400 and message in response.json()["error"]


def test_fine_tuning_says_which_cards_lack_bf16(client, market, make_listing):
    from catalog.models import Gpu

    for _ in range(3):  # 32 GB Volta: FP16 tensor cores, no BF16
        make_listing(Gpu.objects.get(slug="nvidia-tesla-v100-32gb"), 300)
    recompute_rankings()
    # $2.68 per TFLOPS against the RTX 3090's $9.86, but it ranks after every card with BF16.
    data = _finder(client, task="fine-tuning").json()
    reasons = {p["slug"]: p["reason"] for p in data["picks"]}
    assert reasons["nvidia-geforce-rtx-3090"].endswith("; BF16; plus a host PC")
    assert "nvidia-tesla-v100-32gb" not in reasons
    within = _finder(client, task="fine-tuning", budget="500").json()
    assert [p["slug"] for p in within["picks"]] == ["nvidia-tesla-v100-32gb"]
    assert "no BF16: trains in FP16 with loss scaling" in within["picks"][0]["reason"]


def test_llm_page_leaves_server_modules_out_until_asked_and_says_how_many(client, market):
    url = reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"})
    html = _html(client, url)
    assert "AMD Instinct MI250" not in html[html.index('id="one-card"') :].split("not shown")[0]
    assert "server modules (SXM, OAM, superchip) not shown" in html
    with_modules = _html(client, url + "?include=modules")
    one_card = with_modules[with_modules.index('id="one-card"') : with_modules.index("</table>")]
    assert "AMD Instinct MI250" in one_card and "OAM module: needs an OAM server board" in one_card
    # Two 64 GB GPUs on one board: a 70B model at Q4_K_M fits one of them.
    assert "Intel Gaudi 2" not in one_card
    other = with_modules[with_modules.index('id="other-software"') :]
    assert "Intel Gaudi 2" in other and "Optimum Habana" in other


def test_laptop_gpus_appear_in_no_llm_table(client, market):
    html = _html(client, reverse("metrics:llm-index") + "?model=llama-3.1-8b&include=modules")
    assert "RX 7700S" not in html


def test_ranking_rows_and_the_shop_page_carry_the_needs_badges(client, market):
    spec = _html(client, reverse("metrics:cost-per-spec", kwargs={"metric": "fp16-flops"}))
    row = spec[spec.index("NVIDIA Tesla V100 SXM2 16GB</a>") :]
    row = row[: row.index("</tr>")]
    assert "SXM module: needs an SXM server board" in row and "ML software: limited" in row
    index = _html(client, reverse("metrics:shop-index"))
    row = index[index.index("AMD Instinct MI250</a>") :]
    row = row[: row.index("</tr>")]
    assert "OAM module: needs an OAM server board" in row and "2 GPUs on one board" in row
    shop = _html(client, reverse("metrics:shop-gpu", kwargs={"slug": "nvidia-tesla-k80"}))
    badges = shop[shop.index('class="ml-software-line"') :]
    badges = badges[: badges.index("</p>")]
    assert "ML software: unsupported" in badges and "2 GPUs on one board" in badges
    assert "Passive: needs server airflow or a fan shroud" in badges
    assert "Power: 1x 8-pin CPU (EPS-12V)" in badges


def test_llm_tables_leave_out_only_needs_badges_that_would_say_nothing():
    """The LLM tables include the card-needs badges only for a card that has needs: one
    without must be exactly one the badges say nothing of, or a row loses a badge."""
    from django.template.loader import get_template

    from catalog.models import FormFactor
    from metrics.llm import CardNeeds

    badges = get_template("includes/card_needs_badges.html")
    for form_factor, cooling, devices in itertools.product(
        FormFactor.values, ["active", "passive", ""], [None, 1, 2]
    ):
        needs = CardNeeds(form_factor=form_factor, cooling=cooling, devices=devices)
        context = {"form_factor": form_factor, "cooling": cooling, "devices": devices}
        says_something = badges.render(context).strip() != ""
        assert needs.has_needs == says_something, (form_factor, cooling, devices)
