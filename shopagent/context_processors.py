"""Values every template needs: canonical origin, analytics switch, contact address, and what
`{% cache %}` fragments vary on."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from shopagent.cache import current_generation


def site(request):
    return {
        "SITE_URL": settings.SITE_URL,
        "canonical_url": f"{settings.SITE_URL}{request.path}",
        "POSTHOG_API_KEY": settings.POSTHOG_API_KEY,
        "POSTHOG_HOST": settings.POSTHOG_HOST,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        # {% cache fragment_seconds "name" page_generation ... %}: a fragment of data read from
        # the database is stored until the next change bumps the generation (read only if used).
        "page_generation": SimpleLazyObject(current_generation),
        "fragment_seconds": settings.CACHE_PAGE_SECONDS,
    }
