"""Admin sign-in throttling: failed sign-ins for one username from one client address slow that
client down with a growing delay, so passwords cannot be guessed at speed, while the real admin,
signing in from their own address, is never locked out by someone else's failures.

After ADMIN_LOGIN_MAX_FAILURES failures, each further attempt from that address for that username
must wait 2 s, then 4, 8, ... up to 15 minutes after the last failure; the count is forgotten 15
minutes after the last failure. The client address comes from shopagent.clients (TRUSTED_PROXIES
behind a proxy); only a keyed hash of address and username is stored. The counts live in the
database (listings.SignInFailures): every worker shares them and page traffic cannot evict them.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone

from listings.models import SignInFailures
from shopagent.clients import client_digest

WINDOW_SECONDS = 15 * 60  # failures are forgotten this long after the last one
FIRST_DELAY_SECONDS = 2


def _key(request) -> str:
    username = (request.POST.get("username") or "").strip().lower()
    return f"client:{client_digest(request, 'admin-sign-in', username)}"


def delay_after(failures: int) -> int:
    """Seconds a client must wait after its latest failure: none until the allowance is used,
    then doubling from FIRST_DELAY_SECONDS up to the window."""
    beyond = failures - settings.ADMIN_LOGIN_MAX_FAILURES
    if beyond < 0:
        return 0
    return min(WINDOW_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(beyond, 20))


def _seconds_to_wait(key: str) -> int:
    now = timezone.now()
    row = SignInFailures.objects.filter(key=key, window_ends_at__gt=now).first()
    if row is None:
        return 0
    last_failure = row.window_ends_at - timedelta(seconds=WINDOW_SECONDS)
    wait = (last_failure + timedelta(seconds=delay_after(row.failures)) - now).total_seconds()
    return max(0, math.ceil(wait))


def _record_failure(key: str) -> None:
    now = timezone.now()
    ends = now + timedelta(seconds=WINDOW_SECONDS)
    with transaction.atomic():
        SignInFailures.objects.filter(window_ends_at__lte=now).delete()  # windows that are over
        counted = SignInFailures.objects.filter(key=key).update(
            failures=F("failures") + 1, window_ends_at=ends
        )
        if counted:
            return
        _, created = SignInFailures.objects.get_or_create(
            key=key, defaults={"failures": 1, "window_ends_at": ends}
        )
        if not created:  # another worker created it first: count this failure too
            SignInFailures.objects.filter(key=key).update(
                failures=F("failures") + 1, window_ends_at=ends
            )


def admin_login(request, extra_context=None):
    """Django admin's login view, refusing a POST until the client's delay has passed."""
    key = _key(request) if request.method == "POST" else ""
    wait = _seconds_to_wait(key) if key else 0
    if wait:
        response = render(request, "admin/login_throttled.html", {"seconds": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    response = admin.site.login(request, extra_context=extra_context)
    if key and not request.user.is_authenticated:
        _record_failure(key)
    return response
