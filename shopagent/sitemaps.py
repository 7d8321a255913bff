"""The sitemap registry: each app's sitemaps as sections, /sitemap-<section>.xml, listed by the
sitemap index at /sitemap.xml."""

from catalog.sitemaps import LearnModelSitemap, LearnPagesSitemap, LearnUseCaseSitemap
from metrics.sitemaps import (
    AlertsSitemap,
    ComparePairSitemap,
    LearnGpuSitemap,
    LlmSitemap,
    RankingSitemap,
    ReportSitemap,
    ShopGpuSitemap,
    UseCaseSitemap,
)

SITEMAPS = {}
SITEMAPS["shop"] = ShopGpuSitemap
SITEMAPS["rankings"] = RankingSitemap
SITEMAPS["use-cases"] = UseCaseSitemap
SITEMAPS["llm"] = LlmSitemap
SITEMAPS["compare"] = ComparePairSitemap
SITEMAPS["reports"] = ReportSitemap
SITEMAPS["alerts"] = AlertsSitemap
SITEMAPS["learn"] = LearnPagesSitemap
SITEMAPS["learn-gpu"] = LearnGpuSitemap
SITEMAPS["learn-models"] = LearnModelSitemap
SITEMAPS["learn-use-cases"] = LearnUseCaseSitemap
