"""A month's report from the stored monthly rates: changes, movers, new lows, the summary."""

import pytest
from django.utils import timezone

from metrics.reports.bands import load_market
from metrics.reports.months import month_report, parse_month, published_months
from tests.metrics.reports.conftest import months_ago

pytestmark = pytest.mark.django_db


def _report(month):
    return month_report(month, published=published_months(), market=load_market())


def test_published_months_are_the_finished_ones_newest_first(market):
    assert published_months() == [months_ago(n) for n in (1, 2, 3, 4)]


def test_each_cards_rate_has_its_change_from_the_month_before(market):
    report = _report(months_ago(1))

    rows = {row.slug: row for row in report.cards}
    assert [row.slug for row in report.cards] == ["card-a", "card-b", "card-c"]
    assert round(rows["card-a"].used.change_pct, 1) == -10.0
    assert round(rows["card-b"].used.change_pct, 1) == 10.0
    assert rows["card-a"].new is None
    assert rows["card-c"].new.change_pct is None  # three days of prices: not compared


def test_movers_and_new_lows(market):
    report = _report(months_ago(1))

    assert [(m.slug, m.condition) for m in report.falls] == [("card-a", "used")]
    assert [(m.slug, m.condition) for m in report.rises] == [("card-b", "used")]
    assert [m.slug for m in report.new_lows] == ["card-a"]  # under 900, the lowest before
    assert report.new_lows[0].rate.earlier_low == 900


def test_a_new_low_needs_two_earlier_months(market):
    assert _report(months_ago(3)).new_lows == []  # one month before it
    assert [m.slug for m in _report(months_ago(2)).new_lows] == ["card-a"]


def test_the_summary_counts_what_the_report_shows(market):
    summary = _report(months_ago(1)).summary

    assert (summary.tracked, summary.compared, summary.falling, summary.rising) == (3, 2, 1, 1)
    assert summary.median_change == pytest.approx(0.0)
    assert summary.biggest_fall.slug == "card-a" and summary.biggest_rise.slug == "card-b"
    assert summary.new_lows == 1
    assert summary.best_fp16.slug == "card-b"  # $550 / 120 TFLOPS


def test_the_oldest_month_has_nothing_to_compare_and_links_only_forward(market):
    report = _report(months_ago(4))

    assert report.older is None and report.newer == months_ago(3)
    assert all(row.used is None or row.used.change_pct is None for row in report.cards)
    assert report.falls == report.rises == []


def test_a_month_not_published_has_no_report(market):
    for month in (months_ago(0), months_ago(5), months_ago(-1)):
        assert _report(month) is None


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "0000-01", "26-01", "2026-1", "२०२६-१०", "2026-10-01", ""]
)
def test_only_a_real_yyyy_mm_is_a_month(text):
    assert parse_month(text) is None


def test_a_yyyy_mm_is_its_first_day():
    assert parse_month("2026-02") == timezone.datetime(2026, 2, 1).date()


def test_a_report_reads_its_rates_and_the_cards_names(market, django_assert_num_queries):
    market_data = load_market()
    months = published_months()
    with django_assert_num_queries(2):
        month_report(months_ago(1), published=months, market=market_data)
