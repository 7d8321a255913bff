"""Values every template needs: canonical origin, analytics switch and contact address."""

from django.conf import settings


def site(request):
    return {
        "SITE_URL": settings.SITE_URL,
        "canonical_url": f"{settings.SITE_URL}{request.path}",
        "POSTHOG_API_KEY": settings.POSTHOG_API_KEY,
        "POSTHOG_HOST": settings.POSTHOG_HOST,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
    }
