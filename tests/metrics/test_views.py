import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Gpu, MlModel, UseCase
from catalog.signals import catalog_changed
from catalog.specs import SPECS
from listings.models import Listing
from listings.signals import listings_changed
from metrics.ranking import recompute_rankings
from tests.sitemap import sitemap_text

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _rank_order(html: str, labels: list[str]) -> list[str]:
    return sorted(labels, key=lambda label: html.index(label))


@pytest.fixture
def priced(make_gpu, make_listing):
    """Three priced cards and one without listings, recomputed."""
    cheap = make_gpu(
        "alpha-card", label="Alpha Card", fp32_tflops=10, memory_gb=8, category="gaming"
    )
    mid = make_gpu("bravo-card", label="Bravo Card", fp32_tflops=40, memory_gb=48)
    dear = make_gpu("charlie-card", label="Charlie Card", fp32_tflops=20, memory_gb=80)
    make_gpu("delta-card", label="Delta Card", fp32_tflops=100)
    make_listing(cheap, 500, condition_kind="new")  # $50 per TFLOPS
    make_listing(mid, 1200, condition_kind="used")  # used only: $30 per TFLOPS
    make_listing(mid, 4000, condition_kind="new")  # new only: $100; any: median $2,600 -> $65
    make_listing(dear, 3000, condition_kind="used")  # $150 per TFLOPS
    recompute_rankings()
    return cheap, mid, dear


def test_cost_per_spec_ranks_cards_by_dollars_per_unit_with_no_data_last(client, priced):
    html = _html(client.get(reverse("metrics:cost-per-spec", args=["fp32-flops"])))
    labels = ["Alpha Card", "Bravo Card", "Charlie Card", "Delta Card"]
    assert _rank_order(html, labels) == labels
    assert "$50.00" in html and "$65.00" in html and "$150.0" in html
    assert "no data: no listings" in html
    assert '<div class="table-wrap">' in html


def test_fp8_ranking_says_no_data_for_cards_without_fp8(client, priced):
    html = _html(client.get(reverse("metrics:cost-per-spec", args=["fp8-flops"])))
    assert "No data: no card has both a known FP8 figure" in html
    assert "no data: FP8 unknown" in html


def test_cache_rankings_rank_by_dollars_per_mb_of_l2_and_kb_of_shared_memory(
    client, make_gpu, make_listing
):
    big = make_gpu("hopper-card", label="Hopper Card", l2_cache_mb=50, shared_memory_per_sm_kb=228)
    small = make_gpu("ampere-card", label="Ampere Card", l2_cache_mb=6, shared_memory_per_sm_kb=100)
    blank = make_gpu("npu-card", label="Npu Card", l2_cache_mb=None, shared_memory_per_sm_kb=None)
    make_listing(big, 25000)  # $500 per MB of L2, ~$109.65 per KB
    make_listing(small, 900)  # $150 per MB of L2, $9 per KB
    make_listing(blank, 100)
    recompute_rankings()

    l2 = _html(client.get(reverse("metrics:cost-per-spec", args=["l2-cache-mb"])))
    assert "Cheapest GPUs per MB of L2 cache" in l2
    assert _rank_order(l2, ["Ampere Card", "Hopper Card"]) == ["Ampere Card", "Hopper Card"]
    assert "$150.0" in l2 and "$500.0" in l2
    assert "no data: L2 cache unknown" in l2
    smem = _html(client.get(reverse("metrics:cost-per-spec", args=["shared-memory-per-sm-kb"])))
    assert "$9.00" in smem and "$109.6" in smem
    assert "no data: Shared memory per SM unknown" in smem


@pytest.mark.parametrize(
    "url", ["/ml/shop/gpu/performance/cost-per-speed/", "/ml/shop/use-case/nope/"]
)
def test_unknown_metric_or_use_case_is_404(client, url, use_case):
    assert client.get(url).status_code == 404


def test_every_metric_page_answers(client, priced):
    for spec in SPECS:
        assert client.get(reverse("metrics:cost-per-spec", args=[spec.slug])).status_code == 200


def test_condition_filter_ranks_with_that_scope_price(client, priced):
    html = _html(
        client.get(reverse("metrics:cost-per-spec", args=["fp32-flops"]), {"condition": "new"})
    )
    # New only: Alpha $50/TFLOPS, Bravo $100/TFLOPS; Charlie has no new listing.
    assert _rank_order(html, ["Alpha Card", "Bravo Card"]) == ["Alpha Card", "Bravo Card"]
    assert "$100.0" in html
    assert "$65.00" not in html


