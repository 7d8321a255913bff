"""Server-side product analytics (PostHog): nothing is sent, or even set up, without a key."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from posthog import Posthog

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_clients: dict[tuple[str, str], Posthog] = {}


def _client() -> Posthog | None:
    key, host = settings.POSTHOG_API_KEY, settings.POSTHOG_HOST
    if not key:
        return None
    with _lock:
        if (key, host) not in _clients:
            # Events queue and leave from a background thread, so a request never waits on PostHog.
            _clients[(key, host)] = Posthog(key, host=host, timeout=5, max_retries=2)
        return _clients[(key, host)]


def capture_event(*, event: str, distinct_id: str, properties: dict) -> None:
    """Send one event to PostHog when a key is set; never raises."""
    try:
        client = _client()
        if client is not None:
            client.capture(event, distinct_id=distinct_id, properties=dict(properties))
    except Exception:  # analytics must never break a page or a refresh
        logger.warning("PostHog event %r not sent", event, exc_info=True)


def flush() -> None:
    """Send queued events now (short-lived processes call this before exiting); never raises."""
    try:
        for client in list(_clients.values()):
            client.flush()
    except Exception:
        logger.warning("PostHog flush failed", exc_info=True)
