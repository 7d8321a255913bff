"""Template context every page needs from listings."""

from django.utils.functional import SimpleLazyObject

from listings.models import Listing


def demo_listings_shown() -> bool:
    """Whether any listing a page shows is a demo one (an indexed lookup of one row)."""
    return Listing.objects.visible().filter(is_demo=True).exists()


def demo_notice(request) -> dict:
    """`demo_listings` is true while pages show demo listings rather than live eBay ones: read
    when a page is rendered, so a stored page says what was true when it was built."""
    return {"demo_listings": SimpleLazyObject(demo_listings_shown)}
