import json
import re

import pytest
from django.urls import reverse

from catalog.models import Gpu, MlModel, UseCase
from tests.sitemap import sitemap_text


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def head_parts(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    description = re.search(r'<meta name="description" content="(.*?)">', html, re.S).group(1)
    return title, description


def test_card_page_shows_l4_resnet50_result_with_round_and_citation(client, loaded_catalog):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}))
    assert "12,881.7" in html
    assert "MLPerf Inference v3.1" in html
    log = (
        "https://github.com/mlcommons/inference_results_v3.1/blob/main/closed/NVIDIA/results/"
        "L4x1_TRT/resnet50/Offline/performance/run_1/mlperf_log_summary.txt"
    )
    assert f'href="{log}"' in html
    assert "ASROCKRACK 1U1G-MILAN" in html


def test_card_page_follows_the_database_not_the_files(client, loaded_catalog):
    Gpu.objects.filter(slug="nvidia-l4").update(memory_bandwidth_gbs=333)
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}))
    assert "333" in html


def test_card_page_gives_units_basis_and_unknown_for_blanks(client, loaded_catalog):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-h100-pcie"}))
    assert "TFLOPS" in html and "GB/s" in html
    assert "756.5" in html and ">51<" in html
    assert "TF32 tensor, with sparsity" in html, "the basis note explains the FP32 figure"
    gaudi = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "intel-gaudi2"}))
    assert "unknown" in gaudi
    assert ">0<" not in gaudi


@pytest.mark.parametrize(
    "slug, memory_type",
    [
        ("nvidia-a100-pcie", "HBM2e"),
        ("nvidia-h100-sxm", "HBM3"),
        ("nvidia-geforce-rtx-5090", "GDDR7"),
    ],
)
def test_card_page_names_the_memory_type(client, loaded_catalog, slug, memory_type):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": slug}))
    assert f'<th scope="row">Memory type</th><td class="num">{memory_type}</td>' in html


def test_card_page_says_unknown_for_a_blank_memory_type(client, loaded_catalog):
    Gpu.objects.filter(slug="nvidia-l4").update(memory_type="")
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}))
    assert '<th scope="row">Memory type</th><td class="num">unknown</td>' in html


def test_card_page_links_to_rankings_and_to_the_shop_when_it_exists(client, loaded_catalog):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-t4"}))
    assert f'href="{reverse("metrics:rankings-index")}"' in html
    assert f'href="{reverse("metrics:shop-gpu", kwargs={"slug": "nvidia-t4"})}"' in html


@pytest.mark.parametrize(
    "name, slug",
    [
        ("metrics:learn-gpu", "nvidia-geforce-rtx-4090"),
        ("catalog:learn-model", "resnet50"),
        ("catalog:learn-use-case", "image-classification"),
    ],
)
def test_detail_pages_do_not_query_per_row(
    client, loaded_catalog, django_assert_max_num_queries, name, slug
):
    # A card's page adds its price-history chart, the stored LLM backtest, and its going rates,
    # cloud offers and the depreciation rates for own or rent.
    with django_assert_max_num_queries(9 if name.startswith("catalog:") else 12):
        page(client, reverse(name, kwargs={"slug": slug}))


def test_index_lists_cards_by_category_models_and_use_cases(
    client, loaded_catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        html = page(client, reverse("catalog:learn-index"))
    assert html.index("<h3>Datacenter</h3>") < html.index("<h3>Workstation</h3>")
    assert html.index("<h3>Workstation</h3>") < html.index("<h3>Gaming</h3>")
    assert reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}) in html
    assert reverse("catalog:learn-model", kwargs={"slug": "gptj-99"}) in html
    assert reverse("catalog:learn-use-case", kwargs={"slug": "text-to-image"}) in html
    assert reverse("catalog:methodology") in html


def test_model_page_lists_results_across_cards(client, loaded_catalog):
    html = page(client, reverse("catalog:learn-model", kwargs={"slug": "resnet50"}))
    assert "ResNet50-v1.5" in html and "NVIDIA L4" in html and "NVIDIA T4" in html
    assert reverse("catalog:learn-use-case", kwargs={"slug": "image-classification"}) in html
    assert ">Samples/s</th>" in html and "Tokens/s" not in html  # not a language model


