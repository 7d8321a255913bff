from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command

from catalog.models import MlModel, UseCase
from metrics.models import CardPrice, UseCaseScore
from metrics.ranking import (
    best_valid,
    card_prices,
    going_rates,
    looser_targets,
    one_per_seller,
    per_dollar,
    recompute_rankings,
    round_key,
    seller_positions,
)


def test_headline_price_is_the_median_of_the_five_cheapest():
    prices = np.array([900.0, 100.0, 300.0, 500.0, 700.0, 200.0, 50_000.0])
    result = card_prices(card_index=np.zeros(7, dtype=int), prices=prices, n_cards=1)
    # Five cheapest: 100, 200, 300, 500, 700 -> median 300.
    assert result.headline[0] == 300.0
    assert result.lowest[0] == 100.0
    assert result.count[0] == 7


def test_headline_price_with_fewer_than_five_listings_is_their_median():
    result = card_prices(
        card_index=np.array([0, 0, 1, 1, 1, 1]),
        prices=np.array([400.0, 600.0, 10.0, 40.0, 20.0, 30.0]),
        n_cards=3,
    )
    assert result.headline[0] == 500.0
    assert result.headline[1] == 25.0
    assert np.isnan(result.headline[2]) and result.count[2] == 0


def test_one_scam_listing_and_one_absurd_listing_barely_move_the_headline_price():
    honest = np.array([1000.0, 1010.0, 1020.0, 1030.0, 1040.0, 1050.0])
    with_outliers = np.concatenate([honest, [1.0, 99_999.0]])
    before = card_prices(card_index=np.zeros(6, dtype=int), prices=honest, n_cards=1)
    after = card_prices(card_index=np.zeros(8, dtype=int), prices=with_outliers, n_cards=1)
    assert before.headline[0] == 1020.0
    assert after.headline[0] == 1010.0
    assert abs(after.headline[0] - before.headline[0]) / before.headline[0] < 0.01
    # A plain lowest price would have fallen to $1.
    assert after.lowest[0] == 1.0


def test_a_sellers_listings_of_a_card_count_once_at_their_median():
    group, prices = one_per_seller(
        group=np.array([0, 0, 0, 0, 1, 1]),
        seller=np.array([7, 7, 7, -1, 7, -1]),
        prices=np.array([700.0, 700.0, 900.0, 1000.0, 50.0, 60.0]),
    )
    # Card 0: seller 7's three at their median, $700, and the unknown seller's $1,000; seller 7's
    # listing of card 1 is its own offer there.
    assert sorted(zip(group.tolist(), prices.tolist(), strict=True)) == [
        (0, 700.0),
        (0, 1000.0),
        (1, 50.0),
        (1, 60.0),
    ]


def test_going_rates_count_listed_price_the_unflagged_and_quote_the_cheapest():
    rates = going_rates(
        card_index=np.zeros(9, dtype=int),
        prices=np.array([1000.0, 1010, 1020, 1030, 1040, 300, 400, 700, 700]),
        seller=seller_positions(["a", "b", "c", "d", "e", "", "", "z", "z"]),
        priced=np.array([True] * 5 + [False, False, True, True]),  # a bid, a sample, a batch
        n_cards=1,
    )
    assert (rates.listed[0], rates.priced[0]) == (9, 7)
    assert (rates.headline[0], rates.lowest[0]) == (1010.0, 700.0)


def test_seed_worked_example_samples_per_dollar():
    per, cost = per_dollar(throughput=np.array([12881.7]), prices=np.array([5000.0]))
    assert per[0] == pytest.approx(2.57634)
    assert cost[0] == pytest.approx(5000 / 12881.7)


def test_best_result_wins_whatever_its_round_and_a_tie_goes_to_the_newer_round():
    chosen = best_valid(
        card_index=np.array([0, 0, 0, 0, 1, 1]),
        model_index=np.array([0, 0, 0, 1, 0, 0]),
        round_key=np.array([3001.0, 4001.0, 4001.0, 3000.0, 4000.0, 5000.0]),
        throughput=np.array([9999.0, 100.0, 120.0, 7.0, 1.0, 1.0]),
    )
    assert sorted(chosen.tolist()) == [0, 3, 5]


