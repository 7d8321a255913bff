"""Price-history charts on shop and learn pages, the deals feeds and the history downloads."""

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import feedparser
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.models import DailyPrice, Scope
from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return Client()


def _history(gpu, prices, scope=Scope.USED):
    """One DailyPrice per price, the last one today."""
    today = timezone.localdate()
    for n, price in enumerate(reversed(prices)):
        DailyPrice.objects.create(
            gpu=gpu,
            scope=scope,
            day=today - timedelta(days=n),
            headline_price=Decimal(price),
            lowest_price=Decimal(price),
            listing_count=3 + n,
            computed_at=timezone.now(),
        )


@pytest.fixture
def charted(make_gpu):
    gpu = make_gpu("nvidia-l4", label="NVIDIA L4")
    _history(gpu, ["1000", "1100", "900", "950"])
    _history(gpu, ["2000", "2000"], scope=Scope.NEW)
    return gpu


def _svg(html):
    match = re.search(r"<svg class=\"price-chart\".*?</svg>", html, re.S)
    assert match, "no price chart"
    return match.group(0)


@pytest.mark.parametrize("page", ["metrics:shop-gpu", "metrics:learn-gpu"])
def test_shop_and_learn_pages_draw_an_accessible_svg_chart(web, charted, page):
    html = web.get(reverse(page, kwargs={"slug": charted.slug})).content.decode()
    svg = _svg(html)
    assert 'role="img"' in svg and 'aria-labelledby="price-chart-title price-chart-desc"' in svg
    assert '<title id="price-chart-title">Daily headline price of the NVIDIA L4' in svg
    assert svg.count("<polyline") == 2  # used and new
    assert " style=" not in svg  # the CSP allows no inline styles
    summary = html.split("<figcaption>")[1]
    assert "lowest $900.00" in summary and "highest $1,100.00" in summary
    assert "down 5% from $1,000.00" in summary  # 1,000 -> 950


def test_the_chart_axis_puts_dates_at_both_ends_and_prices_at_the_plots_edge(web, charted):
    url = reverse("metrics:shop-gpu", kwargs={"slug": charted.slug})
    svg = _svg(web.get(url, {"history": "30"}).content.decode())
    today = timezone.localdate()
    first = today - timedelta(days=29)
    assert f'text-anchor="start">{first:%b} {first.day}</text>' in svg
    assert f'text-anchor="end">{today:%b} {today.day}</text>' in svg
    # Prices 900 to 2,000 padded by a tenth of their range: ticks 2,110 down to 790.
    assert re.findall(r'text-anchor="end">(\$[^<]+)</text>', svg)[:4] == [
        "$2.1k",
        "$1.7k",
        "$1.2k",
        "$790",
    ]


def test_the_period_is_chosen_by_link_and_a_bad_one_is_ignored_with_a_note(web, charted):
    url = reverse("metrics:shop-gpu", kwargs={"slug": charted.slug})
    html = web.get(url, {"history": "30"}).content.decode()
    assert 'href="?history=30#price-history" aria-current="true"' in html
    bad = web.get(url, {"history": "7; drop"})
    assert bad.status_code == 200
    assert "Ignored history=7; drop: choose 30, 90 or 365 days." in bad.content.decode()


def test_older_days_fall_outside_a_30_day_chart(web, charted):
    DailyPrice.objects.create(
        gpu=charted,
        scope=Scope.USED,
        day=timezone.localdate() - timedelta(days=60),
        headline_price=Decimal("5000"),
        lowest_price=Decimal("5000"),
        listing_count=1,
        computed_at=timezone.now(),
    )
    url = reverse("metrics:shop-gpu", kwargs={"slug": charted.slug})
    assert "highest $5,000.00" in web.get(url, {"history": "90"}).content.decode()
    assert "highest $5,000.00" not in web.get(url, {"history": "30"}).content.decode()


def test_a_card_without_history_says_so(web, make_gpu):
    gpu = make_gpu("nvidia-t4")
    html = web.get(reverse("metrics:learn-gpu", kwargs={"slug": gpu.slug})).content.decode()
    assert "No price history recorded for the" in html
    assert '<svg class="price-chart"' not in html