def test_budget_memory_and_category_filters_narrow_the_ranking(client, priced):
    url = reverse("metrics:cost-per-spec", args=["fp32-flops"])
    html = _html(client.get(url, {"max_budget": "2700"}))
    assert "Bravo Card" in html and "Alpha Card" in html and "Charlie Card" not in html
    html = _html(client.get(url, {"min_memory": "40"}))
    assert "Alpha Card" not in html and "Charlie Card" in html
    html = _html(client.get(url, {"category": "gaming"}))
    assert "Alpha Card" in html and "Bravo Card" not in html


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("max_budget=abc", "Ignored Max budget (USD) “abc”: not a number"),
        ("max_budget=nan", "Ignored Max budget (USD) “nan”: not a number"),
        ("min_memory=inf", "Ignored Min memory (GB) “inf”: not a number"),
        ("max_budget=-5", "Ignored Max budget (USD) “-5”: must not be negative"),
        ("max_budget=1e99", "Ignored Max budget (USD) “1e99”: not a number"),
        ("max_budget=99,999,999", "Ignored Max budget (USD) “99,999,999”: larger than"),
        ("max_budget=0.5", "Ignored Max budget (USD) “0.5”: below $1"),
        ("min_memory=٨", "Ignored Min memory (GB) “٨”: not a number"),
        ("min_memory=1_6", "Ignored Min memory (GB) “1_6”: not a number"),
        ("condition=mint", "Ignored Condition “mint”: choose one of New, Used or refurbished"),
        ("category=toaster", "Ignored Category “toaster”: choose one of Datacenter"),
        ("min_memory=8&min_memory=16", "Ignored Min memory (GB): given more than once"),
        (
            "software=cuda",
            "Ignored ML software “cuda”: choose one of First-class, Supported, Limited,",
        ),
    ],
)
def test_invalid_filter_is_ignored_with_a_visible_note(client, priced, use_case, query, note):
    for name, kwargs in [
        ("metrics:cost-per-spec", {"metric": "memory-gb"}),
        ("metrics:use-case", {"slug": use_case.slug}),
        ("metrics:shop-index", {}),
    ]:
        html = _html(client.get(f"{reverse(name, kwargs=kwargs)}?{query}"))
        assert note in html
        assert "Charlie Card" in html or name == "metrics:use-case"


@pytest.fixture
def software(make_gpu, make_listing, make_result, resnet):
    """Three priced cards with MLPerf results, at three levels of ML software support."""
    cards = {
        "first-class": make_gpu(
            "echo-card",
            label="Echo Card",
            ml_software="first-class",
            ml_software_note="Current CUDA and PyTorch builds",
        ),
        "limited": make_gpu(
            "foxtrot-card",
            label="Foxtrot Card",
            ml_software="limited",
            ml_software_note="ROCm dropped gfx906 <after 5.7>",
        ),
        "": make_gpu("golf-card", label="Golf Card"),
    }
    for n, gpu in enumerate(cards.values()):
        make_listing(gpu, 1000 + 100 * n)
        make_result(gpu, resnet, 5000.0 - 100 * n)
    recompute_rankings()
    return cards


def _badges(html: str) -> list[str]:
    return re.findall(r'class="ml-software ml-software-([a-z-]+)"', html)


def test_rankings_show_the_software_badge_with_a_note_users_can_open(client, software, resnet):
    for url in [
        reverse("metrics:cost-per-spec", args=["fp32-flops"]),
        reverse("metrics:use-case", args=[resnet.use_case.slug]),
        reverse("metrics:home"),
        reverse("metrics:shop-index"),
    ]:
        html = _html(client.get(url))
        assert "first-class" in _badges(html) and "limited" in _badges(html), url
        # A <details> note opens with a tap or the keyboard, not only on hover.
        note = "<span>ROCm dropped gfx906 &lt;after 5.7&gt;</span>"
        assert f"<summary>ML software: limited</summary>{note}" in html
        assert "<after 5.7>" not in html
    row = html[html.index("Golf Card") : html.index("</tr>", html.index("Golf Card"))]
    assert "ml-software-" not in row  # no level, no badge