def test_a_99_9_benchmark_also_meets_its_99_twin():
    ids = {1: "gptj-99", 2: "gptj-99.9", 3: "3d-unet-99.9", 4: "resnet50", 5: "llama2-70b-99.9"}
    assert looser_targets(ids) == {2: 1}


def test_round_labels_sort_by_version_not_text():
    assert round_key("MLPerf Inference v10.0") > round_key("MLPerf Inference v9.1")
    assert round_key("v4.1") > round_key("MLPerf Inference v4.0")
    assert round_key("preview") == -1


def _slow_headline(prices, k=5):
    cheapest = sorted(prices)[:k]
    return float(np.median(cheapest)) if cheapest else float("nan")


def test_twenty_thousand_listings_match_a_slow_reference():
    rng = np.random.default_rng(7)
    n_cards, n_listings = 120, 20_000
    card_index = rng.integers(0, n_cards - 3, size=n_listings)  # the last cards have no listing
    prices = np.round(rng.lognormal(7, 1, size=n_listings), 2)
    result = card_prices(card_index=card_index, prices=prices, n_cards=n_cards)
    for card in [0, 1, 5, 50, n_cards - 4, n_cards - 1]:
        mine = prices[card_index == card]
        assert result.count[card] == mine.size
        if mine.size:
            assert result.headline[card] == pytest.approx(_slow_headline(mine.tolist()))
            assert result.lowest[card] == mine.min()
        else:
            assert np.isnan(result.headline[card])


@pytest.mark.django_db
def test_recompute_stores_prices_split_by_new_and_used(make_gpu, make_listing):
    gpu = make_gpu("nvidia-l4", fp32_tflops=30.3, memory_gb=24)
    for price in [5000, 5100, 5200]:
        make_listing(gpu, price, condition_kind="new")
    for price, kind in [(2000, "used"), (2100, "refurbished"), (50, "parts")]:
        make_listing(gpu, price, condition_kind=kind)
    make_listing(gpu, 10, condition_kind="used", verdict="drop")
    make_listing(gpu, 20, condition_kind="used", excluded_by_admin=True)
    make_listing(gpu, 30, condition_kind="used", is_active=False)

    report = recompute_rankings()

    prices = {p.scope: p for p in CardPrice.objects.filter(gpu=gpu)}
    assert report.listings == 6
    assert prices["new"].headline_price == Decimal("5100.00")
    assert prices["new"].listing_count == 3
    assert prices["used"].headline_price == Decimal("2050.00")
    assert prices["used"].lowest_price == Decimal("2000.00")
    # Any condition: 50, 2000, 2100, 5000, 5100 -> 2100.
    assert prices["all"].headline_price == Decimal("2100.00")
    assert prices["all"].listing_count == 6
    assert prices["all"].dollars_per_memory_gb == pytest.approx(2100 / 24)
    assert prices["all"].dollars_per_fp32_tflops == pytest.approx(2100 / 30.3)
    assert prices["all"].dollars_per_fp8_tflops is None


@pytest.mark.django_db
def test_recompute_reproduces_the_seed_example(make_gpu, make_listing, resnet, make_result):
    gpu = make_gpu("nvidia-l4")
    for price in [4000, 4500, 5000, 5500, 6000, 9000]:
        make_listing(gpu, price)
    make_result(gpu, resnet, 12881.7)

    recompute_rankings()

    score = UseCaseScore.objects.get(gpu=gpu, model=resnet, scope="all")
    assert score.headline_price == Decimal("5000.00")
    assert score.samples_per_dollar == pytest.approx(2.57634)
    assert score.dollars_per_sample == pytest.approx(5000 / 12881.7)
    assert score.round == "MLPerf Inference v3.1"


