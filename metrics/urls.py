from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.home, name="home"),
    path("ml/shop/gpu/", views.shop_index, name="shop-index"),
    path("ml/shop/gpu/performance/", views.rankings_index, name="rankings-index"),
    path("ml/shop/use-case/", views.use_case_index, name="use-case-index"),
]
