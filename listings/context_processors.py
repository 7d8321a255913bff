"""Template context every page needs from listings."""

from functools import cache

from django.core.cache import cache as shared_cache
from django.db import connection

from listings.models import Listing
from shopagent.cache import current_generation

DEMO_NOTICE_CACHE_KEY = "listings:demo-notice"
DEMO_NOTICE_SECONDS = 60


@cache
def _demo_listing_sql(vendor: str) -> tuple[str, tuple]:
    # Every page asks, so the ORM builds the SQL once per database kind rather than per request.
    query = Listing.objects.visible().filter(is_demo=True).order_by().values("pk")[:1].query
    return query.sql_with_params()


def demo_listings_shown() -> bool:
    """Whether any listing a page shows is a demo one (an indexed lookup of one row)."""
    sql, params = _demo_listing_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def demo_notice(request) -> dict:
    """`demo_listings` is true while pages show demo listings rather than live eBay ones."""
    # Keyed by the page generation (read once per request), so the answer changes on every worker
    # with the first page built after a refresh or import, never a minute later.
    key = f"{DEMO_NOTICE_CACHE_KEY}:{current_generation()}"
    shown = shared_cache.get(key)
    if shown is None:
        shown = demo_listings_shown()
        shared_cache.set(key, shown, DEMO_NOTICE_SECONDS)
    return {"demo_listings": shown}