def test_history_downloads_as_csv_and_json(web, charted):
    response = web.get(reverse("metrics:price-history-csv", kwargs={"slug": charted.slug}))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0].keys() == {"date", "condition", "headline_price", "listing_count", "currency"}
    assert len(rows) == 6
    assert rows[-1]["condition"] == "used" and rows[-1]["headline_price"] == "950.00"
    data = json.loads(
        web.get(reverse("metrics:price-history-json", kwargs={"slug": charted.slug})).content
    )
    assert data["card"]["slug"] == charted.slug
    assert "median of the five cheapest landed prices" in data["basis"]
    assert data["rows"][-1] == {
        "date": timezone.localdate().isoformat(),
        "condition": "used",
        "headline_price": 950.0,  # a number, not a string
        "listing_count": 3,
    }
    assert web.get("/ml/data/gpu/no-such-card/price-history.csv").status_code == 404


@pytest.fixture
def deals(make_gpu, make_listing):
    gpu = make_gpu("nvidia-l40s", label="NVIDIA L40S")
    for price in ("1000", "1000", "1000", "1000", "1000"):
        make_listing(gpu, price)
    cheap = make_listing(gpu, "800")
    make_listing(gpu, "990")  # 1% under: ordinary spread, no deal
    make_listing(gpu, "500", is_auction=True, is_buy_now=False)  # a bid, never a deal
    other = make_gpu("nvidia-a10", label="NVIDIA A10")
    for price in ("700", "700", "700", "400"):
        make_listing(other, price)
    recompute_rankings()
    return gpu, cheap


def test_the_deals_feeds_are_valid_atom_with_stable_ids(web, deals):
    gpu, cheap = deals
    response = web.get(reverse("metrics:gpu-deals-feed", kwargs={"slug": gpu.slug}))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == [
        "NVIDIA L40S (used) at $800.00 per card: 20% below the used going rate"
    ]
    entry = feed.entries[0]
    assert entry.id.startswith("tag:") and entry.id.endswith(f":deal/{cheap.pk}")
    assert entry.link.endswith(f"/ml/shop/gpu/{gpu.slug}/?sort=deal")
    again = feedparser.parse(web.get(reverse("metrics:deals-feed")).content)
    assert not again.bozo
    assert len(again.entries) == 2  # one deal per card
    assert entry.id in {e.id for e in again.entries}


def test_a_feed_is_sent_in_one_piece(web, deals):
    """A WSGI server sends each piece of a response on its own: a feed written an XML fragment
    at a time took some 1,400 sends for the deals feed."""
    for url in (reverse("metrics:deals-feed"), reverse("metrics:reports-feed")):
        response = web.get(url)
        assert response.status_code == 200
        assert len([piece for piece in response if piece]) == 1, url


def test_pages_link_their_feeds(web, deals):
    gpu, _ = deals
    html = web.get(reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})).content.decode()
    feed_path = reverse("metrics:gpu-deals-feed", kwargs={"slug": gpu.slug})
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New deals on the NVIDIA L40S"'
        f' href="{feed_path}">' in html
    )
    index = web.get(reverse("metrics:shop-index")).content.decode()
    assert 'type="application/atom+xml"' in index


def test_a_card_slug_never_shadows_the_feed(web, make_gpu):
    for slug in ("compare", "performance", "deals"):
        gpu = make_gpu(slug)
        response = web.get(f"/ml/shop/gpu/{gpu.slug}/deals.atom")
        assert response.status_code == 200
        assert not feedparser.parse(response.content).bozo
    assert web.get("/ml/shop/gpu/no-such-card/deals.atom").status_code == 404


def test_ranking_rows_show_each_cards_30_day_trend(web, make_gpu, make_listing):
    gpu = make_gpu("nvidia-l4", label="NVIDIA L4")
    for price in ("900", "900", "900"):
        make_listing(gpu, price)
    recompute_rankings()
    _history(gpu, ["1000", "950", "900"])
    _history(gpu, ["1000", "950", "900"], scope=Scope.ALL)
    html = web.get(reverse("metrics:cost-per-spec", args=["fp32-flops"])).content.decode()
    row = html.split("/ml/learn/gpu/nvidia-l4/")[1].split("</tr>")[0]
    assert "▼10%" in row
    assert "(down 10% since" in row  # the words a screen reader reads


def test_a_cached_history_download_keeps_its_file_name(web, charted):
    url = reverse("metrics:price-history-csv", kwargs={"slug": charted.slug})
    first, again = web.get(url), web.get(url)
    assert again.content == first.content
    for response in (first, again):
        assert response["Content-Disposition"] == (
            f'inline; filename="{charted.slug}-price-history.csv"'
        )
        assert response["Content-Type"].startswith("text/csv")