@pytest.mark.django_db
def test_recompute_picks_the_best_valid_result_of_any_round(
    make_gpu, make_listing, resnet, make_result
):
    gpu = make_gpu("nvidia-a100-pcie")
    make_listing(gpu, 1000)
    make_result(gpu, resnet, 40000, round="MLPerf Inference v3.1", system_id="tuned")
    make_result(gpu, resnet, 30000, round="MLPerf Inference v4.1", system_id="slow")
    make_result(gpu, resnet, 35000, round="MLPerf Inference v4.1", system_id="fast")
    make_result(gpu, resnet, 99999, round="MLPerf Inference v5.0", accelerator_count=8)
    make_result(gpu, resnet, 88888, round="MLPerf Inference v5.0", scenario="Server")

    recompute_rankings()

    score = UseCaseScore.objects.get(gpu=gpu, model=resnet, scope="all")
    assert score.round == "MLPerf Inference v3.1"
    assert score.samples_per_s == 40000
    assert score.samples_per_dollar == pytest.approx(40.0)
    assert score.run_benchmark == "resnet50"


@pytest.mark.django_db
def test_reference_code_run_in_a_newer_round_loses_to_an_older_optimised_run(
    make_gpu, make_listing, make_result, use_case
):
    retinanet = MlModel.objects.create(
        slug="retinanet", name="RetinaNet", mlperf_id="retinanet", use_case=use_case
    )
    gpu = make_gpu("nvidia-geforce-rtx-4090")
    make_listing(gpu, 2000)
    make_result(gpu, retinanet, 872.0, round="MLPerf Inference v4.1", framework="TensorRT")
    make_result(gpu, retinanet, 76.0, round="MLPerf Inference v5.1", framework="reference code")

    recompute_rankings()

    score = UseCaseScore.objects.get(gpu=gpu, model=retinanet, scope="all")
    assert (score.samples_per_s, score.round) == (872.0, "MLPerf Inference v4.1")
    assert score.source_url.endswith("/v4.1/log.txt")


@pytest.mark.django_db
def test_a_faster_99_9_run_counts_for_the_99_target_and_a_slower_one_does_not(
    make_gpu, make_listing, make_result
):
    gptj_99 = MlModel.objects.create(slug="gptj-99", name="GPT-J (99%)", mlperf_id="gptj-99")
    gptj_999 = MlModel.objects.create(slug="gptj-99-9", name="GPT-J (99.9%)", mlperf_id="gptj-99.9")
    h100, l4 = make_gpu("nvidia-h100-pcie"), make_gpu("nvidia-l4")
    make_listing(h100, 25000)
    make_listing(l4, 2500)
    make_result(h100, gptj_99, 13.0, round="MLPerf Inference v4.1")
    make_result(h100, gptj_999, 31.0, round="MLPerf Inference v4.0")
    make_result(l4, gptj_99, 2.0, round="MLPerf Inference v4.1")
    make_result(l4, gptj_999, 1.5, round="MLPerf Inference v4.1")

    recompute_rankings()

    h100_99 = UseCaseScore.objects.get(gpu=h100, model=gptj_99, scope="all")
    assert (h100_99.samples_per_s, h100_99.round) == (31.0, "MLPerf Inference v4.0")
    assert h100_99.run_benchmark == "gptj-99.9"
    assert h100_99.samples_per_dollar == pytest.approx(31.0 / 25000)
    assert UseCaseScore.objects.get(gpu=h100, model=gptj_999, scope="all").samples_per_s == 31.0
    l4_99 = UseCaseScore.objects.get(gpu=l4, model=gptj_99, scope="all")
    assert (l4_99.samples_per_s, l4_99.run_benchmark) == (2.0, "gptj-99")
    # A 99% run never stands in for the stricter target.
    assert UseCaseScore.objects.get(gpu=l4, model=gptj_999, scope="all").samples_per_s == 1.5


