"""The signed links of alert emails (django.core.signing): each names one alert, is bound to its
purpose by a salt and cannot be made without SECRET_KEY. A confirmation link lasts as long as an
unconfirmed alert is kept (CONFIRM_DAYS); the others as long as the alert."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from catalog.presentation import absolute

CONFIRM_DAYS = 7
CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"
MAX_TOKEN_LENGTH = 200  # ours are under 60 characters
_MAX_AGE = {CONFIRM: timedelta(days=CONFIRM_DAYS)}


def _salt(purpose: str) -> str:
    return f"metrics.alerts.{purpose}"


def make_token(alert_id: int, purpose: str) -> str:
    return signing.dumps(alert_id, salt=_salt(purpose))


def read_token(token: str, purpose: str) -> int | None:
    """The alert id a link names, or None for a forged, altered, expired or foreign one."""
    if not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = signing.loads(token, salt=_salt(purpose), max_age=_MAX_AGE.get(purpose))
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return value if type(value) is int else None


def alert_link(alert_id: int, purpose: str) -> str:
    """The absolute link (on SITE_URL) that confirms, manages or unsubscribes an alert."""
    path = reverse(f"metrics:alerts-{purpose}", kwargs={"token": make_token(alert_id, purpose)})
    return absolute(path)
