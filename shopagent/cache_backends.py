"""A Redis cache that the site survives losing: when Redis cannot be reached, reads are misses and
writes are skipped (logged, at most once a minute per process), so pages are served uncached
instead of failing. Django's own RedisCache (with redis-py) does the rest.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY_SECONDS = 60.0
# Give up on an unreachable Redis quickly: a page served uncached beats a page that waits.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


class ForgivingRedisCache(RedisCache):
    """RedisCache whose connection errors become misses and no-ops, with a log line."""

    def __init__(self, server, params):
        params = dict(params)
        params["OPTIONS"] = {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, params)
        self._last_logged = 0.0

    def _unavailable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY_SECONDS:
            self._last_logged = now
            logger.error("Cache unavailable (%s: %s); serving uncached", operation, exc)

    def _forgiving(self, operation: str, fallback, *args):
        """RedisCache's answer to `operation`, or `fallback` (logged) while Redis is unreachable."""
        try:
            return getattr(super(), operation)(*args)
        except UNAVAILABLE as exc:
            self._unavailable(operation, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._forgiving("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._forgiving("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._forgiving("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgiving("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forgiving("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Every key failed: what RedisCache answers for keys it could not set.
        return self._forgiving("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgiving("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._forgiving("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._forgiving("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as exc:
            self._unavailable("incr", exc)
            # What callers already handle for a missing key.
            raise ValueError(f"Key '{key}' not found: cache unavailable") from exc

    def clear(self):
        return self._forgiving("clear", False)
