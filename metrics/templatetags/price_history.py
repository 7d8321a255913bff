"""The price-history chart any page can show for a card: `{% price_history_chart gpu %}`.

A template tag, so catalog's learn page and listings' shop page show metrics' stored history
without importing metrics (data flows catalog -> listings -> metrics -> pages).
"""

from django import template
from django.conf import settings
from django.urls import reverse

from metrics.charts import price_chart
from metrics.history import PERIODS, parse_period, price_history, today_utc
from shopagent.cache import at_generation

register = template.Library()


@register.inclusion_tag("metrics/includes/price_history.html", takes_context=True)
def price_history_chart(context, gpu):
    """The card's daily used and new headline prices over ?history=30|90|365 days (one query,
    once per page generation)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    days, note = parse_period(query.get("history") if query is not None else None)
    today = today_utc()
    chart = at_generation(
        "price-chart",
        gpu.pk,
        days,
        today,
        compute=lambda: price_chart(
            series=price_history(gpu_id=gpu.pk, days=days, today=today),
            days=days,
            today=today,
            currency=settings.EBAY_CURRENCY,
        ),
    )
    periods = []
    for n in PERIODS:
        if query is not None:
            query["history"] = str(n)
            periods.append((n, query.urlencode(), n == days))
        else:
            periods.append((n, f"history={n}", n == days))
    return {
        "gpu": gpu,
        "chart": chart,
        "days": days,
        "note": note,
        "periods": periods,
        "csv_url": reverse("metrics:price-history-csv", kwargs={"slug": gpu.slug}),
        "json_url": reverse("metrics:price-history-json", kwargs={"slug": gpu.slug}),
    }
