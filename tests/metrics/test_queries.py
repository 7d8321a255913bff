import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db

# Queries each page may run, whatever the number of cards and listings; each includes the page
# cache's generation, read by primary key, and each HTML page whether demo listings are shown.
MAX_QUERIES = {
    "home": 5,
    "shop-index": 3,
    "rankings-index": 4,
    "use-case-index": 4,
    "cost-per-spec": 3,  # the ranking with its 30-day trends (one query)
    "use-case": 5,
    "data-gpus-json": 5,  # the cards, their MLPerf rows, the cloud offers, the data's as-of time
    "data-gpus-csv": 5,
    "compare": 9,  # the cards, their scores, the picker's choices, the LLM catalogue (three)
    "compare-pair": 10,  # and the pair's two slugs
}


def _urls(slugs, use_case):
    return {
        "home": reverse("metrics:home"),
        "shop-index": reverse("metrics:shop-index") + "?max_budget=90000",
        "rankings-index": reverse("metrics:rankings-index"),
        "use-case-index": reverse("metrics:use-case-index"),
        "cost-per-spec": reverse("metrics:cost-per-spec", args=["fp16-flops"])
        + "?condition=used&software=first-class",
        "use-case": reverse("metrics:use-case", args=[use_case.slug])
        + "?min_memory=1&software=first-class",
        "compare": reverse("metrics:compare") + "?" + "&".join(f"gpu={s}" for s in slugs[:5]),
        "data-gpus-json": reverse("metrics:data-gpus-json"),
        "data-gpus-csv": reverse("metrics:data-gpus-csv"),
        "compare-pair": reverse("metrics:compare-pair", args=[f"{slugs[0]}-vs-{slugs[1]}"]),
    }


def _build(n_cards, make_gpu, make_listing, make_result, resnet):
    slugs = []
    for n in range(n_cards):
        gpu = make_gpu(f"card-{n:02d}", label=f"Card {n:02d}", ml_software="first-class")
        slugs.append(gpu.slug)
        for price in range(3):
            make_listing(gpu, 1000 + 10 * n + price, condition_kind=["new", "used"][price % 2])
        make_result(gpu, resnet, 1000.0 + n)
    recompute_rankings()
    return slugs


def _counts(client, urls):
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.mark.parametrize("n_cards", [3, 30])
def test_pages_run_a_fixed_number_of_queries(
    client, n_cards, make_gpu, make_listing, make_result, resnet, django_assert_max_num_queries
):
    slugs = _build(n_cards, make_gpu, make_listing, make_result, resnet)
    for name, url in _urls(slugs, resnet.use_case).items():
        with django_assert_max_num_queries(MAX_QUERIES[name]):
            html = client.get(url).content.decode()
        assert "Card 00" in html or name in {"rankings-index", "use-case-index"}


def test_query_counts_do_not_grow_with_cards(
    client, make_gpu, make_listing, make_result, resnet, settings
):
    settings.CACHE_PAGE_SECONDS = 0
    few = _counts(
        client, _urls(_build(3, make_gpu, make_listing, make_result, resnet), resnet.use_case)
    )
    many_slugs = [f"card-{n:02d}" for n in range(30)]
    for n in range(3, 30):
        gpu = make_gpu(f"card-{n:02d}", label=f"Card {n:02d}", ml_software="first-class")
        make_listing(gpu, 2000 + n)
        make_result(gpu, resnet, 500.0 + n)
    recompute_rankings()
    many = _counts(client, _urls(many_slugs, resnet.use_case))
    assert many == few
