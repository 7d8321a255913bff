from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from shopagent import throttle, views
from shopagent.cache import cached_page
from shopagent.sitemaps import SITEMAPS

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("<str:key>.txt", views.indexnow_key, name="indexnow-key"),
    # The sitemap index, and one sitemap per section (shopagent/sitemaps.py). Django's sitemap
    # view reads ?p= (the page of a sitemap with over 50,000 entries).
    path("sitemap.xml", cached_page()(views.sitemap_index), name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        cached_page(reads=("p",))(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("admin/login/", throttle.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("", include("metrics.urls")),
    path("", include("listings.urls")),
    path("", include("catalog.urls")),
]
