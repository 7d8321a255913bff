"""Limits on alert requests, so the form cannot be used to flood an inbox or the database: per
client (its address read as shopagent.clients reads it, behind TRUSTED_PROXIES) and per email
address. Counted in the database, so every worker shares the counts, under keyed hashes: no
address, network or email, is stored in clear. A window starts with its first request and the
count is forgotten when it ends."""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from metrics.models import AlertRequests
from shopagent.clients import client_digest

CLIENT_LIMIT, CLIENT_WINDOW = 10, timedelta(hours=1)
ADDRESS_LIMIT, ADDRESS_WINDOW = 3, timedelta(days=1)


def _address_key(email: str) -> str:
    digest = salted_hmac("metrics.alerts.address", email, algorithm="sha256").hexdigest()
    return f"address:{digest[:32]}"


def _client_key(request: HttpRequest) -> str:
    return f"client:{client_digest(request, 'price-alerts')}"


def forget_expired(*, now: datetime) -> None:
    """Delete the counts whose window is over (each request does, and every send_alerts run,
    so none outlives its window by more than a refresh interval)."""
    AlertRequests.objects.filter(window_ends_at__lte=now).delete()


def _count(*, key: str, limit: int, window: timedelta, now: datetime) -> int:
    """Count one request under key: 0 within the limit, else the seconds until it resets."""
    with transaction.atomic():
        forget_expired(now=now)
        AlertRequests.objects.get_or_create(key=key, defaults={"window_ends_at": now + window})
        AlertRequests.objects.filter(key=key).update(count=F("count") + 1)
        count, ends = AlertRequests.objects.values_list("count", "window_ends_at").get(key=key)
    if count <= limit:
        return 0
    return max(1, math.ceil((ends - now).total_seconds()))


def seconds_to_wait(*, request: HttpRequest, email: str, now: datetime) -> int:
    """Count a subscription request against its client, then its address; 0 when both allow it,
    else the seconds to wait. A refused client's requests do not count against the address."""
    wait = _count(key=_client_key(request), limit=CLIENT_LIMIT, window=CLIENT_WINDOW, now=now)
    if wait:
        return wait
    return _count(key=_address_key(email), limit=ADDRESS_LIMIT, window=ADDRESS_WINDOW, now=now)
