from django.urls import path
from django.views.generic import RedirectView

from catalog import views

app_name = "catalog"

# The Gaudi 2 card's old address, kept so links and search results still land on it.
_gaudi = RedirectView.as_view(pattern_name="catalog:learn-gpu", permanent=True)

urlpatterns = [
    path("ml/search/", views.search, name="search"),
    path("ml/learn/", views.learn_index, name="learn-index"),
    path("ml/learn/methodology/", views.methodology, name="methodology"),
    path("ml/learn/gpu/intel-habana-gaudi2", _gaudi, {"slug": "intel-gaudi2"}),
    path("ml/learn/gpu/intel-habana-gaudi2/", _gaudi, {"slug": "intel-gaudi2"}),
    path("ml/learn/gpu/<slug:slug>/", views.learn_gpu, name="learn-gpu"),
    path("ml/learn/models/<slug:slug>/", views.learn_model, name="learn-model"),
    path("ml/learn/use-case/<slug:slug>/", views.learn_use_case, name="learn-use-case"),
]
