"""Page cache for every app: rendered HTML keyed by path, normalized query and a generation counter.

Bumping the generation (after rankings or listings change) makes every stored page unreachable at
once, without knowing which pages exist; the old entries expire on their own.
"""

import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "shopagent:page-generation"


def _fresh_generation() -> int:
    # Milliseconds since the epoch: larger than any number used before an eviction or restart.
    return time.time_ns() // 1_000_000


def current_generation() -> int:
    """The number page cache keys are built with now."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY, 0)
    return generation


def bump_generation() -> int:
    """Invalidate every cached page; returns the new generation."""
    try:
        return cache.incr(GENERATION_KEY)
    except ValueError:
        generation = _fresh_generation()
        cache.set(GENERATION_KEY, generation, timeout=None)
        return generation


def page_cache_key(request: HttpRequest) -> str:
    """Cache key for a page: path plus its query parameters in a fixed order, at this generation."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()
    return f"page:{current_generation()}:{digest}"


def cached_page(view):
    """Serve anonymous GET/HEAD requests from the page cache for CACHE_PAGE_SECONDS."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if request.method not in ("GET", "HEAD") or (user is not None and user.is_authenticated):
            return view(request, *args, **kwargs)
        key = page_cache_key(request)
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and settings.CACHE_PAGE_SECONDS > 0
        ):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            cache.set(
                key, (response.content, response["Content-Type"]), settings.CACHE_PAGE_SECONDS
            )
        return response

    return wrapper
