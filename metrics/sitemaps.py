"""Sitemaps for the pages metrics serves: each card's shop and learn pages, the rankings (lastmod
is the latest recompute), the LLM pages, the compare pairs, the market reports and the page
about price alerts."""

from functools import cached_property

from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse

from catalog.models import Gpu, LlmModel, UseCase
from catalog.sitemaps import SiteUrlSitemap, SlugSitemap, undated
from catalog.specs import SPECS
from listings.models import RefreshRun
from metrics.compare import sitemap_pairs
from metrics.models import CardPrice
from metrics.reports.months import published_at, published_months
from metrics.selectors import compare_sitemap_slugs, ranked_spec_slugs


class RecomputedSitemap(SlugSitemap):
    """Pages whose content changes when rankings are recomputed."""

    changefreq = "daily"
    priority = 0.8

    def location(self, item):
        # A fixed page (home, an index) is listed by its URL name.
        if isinstance(item, str):
            return reverse(item)
        return super().location(item)

    def lastmod(self, item):
        return self._last_computed

    @cached_property
    def _last_computed(self):
        return CardPrice.objects.aggregate(latest=Max("computed_at"))["latest"]


class RankingSitemap(RecomputedSitemap):
    """Home, the indexes (the data README among them) and every cost-per-spec ranking."""

    url_name = "metrics:cost-per-spec"
    url_kwarg = "metric"

    def items(self):
        fixed = ["metrics:home", "metrics:shop-index", "metrics:rankings-index"]
        fixed += ["metrics:use-case-index", "metrics:rent-or-buy", "metrics:data-index"]
        ranked = ranked_spec_slugs()  # a ranking with no priced card is not worth a crawl
        return fixed + undated(spec.slug for spec in SPECS if spec.slug in ranked)


class UseCaseSitemap(RecomputedSitemap):
    url_name = "metrics:use-case"

    def items(self):
        slugs = UseCase.objects.order_by("position", "slug").values_list("slug", flat=True)
        return undated(slugs)


class LlmSitemap(RecomputedSitemap):
    """The local-LLM picker and one "best GPU for <model>" page per model."""

    url_name = "metrics:llm-model"

    def items(self):
        slugs = LlmModel.objects.order_by("position", "slug").values_list("slug", flat=True)
        return ["metrics:llm-index"] + undated(slugs)


class ComparePairSitemap(RecomputedSitemap):
    """Two-card comparisons: popular pairs, and each priced card with its neighbour in price."""

    url_name = "metrics:compare-pair"
    url_kwarg = "pair"
    priority = 0.5

    def items(self):
        priced, known = compare_sitemap_slugs()
        return undated(sitemap_pairs(priced, known))


class ShopGpuSitemap(SlugSitemap):
    """Every card's shop page, dated by its latest successful price refresh."""

    changefreq = "hourly"
    priority = 0.8
    url_name = "metrics:shop-gpu"

    def items(self):
        succeeded = RefreshRun.objects.succeeded()
        any_refresh = succeeded.aggregate(latest=Max("finished_at"))["latest"]
        # One seek a card in refresh_gpu_status, however many runs are kept (a join and a
        # GROUP BY read them all: 124 ms at 2,000 runs a card on SQLite, 0.5 ms this way).
        # PostgreSQL sorts NULLs first when descending: an unfinished run is no refresh.
        own = succeeded.filter(gpu=OuterRef("pk"), finished_at__isnull=False)
        own = own.order_by("-finished_at").values("finished_at")[:1]
        rows = (
            Gpu.objects.annotate(last_refresh=Subquery(own))
            .order_by("slug")
            .values_list("slug", "last_refresh", "updated_at")
        )
        return [(slug, last or any_refresh or updated) for slug, last, updated in rows]


class LearnGpuSitemap(SlugSitemap):
    """Every card's learn page, dated by its last catalog change."""

    changefreq = "weekly"
    priority = 0.6
    url_name = "metrics:learn-gpu"

    def items(self):
        return list(Gpu.objects.order_by("slug").values_list("slug", "updated_at"))


class ReportSitemap(SlugSitemap):
    """The market reports: their index, dated by the latest month, and each month's report,
    dated by when it appeared."""

    changefreq = "monthly"
    priority = 0.6
    url_name = "metrics:report-month"
    url_kwarg = "month"

    def items(self):
        months = published_months()
        index = [("metrics:reports-index", published_at(months[0]))] if months else []
        return index + [(f"{month:%Y-%m}", published_at(month)) for month in months]

    def location(self, item):
        if item[0].startswith("metrics:"):
            return reverse(item[0])
        return super().location(item)


class AlertsSitemap(SiteUrlSitemap):
    """How price alerts work and what they store."""

    changefreq = "yearly"
    priority = 0.3

    def items(self):
        return ["metrics:alerts-about"]

    def location(self, item):
        return reverse(item)
