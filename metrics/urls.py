from django.urls import path
from django.views.generic import RedirectView

from metrics import card_views, export, history_views, llm_views, rent_views, views
from metrics.alerts import views as alert_views
from metrics.feeds import DealsFeed, ReportsFeed
from metrics.reports import views as report_views
from shopagent.cache import cached_page

app_name = "metrics"

# The Gaudi 2 card's old address, kept so links and search results still land on it.
_gaudi = RedirectView.as_view(pattern_name="metrics:learn-gpu", permanent=True)

# Every /ml/shop/ page is served from here. A fixed page under ml/shop/gpu/ or ml/learn/gpu/ takes
# a name a card's slug could have: catalog.models.RESERVED_SLUGS lists each, so no card may be
# given one (tests/metrics/test_urls.py checks the two agree).
urlpatterns = [
    path("", views.home, name="home"),
    path("ml/shop/gpu/", views.shop_index, name="shop-index"),
    path("ml/shop/gpu/compare/", views.compare, name="compare"),
    path("ml/shop/gpu/compare/<slug:pair>/", views.compare_pair, name="compare-pair"),
    path("ml/shop/gpu/performance/", views.rankings_index, name="rankings-index"),
    path(
        "ml/shop/gpu/performance/cost-per-<slug:metric>/",
        views.cost_per_spec,
        name="cost-per-spec",
    ),
    path("ml/shop/gpu/<slug:slug>/", card_views.shop_gpu, name="shop-gpu"),
    path("ml/learn/gpu/intel-habana-gaudi2", _gaudi, {"slug": "intel-gaudi2"}),
    path("ml/learn/gpu/intel-habana-gaudi2/", _gaudi, {"slug": "intel-gaudi2"}),
    path("ml/learn/gpu/<slug:slug>/", card_views.learn_gpu, name="learn-gpu"),
    path("ml/shop/use-case/", views.use_case_index, name="use-case-index"),
    path("ml/shop/use-case/<slug:slug>/", views.use_case, name="use-case"),
    path("ml/data/", export.data_index, name="data-index"),
    path("ml/shop/rent-or-buy/", rent_views.rent_or_buy, name="rent-or-buy"),
    path("ml/data/rent-or-buy.json", rent_views.rent_or_buy_json, name="rent-or-buy-json"),
    path("ml/data/gpus.json", export.gpus_json, name="data-gpus-json"),
    path("ml/data/gpus.csv", export.gpus_csv, name="data-gpus-csv"),
    path("ml/shop/llm/", llm_views.llm_index, name="llm-index"),
    path("ml/shop/llm/<str:slug>/", llm_views.llm_model, name="llm-model"),
    path("ml/data/llm.json", llm_views.llm_json, name="llm-json"),
    path("ml/data/finder.json", llm_views.finder_json, name="finder-json"),
    # A slug never holds a dot, so no card's path can take the place of its feed or files.
    path("ml/shop/deals.atom", cached_page()(DealsFeed()), name="deals-feed"),
    path("ml/shop/gpu/<slug:slug>/deals.atom", cached_page()(DealsFeed()), name="gpu-deals-feed"),
    path(
        "ml/data/gpu/<slug:slug>/price-history.csv",
        history_views.price_history_csv,
        name="price-history-csv",
    ),
    path("ml/shop/reports/", report_views.reports_index, name="reports-index"),
    path("ml/shop/reports/<str:month>/", report_views.report_month, name="report-month"),
    path("ml/shop/reports.atom", cached_page()(ReportsFeed()), name="reports-feed"),
    path("ml/alerts/", alert_views.about, name="alerts-about"),
    path("ml/alerts/subscribe/", alert_views.subscribe, name="alerts-subscribe"),
    path("ml/alerts/confirm/<str:token>/", alert_views.confirm, name="alerts-confirm"),
    path("ml/alerts/manage/<str:token>/", alert_views.manage, name="alerts-manage"),
    path(
        "ml/alerts/unsubscribe/<str:token>/",
        alert_views.unsubscribe_view,
        name="alerts-unsubscribe",
    ),
    path(
        "ml/data/gpu/<slug:slug>/price-history.json",
        history_views.price_history_json,
        name="price-history-json",
    ),
    path(
        "ml/data/gpu/<slug:slug>/listings.json", export.gpu_listings_json, name="data-gpu-listings"
    ),
]
