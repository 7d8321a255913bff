"""Template context every page needs from listings."""

from django.core.cache import cache

from listings.models import Listing

DEMO_NOTICE_CACHE_KEY = "listings:demo-notice"
DEMO_NOTICE_SECONDS = 60


def demo_notice(request) -> dict:
    """`demo_listings` is true while pages show demo listings rather than live eBay ones."""
    shown = cache.get(DEMO_NOTICE_CACHE_KEY)
    if shown is None:
        shown = Listing.objects.visible().filter(is_demo=True).exists()
        cache.set(DEMO_NOTICE_CACHE_KEY, shown, DEMO_NOTICE_SECONDS)
    return {"demo_listings": shown}


def forget_demo_notice(**kwargs) -> None:
    """Receiver for listings_changed: the next page checks again."""
    cache.delete(DEMO_NOTICE_CACHE_KEY)
