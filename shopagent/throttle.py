"""Admin sign-in throttling: after repeated failures from one address or for one username,
further attempts are refused for a while, so passwords cannot be guessed at speed.

The counts live in the database (listings.SignInFailures): every worker shares them and page
traffic cannot evict them.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone

from listings.models import SignInFailures

WINDOW_SECONDS = 15 * 60


def _keys(request) -> list[str]:
    # REMOTE_ADDR, not X-Forwarded-For, which a client can forge; the proxy must pass it through.
    address = request.META.get("REMOTE_ADDR", "")
    keys = [f"ip:{address}"[:80]]
    username = (request.POST.get("username") or "").strip().lower()
    if username:
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        keys.append(f"user:{digest}")
    return keys


def _is_throttled(keys: list[str]) -> bool:
    return SignInFailures.objects.filter(
        key__in=keys,
        window_ends_at__gt=timezone.now(),
        failures__gte=settings.ADMIN_LOGIN_MAX_FAILURES,
    ).exists()


def _record_failure(keys: list[str]) -> None:
    now = timezone.now()
    with transaction.atomic():
        SignInFailures.objects.filter(window_ends_at__lte=now).delete()  # windows that are over
        for key in keys:
            counted = SignInFailures.objects.filter(key=key).update(failures=F("failures") + 1)
            if counted:
                continue
            ends = now + timedelta(seconds=WINDOW_SECONDS)
            _, created = SignInFailures.objects.get_or_create(
                key=key, defaults={"failures": 1, "window_ends_at": ends}
            )
            if not created:  # another worker created it first: count this failure too
                SignInFailures.objects.filter(key=key).update(failures=F("failures") + 1)


def admin_login(request, extra_context=None):
    """Django admin's login view, refusing POSTs once too many recent attempts failed."""
    keys = _keys(request) if request.method == "POST" else []
    if keys and _is_throttled(keys):
        context = {"minutes": WINDOW_SECONDS // 60}
        return render(request, "admin/login_throttled.html", context, status=429)
    response = admin.site.login(request, extra_context=extra_context)
    if keys and not request.user.is_authenticated:
        _record_failure(keys)
    return response
