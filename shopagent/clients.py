"""Who is asking: the client's address, read the same way by every part of the site that keys
something on it (the admin sign-in throttle, counted page views), and a keyed hash of it for
anything stored, so no address is kept in clear.

Behind proxies, REMOTE_ADDR is the nearest proxy's address, shared by every visitor. With
TRUSTED_PROXIES = n (the proxies in front of the site that each append the address they saw to
X-Forwarded-For), the client is the n-th address from the right of X-Forwarded-For: what the
outermost trusted proxy saw. Entries further left were written by the client and are never read.
Off (0) by default: then X-Forwarded-For is ignored, as a client can forge it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_address(request: HttpRequest) -> str:
    """The address of the client behind the trusted proxies (REMOTE_ADDR when there are none)."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote  # not through the whole proxy chain
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_digest(request: HttpRequest, *parts: str) -> str:
    """A keyed hash (SECRET_KEY) of the client's address and `parts`: stable for one client,
    revealing nothing about the address to whoever reads the store."""
    message = "\x1f".join((client_address(request), *parts))
    return salted_hmac("shopagent.clients", message, algorithm="sha256").hexdigest()[:32]