def test_language_model_results_show_tokens_per_second(client, loaded_catalog):
    html = page(client, reverse("catalog:learn-model", kwargs={"slug": "llama2-70b-99"}))
    assert ">Samples/s</th>" in html and ">Tokens/s</th>" in html
    llm = page(client, reverse("catalog:learn-use-case", kwargs={"slug": "large-language-model"}))
    assert ">Tokens/s</th>" in llm
    vision = page(
        client, reverse("catalog:learn-use-case", kwargs={"slug": "image-classification"})
    )
    assert ">Tokens/s</th>" not in vision


def test_use_case_page_explains_samples_per_dollar(client, loaded_catalog):
    html = page(client, reverse("catalog:learn-use-case", kwargs={"slug": "image-classification"}))
    assert "ResNet50-v1.5" in html
    assert "2.57634 samples/s per dollar" in html
    assert "median of the five cheapest" in html
    speech = page(client, reverse("catalog:learn-use-case", kwargs={"slug": "speech-to-text"}))
    assert "RNN-T" in speech and "Whisper Large v3" in speech


def test_methodology_gives_basis_sources_attribution_and_headline_price(client, db):
    html = page(client, reverse("catalog:methodology"))
    assert 'id="basis"' in html and 'id="headline-price"' in html
    assert "shader (non-tensor) FP32" in html
    assert "GPU specs adapted from gpu-agent / gpupoet.com (CC BY-SA 4.0)" in html
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in html
    assert "MLPerf is a trademark of MLCommons" in html


@pytest.mark.parametrize(
    "name", ["metrics:learn-gpu", "catalog:learn-model", "catalog:learn-use-case"]
)
def test_unknown_slugs_are_404(client, loaded_catalog, name):
    assert client.get(reverse(name, kwargs={"slug": "no-such-thing"})).status_code == 404


@pytest.mark.parametrize(
    "path", ["/ml/learn/gpu/intel-habana-gaudi2", "/ml/learn/gpu/intel-habana-gaudi2/"]
)
def test_old_gaudi_address_redirects_permanently(client, loaded_catalog, path):
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"] == reverse("metrics:learn-gpu", kwargs={"slug": "intel-gaudi2"})
    assert client.get(response["Location"]).status_code == 200


def test_every_learn_page_has_a_fitting_title_description_and_breadcrumbs(client, loaded_catalog):
    urls = [reverse("catalog:learn-index"), reverse("catalog:methodology")]
    urls += [g.get_absolute_url() for g in Gpu.objects.all()]
    urls += [m.get_absolute_url() for m in MlModel.objects.all()]
    urls += [u.get_absolute_url() for u in UseCase.objects.all()]
    titles = set()
    for url in urls:
        html = page(client, url)
        title, description = head_parts(html)
        assert len(title) <= 70, (url, title)
        assert 50 <= len(description) <= 160, (url, len(description), description)
        titles.add(title)
        assert 'class="breadcrumbs"' in html
        data = json.loads(
            re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
        )
        assert data["@type"] == "BreadcrumbList"
        assert data["itemListElement"][-1]["item"] == f"https://shopagent.test{url}"
    assert len(titles) == len(urls), "every page has its own title"


def test_learn_pages_are_titled_for_what_they_are_about(client, loaded_catalog):
    model = MlModel.objects.get(slug="resnet50")
    titled = {
        reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}): (
            "NVIDIA L4 specs and MLPerf results | ShopAgent"
        ),
        model.get_absolute_url(): f"{model.name}: MLPerf inference results by GPU | ShopAgent",
        model.use_case.get_absolute_url(): (
            f"{model.use_case.task}: which GPU, measured by MLPerf | ShopAgent"
        ),
    }
    for url, title in titled.items():
        assert head_parts(page(client, url))[0] == title


def test_sitemap_lists_learn_pages(client, loaded_catalog):
    xml = sitemap_text(client)
    for url in [
        reverse("catalog:learn-index"),
        reverse("catalog:methodology"),
        reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-l4"}),
        reverse("catalog:learn-model", kwargs={"slug": "stable-diffusion-xl"}),
        reverse("catalog:learn-use-case", kwargs={"slug": "recommendation"}),
    ]:
        assert f"<loc>https://shopagent.test{url}</loc>" in xml


def test_card_page_shows_both_fp16_rates_software_support_and_typical_prices(
    client, loaded_catalog
):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-geforce-rtx-3090"}))
    assert "FP16 tensor (FP32 accumulate)" in html and ">71<" in html
    assert "FP16 tensor (FP16 accumulate)" in html and ">142<" in html
    assert 'data-ml-software="first-class"' in html
    assert "used $800" in html and "an estimate" in html and "2025-10" in html
    assert 'href="https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102' in html


