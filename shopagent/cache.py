"""Page cache for every app: rendered HTML keyed by path, normalized query and a generation counter.

Bumping the generation (after rankings or listings change) makes every stored page unreachable at
once, without knowing which pages exist; the old entries expire on their own.

The generation is one database row (metrics.PageGeneration), read by primary key on every cached
request and never memoised: a change committed by any process (cron refresh, import, admin edit,
recompute) is visible on the next request to every worker, whether the page cache is each
worker's local memory or a shared Redis.
"""

import hashlib
import time
from contextvars import ContextVar
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

GENERATION_ROW = 1
# The generation a request works at, read once per request (OneGenerationPerRequest): the page cache
# key, the demo notice and the LLM catalogue all cache by it without a second read.
_request_memo: ContextVar[dict | None] = ContextVar("page_generation_memo", default=None)


class OneGenerationPerRequest:
    """Middleware: the page generation is read at most once while a request is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_memo.set({})
        try:
            return self.get_response(request)
        finally:
            _request_memo.reset(token)


def _fresh_generation() -> int:
    # Milliseconds since the epoch: larger than any number used before the row was (re)created,
    # so a shared cache never serves a page stored under an earlier life of the row.
    return time.time_ns() // 1_000_000


def current_generation() -> int:
    """The number page cache keys are built with now: one primary-key read (once per request)."""
    memo = _request_memo.get()
    if memo is not None and "generation" in memo:
        return memo["generation"]
    from metrics.models import PageGeneration

    number = PageGeneration.objects.filter(pk=GENERATION_ROW).values_list("number", flat=True)
    generation = number.first()
    generation = 0 if generation is None else generation
    if memo is not None:
        memo["generation"] = generation
    return generation


def bump_generation() -> int:
    """Invalidate every cached page on every worker; returns the new generation."""
    from metrics.models import PageGeneration

    now = timezone.now()
    with transaction.atomic():
        bumped = PageGeneration.objects.filter(pk=GENERATION_ROW).update(
            number=F("number") + 1, changed_at=now
        )
        if not bumped:
            PageGeneration.objects.get_or_create(
                pk=GENERATION_ROW, defaults={"number": _fresh_generation(), "changed_at": now}
            )
    memo = _request_memo.get()
    if memo is not None:
        memo.pop("generation", None)  # a request that changed something sees its own change
    return current_generation()


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
