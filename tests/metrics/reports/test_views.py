"""The report pages and feed: every month linked, each month's figures, 404s for months that
have no report, the Atom feed and the sitemap."""

import html as html_lib
import re
from datetime import date
from xml.etree import ElementTree

import feedparser
import pytest
from django.urls import reverse

from tests.factories import make_month
from tests.metrics.reports.conftest import add_earlier_months, months_ago
from tests.sitemap import sitemap_text

pytestmark = pytest.mark.django_db


def _path(month):
    return reverse("metrics:report-month", kwargs={"month": f"{month:%Y-%m}"})


def _head(html, pattern):
    found = re.search(pattern, html)
    assert found, pattern
    return found[1]


def test_the_index_links_every_finished_month_newest_first(client, market):
    html = client.get(reverse("metrics:reports-index")).content.decode()

    linked = re.findall(r'href="/ml/shop/reports/(\d{4}-\d{2})/"', html)
    assert list(dict.fromkeys(linked)) == [f"{months_ago(n):%Y-%m}" for n in (1, 2, 3, 4)]
    assert f"In {months_ago(1):%B %Y} we tracked the eBay going rates of 3 cards." in html


def test_the_shop_pages_link_the_reports(client, market):
    pages = [reverse("metrics:shop-index"), reverse("metrics:shop-gpu", args=[market["a"].slug])]
    for path in pages:
        html = client.get(path).content.decode()
        assert f'href="{reverse("metrics:reports-index")}"' in html, path


def test_the_index_without_a_finished_month_says_when_the_first_comes(client, db):
    html = client.get(reverse("metrics:reports-index")).content.decode()

    assert "the first report appears once a month of prices is over" in html


def test_a_months_page_shows_rates_changes_movers_lows_and_its_summary(client, market):
    html = client.get(_path(months_ago(1))).content.decode()

    assert f"<h1>GPU market report, {months_ago(1):%B %Y}</h1>" in html
    assert "Card A</a> (used): $900 → $810, −10.0%" in html  # biggest fall
    assert "Card B</a> (used): $500 → $550, +10.0%" in html  # biggest rise
    assert "earlier low $900" in html
    assert "The biggest fall: the Card A (used), down 10.0% to $810." in html
    assert "1 card reached a new low" in html
    card_c = html[html.index(">Card C</a></th>") :]
    assert "$3,000" in card_c[:400] and "—" in card_c[:400]  # a short month: no change shown
    assert f'href="{_path(months_ago(2))}"' in html  # the month before


@pytest.mark.parametrize(
    "path",
    [
        reverse("metrics:reports-index"),
        _path(months_ago(1)),
        _path(date(2025, 9, 1)),
        "/ml/alerts/",
    ],
)
def test_report_and_alert_pages_fit_search_result_limits_and_are_canonical(client, market, path):
    make_month(market["a"], date(2025, 9, 1), "used", 1500)  # the longest month name
    html = client.get(path).content.decode()

    assert len(html_lib.unescape(_head(html, r"<title>(.*?)</title>"))) <= 70
    description = html_lib.unescape(_head(html, r'<meta name="description" content="(.*?)">'))
    assert 50 <= len(description) <= 160
    assert f'<link rel="canonical" href="https://shopagent.test{path}">' in html


@pytest.mark.parametrize("n", [0, 5, -1, -120])
def test_an_unfinished_unknown_or_future_month_is_a_404(client, market, n):
    assert client.get(_path(months_ago(n))).status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "x", "２０２６-１０", "0000-00", "9" * 400])
def test_a_malformed_month_is_a_404(client, market, month):
    assert client.get(f"/ml/shop/reports/{month}/").status_code == 404


@pytest.mark.parametrize("more_months", [0, 9])  # four months, or a year and more
def test_a_months_page_with_no_stored_summary_reads_the_same_queries_however_many_months(
    client, market, more_months, django_assert_num_queries
):
    add_earlier_months(market["a"], more_months)
    # The generation, the months, no stored summary, the bands' cards (three), the month's
    # rates with their earlier lows, the cards' names, whether demo listings show.
    with django_assert_num_queries(9):
        assert client.get(_path(months_ago(1))).status_code == 200


def test_the_feed_has_a_report_a_month_with_absolute_links(client, market):
    response = client.get(reverse("metrics:reports-feed"))

    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert [entry.title for entry in feed.entries] == [
        f"GPU market report, {months_ago(n):%B %Y}" for n in (1, 2, 3, 4)
    ]
    assert feed.entries[0].link == f"https://shopagent.test{_path(months_ago(1))}"
    assert "The biggest fall: the Card A (used)" in feed.entries[0].summary
    assert feed.feed.link == "https://shopagent.test/ml/shop/reports/"


def test_the_feed_strips_characters_xml_cannot_carry(client, market):
    market["a"].label = "Card\x0b A\x1f"  # PostgreSQL stores both, XML 1.0 carries neither
    market["a"].save()

    response = client.get(reverse("metrics:reports-feed"))

    ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    assert (
        "The biggest fall: the Card A (used)"
        in feedparser.parse(response.content).entries[0].summary
    )


def test_the_sitemap_lists_the_index_every_month_and_the_alerts_page(client, market):
    xml = sitemap_text(client)

    assert "<loc>https://shopagent.test/ml/shop/reports/</loc>" in xml
    for n in (1, 2, 3, 4):
        assert f"<loc>https://shopagent.test{_path(months_ago(n))}</loc>" in xml
    assert f"https://shopagent.test{_path(months_ago(0))}" not in xml
    assert "<loc>https://shopagent.test/ml/alerts/</loc>" in xml


def test_the_index_and_the_feed_read_a_fixed_number_of_queries_with_no_stored_summary(
    client, market, django_assert_max_num_queries
):
    # No summary stored yet (a deploy before the first price-history run): two queries read
    # every month the feed shows, however many, not two a month.
    add_earlier_months(market["a"], 9)
    for path in (reverse("metrics:reports-index"), reverse("metrics:reports-feed")):
        with django_assert_max_num_queries(10):
            assert client.get(path).status_code == 200
