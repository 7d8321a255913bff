"""Test settings: only overrides of base."""

import os

# Tests never read a developer's .env: the same settings on every machine and in CI.
os.environ["ENV_FILE"] = "/dev/null"
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if "CACHE_URL" not in os.environ:  # .ci/with-redis sets it for the PostgreSQL and Redis pass
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test processes share one Redis: each gets its own database, since a test empties
    # the cache before and after it runs.
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    _location = CACHES["default"]["LOCATION"]  # noqa: F405
    _sep = "&" if "?" in _location else "?"
    CACHES["default"]["LOCATION"] = f"{_location}{_sep}db={_worker + 1}"  # noqa: F405
# One fetch worker, inline: the tests that prove concurrent fetching ask for more.
REFRESH_WORKERS = 1
POSTHOG_API_KEY = ""
EBAY_CLIENT_ID = "test-client-id"
EBAY_CLIENT_SECRET = "test-client-secret"
EBAY_CAMPAIGN_ID = "5338000000"
EBAY_API_BASE_URL = "https://api.ebay.test"
EBAY_AUTH_URL = "https://auth.ebay.test"
EBAY_BACKOFF_SECONDS = 0.0
SITE_URL = "https://shopagent.test"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_FROM_EMAIL = "ShopAgent <alerts@shopagent.test>"
