"""Own or rent: the ranking of cards by the hours after which buying beats renting, and the same
as data. A card's own section is on its shop and learn pages (metrics.card_views)."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from metrics.export import data_json
from metrics.ownership import (
    DEFAULT_HOURS_PER_DAY,
    DEFAULT_KWH_USD,
    DEFAULT_MONTHS,
    KWH_SOURCE_NOTE,
    KWH_SOURCE_URL,
    PARAMS,
    parse_usage,
    rent_or_buy_table,
)
from metrics.selectors import data_as_of
from metrics.views import _crumbs
from shopagent.cache import cached_page


def usage_form(usage, *, path: str) -> dict:
    """What the rent-or-buy form on the page at `path` shows: the values in use and where the
    defaults come from."""
    return {
        "path": path,
        "usage": usage,
        "hours_per_day": usage.shown("hours_per_day"),
        "kwh_usd": usage.shown("kwh_usd"),
        "months": usage.shown("months"),
        "default_hours_per_day": DEFAULT_HOURS_PER_DAY,
        "default_kwh_usd": DEFAULT_KWH_USD,
        "default_months": DEFAULT_MONTHS,
        "kwh_source_url": KWH_SOURCE_URL,
        "kwh_source_note": KWH_SOURCE_NOTE,
    }


@require_safe
@cached_page(reads=PARAMS)
def rent_or_buy(request):
    """Every card with a cloud rent, ranked by the hours of use after which owning costs less."""
    usage = parse_usage(request.GET)
    context = {
        "table": rent_or_buy_table(usage=usage),
        "form": usage_form(usage, path=request.path),
        "crumbs": _crumbs(("Rent or buy", request.path)),
    }
    return render(request, "metrics/rent_or_buy.html", context)


@require_safe
@cached_page(reads=PARAMS)
def rent_or_buy_json(request):
    """GET ?hours_per_day=8&kwh_usd=0.20&months=24: each card's figures and break-even hours
    (null for never); a value that cannot be used is a 400 with {"error"}."""
    usage = parse_usage(request.GET, api=True)
    if usage.notes:
        return JsonResponse({"error": "; ".join(usage.notes)}, status=400)
    table = rent_or_buy_table(usage=usage)
    body = {
        "hours_per_day": float(usage.hours_per_day),
        "kwh_usd": float(usage.kwh_usd),
        "months": usage.months,
        "cards": [row.as_json() for row in table.rows],
    }
    return data_json(body, as_of=data_as_of())
