"""The site's URLs without the card pages, to show that a link to them fails loudly."""

from django.urls import include, path

urlpatterns = [path("", include("catalog.urls"))]
