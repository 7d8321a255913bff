"""Compare pages: the picker, shareable pair pages, winners marked in each row, buy links."""

import re

import pytest
from django.urls import resolve, reverse

from catalog.models import MlModel
from metrics.compare import pair_candidates, pair_slug, sitemap_pairs
from metrics.ranking import recompute_rankings
from tests.sitemap import sitemap_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_gpu, make_listing, make_result, resnet):
    a = make_gpu(
        "nvidia-geforce-rtx-3090",
        label="NVIDIA GeForce RTX 3090",
        memory_gb=24,
        tdp_w=350,
        fp16_tflops=71,
        ml_software="first-class",
    )
    b = make_gpu(
        "nvidia-geforce-rtx-4090",
        label="NVIDIA GeForce RTX 4090",
        memory_gb=24,
        tdp_w=450,
        fp16_tflops=165,
        ml_software="supported",
    )
    make_listing(a, 700)
    make_listing(b, 1650)
    make_result(a, resnet, 7000.0)
    make_result(b, resnet, 22000.0)
    recompute_rankings()
    return a, b


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _cells(html, heading):
    """The cell texts of the row whose heading contains `heading`."""
    row = re.search(
        rf"<tr><th scope=\"row\">(?:<a [^>]*>)?[^<]*{re.escape(heading)}.*?</tr>", html, re.S
    )
    assert row, heading
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[0])]


PAIR = "/ml/shop/gpu/compare/nvidia-geforce-rtx-3090-vs-nvidia-geforce-rtx-4090/"


def test_pair_page_marks_the_best_value_in_each_row_in_text(client, pair):
    html = _html(client.get(PAIR))
    assert "<h1>NVIDIA GeForce RTX 3090 vs NVIDIA GeForce RTX 4090</h1>" in html
    assert _cells(html, "Any condition") == ["$700 best", "$1,650"]
    assert _cells(html, "FP16 TFLOPS") == ["71", "165 best"]
    assert _cells(html, "Memory (GB)") == ["24", "24"]  # a tie marks nobody
    assert _cells(html, "Board power (W)") == ["350 best", "450"]
    assert _cells(html, "ML software support") == ["First-class best", "Supported"]
    assert _cells(html, "$ per FP16 TFLOPS") == ["$9.86 best", "$10.00"]
    assert _cells(html, "ResNet50-v1.5: samples/s per $1,000") == ["10,000", "13,333 best"]


def test_pair_page_links_to_each_cards_shop_page_and_is_indexable(client, pair):
    html = _html(client.get(PAIR))
    for card in pair:
        shop = reverse("metrics:shop-gpu", kwargs={"slug": card.slug})
        assert f'<a class="button" href="{shop}">Shop {card.label} listings</a>' in html
    assert "noindex" not in html
    assert f'<link rel="canonical" href="https://shopagent.test{PAIR}">' in html
    title = re.search(r"<title>(.*?)</title>", html)[1]
    assert title.startswith("GeForce RTX 3090 vs GeForce RTX 4090: prices and specs")
    assert len(title) <= 70


def test_reverse_order_redirects_permanently_to_the_sorted_address(client, pair):
    response = client.get(
        "/ml/shop/gpu/compare/nvidia-geforce-rtx-4090-vs-nvidia-geforce-rtx-3090/"
    )
    assert response.status_code == 301
    assert response["Location"] == PAIR


def test_the_redirect_to_the_sorted_address_keeps_the_query_string(client, pair):
    response = client.get(
        "/ml/shop/gpu/compare/nvidia-geforce-rtx-4090-vs-nvidia-geforce-rtx-3090/"
        "?utm_source=newsletter&condition=used"
    )
    assert response.status_code == 301
    assert response["Location"] == f"{PAIR}?utm_source=newsletter&condition=used"


@pytest.mark.parametrize(
    "tail",
    [
        "nvidia-geforce-rtx-3090-vs-nvidia-geforce-rtx-3090",
        "nvidia-geforce-rtx-3090-vs-nope",
        "nvidia-geforce-rtx-3090",
        "-vs-",
        "a-vs-b-vs-c",
    ],
)
def test_unknown_or_repeated_cards_are_404(client, pair, tail):
    assert client.get(f"/ml/shop/gpu/compare/{tail}/").status_code == 404


