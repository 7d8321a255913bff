"""Sitemap entries for every card's shop page, dated by its latest successful price refresh."""

from django.db.models import Max, Q

from catalog.models import Gpu
from catalog.sitemaps import SlugSitemap
from listings.models import RefreshRun, RefreshStatus


class ShopGpuSitemap(SlugSitemap):
    changefreq = "hourly"
    priority = 0.8
    url_name = "listings:shop-gpu"

    def items(self):
        ok = Q(refresh_runs__status=RefreshStatus.OK)
        any_refresh = RefreshRun.objects.succeeded().aggregate(latest=Max("finished_at"))["latest"]
        rows = (
            Gpu.objects.annotate(last_refresh=Max("refresh_runs__finished_at", filter=ok))
            .order_by("slug")
            .values_list("slug", "last_refresh", "updated_at")
        )
        return [(slug, last or any_refresh or updated) for slug, last, updated in rows]