def test_card_page_says_why_a_card_is_unsupported(client, loaded_catalog):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "amd-radeon-rx-580x"}))
    assert "ML software: unsupported" in html
    assert "ROCm dropped it" in html


def test_software_badge_renders_nothing_without_a_level():
    from django.template.loader import render_to_string

    empty = render_to_string("includes/ml_software_badge.html", {"level": "", "note": "x"})
    assert empty.strip() == ""
    badge = render_to_string(
        "includes/ml_software_badge.html", {"level": "limited", "note": "old ROCm only"}
    )
    assert "ML software: limited" in badge and "<span>old ROCm only</span>" in badge


def test_methodology_states_the_basis(client, loaded_catalog):
    html = page(client, reverse("catalog:methodology"))
    assert "with FP32 accumulate" in html
    assert "dual-issue" in html
    assert "never guessed" in html


def test_a_results_note_opens_by_click_tap_or_keyboard_not_hover(client, loaded_catalog):
    from catalog.models import BenchmarkResult

    result = BenchmarkResult.objects.exclude(notes="").select_related("gpu").first()
    html = client.get(result.gpu.get_absolute_url()).content.decode()
    assert '<details class="cell-note"><summary>Note<span class="visually-hidden">' in html
    assert f'title="{result.notes}"' not in html


def test_use_case_pages_describe_llama_3_1_and_whisper_samples_as_mlperf_runs_them(
    client, loaded_catalog
):
    llm = page(client, reverse("catalog:learn-use-case", kwargs={"slug": "large-language-model"}))
    assert "news summaries (GPT-J 6B and Llama 3.1 8B on CNN/DailyMail)" in llm
    assert "chat answers (Llama 2 70B on OpenOrca)" in llm
    assert "69 tokens per sample" in llm
    assert (
        '<a href="https://github.com/mlcommons/inference/blob/master/language/llama3.1-8b/'
        'README.md" rel="nofollow">' in llm
    )
    speech = page(client, reverse("catalog:learn-use-case", kwargs={"slug": "speech-to-text"}))
    assert "several utterances packed into about 30 s of audio" in speech
    assert "one sample is one utterance)" in speech  # RNN-T only
    assert "speech2text/README.md" in speech and "(read 2026-11-30)" in speech


def test_model_pages_give_3d_unet_and_dlrm_v2_sizes_data_and_their_sources(client, loaded_catalog):
    unet = page(client, reverse("catalog:learn-model", kwargs={"slug": "3d-unet-99"}))
    assert "<dt>Parameters</dt><dd>32.5M</dd>" in unet
    assert "https://github.com/mlcommons/inference/blob/master/docs/index.md" in unet
    dlrm = page(client, reverse("catalog:learn-model", kwargs={"slug": "dlrm-v2-99"}))
    assert "<dt>Parameters</dt><dd>~23B</dd>" in dlrm
    assert "Criteo 1TB Click Logs, synthetic multi-hot version" in dlrm and "4TB" not in dlrm
    assert 'href="https://arxiv.org/abs/2008.13535"' in dlrm


def test_methodology_says_which_file_each_mlperf_figure_was_read_from(client, db):
    html = page(client, reverse("catalog:methodology"))
    assert "<code>mlperf_log_detail.txt</code>" in html
    assert "<code>summary_results.json</code>" in html
    assert "<code>ntuhpc/mlperf_inference_results_v5.0</code>" in html


def test_card_page_shows_cache_figures_with_their_basis_and_leaves_off_unknown_ones(
    client, loaded_catalog
):
    html = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-h100-sxm"}))
    assert '<th scope="row">L2 cache</th><td class="num">50</td><td>MB</td>' in html
    assert '<th scope="row">Shared memory per SM</th><td class="num">228</td><td>KB</td>' in html
    assert "Hopper tuning guide" in html  # the basis names the source
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC10448217/table/t0015" in html  # linked

    b200 = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "nvidia-b200"}))
    assert '<th scope="row">L2 cache</th>' not in b200  # no source gives it: no row
    assert '<th scope="row">Shared memory per SM</th><td class="num">228</td>' in b200
    gaudi = page(client, reverse("metrics:learn-gpu", kwargs={"slug": "intel-gaudi2"}))
    assert "L2 cache" not in gaudi and "Shared memory per SM" not in gaudi