@pytest.mark.parametrize("level", ["first-class", "limited"])
def test_software_filter_keeps_only_cards_at_that_level(client, software, resnet, level):
    for url in [
        reverse("metrics:cost-per-spec", args=["fp32-flops"]),
        reverse("metrics:use-case", args=[resnet.use_case.slug]),
        reverse("metrics:shop-index"),
    ]:
        html = _html(client.get(url, {"software": level}))
        shown = {label for label in ["Echo Card", "Foxtrot Card", "Golf Card"] if label in html}
        assert shown == {software[level].label}, url
        assert f'<option value="{level}" selected>' in html
        assert "Clear filters" in html


def test_software_filter_with_no_match_says_so(client, software):
    url = reverse("metrics:cost-per-spec", args=["fp32-flops"])
    html = _html(client.get(url, {"software": "unsupported"}))
    assert "No data: no card has both a known FP32" in html and "matching these filters" in html


def test_compare_shows_software_support_and_mlperf_results_with_round_and_log(client, software):
    html = _html(client.get(reverse("metrics:compare"), {"gpu": ["foxtrot-card", "golf-card"]}))
    software_row = html[html.index("ML software support") :]
    software_row = software_row[: software_row.index("</tr>")]
    assert ">Limited<" in software_row and ">—<" in software_row  # Golf Card has no level
    results = html[html.index("MLPerf Inference (Offline") :]
    assert "ResNet50-v1.5" in results
    assert _rank_order(results, ["4,900", "4,800"]) == ["4,900", "4,800"]  # in card order
    assert "https://github.com/mlcommons/results/foxtrot-card/v3.1/log.txt" in results
    assert "MLPerf Inference v3.1" in results
    assert (
        '>4,455 <strong class="best-mark">best</strong>' in results
    )  # 4,900 samples/s at $1,100, per $1,000


def test_filter_notes_are_escaped(client, priced):
    html = _html(client.get(reverse("metrics:shop-index"), {"category": "<script>x"}))
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html


def test_use_case_page_shows_samples_per_dollar_with_round_and_citation(
    client, make_gpu, make_listing, resnet, make_result
):
    l4 = make_gpu("nvidia-l4", label="NVIDIA L4")
    t4 = make_gpu("nvidia-t4", label="NVIDIA T4")
    unpriced = make_gpu("nvidia-h100-pcie", label="NVIDIA H100 PCIe")
    for price in [4000, 4500, 5000, 5500, 6000]:
        make_listing(l4, price)
    make_listing(t4, 600)
    make_result(l4, resnet, 12881.7)
    make_result(t4, resnet, 6000.0, round="MLPerf Inference v4.0")
    make_result(unpriced, resnet, 50000.0)
    recompute_rankings()

    html = _html(client.get(reverse("metrics:use-case", args=[resnet.use_case.slug])))
    assert _rank_order(html, ["NVIDIA T4", "NVIDIA L4"]) == ["NVIDIA T4", "NVIDIA L4"]
    assert "2,576" in html  # samples/s per $1,000: 12881.7 / 5000 * 1000
    assert "10,000" in html  # 6000 / 600 * 1000
    assert "Samples/s per $1,000" in html
    assert "$5,000" in html
    assert "https://github.com/mlcommons/results/nvidia-l4/v3.1/log.txt" in html
    assert "MLPerf Inference v4.0" in html
    assert "Not ranked, no listing" in html and "NVIDIA H100 PCIe" in html


def test_use_case_page_names_a_99_9_run_ranked_for_the_99_target_with_its_log(
    client, make_gpu, make_listing, make_result
):
    llm = UseCase.objects.create(slug="large-language-model", area="Language", task="LLM")
    gptj_99 = MlModel.objects.create(
        slug="gptj-99", name="GPT-J 6B (99%)", mlperf_id="gptj-99", use_case=llm
    )
    gptj_999 = MlModel.objects.create(
        slug="gptj-99-9", name="GPT-J 6B (99.9%)", mlperf_id="gptj-99.9", use_case=llm
    )
    h100 = make_gpu("nvidia-h100-pcie", label="NVIDIA H100 PCIe")
    make_listing(h100, 25000)
    make_result(h100, gptj_99, 13.0, round="MLPerf Inference v4.1")
    make_result(h100, gptj_999, 31.0, round="MLPerf Inference v4.0")
    recompute_rankings()

    html = _html(client.get(reverse("metrics:use-case", args=[llm.slug])))
    table_99 = html[html.index("GPT-J 6B (99%)") : html.index("GPT-J 6B (99.9%)")]
    assert "31.000" in table_99 and "13.000" not in table_99
    assert "https://github.com/mlcommons/results/nvidia-h100-pcie/v4.0/log.txt" in table_99
    assert "MLPerf Inference v4.0" in table_99 and "(gptj-99.9 run)" in table_99