def test_a_slug_containing_vs_still_pairs(client, make_gpu, make_listing):
    make_gpu("card-vs-edition", label="Card VS Edition")
    make_gpu("zeta", label="Zeta")
    response = client.get("/ml/shop/gpu/compare/card-vs-edition-vs-zeta/")
    assert response.status_code == 200
    assert pair_candidates("card-vs-edition-vs-zeta")[1] == ("card-vs-edition", "zeta")


def test_empty_compare_page_has_a_picker_that_needs_no_javascript(client, pair):
    html = _html(client.get(reverse("metrics:compare")))
    form = html.split('class="filters compare-picker"')[1].split("</form>")[0]
    assert f'action="{reverse("metrics:compare")}"' in html
    assert form.count('<select name="gpu">') == 3
    # Grouped by vendor, each name without it: a phone-width select shows what tells cards apart.
    assert '<optgroup label="NVIDIA">' in form
    assert '<option value="nvidia-geforce-rtx-4090">GeForce RTX 4090</option>' in form
    assert "Choose at least two cards" in html


def test_picked_cards_stay_selected_and_link_to_their_pair_page(client, pair):
    html = _html(
        client.get(
            reverse("metrics:compare"),
            {"gpu": ["nvidia-geforce-rtx-4090", "nvidia-geforce-rtx-3090", ""]},
        )
    )
    assert '<option value="nvidia-geforce-rtx-4090" selected>' in html
    assert f'<a href="{PAIR}">Link to this comparison</a>' in html
    assert '<meta name="robots" content="noindex, follow">' in html


def test_no_card_slug_can_shadow_the_compare_or_ranking_pages(client, pair, make_gpu):
    for slug in ["compare", "performance"]:
        make_gpu(slug, label=f"Card {slug}")
    assert resolve("/ml/shop/gpu/compare/").view_name == "metrics:compare"
    assert resolve("/ml/shop/gpu/performance/").view_name == "metrics:rankings-index"
    assert resolve(PAIR).view_name == "metrics:compare-pair"
    assert "<h1>Compare GPUs</h1>" in _html(client.get("/ml/shop/gpu/compare/"))


def test_catalog_cards_all_reach_their_own_shop_page(loaded_catalog):
    from catalog.models import Gpu

    for slug in Gpu.objects.values_list("slug", flat=True):
        path = reverse("metrics:shop-gpu", kwargs={"slug": slug})
        assert resolve(path).view_name == "metrics:shop-gpu", slug


def test_sitemap_lists_popular_pairs_and_price_neighbours(client, pair, make_gpu, make_listing):
    third = make_gpu("nvidia-tesla-p40", label="NVIDIA Tesla P40")
    make_listing(third, 200)
    recompute_rankings()
    xml = sitemap_text(client)
    assert f"https://shopagent.test{PAIR}" in xml
    p40 = pair_slug("nvidia-tesla-p40", "nvidia-geforce-rtx-3090")
    assert f"https://shopagent.test/ml/shop/gpu/compare/{p40}/" in xml


def test_sitemap_pairs_are_canonical_and_unique():
    pairs = sitemap_pairs(["b", "a", "c"], {"a", "b", "c"})
    assert pairs == ["a-vs-b", "a-vs-c"]


def test_ranking_pages_offer_a_compare_tray(client, pair):
    html = _html(client.get(reverse("metrics:cost-per-spec", args=["fp16-flops"])))
    tray = html.split('class="filters compare-tray"')[1].split("</form>")[0]
    assert tray.count('<select name="gpu">') == 2
    assert '<option value="nvidia-geforce-rtx-3090" selected>' in tray


def test_compare_link_partial_opens_the_picker_with_the_card_chosen(client, pair):
    from django.template.loader import render_to_string

    html = render_to_string("includes/compare_link.html", {"gpu": pair[0]})
    href = re.search(r'href="([^"]+)"', html)[1].replace("&amp;", "&")
    assert "Compare the NVIDIA GeForce RTX 3090 with another card" in html
    page = _html(client.get(href))
    assert '<option value="nvidia-geforce-rtx-3090" selected>' in page
    assert "you chose only NVIDIA GeForce RTX 3090" in page


