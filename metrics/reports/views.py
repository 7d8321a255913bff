"""/ml/shop/reports/: every month's market report, each month's page and the Atom feed."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.presentation import site_title
from metrics.reports.bands import load_market
from metrics.reports.months import month_report, parse_month, published_months
from metrics.reports.summaries import month_summaries, stored_month_report
from metrics.views import _crumbs
from shopagent.cache import cached_page


def _trail(*more):
    return _crumbs(
        ("Shop", reverse("metrics:shop-index")),
        ("Market reports", reverse("metrics:reports-index")),
        *more,
    )


@require_safe
@cached_page()
def reports_index(request):
    """Every published month, newest first, with the latest report's summary."""
    months = published_months()
    latest = next(iter(month_summaries(months[:1], published=months)), None)
    years: dict[int, list] = {}
    for month in months:
        years.setdefault(month.year, []).append(month)
    context = {"years": years, "latest": latest, "crumbs": _trail()}
    return render(request, "metrics/report_index.html", context)


@require_safe
@cached_page()
def report_month(request, month):
    """One month's report; a malformed, unknown or unfinished month is a 404."""
    chosen = parse_month(month)
    months = published_months() if chosen else []
    report = stored_month_report(chosen, published=months) if months else None
    if report is None and chosen in months:  # no summary stored yet: worked out, the same
        report = month_report(chosen, published=months, market=load_market())
    if report is None:
        raise Http404("No report for this month.")
    name = f"{chosen:%B %Y}"
    context = {
        "report": report,
        "seo_title": site_title(
            f"GPU market report, {name}: prices and best value",
            f"GPU market report, {name}",
        ),
        "crumbs": _trail((name, request.path)),
    }
    return render(request, "metrics/report_month.html", context)
