"""The sitemap registry: every app's sitemaps under one /sitemap.xml."""

from listings.sitemaps import ShopGpuSitemap
from metrics.sitemaps import RankingSitemap, UseCaseSitemap

SITEMAPS = {}
SITEMAPS["shop"] = ShopGpuSitemap
SITEMAPS["rankings"] = RankingSitemap
SITEMAPS["use-cases"] = UseCaseSitemap
