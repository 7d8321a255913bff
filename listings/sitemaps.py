"""Sitemap entries for every card's shop page, dated by its latest successful price refresh."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from catalog.models import Gpu
from listings.models import RefreshRun, RefreshStatus


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on SITE_URL whatever host the sitemap was requested on."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"


class ShopGpuSitemap(SiteUrlSitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        ok = Q(refresh_runs__status=RefreshStatus.OK)
        self._any_refresh = RefreshRun.objects.succeeded().aggregate(latest=Max("finished_at"))[
            "latest"
        ]
        return (
            Gpu.objects.annotate(last_refresh=Max("refresh_runs__finished_at", filter=ok))
            .only("slug", "updated_at")
            .order_by("slug")
        )

    def location(self, gpu):
        return reverse("listings:shop-gpu", kwargs={"slug": gpu.slug})

    def lastmod(self, gpu):
        return gpu.last_refresh or self._any_refresh or gpu.updated_at
