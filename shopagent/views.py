"""Site-wide endpoints that belong to no app: health check, robots.txt, the sitemap index and the
IndexNow key."""

import logging

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from shopagent.cache_backends import cache_health
from shopagent.sitemaps import SITEMAPS

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 with JSON once the database answers a round-trip; 503 when it does not. `cache` is
    "ok", or "degraded" while the shared cache is unreachable (pages are then served uncached).

    The public answer says only ok, degraded or unavailable: the drivers' errors name hosts and
    ports, so they go to the log."""
    cache = cache_health()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "unavailable", "cache": cache}, status=503)
    return JsonResponse({"status": "ok", "cache": cache})


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /go/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain")


@require_safe
def sitemap_index(request):
    """The sitemap index robots.txt names: each section's sitemap on SITE_URL, dated by the
    latest of its entries (a section none of whose entries is dated has no lastmod)."""
    sections = [
        {
            "location": settings.SITE_URL + reverse("sitemap-section", kwargs={"section": name}),
            "lastmod": section().get_latest_lastmod(),
        }
        for name, section in SITEMAPS.items()
    ]
    context = {"sections": sections}
    return render(request, "sitemap_index.xml", context, content_type="application/xml")


@require_safe
def indexnow_key(request, key):
    """The IndexNow key file, SITE_URL/<key>.txt: search engines read it to check a submission
    came from this site. Only the configured key exists."""
    if not settings.INDEXNOW_KEY or key != settings.INDEXNOW_KEY:
        raise Http404("No such file.")
    return HttpResponse(settings.INDEXNOW_KEY, content_type="text/plain; charset=utf-8")