@pytest.fixture
def llama_table(make_gpu, make_listing, make_result):
    """An LLM use case (metric tokens/s) whose samples/s order differs from its tokens/s order;
    one card's result is a preview run with a caveat."""
    llm = UseCase.objects.create(
        slug="large-language-model",
        area="Language",
        task="Large language model",
        metric="tokens/s",
        is_headline=True,
    )
    llama = MlModel.objects.create(
        slug="llama2-70b-99", name="Llama 2 70B (99%)", mlperf_id="llama2-70b-99", use_case=llm
    )
    b200 = make_gpu("nvidia-b200", label="NVIDIA B200")
    h200 = make_gpu("nvidia-h200-sxm", label="NVIDIA H200 SXM")
    make_listing(b200, 40000)
    make_listing(h200, 30000)
    make_result(
        b200, llama, 40.0, tokens_per_s=10960.0, availability="preview", notes="Private code"
    )
    make_result(
        h200, llama, 30.0, tokens_per_s=8700.0, notes="H200 CTS: custom thermal, TGP 1000 W"
    )
    recompute_rankings()
    return llm


def test_llm_page_ranks_by_tokens_per_dollar_and_marks_preview_runs_and_caveats(
    client, llama_table
):
    html = _html(client.get(reverse("metrics:use-case", args=[llama_table.slug])))
    # B200: 1.000 samples/s per $1,000 but 274 tokens/s; H200: 1.000 samples/s but 290 tokens/s.
    order = _rank_order(html, ["NVIDIA B200", "NVIDIA H200 SXM"])
    assert order == ["NVIDIA H200 SXM", "NVIDIA B200"]
    assert "Tokens/s per $1,000" in html and "$ per token/s" in html
    assert "Samples/s per $1,000" not in html
    per_thousand = '<td class="num" data-label="Tokens/s per $1,000">'
    assert per_thousand + "290</td>" in html  # 8,700 tokens/s / $30,000 per $1,000
    assert per_thousand + "274</td>" in html  # 10,960 tokens/s / $40,000 per $1,000
    assert '<td class="num" data-label="$ per token/s">$3.45</td>' in html  # $30,000 / 8,700
    b200_row = html[html.index("NVIDIA B200") :]
    b200_row = b200_row[: b200_row.index("</tr>")]
    assert "(preview)" in b200_row and "Private code" in b200_row
    h200_row = html[html.index("NVIDIA H200 SXM") :]
    h200_row = h200_row[: h200_row.index("</tr>")]
    assert "(preview)" not in h200_row and "TGP 1000 W" in h200_row


def test_home_lists_llm_cards_by_tokens_per_dollar(client, llama_table):
    html = _html(client.get(reverse("metrics:home")))
    top = html[html.index("Top 5 GPUs for large language model") :]
    top = top[: top.index("</section>")]
    assert "Llama 2 70B (99%): tokens/s per $1,000" in top
    assert _rank_order(top, ["NVIDIA B200", "NVIDIA H200 SXM"]) == [
        "NVIDIA H200 SXM",
        "NVIDIA B200",
    ]
    assert ": 290 " in top and "at $40,000 (preview)" in top


def test_use_case_page_with_nothing_priced_says_no_data(client, resnet):
    html = _html(client.get(reverse("metrics:use-case", args=[resnet.use_case.slug])))
    assert "No data" in html


def test_use_case_filters_narrow_the_cards_by_their_memory_and_category(
    client, priced, resnet, make_result
):
    for gpu in priced:
        make_result(gpu, resnet, 1000.0)
    recompute_rankings()
    url = reverse("metrics:use-case", args=[resnet.use_case.slug])
    html = _html(client.get(url, {"min_memory": "40"}))
    assert "Alpha Card" not in html and "Bravo Card" in html and "Charlie Card" in html
    html = _html(client.get(url, {"category": "gaming"}))
    assert "Alpha Card" in html and "Bravo Card" not in html and "Charlie Card" not in html


