"""Downloads of a card's daily headline prices: our derived figures only, as CSV and JSON."""

import csv

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.models import Gpu
from metrics.export import write_csv_row
from metrics.history import export_rows
from shopagent.cache import cached_page

BASIS = (
    "Daily headline price per card: the median of the five cheapest landed prices (item price "
    "plus stated shipping, per card in a lot) of the card's screened eBay listings in that "
    "condition, auctions left out. 'used' includes refurbished; 'all' is any condition."
)


def _card(slug: str) -> Gpu:
    return get_object_or_404(Gpu.objects.only("id", "slug", "label"), slug=slug)


@require_safe
@cached_page
def price_history_csv(request, slug):
    """date, condition, headline_price, listing_count, currency: one row per stored day."""
    gpu = _card(slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{gpu.slug}-price-history.csv"'
    writer = csv.writer(response)
    write_csv_row(writer, ["date", "condition", "headline_price", "listing_count", "currency"])
    for day, scope, price, count in export_rows(gpu_id=gpu.pk):
        row = [day.isoformat(), scope, f"{price:.2f}", count, settings.EBAY_CURRENCY]
        write_csv_row(writer, row)
    return response


@require_safe
@cached_page
def price_history_json(request, slug):
    """The same rows as the CSV, with the card, basis and source."""
    gpu = _card(slug)
    return JsonResponse(
        {
            "card": {"slug": gpu.slug, "label": gpu.label},
            "currency": settings.EBAY_CURRENCY,
            "basis": BASIS,
            "source": settings.SITE_URL + reverse("catalog:methodology") + "#price-history",
            "rows": [
                {
                    "date": day.isoformat(),
                    "condition": scope,
                    "headline_price": f"{price:.2f}",
                    "listing_count": count,
                }
                for day, scope, price, count in export_rows(gpu_id=gpu.pk)
            ],
        }
    )
