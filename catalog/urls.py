from django.urls import path

from catalog import views

app_name = "catalog"

# A card's learn page shows its price history, so metrics serves it (metrics:learn-gpu).

urlpatterns = [
    path("ml/search/", views.search, name="search"),
    path("ml/learn/", views.learn_index, name="learn-index"),
    path("ml/learn/methodology/", views.methodology, name="methodology"),
    path("ml/learn/models/<slug:slug>/", views.learn_model, name="learn-model"),
    path("ml/learn/use-case/<slug:slug>/", views.learn_use_case, name="learn-use-case"),
]