def test_home_shows_top_five_per_spec_and_headline_use_case(client, priced, resnet, make_result):
    make_result(priced[0], resnet, 1000.0)
    recompute_rankings()
    html = _html(client.get(reverse("metrics:home")))
    for spec in SPECS:
        assert f"Top 5 GPUs for {spec.noun}" in html
        linked = reverse("metrics:cost-per-spec", args=[spec.slug]) in html
        assert linked == (spec.slug != "fp8-flops"), spec.slug  # no card here has FP8
    assert "Top 5 GPUs for image classification" in html
    assert reverse("metrics:use-case", args=[resnet.use_case.slug]) in html
    assert "No data yet: no card with this spec is priced." in html  # FP8


def test_a_short_home_top_list_says_why_it_has_fewer_than_five(client, priced, resnet, make_result):
    make_result(priced[0], resnet, 1000.0)
    make_result(Gpu.objects.get(slug="delta-card"), resnet, 2000.0)  # no listing
    recompute_rankings()
    html = _html(client.get(reverse("metrics:home")))
    top = html[html.index("Top 5 GPUs for image classification") :]
    top = top[: top.index("</section>")]
    assert top.count("<li>") == 1
    assert (
        "Only 1 card has a single-accelerator MLPerf result for ResNet50-v1.5 and a current "
        "listing; 1 more has a result but no listing." in top
    )


def test_text_to_image_without_data_in_a_budget_points_to_the_image_finder(client, priced):
    sdxl_case = UseCase.objects.create(
        slug="text-to-image", area="Generative", task="Text-to-image", is_headline=True
    )
    MlModel.objects.create(
        slug="stable-diffusion-xl", name="Stable Diffusion XL", mlperf_id="sdxl", use_case=sdxl_case
    )
    finder = "/?task=image-generation&amp;budget=1500#finder-heading"
    url = reverse("metrics:use-case", args=["text-to-image"])
    html = _html(client.get(url, {"max_budget": "1,500"}))
    assert (
        "No data: no card with a single-accelerator MLPerf result for Stable Diffusion XL" in html
    )
    assert f'home within $1,500, <a href="{finder}">' in html
    home = _html(client.get(reverse("metrics:home")))
    text_to_image = home[home.index("Top 5 GPUs for text-to-image") :]
    assert 'href="/?task=image-generation#finder-heading"' in text_to_image


def test_home_without_any_prices_says_no_data(client, db):
    html = _html(client.get(reverse("metrics:home")))
    assert html.count("No data yet") >= len(SPECS)


def test_shop_index_lists_every_card_with_new_and_used_prices(client, priced):
    html = _html(client.get(reverse("metrics:shop-index")))
    for label in ["Alpha Card", "Bravo Card", "Charlie Card", "Delta Card"]:
        assert label in html
    assert "$2,600" in html and "$4,000" in html and "$1,200" in html
    assert f'action="{reverse("metrics:compare")}"' in html
    assert 'name="gpu" value="bravo-card"' in html


def test_compare_shows_chosen_cards_side_by_side(client, priced):
    html = _html(client.get(reverse("metrics:compare"), {"gpu": ["charlie-card", "bravo-card"]}))
    assert _rank_order(html, ["Charlie Card", "Bravo Card"]) == ["Charlie Card", "Bravo Card"]
    assert "$ per FP32 TFLOPS" in html
    assert "$150.0" in html and "$65.00" in html
    assert "<title>Charlie Card vs Bravo Card" in html


@pytest.mark.parametrize("query", [{}, {"gpu": "bravo-card"}, {"gpu": ["bravo-card", "zulu"]}])
def test_compare_with_fewer_than_two_cards_explains(client, priced, query):
    html = _html(client.get(reverse("metrics:compare"), query))
    assert "Choose at least two cards to compare" in html
    if "zulu" in str(query):
        assert "Ignored card “zulu”: no such card" in html


