from django.urls import path

from metrics import history_views, views
from metrics.feeds import DealsFeed
from shopagent.cache import cached_page

app_name = "metrics"

urlpatterns = [
    path("", views.home, name="home"),
    path("ml/shop/gpu/", views.shop_index, name="shop-index"),
    path("ml/shop/gpu/compare/", views.compare, name="compare"),
    path("ml/shop/gpu/performance/", views.rankings_index, name="rankings-index"),
    path(
        "ml/shop/gpu/performance/cost-per-<slug:metric>/",
        views.cost_per_spec,
        name="cost-per-spec",
    ),
    path("ml/shop/use-case/", views.use_case_index, name="use-case-index"),
    path("ml/shop/use-case/<slug:slug>/", views.use_case, name="use-case"),
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
