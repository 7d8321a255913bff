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
