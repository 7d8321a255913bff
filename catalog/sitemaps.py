"""Sitemap entries for the learn pages: index, methodology, cards, MLPerf models, use cases."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Gpu, MlModel, UseCase


class LearnSitemap(Sitemap):
    """Absolute URLs on SITE_URL whatever host the sitemap was requested on."""

    changefreq = "weekly"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"


class LearnPagesSitemap(LearnSitemap):
    priority = 0.5

    def items(self):
        return ["catalog:learn-index", "catalog:methodology"]

    def location(self, name):
        return reverse(name)


class LearnGpuSitemap(LearnSitemap):
    priority = 0.6

    def items(self):
        return Gpu.objects.only("slug", "updated_at").order_by("slug")

    def lastmod(self, gpu):
        return gpu.updated_at


class LearnModelSitemap(LearnSitemap):
    priority = 0.4

    def items(self):
        return MlModel.objects.only("slug").order_by("slug")


class LearnUseCaseSitemap(LearnSitemap):
    priority = 0.5

    def items(self):
        return UseCase.objects.only("slug").order_by("slug")
