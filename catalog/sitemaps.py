"""Sitemap entries for the learn pages: index, methodology, cards, MLPerf models, use cases.

`SiteUrlSitemap` and `SlugSitemap` are the bases every app's sitemaps build on.
"""

from functools import cached_property
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Gpu, MlModel, UseCase
from shopagent.cache import at_generation

# Stands in for a slug while a URL is reversed once per sitemap; no path contains it otherwise.
_SLUG_MARKER = "0-slug-marker-0"


def undated(slugs) -> list[tuple[str, None]]:
    """`SlugSitemap` items for pages that have no lastmod of their own."""
    return [(slug, None) for slug in slugs]


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on SITE_URL whatever host the sitemap was requested on.

    Entries are written in one pass (the sitemap lists every card twice, and Django's own loop
    looks up each attribute per item); they carry the same keys and values as Django's.
    """

    changefreq = None
    priority = None

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def lastmod(self, item):
        return None

    def get_urls(self, page=1, site=None, protocol=None):
        """The entries of one page of this sitemap, worked out once per page generation."""
        root = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        kind = f"{type(self).__module__}.{type(self).__qualname__}"
        urls, self.latest_lastmod = at_generation(
            "sitemap", kind, page, root, compute=lambda: self._entries(page, root)
        )
        return urls

    def _entries(self, page, root: str) -> tuple[list[dict], object]:
        priority = "" if self.priority is None else str(self.priority)
        urls = [
            {
                "item": None,  # not stored: entries are cached, and the template never reads it
                "location": root + self.location(item),
                "lastmod": self.lastmod(item),
                "changefreq": self.changefreq,
                "priority": priority,
                "alternates": [],
            }
            for item in self.paginator.page(page).object_list
        ]
        lastmods = [url["lastmod"] for url in urls]
        return urls, max(lastmods) if lastmods and None not in lastmods else None


class SlugSitemap(SiteUrlSitemap):
    """Pages of one URL name taking a slug; items are (slug, lastmod) pairs.

    The URL is reversed once and the slug put in its place, not reversed per item.
    """

    url_name = ""
    url_kwarg = "slug"

    @cached_property
    def _around_slug(self) -> tuple[str, str]:
        head, tail = reverse(self.url_name, kwargs={self.url_kwarg: _SLUG_MARKER}).split(
            _SLUG_MARKER
        )
        return head, tail

    def location(self, item):
        head, tail = self._around_slug
        return f"{head}{item[0]}{tail}"

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


class LearnGpuSitemap(LearnSlugSitemap):
    priority = 0.6
    url_name = "catalog:learn-gpu"
    model = Gpu

    def items(self):
        return list(self.model.objects.order_by("slug").values_list("slug", "updated_at"))


class LearnModelSitemap(LearnSlugSitemap):
    priority = 0.4
    url_name = "catalog:learn-model"
    model = MlModel


class LearnUseCaseSitemap(LearnSlugSitemap):
    priority = 0.5
    url_name = "catalog:learn-use-case"
    model = UseCase
