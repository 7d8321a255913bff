"""A Redis cache that the site survives losing, hung or down.

Django's own RedisCache (with redis-py) does the work. This subclass adds short client timeouts
and a circuit breaker: the first call that times out or cannot connect opens the breaker, and
while it is open every cache call answers at once as Redis being empty would (reads miss, writes
are skipped), so a page waits on a hung Redis once (at most the socket timeout), not once per
cache call. Every RETRY_SECONDS one call tries Redis again; the first that succeeds closes the
breaker. The breaker is shared by every thread of the process, and the failure is logged at most
once per LOG_EVERY_SECONDS. `/healthz` reports the cache as degraded while the breaker is open.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY_SECONDS = 60.0
RETRY_SECONDS = 5.0  # while the breaker is open, one call this often tries Redis again
# Give up on an unreachable Redis quickly: a page served uncached beats a page that waits.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


class Breaker:
    """Whether cache calls may go to one Redis server; shared by the threads of a process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.opened_at: float | None = None  # time.monotonic() of the failure that opened it
        self._retry_at = 0.0
        self._probing = False
        self._logged_at = -LOG_EVERY_SECONDS
        self.waits = 0  # calls that went to Redis and failed: what a hung Redis cost
        self.skipped = 0  # calls answered without Redis while the breaker was open

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def allow(self) -> bool:
        """Whether this call may go to Redis: always while closed, one at a time once
        RETRY_SECONDS have passed while open."""
        if self.opened_at is None:
            return True
        with self._lock:
            if self.opened_at is None:
                return True
            if not self._probing and time.monotonic() >= self._retry_at:
                self._probing = True
                return True
            self.skipped += 1
            return False

    def failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self.waits += 1
            if self.opened_at is None:
                self.opened_at = now
            self._retry_at, self._probing = now + RETRY_SECONDS, False
            log = now - self._logged_at >= LOG_EVERY_SECONDS
            if log:
                self._logged_at = now
        if log:
            logger.error("Cache unavailable (%s: %s); serving uncached", operation, exc)

    def succeeded(self) -> None:
        if self.opened_at is None:
            return
        with self._lock:
            if self.opened_at is None:
                return
            down, self.opened_at, self._probing = time.monotonic() - self.opened_at, None, False
        logger.warning("Cache available again after %.0f s", down)


_breakers: dict[tuple[str, ...], Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers: list[str]) -> Breaker:
    """The process's breaker for these servers (Django makes one cache object per thread)."""
    key = tuple(servers)
    with _breakers_lock:
        return _breakers.setdefault(key, Breaker())


class ForgivingRedisCache(RedisCache):
    """RedisCache whose connection errors and timeouts become misses and no-ops, behind a
    circuit breaker, with a log line."""

    def __init__(self, server, params):
        params = dict(params)
        params["OPTIONS"] = {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, params)
        self.breaker = breaker_for(self._servers)

    def _call(self, operation: str, fallback, call: Callable[[], object]):
        """call()'s answer, or `fallback` while Redis is unreachable or the breaker is open."""
        if not self.breaker.allow():
            return fallback
        try:
            result = call()
        except UNAVAILABLE as exc:
            self.breaker.failed(operation, exc)
            return fallback
        except Exception:
            self.breaker.succeeded()  # Redis answered, if with an error
            raise
        self.breaker.succeeded()
        return result

    def _forgiving(self, operation: str, fallback, *args):
        """RedisCache's answer to `operation`, or `fallback` (logged) while Redis is unreachable."""
        method = getattr(super(), operation)
        return self._call(operation, fallback, lambda: method(*args))

    def health(self) -> str:
        """ "ok" when Redis answers a PING now, "degraded" while it does not (or the breaker is
        open and not yet due to try again)."""
        client = self._cache.get_client
        return "ok" if self._call("ping", False, lambda: client(write=True).ping()) else "degraded"

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
        missing = object()
        result = self._forgiving("incr", missing, key, delta, version)
        if result is missing:
            # What callers already handle for a missing key.
            raise ValueError(f"Key '{key}' not found: cache unavailable")
        return result

    def clear(self):
        return self._forgiving("clear", False)


def cache_health() -> str:
    """The default cache's state for /healthz: "ok", or "degraded" while it is unreachable."""
    check = getattr(caches["default"], "health", None)
    return check() if check is not None else "ok"
