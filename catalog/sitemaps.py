"""Sitemap entries for the learn pages: index, methodology, MLPerf models, use cases.

`SiteUrlSitemap` and `SlugSitemap` are the bases every app's sitemaps build on.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import MlModel, UseCase


def undated(slugs) -> list[tuple[str, None]]:
    """`SlugSitemap` items for pages that have no lastmod of their own."""
    return [(slug, None) for slug in slugs]


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on SITE_URL whatever host the sitemap was requested on."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_latest_lastmod(self):
        """The latest lastmod of the entries (the sitemap index's date of the section), or None
        when none is dated. Django's gives up (None) when any entry is undated."""
        if not callable(getattr(self, "lastmod", None)):
            return None
        return max(filter(None, map(self.lastmod, self.items())), default=None)


class SlugSitemap(SiteUrlSitemap):
    """Pages of one URL name taking a slug; items are (slug, lastmod) pairs."""

    url_name = ""
    url_kwarg = "slug"

    def location(self, item):
        return reverse(self.url_name, kwargs={self.url_kwarg: item[0]})

    def lastmod(self, item):
        return item[1]


class LearnPagesSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return ["catalog:learn-index", "catalog:methodology"]

    def location(self, name):
        return reverse(name)


class LearnSlugSitemap(SlugSitemap):
    """A learn page per row of `model`, by slug; no lastmod unless `items` gives one."""

    changefreq = "weekly"
    model = None

    def items(self):
        return undated(self.model.objects.order_by("slug").values_list("slug", flat=True))


class LearnModelSitemap(LearnSlugSitemap):
    priority = 0.4
    url_name = "catalog:learn-model"
    model = MlModel


class LearnUseCaseSitemap(LearnSlugSitemap):
    priority = 0.5
    url_name = "catalog:learn-use-case"
    model = UseCase
