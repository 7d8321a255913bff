"""The page cache, the site's one cache: whole responses keyed by path and the query parameters
the page reads, stored with the data generation they were built at.

A page declares the parameters it reads (`@cached_page(reads=...)`); every other parameter
(utm_source, fbclid, a typo) is dropped before the view runs, so such addresses share one entry
and no page can show something its key does not name. The generation is one database row
(metrics.PageGeneration), read by primary key on every cached request: every change that alters
what a page shows (refresh, import, admin edit, recompute) bumps it, and a stored page of an
older generation is rendered again. So a change committed by any process shows on the next
request to every worker, whether the cache is each worker's memory or a shared Redis.

When the database cannot be reached, a stored page is served as it is, whatever its generation:
a page a few minutes old beats an error page.
"""

import hashlib
import logging
import time
from collections.abc import Iterable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

logger = logging.getLogger(__name__)

GENERATION_ROW = 1
LOG_EVERY_SECONDS = 60.0
# Response headers a cached page is served with again, besides its content type.
KEPT_HEADERS = ("Content-Disposition",)


def _fresh_generation() -> int:
    # Milliseconds since the epoch: larger than any number used before the row was (re)created,
    # so a shared cache never serves a page stored under an earlier life of the row.
    return time.time_ns() // 1_000_000


def current_generation() -> int:
    """The data generation pages are built at now: one primary-key read."""
    from metrics.models import PageGeneration

    number = PageGeneration.objects.filter(pk=GENERATION_ROW).values_list("number", flat=True)
    return number.first() or 0


def bump_generation() -> int:
    """Make every stored page stale on every worker; returns the new generation."""
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
    return current_generation()


def read_query(query: QueryDict, reads: Iterable[str]) -> QueryDict:
    """The parameters a page reads, as given; the rest dropped."""
    wanted = set(reads)
    kept = QueryDict(mutable=True)
    for name, values in query.lists():
        if name in wanted:
            kept.setlist(name, values)
    kept._mutable = False
    return kept


def page_key(path: str, query: QueryDict) -> str:
    """The cache key of a page: its path and the parameters it reads, in name order (the values
    of one parameter keep theirs: ?gpu=a&gpu=b compares a with b)."""
    normalised = urlencode([(name, query.getlist(name)) for name in sorted(query)], doseq=True)
    return "page:" + hashlib.sha256(f"{path}?{normalised}".encode()).hexdigest()


def cached_page(*, reads: Iterable[str] = ()):
    """Serve anonymous GET/HEAD requests of the view from the page cache for CACHE_PAGE_SECONDS.

    `reads` names every query parameter the page reads; the view sees only those."""
    reads = tuple(reads)

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            request.GET = read_query(request.GET, reads)
            if request.method not in ("GET", "HEAD") or _signed_in(request):
                return view(request, *args, **kwargs)
            key = page_key(request.path, request.GET)
            stored = cache.get(key)
            try:
                generation = current_generation()
            except DatabaseError:
                if stored is None:
                    raise
                _log_outage()
                return _response(stored)
            if stored is not None and stored[0] == generation:
                return _response(stored)
            response = view(request, *args, **kwargs)
            if _storable(response):
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                headers = {name: response[name] for name in KEPT_HEADERS if name in response}
                page = (generation, response.content, response["Content-Type"], headers)
                cache.set(key, page, settings.CACHE_PAGE_SECONDS)
            return response

        return wrapper

    return decorator


_last_logged = [0.0]


def _log_outage() -> None:
    """One warning a minute per process while stored pages stand in for an unreachable database."""
    now = time.monotonic()
    if now - _last_logged[0] >= LOG_EVERY_SECONDS:
        _last_logged[0] = now
        logger.warning("Database unreachable: serving stored pages from the page cache")


def _signed_in(request: HttpRequest) -> bool:
    """Whether a signed-in user asks (they may see more; their pages are never stored). Without
    a session cookie nobody is signed in, so no database read is needed to know it."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _storable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and settings.CACHE_PAGE_SECONDS > 0
    )


def _response(stored: tuple) -> HttpResponse:
    _, content, content_type, headers = stored
    return HttpResponse(content, content_type=content_type, headers=headers)
