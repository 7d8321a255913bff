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
    "condition, auctions, engineering samples and sellers with little feedback left out and one "
    "seller's several listings counted once; listing_count is how many it was made of. 'used' "
    "includes refurbished; 'all' is any condition."
)


def _card(slug: str) -> Gpu:
    return get_object_or_404(Gpu.objects.only("id", "slug", "label"), slug=slug)


@require_safe
@cached_page()
def price_history_csv(request, slug):
    """date, condition, headline_price, listing_count, currency: one row per stored day."""
    gpu = _card(slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{gpu.slug}-price-history.csv"'
    writer = csv.writer(response)
    write_csv_row(writer, ["date", "condition", "headline_price", "listing_count", "currency"])
    for row in export_rows(gpu_id=gpu.pk):
        values = [row["day"].isoformat(), row["scope"], f"{row['headline_price']:.2f}"]
        write_csv_row(writer, [*values, row["listing_count"], settings.EBAY_CURRENCY])
    return response


@require_safe
@cached_page()
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
                    "date": row["day"].isoformat(),
                    "condition": row["scope"],
                    "headline_price": f"{row['headline_price']:.2f}",
                    "listing_count": row["listing_count"],
                }
                for row in export_rows(gpu_id=gpu.pk)
            ],
        }
    )
