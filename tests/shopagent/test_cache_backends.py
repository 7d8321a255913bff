"""The shared cache on a real Redis server: pages keep being served when Redis goes away."""

import logging
import shutil
import subprocess
import time

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from tests.browser.shop_data import make_gpu, make_listing

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


@pytest.fixture
def redis_cache(settings, redis_server, monkeypatch):
    server, url = redis_server
    monkeypatch.setenv("CACHE_URL", url)
    from environ import Env

    config = Env.cache_url_config(url)
    config["BACKEND"] = "shopagent.cache_backends.ForgivingRedisCache"
    settings.CACHES = {"default": config}
    return server


def test_a_cache_url_on_redis_uses_the_forgiving_redis_backend(redis_cache):
    cache.set("k", 41)
    assert cache.incr("k") == 42
    assert type(caches["default"]).__name__ == "ForgivingRedisCache"


def test_pages_are_still_served_after_redis_stops_mid_run(
    redis_cache, caplog, django_assert_max_num_queries
):
    gpu = make_gpu()
    make_listing(gpu, price="4100.00")
    client = Client()
    url = reverse("listings:shop-gpu", kwargs={"slug": gpu.slug})
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
