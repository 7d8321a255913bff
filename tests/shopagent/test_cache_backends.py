"""The shared cache on a real Redis server: pages keep being served when Redis goes away."""

import json
import logging
import os
import shutil
import subprocess
import sys
import time

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from tests.factories import make_gpu, make_listing

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server"),
]


@pytest.fixture
def redis_server(tmp_path):
    """A private Redis on a Unix socket in a temp dir (this test stops it)."""
    socket = tmp_path / "redis.sock"
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(tmp_path),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield server, f"redis://{socket}"
    server.terminate()
    server.wait(timeout=10)


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
def redis_cache(settings, redis_server):
    server, url = redis_server
    settings.CACHES = caches_for(url)
    return server


@pytest.mark.parametrize("scheme", ["redis", "valkey"])
def test_a_cache_url_on_redis_or_valkey_works_out_of_the_box(settings, redis_server, scheme):
    _, url = redis_server
    settings.CACHES = caches_for(url.replace("redis://", f"{scheme}://", 1))

    cache.set("k", 41)

    assert cache.incr("k") == 42
    assert type(caches["default"]).__name__ == "ForgivingRedisCache"


def test_pages_are_still_served_after_redis_stops_mid_run(
    redis_cache, caplog, django_assert_max_num_queries
):
    gpu = make_gpu()
    make_listing(gpu, price="4100.00")
    client = Client()
    url = reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})
    assert "$4,100.00" in client.get(url).content.decode()
    with django_assert_max_num_queries(1):  # served from Redis (a view count may write)
        assert client.get(url).status_code == 200

    redis_cache.terminate()
    redis_cache.wait(timeout=10)
    with caplog.at_level(logging.ERROR, logger="shopagent.cache_backends"):
        response = client.get(url)
        second = client.get(reverse("metrics:home"))

    assert response.status_code == 200 and "$4,100.00" in response.content.decode()
    assert second.status_code == 200
    assert "Cache unavailable" in caplog.text
    assert cache.get("anything", "missed") == "missed"
