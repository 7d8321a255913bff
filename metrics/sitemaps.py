"""Sitemaps for the ranking pages; lastmod is the latest recompute."""

from django.db.models import Max
from django.urls import reverse

from catalog.models import UseCase
from listings.sitemaps import SiteUrlSitemap
from metrics.models import CardPrice
from metrics.specs import SPECS


def _last_computed():
    return CardPrice.objects.aggregate(latest=Max("computed_at"))["latest"]


class RankingSitemap(SiteUrlSitemap):
    """Home, the indexes and every cost-per-spec ranking."""

    changefreq = "daily"
    priority = 0.8

    def items(self):
        fixed = ["metrics:home", "metrics:shop-index", "metrics:rankings-index"]
        fixed += ["metrics:use-case-index"]
        return fixed + [("metrics:cost-per-spec", spec.slug) for spec in SPECS]

    def location(self, item):
        if isinstance(item, tuple):
            return reverse(item[0], kwargs={"metric": item[1]})
        return reverse(item)

    def lastmod(self, item):
        if not hasattr(self, "_lastmod"):
            self._lastmod = _last_computed()
        return self._lastmod


class UseCaseSitemap(SiteUrlSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return UseCase.objects.order_by("position", "slug")

    def location(self, item):
        return reverse("metrics:use-case", kwargs={"slug": item.slug})

    def lastmod(self, item):
        if not hasattr(self, "_lastmod"):
            self._lastmod = _last_computed()
        return self._lastmod