@pytest.fixture
def cached_ranking(client, make_gpu, make_listing, django_capture_on_commit_callbacks):
    """A 10 GB card listed at $1,000, ranked, and the memory ranking ($100.0 per GB) cached."""
    gpu = make_gpu("echo-card", label="Echo Card", memory_gb=10)
    make_listing(gpu, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_rankings()
    url = reverse("metrics:cost-per-spec", args=["memory-gb"])
    assert "$100.0" in _html(client.get(url))
    return gpu, url


def test_page_shows_new_price_after_listings_change_despite_cache(
    client, cached_ranking, django_capture_on_commit_callbacks
):
    gpu, url = cached_ranking
    Listing.objects.filter(gpu=gpu).update(unit_price=500)
    assert "$100.0" in _html(client.get(url))  # cached until rankings change
    with django_capture_on_commit_callbacks(execute=True):
        listings_changed.send(sender=Listing, gpu_ids=[gpu.pk])
    html = _html(client.get(url))
    assert "$50.00" in html and "$100.0" not in html


def test_page_follows_a_catalog_change(client, cached_ranking, django_capture_on_commit_callbacks):
    gpu, url = cached_ranking
    gpu.memory_gb = 20
    gpu.save()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_changed.send(sender=type(gpu))
    assert "$50.00" in _html(client.get(url))


def test_page_follows_an_ingest(client, make_gpu, django_capture_on_commit_callbacks):
    from listings.ingest import ingest_items, new_run_id

    gpu = make_gpu(
        "nvidia-geforce-rtx-4090", label="NVIDIA GeForce RTX 4090", memory_gb=24, category="gaming"
    )
    url = reverse("metrics:cost-per-spec", args=["memory-gb"])
    assert "no data: no listings" in _html(client.get(url))
    items = json.loads(
        (
            __import__("pathlib").Path(__file__).parents[1] / "data" / "ebay_search_page1.json"
        ).read_text()
    )["itemSummaries"]
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest_items(gpu=gpu, items=items, source="import", run_id=new_run_id())
    # The sample's auction shows a current bid, which the headline price leaves out.
    bids = set(Listing.objects.bids().values_list("item_id", flat=True))
    assert bids, "the sample page should hold an auction"
    kept = sorted(
        o.unit_price for o in report.outcomes if o.verdict == "keep" and o.item_id not in bids
    )
    assert kept == [Decimal("1899.99"), Decimal("2049.00")]
    html = _html(client.get(url))
    assert "no data: no listings" not in html
    assert "$1,974.49" in html  # the median of $1,899.99 and $2,049.00 as the ranking stores it


def test_pages_have_seo_blocks_and_breadcrumbs(client, priced, use_case):
    urls = [
        reverse("metrics:home"),
        reverse("metrics:shop-index"),
        reverse("metrics:rankings-index"),
        reverse("metrics:use-case-index"),
        reverse("metrics:use-case", args=[use_case.slug]),
        reverse("metrics:compare") + "?gpu=alpha-card&gpu=bravo-card",
        *[reverse("metrics:cost-per-spec", args=[s.slug]) for s in SPECS],
    ]
    titles = set()
    for url in urls:
        html = _html(client.get(url))
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        description = re.search(r'<meta name="description" content="(.*?)">', html, re.S).group(1)
        assert len(title) <= 70, title
        assert 50 <= len(description) <= 160, (url, len(description))
        titles.add(title)
        if url != reverse("metrics:home"):
            assert 'class="breadcrumbs"' in html
            data = json.loads(
                re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
            )
            assert data["@type"] == "BreadcrumbList"
            assert data["itemListElement"][0]["item"] == "https://shopagent.test/"
    assert len(titles) == len(urls)


def test_cached_page_is_served_without_queries(client, priced, django_assert_num_queries):
    url = reverse("metrics:cost-per-spec", args=["fp32-flops"])
    first = _html(client.get(url, {"category": "datacenter", "min_memory": "1"}))
    with django_assert_num_queries(1):  # the page generation, by primary key
        again = _html(client.get(url, {"min_memory": "1", "category": "datacenter"}))
    assert again == first


def test_sitemap_lists_every_ranking_and_use_case_page(client, priced, use_case):
    xml = sitemap_text(client)
    for spec in SPECS:
        listed = f"https://shopagent.test/ml/shop/gpu/performance/cost-per-{spec.slug}/" in xml
        assert listed == (spec.slug != "fp8-flops"), spec.slug  # no priced card has FP8
    assert f"https://shopagent.test/ml/shop/use-case/{use_case.slug}/" in xml
    assert "<lastmod>" in xml


def test_rankings_without_data_are_not_linked(client, priced):
    fp8 = reverse("metrics:cost-per-spec", args=["fp8-flops"])
    fp32 = reverse("metrics:cost-per-spec", args=["fp32-flops"])
    for name in ["metrics:home", "metrics:rankings-index"]:
        html = _html(client.get(reverse(name)))
        assert f'href="{fp8}"' not in html, name
        assert f'href="{fp32}"' in html, name
    assert "Cheapest GPUs per FP8 TFLOPS <span" in _html(
        client.get(reverse("metrics:rankings-index"))
    )
