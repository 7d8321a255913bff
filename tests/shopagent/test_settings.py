import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CACHE_URL"}
    }
    env.update(
        {"DJANGO_SETTINGS_MODULE": "shopagent.settings.base", "ENV_FILE": "/dev/null"},
        **env_overrides,
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_is_off_unless_set_and_secure_defaults_are_on():
    result = _load_settings(SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr
    debug, ssl_redirect, secure_cookie, hsts, engine, cache = result.stdout.split()
    assert (debug, ssl_redirect, secure_cookie) == ("False", "True", "True")
    assert int(hsts) >= 31536000
    assert engine == "django.db.backends.sqlite3"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"


def test_debug_mode_runs_with_a_dev_key_and_plain_http():
    result = _load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    debug, ssl_redirect, secure_cookie, hsts, *_ = result.stdout.split()
    assert (debug, ssl_redirect, secure_cookie, hsts) == ("True", "False", "False", "0")


def test_production_database_and_cache_come_from_urls():
    result = _load_settings(
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://shop:pw@db.internal:5432/shopagent",
        CACHE_URL="redis://cache.internal:6379/1",
    )
    assert result.returncode == 0, result.stderr
    *_, engine, cache = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert cache == "shopagent.cache_backends.ForgivingRedisCache"  # Django's RedisCache, forgiving


def test_ssl_redirect_can_be_turned_off_for_a_local_http_check():
    result = _load_settings(SECRET_KEY="x" * 60, SECURE_SSL_REDIRECT="false")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "False"


def _email_settings(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "EMAIL_URL"}}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "shopagent.settings.base", "ENV_FILE": "/dev/null"},
        **env_overrides,
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_email_goes_through_the_smtp_server_email_url_names():
    backend, host, port, user, password, tls, ssl, *sender = _email_settings(
        SECRET_KEY="x" * 60,
        EMAIL_URL="smtp+tls://alerts:p%40ss@mail.example:587",
        SITE_URL="https://shop.example",
    )
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (host, port, user, password, tls, ssl) == (
        "mail.example",
        "587",
        "alerts",
        "p@ss",
        "True",
        "False",
    )
    assert " ".join(sender) == "ShopAgent <alerts@shop.example>"


def test_without_email_url_development_writes_email_to_the_console():
    backend, *_ = _email_settings(DEBUG="true")
    assert backend == "django.core.mail.backends.console.EmailBackend"


def test_the_deploy_check_warns_without_a_mail_server_or_https(settings):
    from metrics.checks import check_alert_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.SITE_URL = "http://shop.example"
    assert [w.id for w in check_alert_email(None)] == ["metrics.W001", "metrics.W002"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SITE_URL = "https://shop.example"
    assert check_alert_email(None) == []
