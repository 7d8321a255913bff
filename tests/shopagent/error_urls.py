"""The site's URLs plus views that fail, for the error page tests."""

from django.db import OperationalError
from django.urls import path

from shopagent.urls import urlpatterns as site_urlpatterns


def database_down(request):
    raise OperationalError("connection to server at 10.0.0.9 failed: secret-detail")


urlpatterns = [path("test-only/database-down/", database_down), *site_urlpatterns]
