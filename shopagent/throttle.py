"""Admin sign-in throttling: after repeated failures from one address or for one username,
further attempts are refused for a while, so passwords cannot be guessed at speed."""

import hashlib

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.shortcuts import render

WINDOW_SECONDS = 15 * 60


def _keys(request) -> list[str]:
    # REMOTE_ADDR, not X-Forwarded-For, which a client can forge; the proxy must pass it through.
    address = request.META.get("REMOTE_ADDR", "")
    keys = [f"admin-login-fail:ip:{address}"]
    username = (request.POST.get("username") or "").strip().lower()
    if username:
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        keys.append(f"admin-login-fail:user:{digest}")
    return keys


def _record_failure(keys: list[str]) -> None:
    for key in keys:
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)


def admin_login(request, extra_context=None):
    """Django admin's login view, refusing POSTs once too many recent attempts failed."""
    limit = settings.ADMIN_LOGIN_MAX_FAILURES
    keys = _keys(request) if request.method == "POST" else []
    if keys and any((cache.get(key) or 0) >= limit for key in keys):
        context = {"minutes": WINDOW_SECONDS // 60}
        return render(request, "admin/login_throttled.html", context, status=429)
    response = admin.site.login(request, extra_context=extra_context)
    if keys and not request.user.is_authenticated:
        _record_failure(keys)
    return response
