"""Demo data comes with a year of plausible prices, so a fresh install shows price charts."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from listings.models import PriceHistory
from metrics.models import DailyPrice, Scope

pytestmark = pytest.mark.django_db


def test_seeding_demo_listings_writes_a_year_of_history_and_daily_prices(
    catalog, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_listings", stdout=out)
    assert "past price observations" in out.getvalue()
    gpu = catalog["nvidia-t4"]
    oldest = PriceHistory.objects.filter(listing__gpu=gpu).order_by("observed_at").first()
    assert oldest.observed_at < timezone.now() - timedelta(days=350)
    days = DailyPrice.objects.filter(gpu=gpu, scope=Scope.USED)
    assert days.count() >= 360  # every day of the year, each from the last weekly observation
    year_ago = days.order_by("day").first().headline_price
    today = days.order_by("day").last().headline_price
    assert year_ago > today  # cards lose value over a year
    html = Client().get(reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})).content.decode()
    assert '<svg class="price-chart"' in html


def test_seeding_twice_keeps_one_years_history(catalog):
    call_command("seed_demo_listings", stdout=StringIO())
    first = PriceHistory.objects.count()
    call_command("seed_demo_listings", stdout=StringIO())
    assert PriceHistory.objects.count() == first


def test_the_demo_year_makes_a_market_report_for_every_past_month(
    catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_listings", stdout=StringIO())

    index = Client().get(reverse("metrics:reports-index")).content.decode()
    months = sorted(set(re.findall(r'href="/ml/shop/reports/(\d{4}-\d{2})/"', index)))
    assert len(months) >= 12
    this_month = f"{timezone.now():%Y-%m}"
    assert this_month not in months
    page = Client().get(reverse("metrics:report-month", kwargs={"month": months[-1]}))
    assert page.status_code == 200
    assert "NVIDIA T4</a></th>" in page.content.decode()
