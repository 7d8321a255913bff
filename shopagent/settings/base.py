"""Settings for every environment; production differs only by environment variables."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_env_file = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if _env_file.is_file():
    env.read_env(_env_file)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see .env.example)."
        ) from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "catalog",
    "listings",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shopagent.request_guard.RejectControlCharactersMiddleware",
    "shopagent.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shopagent.urls"
WSGI_APPLICATION = "shopagent.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopagent.context_processors.site",
                "listings.context_processors.demo_notice",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A Unix-socket directory may be given percent-encoded as the host (postgres://u@%2Frun%2Fpg/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets page views read while a refresh writes; the timeout waits out a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# valkey:// is Redis's protocol: read it as redis:// (django-environ loses its host otherwise).
_cache_url = env.str("CACHE_URL", default="") or "locmemcache://shopagent"
if _cache_url.startswith("valkey"):
    _cache_url = "redis" + _cache_url.removeprefix("valkey")
CACHES = {"default": env.cache_url_config(_cache_url)}
if _cache_url.startswith("redis"):
    # Django's own RedisCache over redis-py, made to serve pages uncached instead of failing when
    # the server goes away: see shopagent/cache_backends.py.
    CACHES["default"]["BACKEND"] = "shopagent.cache_backends.ForgivingRedisCache"
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Each worker's own memory holds up to this many pages (Django's default is 300).
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 2000)
CACHE_PAGE_SECONDS = env.int("CACHE_PAGE_SECONDS", default=600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security: on unless DEBUG; SECURE_SSL_REDIRECT=false allows a local plain-HTTP check.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# eBay Browse API.
EBAY_CLIENT_ID = env.str("EBAY_CLIENT_ID", default="")
EBAY_CLIENT_SECRET = env.str("EBAY_CLIENT_SECRET", default="")
EBAY_CAMPAIGN_ID = env.str("EBAY_CAMPAIGN_ID", default="")
EBAY_MARKETPLACE_ID = env.str("EBAY_MARKETPLACE_ID", default="EBAY_US")
EBAY_API_BASE_URL = env.str("EBAY_API_BASE_URL", default="https://api.ebay.com").rstrip("/")
EBAY_AUTH_URL = env.str("EBAY_AUTH_URL", default="https://api.ebay.com").rstrip("/")
EBAY_ITEM_LOCATION_COUNTRY = env.str("EBAY_ITEM_LOCATION_COUNTRY", default="")
EBAY_CURRENCY = env.str("EBAY_CURRENCY", default="USD")
EBAY_DAILY_CALL_BUDGET = env.int("EBAY_DAILY_CALL_BUDGET", default=5000)
EBAY_MAX_ITEMS_PER_CARD = env.int("EBAY_MAX_ITEMS_PER_CARD", default=1000)
EBAY_TIMEOUT_SECONDS = env.float("EBAY_TIMEOUT_SECONDS", default=15.0)
EBAY_MAX_RETRIES = env.int("EBAY_MAX_RETRIES", default=3)
EBAY_BACKOFF_SECONDS = env.float("EBAY_BACKOFF_SECONDS", default=1.0)
# Wall-clock bounds of a refresh: one call (connect + whole body), one card's search, one run.
EBAY_CALL_DEADLINE_SECONDS = env.float("EBAY_CALL_DEADLINE_SECONDS", default=30.0)
EBAY_CARD_DEADLINE_SECONDS = env.float("EBAY_CARD_DEADLINE_SECONDS", default=180.0)
REFRESH_RUN_DEADLINE_SECONDS = env.float("REFRESH_RUN_DEADLINE_SECONDS", default=1500.0)
# Consecutive failed calls (429, 5xx, unreachable) across cards after which a run stops calling.
EBAY_BREAKER_THRESHOLD = env.int("EBAY_BREAKER_THRESHOLD", default=12)
# The verification token registered with eBay for marketplace account deletion notices
# (SITE_URL/ebay/account-deletion/); empty turns the endpoint off (404). eBay takes 32 to 80
# letters, digits, underscores and dashes.
EBAY_VERIFICATION_TOKEN = env.str("EBAY_VERIFICATION_TOKEN", default="")
if EBAY_VERIFICATION_TOKEN and not re.fullmatch(r"[A-Za-z0-9_-]{32,80}", EBAY_VERIFICATION_TOKEN):
    raise ImproperlyConfigured(
        "EBAY_VERIFICATION_TOKEN must be 32 to 80 letters, digits, underscores and dashes "
        "(see .env.example)."
    )
# Cards fetched at once by refresh_listings (writes stay one card at a time).
REFRESH_WORKERS = env.int("REFRESH_WORKERS", default=8)

# IndexNow: changed pages are submitted to search engines only when a key is set. The key is
# served at SITE_URL/<key>.txt, as the protocol asks (8-128 letters, digits and dashes).
INDEXNOW_KEY = env.str("INDEXNOW_KEY", default="")
if INDEXNOW_KEY and not re.fullmatch(r"[A-Za-z0-9-]{8,128}", INDEXNOW_KEY):
    raise ImproperlyConfigured(
        "INDEXNOW_KEY must be 8 to 128 letters, digits and dashes (see .env.example)."
    )
INDEXNOW_ENDPOINT = env.str("INDEXNOW_ENDPOINT", default="https://api.indexnow.org/indexnow")

# Analytics: nothing is sent anywhere unless a key is set.
POSTHOG_API_KEY = env.str("POSTHOG_API_KEY", default="")
POSTHOG_HOST = env.str("POSTHOG_HOST", default="https://us.i.posthog.com").rstrip("/")

ADMIN_LOGIN_MAX_FAILURES = env.int("ADMIN_LOGIN_MAX_FAILURES", default=5)
# Proxies in front of the site that append the client's address to X-Forwarded-For (0: none, the
# socket's address is the client's). See shopagent/clients.py.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="feedback@shopagent.example")

# Email (price alerts and their confirmations): Django's SMTP backend from EMAIL_URL, e.g.
# smtp+tls://user:password@host:587 (STARTTLS) or smtp+ssl://user:password@host:465. Unset, every
# message is written to the console instead (development; `check --deploy` warns about it).
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _email = env.email_url_config(EMAIL_URL)
    globals().update({name: value for name, value in _email.items() if value is not None})
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A hung mail server must not hold up a refresh: each SMTP call gives up after this long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
_site_host = urlsplit(SITE_URL).hostname or "localhost"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"ShopAgent <alerts@{_site_host}>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
