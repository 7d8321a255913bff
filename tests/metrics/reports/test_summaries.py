"""Stored report summaries (metrics.MonthlySummary): the index and feed read them and show what
the reports work out, they follow the monthly prices, and a month without one is worked out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalog.models import Gpu
from catalog.signals import catalog_changed
from metrics.models import DailyPrice, MonthlyBandPick, MonthlySummary
from metrics.monthly import record_monthly_prices
from metrics.reports.bands import load_market
from metrics.reports.months import month_reports, published_months
from metrics.reports.summaries import month_summaries, record_report_summaries
from tests.metrics.reports.conftest import add_earlier_months, months_ago

pytestmark = pytest.mark.django_db

PAGES = (reverse("metrics:reports-index"), reverse("metrics:reports-feed"))


def _month_pages():
    return [
        reverse("metrics:report-month", kwargs={"month": f"{month:%Y-%m}"})
        for month in published_months()
    ]


def _shown(summaries):
    return [
        render_to_string("metrics/includes/report_summary.html", {"summary": summary})
        for summary in summaries
    ]


def test_a_stored_summary_says_what_the_months_report_works_out(market):
    months = published_months()
    worked_out = [
        report.summary for report in month_reports(months, published=months, market=load_market())
    ]

    assert record_report_summaries() == 5  # this month's too, ready when it is over
    stored = month_summaries(months, published=months)

    assert _shown(stored) == _shown(worked_out)
    assert "The biggest fall: the Card A (used), down 10.0% to $810." in _shown(stored)[0]


def test_every_report_page_is_the_same_with_or_without_stored_summaries(client, market):
    paths = [*PAGES, *_month_pages()]

    def rendered():
        cache.clear()  # each page rendered again, not served from the page cache
        return [client.get(path).content for path in paths]

    worked_out = rendered()
    record_report_summaries()

    assert MonthlyBandPick.objects.filter(summary__month=months_ago(1)).exists()
    assert rendered() == worked_out
    MonthlySummary.objects.filter(month=months_ago(2)).delete()  # one month missing
    assert rendered() == worked_out


def test_a_summary_shows_the_cards_label_as_it_is_now(client, market):
    record_report_summaries()
    market["a"].label = "Card A Renamed"
    market["a"].save()

    feed = client.get(reverse("metrics:reports-feed")).content.decode()

    assert "The biggest fall: the Card A Renamed (used)" in feed


def test_recording_monthly_prices_rewrites_the_summaries(market):
    record_report_summaries()
    last = months_ago(1)
    for offset in range(10):  # card B's used rate last month: $400 a day, a fall from $500
        DailyPrice.objects.create(
            gpu=market["b"],
            scope="used",
            day=last + timedelta(days=offset),
            headline_price=Decimal(400),
            lowest_price=Decimal(380),
            listing_count=5,
            computed_at=timezone.now(),
        )

    record_monthly_prices(first=last, last=last, only_gpu_ids=[market["b"].pk])

    summary = MonthlySummary.objects.get(month=last)
    assert (summary.fall_gpu, summary.fall_price, summary.falling) == (market["b"], 400, 2)


@pytest.mark.parametrize("more_months", [0, 9])  # four months, or a year and more
def test_the_index_and_feed_read_the_same_queries_however_many_months(
    client, market, more_months, django_assert_num_queries
):
    add_earlier_months(market["a"], more_months)
    record_report_summaries()
    # The generation, the months, their summaries; the index asks whether demo listings show.
    with django_assert_num_queries(4):
        assert client.get(PAGES[0]).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(PAGES[1]).status_code == 200


@pytest.mark.parametrize("more_months", [0, 9])  # four months, or a year and more
def test_a_months_page_reads_its_stored_summary_and_two_months_of_rates(
    client, market, more_months, django_assert_num_queries
):
    add_earlier_months(market["a"], more_months)
    record_report_summaries()
    newest = _month_pages()[0]
    # The generation, the months, the summary, its band picks, the month's used and new rates,
    # the month before's, the cards' names, whether demo listings show.
    with django_assert_num_queries(8):
        assert client.get(newest).status_code == 200


def test_a_catalog_change_rewrites_the_stored_bands_and_summaries(
    client, market, django_capture_on_commit_callbacks
):
    record_report_summaries()
    path = _month_pages()[0]
    before = client.get(path).content.decode()
    card_b = market["b"]
    card_b.fp16_tflops = 5000  # card B becomes the best FP16 value by far
    card_b.save()

    with django_capture_on_commit_callbacks(execute=True):
        catalog_changed.send(sender=Gpu, source="admin", gpu_ids=[card_b.pk])

    cache.clear()
    stored = client.get(path).content.decode()
    MonthlySummary.objects.all().delete()
    cache.clear()
    assert stored != before
    assert "the Card B at $0.110 per TFLOPS" in stored
    assert stored == client.get(path).content.decode()  # as worked out from the catalog now