@pytest.mark.django_db
def test_card_without_listings_or_spec_is_no_data_not_zero(
    make_gpu, make_listing, resnet, make_result
):
    unpriced = make_gpu("nvidia-h100-pcie")
    no_fp8 = make_gpu("nvidia-t4", fp8_tflops=None)
    make_listing(no_fp8, 700)
    make_result(unpriced, resnet, 50000)

    recompute_rankings()

    assert not CardPrice.objects.filter(gpu=unpriced).exists()
    assert CardPrice.objects.get(gpu=no_fp8, scope="all").dollars_per_fp8_tflops is None
    assert not CardPrice.objects.filter(gpu=no_fp8, scope="new").exists()
    score = UseCaseScore.objects.get(gpu=unpriced, scope="all")
    assert score.samples_per_dollar is None and score.headline_price is None


@pytest.mark.django_db
def test_recompute_command_reports_and_dry_run_stores_nothing(make_gpu, make_listing):
    make_listing(make_gpu("nvidia-a10"), 1500)
    from io import StringIO

    out = StringIO()
    call_command("recompute_rankings", "--dry-run", stdout=out)
    assert "Would store 2 card prices" in out.getvalue()
    assert not CardPrice.objects.exists()
    call_command("recompute_rankings", stdout=out)
    assert CardPrice.objects.count() == 2


@pytest.fixture
def llama(db):
    llm = UseCase.objects.create(
        slug="large-language-model", area="Language", task="LLM", metric="tokens/s"
    )
    return MlModel.objects.create(
        slug="llama2-70b-99", name="Llama 2 70B", mlperf_id="llama2-70b-99", use_case=llm
    )


@pytest.mark.django_db
def test_an_llm_card_is_scored_by_its_run_with_the_most_tokens_per_second(
    make_gpu, make_listing, make_result, llama
):
    b200 = make_gpu("nvidia-b200")
    make_listing(b200, 40000)
    # More samples/s but shorter answers: fewer tokens/s, MLPerf's LLM metric.
    make_result(b200, llama, 40.0, tokens_per_s=10960.0, round="MLPerf Inference v4.1")
    make_result(b200, llama, 39.0, tokens_per_s=11388.0, round="MLPerf Inference v5.0")

    recompute_rankings()

    score = UseCaseScore.objects.get(gpu=b200, model=llama, scope="all")
    assert (score.tokens_per_s, score.round) == (11388.0, "MLPerf Inference v5.0")
    assert score.tokens_per_dollar == pytest.approx(11388.0 / 40000)
    assert score.dollars_per_token == pytest.approx(40000 / 11388.0)


@pytest.mark.django_db
def test_a_shipping_run_beats_a_faster_preview_run_which_counts_only_when_alone(
    make_gpu, make_listing, make_result, resnet
):
    gh200, b200 = make_gpu("nvidia-gh200-144gb"), make_gpu("nvidia-b200")
    make_listing(gh200, 30000)
    make_listing(b200, 40000)
    make_result(gh200, resnet, 53611.9, availability="preview", system_id="hpe")
    make_result(gh200, resnet, 53420.6, availability="available", system_id="nvidia")
    make_result(b200, resnet, 90000.0, availability="preview", notes="Private code")

    recompute_rankings()

    gh200_score = UseCaseScore.objects.get(gpu=gh200, scope="all")
    assert (gh200_score.samples_per_s, gh200_score.is_preview) == (53420.6, False)
    b200_score = UseCaseScore.objects.get(gpu=b200, scope="all")
    assert (b200_score.samples_per_s, b200_score.is_preview) == (90000.0, True)
    assert b200_score.notes == "Private code"


def test_a_preview_run_with_tokens_per_second_beats_a_shipping_run_without():
    chosen = best_valid(
        card_index=np.array([0, 0]),
        model_index=np.array([0, 0]),
        round_key=np.array([4000.0, 4001.0]),
        throughput=np.array([np.nan, 2632.76]),
        preview=np.array([False, True]),
    )
    assert chosen.tolist() == [1]
