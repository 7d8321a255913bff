"""The shared cache on a real Redis server: pages keep being served, within one socket timeout,
when Redis hangs (SIGSTOP) or goes away (killed), and the cache is used again once it answers."""

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from shopagent import cache_backends
from tests.factories import make_gpu, make_listing
from tests.fakes.redis_server import RedisServer, has_redis

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not has_redis(), reason="needs Debian's redis-server"),
]


@pytest.fixture
def redis_server(tmp_path):
    """A private Redis on a Unix socket in a temp dir (this test may hang, kill or restart it)."""
    with RedisServer(tmp_path) as server:
        yield server


def caches_for(cache_url):
    """CACHES as production settings build it from this CACHE_URL (a fresh process)."""
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="shopagent.settings.base",
        ENV_FILE="/dev/null",
        DEBUG="true",
        CACHE_URL=cache_url,
    )
    code = "import django, json; django.setup(); from django.conf import settings as s; "
    code += "print(json.dumps(s.CACHES))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def redis_cache(settings, redis_server, monkeypatch):
    """The site's cache on the private Redis; the breaker tries Redis again after a minute, so
    no retry falls inside a test unless it says otherwise."""
    settings.CACHES = caches_for(redis_server.url)
    monkeypatch.setattr(cache_backends, "RETRY_SECONDS", 60.0)
    return redis_server


@pytest.mark.parametrize("scheme", ["redis", "valkey"])
def test_a_cache_url_on_redis_or_valkey_works_out_of_the_box(settings, redis_server, scheme):
    settings.CACHES = caches_for(redis_server.url.replace("redis://", f"{scheme}://", 1))

    cache.set("k", 41)

    assert cache.incr("k") == 42
    assert type(caches["default"]).__name__ == "ForgivingRedisCache"


def health(client):
    return json.loads(client.get(reverse("healthz")).content)


def pages(gpu):
    return [
        reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug}),
        reverse("metrics:home"),
        reverse("metrics:shop-index"),
        reverse("metrics:cost-per-spec", args=["fp32-flops"]),
    ]


@pytest.fixture
def priced_card():
    gpu = make_gpu()
    make_listing(gpu, price="4100.00")
    return gpu


@pytest.mark.parametrize("fault", ["hung", "down"])
def test_pages_are_served_uncached_while_redis_is_hung_or_down(
    redis_cache, priced_card, caplog, fault
):
    client = Client()
    url = reverse("metrics:shop-gpu", kwargs={"slug": priced_card.slug})
    assert "$4,100.00" in client.get(url).content.decode()
    assert health(client) == {"status": "ok", "cache": "ok"}
    breaker = caches["default"].breaker

    redis_cache.hang() if fault == "hung" else redis_cache.kill()
    with caplog.at_level(logging.ERROR, logger="shopagent.cache_backends"):
        responses = [client.get(path) for path in pages(priced_card) * 3]
        state = health(client)

    assert [r.status_code for r in responses] == [200] * len(responses)
    assert "$4,100.00" in responses[0].content.decode()
    # A dozen pages, each making many cache calls, waited on Redis once: every other call was
    # answered at once by the open breaker.
    assert breaker.waits == 1 and breaker.skipped > 20
    assert caplog.text.count("Cache unavailable") == 1  # logged once, not once per call
    assert state == {"status": "ok", "cache": "degraded"}  # a field, no error text
    assert cache.get("anything", "missed") == "missed"


@pytest.mark.parametrize("fault", ["hung", "down"])
def test_the_cache_is_used_again_once_redis_answers(redis_cache, priced_card, fault, monkeypatch):
    monkeypatch.setattr(cache_backends, "RETRY_SECONDS", 0.3)
    client = Client()
    url = reverse("metrics:shop-gpu", kwargs={"slug": priced_card.slug})
    client.get(url)
    redis_cache.hang() if fault == "hung" else redis_cache.kill()
    client.get(url)
    assert health(client)["cache"] == "degraded"

    redis_cache.resume() if fault == "hung" else redis_cache.start()
    time.sleep(0.4)  # the breaker's retry interval (0.3 s here)

    assert health(client) == {"status": "ok", "cache": "ok"}
    assert not caches["default"].breaker.is_open
    cache.set("back", "again")
    assert cache.get("back") == "again"
    client.get(url)
    assert client.get(url).status_code == 200
