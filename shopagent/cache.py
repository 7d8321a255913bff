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
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString

GENERATION_ROW = 1
T = TypeVar("T")
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

    # Plain SQL: this runs on every cached request, and building the ORM query cost more than
    # running it.
    table = connection.ops.quote_name(PageGeneration._meta.db_table)
    key = connection.ops.quote_name(PageGeneration._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {table} WHERE {key} = %s", [GENERATION_ROW])  # noqa: S608
        row = cursor.fetchone()
    generation = 0 if row is None else row[0]
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


def at_generation(
    name: str, *parts, compute: Callable[[], T], seconds: int | None = None, local: bool = False
) -> T:
    """compute(), worked out once per page generation and shared by every page and worker.

    For data read from the database: every change that could alter it bumps the generation, as
    for the page cache, so a stored value is never served after its inputs changed. `local` keeps
    the value in this process too (for a few site-wide values read on most pages, where
    unpickling from the shared cache would cost more than the lookup).
    """
    generation = current_generation()
    # The parts' repr, hashed: unambiguous ("a:b" is not ("a", "b")), short and portable.
    named = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"data:{generation}:{name}:{named}"
    seconds = settings.CACHE_PAGE_SECONDS if seconds is None else seconds
    now = time.monotonic()
    if local and (kept := _local_values.get(key)) is not None and kept[1] > now:
        return kept[0]
    stored = cache.get(key)
    if stored is None:
        stored = (compute(),)  # a tuple, so a computed None is stored too
        cache.set(key, stored, seconds)
    if local and seconds > 0:
        stale = [k for k in list(_local_values) if not k.startswith(f"data:{generation}:")]
        for old in stale:
            _local_values.pop(old, None)
        _local_values[key] = (stored[0], now + seconds)
    return stored[0]


# Values at_generation(local=True) keeps in this process, for the current generation only, with
# the time they expire (time.monotonic()).
_local_values: dict[str, tuple[object, float]] = {}


def forget_local_values() -> None:
    """Drop what at_generation(local=True) kept, as a restarted worker would have."""
    _local_values.clear()


def page_cache_key(request: HttpRequest) -> str:
    """Cache key for a page: path plus its query parameters in a fixed order, at this generation."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()
    return f"page:{current_generation()}:{digest}"


# Response headers a cached page is served with again, besides its content type.
KEPT_HEADERS = ("Content-Disposition",)


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
            content, content_type, *kept = hit  # pages stored before KEPT_HEADERS have no third
            headers = kept[0] if kept else {}
            return HttpResponse(content, content_type=content_type, headers=headers)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and settings.CACHE_PAGE_SECONDS > 0
        ):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            stored = (response.content, response["Content-Type"], headers)
            cache.set(key, stored, settings.CACHE_PAGE_SECONDS)
        return response

    return wrapper


# What a fragment's values may hold: plain data whose repr() shows all of it. A model instance's
# repr hides its fields, so two different cards could share a key: refuse it.
_PLAIN = (str, int, float, Decimal, bool, type(None), date, datetime)
_PLAIN_TYPES = frozenset(_PLAIN)


def _fingerprint(values) -> str:
    """A text that differs whenever `values` do: repr(), once every value is known to be plain
    data (a dataclass counts as the tuple of its fields, named by its class)."""
    if _is_plain(values):
        return repr(values)
    if isinstance(values, _PLAIN):  # a subclass, SafeString say, renders differently
        return f"{type(values).__name__}:{values!r}"
    if isinstance(values, tuple | list):
        return "(" + ",".join(map(_fingerprint, values)) + ")"
    if is_dataclass(values) and not isinstance(values, type):
        return f"{type(values).__name__}{_fingerprint(astuple_shallow(values))}"
    raise TypeError(f"fragment values must be plain data, not {type(values).__name__}")


def _is_plain(values) -> bool:
    """Whether repr(values) shows all of it: plain values, tuples and lists of them, and
    dataclasses (whose generated repr names the class and every field) holding them."""
    kind = type(values)
    if kind in _PLAIN_TYPES:
        return True
    if kind is tuple or kind is list:
        return all(type(v) in _PLAIN_TYPES or _is_plain(v) for v in values)
    if kind not in _DATACLASS_FIELDS:
        shown = is_dataclass(kind) and kind.__dataclass_params__.repr
        names = tuple(f.name for f in fields(kind)) if shown else ()
        # Only a repr that shows every field will do (the dataclasses here keep the generated one).
        _DATACLASS_FIELDS[kind] = names if shown and all(f.repr for f in fields(kind)) else None
    names = _DATACLASS_FIELDS[kind]
    return names is not None and all(_is_plain(getattr(values, name)) for name in names)


# Per class: the fields a dataclass's repr shows, or None when it is not such a dataclass.
_DATACLASS_FIELDS: dict[type, tuple[str, ...] | None] = {}


def astuple_shallow(instance) -> tuple:
    """A dataclass's field values in order, nested dataclasses left as they are."""
    return tuple(getattr(instance, f.name) for f in fields(instance))


def _fragment_key(kind: str, item) -> str:
    digest = hashlib.blake2b(_fingerprint(item).encode(), digest_size=16).hexdigest()
    return f"fragment:{kind}:{digest}"


def cached_fragments(kind: str, items: Sequence, render: Callable) -> list[SafeString]:
    """Each item's HTML, rendered once and then read from the cache (one get_many for the lot).

    The key is `kind` plus everything in the item, and `render` reads nothing but the item: the
    fragment is reused by every page, sort and page generation that shows the same values, and a
    changed figure is a new key, so a fragment can never be stale.
    """
    if not items:
        return []
    keys = [_fragment_key(kind, item) for item in items]
    found = cache.get_many(keys)
    rendered = {}
    for key, item in zip(keys, items, strict=True):
        if key not in found and key not in rendered:
            rendered[key] = render(item)  # markup made safe by escaping; pickling keeps it so
    if rendered:
        cache.set_many(rendered, settings.CACHE_PAGE_SECONDS)
    return [found[key] if key in found else rendered[key] for key in keys]


def cached_join(kind: str, items: Sequence, render: Callable, sep: str = "") -> SafeString:
    """The items' fragments (cached_fragments) joined by `sep`: one cache read when the same list
    was shown before, as a whole table is on every page that shows it unchanged."""
    key = _fragment_key(f"{kind}-joined", (sep, items))
    html = cache.get(key)
    if html is None:
        # Safe fragments joined by a literal separator, as format_html_join does.
        html = SafeString(sep.join(cached_fragments(kind, items, render)))
        cache.set(key, html, settings.CACHE_PAGE_SECONDS)
    return html