@pytest.mark.django_db
def test_compare_shows_local_llm_speed_per_card_with_its_basis(client, loaded_catalog):
    from catalog.models import Gpu

    slugs = ["nvidia-geforce-rtx-3090", "nvidia-geforce-rtx-4060-ti"]
    assert set(Gpu.objects.filter(slug__in=slugs).values_list("slug", flat=True)) == set(slugs)
    html = client.get(reverse("metrics:compare"), {"gpu": slugs}).content.decode()
    section = html[html.index("Local LLMs: decode tokens/s") :]
    assert "Llama 3.1 8B at Q4_K_M" in section
    row_32b = section[section.index("Qwen3 32B at Q4_K_M") :]
    row_32b = row_32b[: row_32b.index("</tr>")]
    # 32B at Q4_K_M (about 19 GiB with its cache) fits the 24 GB 3090, not the 8 GB 4060 Ti.
    assert "estimate" in row_32b and "needs 3 cards" in row_32b
    assert reverse("metrics:llm-model", kwargs={"slug": "llama-3.1-70b"}) in section


@pytest.mark.django_db
def test_compare_names_the_context_a_measured_llm_speed_ran_at(client, loaded_catalog):
    """A measured speed is scaled to the table's context and says from which."""
    slugs = ["nvidia-geforce-rtx-3080", "nvidia-geforce-rtx-3090"]
    html = client.get(reverse("metrics:compare"), {"gpu": slugs}).content.decode()
    section = html[html.index("Local LLMs: decode tokens/s") :]
    row_8b = section[section.index("Llama 3.1 8B at Q4_K_M") :]
    row_8b = row_8b[: row_8b.index("</tr>")]
    assert "LLM-inference-speed-benchmarks/issues/12" in row_8b
    # Both rows at the compare table's 4,096 tokens, each saying where it was measured.
    assert "measured at 128 tokens, shown at 4,096</a>" in row_8b  # the RTX 3080
    assert "measured at 256 tokens, shown at 4,096</a>" in row_8b  # the RTX 3090


def test_pair_page_adds_tokens_per_dollar_only_for_a_model_measured_in_tokens(
    client, pair, make_result, use_case
):
    llm = MlModel.objects.create(
        slug="llama2-70b", name="Llama 2 70B", mlperf_id="llama2-70b", use_case=use_case
    )
    a, b = pair
    make_result(a, llm, 10.0, tokens_per_s=1400.0)
    make_result(b, llm, 20.0, tokens_per_s=1650.0)
    recompute_rankings()
    html = _html(client.get(PAIR))
    assert _cells(html, "Llama 2 70B: samples/s per $1,000") == ["14.3 best", "12.1"]
    assert _cells(html, "Llama 2 70B: tokens/s per $1,000") == ["2,000 best", "1,000"]
    assert "ResNet50-v1.5: tokens/s" not in html


def test_compare_names_each_cards_memory_type_as_text(client, loaded_catalog):
    slugs = ["nvidia-a100-pcie", "nvidia-geforce-rtx-4090"]
    html = _html(client.get(reverse("metrics:compare"), {"gpu": slugs}))
    assert _cells(html, "Memory type") == ["HBM2e", "GDDR6X"]
    assert "$ per Memory type" not in html  # a name, not a spec to divide a price by


@pytest.mark.django_db
def test_compare_columns_say_what_each_card_needs(client, loaded_catalog):
    slugs = ["nvidia-tesla-p40", "nvidia-tesla-v100-sxm2-16gb", "nvidia-geforce-rtx-3090"]
    html = client.get(reverse("metrics:compare"), {"gpu": slugs}).content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert "Passive: needs server airflow or a fan shroud" in head  # the P40
    assert "SXM module: needs an SXM server board" in head  # the V100 SXM2
    assert head.count('data-card-needs="') == 2  # the 3090 needs nothing special
    assert "1x 8-pin CPU (EPS-12V)" in html and ">GPUs on the board<" in html
