from django.urls import path

from metrics import export, history_views, llm_views, views
from metrics.feeds import DealsFeed
from shopagent.cache import cached_page

app_name = "metrics"

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
    path("ml/shop/use-case/", views.use_case_index, name="use-case-index"),
    path("ml/shop/use-case/<slug:slug>/", views.use_case, name="use-case"),
    path("ml/data/gpus.json", export.gpus_json, name="data-gpus-json"),
    path("ml/data/gpus.csv", export.gpus_csv, name="data-gpus-csv"),
    path("ml/shop/llm/", llm_views.llm_index, name="llm-index"),
    path("ml/shop/llm/<str:slug>/", llm_views.llm_model, name="llm-model"),
    path("ml/data/llm.json", llm_views.llm_json, name="llm-json"),
    path("ml/data/finder.json", llm_views.finder_json, name="finder-json"),
    # A slug never holds a dot, so no card's path can take the place of its feed or files.
    path("ml/shop/deals.atom", cached_page(DealsFeed()), name="deals-feed"),
    path("ml/shop/gpu/<slug:slug>/deals.atom", cached_page(DealsFeed()), name="gpu-deals-feed"),
    path(
        "ml/data/gpu/<slug:slug>/price-history.csv",
        history_views.price_history_csv,
        name="price-history-csv",
    ),
    path(
        "ml/data/gpu/<slug:slug>/price-history.json",
        history_views.price_history_json,
        name="price-history-json",
    ),
]
