from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("ml/learn/", views.learn_index, name="learn-index"),
]
