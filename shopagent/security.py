"""Content-Security-Policy: scripts from this site only, plus PostHog and a nonce when enabled."""

import functools
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings

# The page cache stores HTML with the nonce of the request that rendered it; each response needs
# its own.
NONCE_ATTRIBUTE = re.compile(rb'nonce="[A-Za-z0-9_-]*"')


def posthog_origins(host: str) -> list[str]:
    """PostHog's API origin and, on PostHog Cloud, the assets origin array.js comes from."""
    parts = urlsplit(host)
    if not parts.scheme or not parts.netloc:
        return []
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if parts.netloc.endswith(".i.posthog.com"):
        assets = parts.netloc.replace(".i.posthog.com", "-assets.i.posthog.com")
        origins.append(f"{parts.scheme}://{assets}")
    return origins


def content_security_policy(*, nonce: str, posthog_host: str | None) -> str:
    script_src = ["'self'"]
    connect_src = ["'self'"]
    if posthog_host:
        origins = posthog_origins(posthog_host)
        script_src += [f"'nonce-{nonce}'", *origins]
        connect_src += origins
    directives = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'"],
        "img-src": ["'self'", "https://i.ebayimg.com"],  # listing photos: eBay's image host only
        "connect-src": connect_src,
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@functools.cache
def static_policy() -> str:
    """The policy without PostHog: no nonce, no third-party origin."""
    return content_security_policy(nonce="", posthog_host=None)


class ContentSecurityPolicyMiddleware:
    """Sets a per-request nonce on `request.csp_nonce` and the CSP header on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        response = self.get_response(request)
        posthog_host = settings.POSTHOG_HOST if settings.POSTHOG_API_KEY else None
        if not posthog_host:
            # No script carries a nonce, so the policy is the same for every response.
            response["Content-Security-Policy"] = static_policy()
            return response
        response["Content-Security-Policy"] = content_security_policy(
            nonce=nonce, posthog_host=posthog_host
        )
        if not response.streaming and response.get("Content-Type", "").startswith("text/html"):
            response.content = NONCE_ATTRIBUTE.sub(f'nonce="{nonce}"'.encode(), response.content)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
