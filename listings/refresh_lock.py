"""The refresh lock: one refresh_listings run at a time, across processes and machines.

The lock is a database row taken with one conditional UPDATE (atomic on SQLite and PostgreSQL). A
heartbeat thread renews it every quarter of its lifetime while the run goes on, however long a
card takes; only a crashed run lets it expire. A renewal succeeds only while this run still holds
the lock unexpired: a run that stalled past the expiry (so another run may have started, and may
even have finished) is told it lost the lock, and stops fetching.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from listings.budget import serialised_writes
from listings.ebay import CallsStopped
from listings.models import RefreshLock

logger = logging.getLogger(__name__)

LOCK_NAME = "refresh_listings"
# Only a crashed run lets the lock expire: a live one renews it every quarter of this (heartbeat).
LOCK_TTL = timedelta(minutes=5)


class LockHeld(Exception):
    """Another refresh holds the lock."""


class LockLost(CallsStopped):
    """The heartbeat could not renew this run's lock: the run stops calling eBay."""


def acquire_lock(*, name: str, owner: str, ttl: timedelta | None = None) -> bool:
    """Take the named lock for owner unless someone else holds an unexpired one."""
    now = timezone.now()
    expires_at = now + (ttl or LOCK_TTL)
    # Take over an expired lock (or extend our own) with one conditional UPDATE: atomic on both
    # SQLite and PostgreSQL, so two runs can never both win.
    with serialised_writes():
        taken = RefreshLock.objects.filter(
            Q(expires_at__lte=now) | Q(owner=owner), name=name
        ).update(owner=owner, acquired_at=now, expires_at=expires_at)
        if taken:
            return True
        try:
            with transaction.atomic():
                RefreshLock.objects.create(
                    name=name, owner=owner, acquired_at=now, expires_at=expires_at
                )
        except IntegrityError:
            return False
    return True


def renew_lock(*, name: str, owner: str, ttl: timedelta) -> bool:
    """Extend the named lock if owner still holds it and it has not expired (a run stalled past
    its expiry may have lost it to another run, even if that one has finished since)."""
    now = timezone.now()
    with serialised_writes():
        return bool(
            RefreshLock.objects.filter(name=name, owner=owner, expires_at__gt=now).update(
                expires_at=now + ttl
            )
        )


def release_lock(*, name: str, owner: str) -> None:
    """Drop the named lock if owner still holds it."""
    with serialised_writes():
        RefreshLock.objects.filter(name=name, owner=owner).delete()


class _Heartbeat(threading.Thread):
    """Renews the lock every quarter of its lifetime until stopped, whatever the run is doing;
    calls on_lost with the reason, once, when a renewal fails, and stops."""

    def __init__(self, *, owner: str, ttl: timedelta, on_lost: Callable[[str], None]):
        super().__init__(name="refresh-lock-heartbeat", daemon=True)
        self.owner, self.ttl, self.on_lost = owner, ttl, on_lost
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.ttl.total_seconds() / 4):
                try:
                    renewed = renew_lock(name=LOCK_NAME, owner=self.owner, ttl=self.ttl)
                except Exception as exc:  # noqa: BLE001 - any failure to renew loses the lock
                    logger.exception("Renewing the refresh lock failed")
                    renewed, why = False, f"renewing it failed ({type(exc).__name__})"
                else:
                    why = "it expired or another run holds it"
                if not renewed:
                    if not self.stopped.is_set():
                        self.on_lost(f"the refresh lock was lost: {why}")
                    return
        finally:
            connection.close()  # this thread's own connection


@contextmanager
def refresh_lock(*, owner: str, on_lost: Callable[[str], None] = logger.error) -> Iterator[None]:
    """Hold the refresh lock for the block, renewed by a heartbeat, or raise LockHeld; on_lost
    is told if the heartbeat cannot renew it."""
    ttl = LOCK_TTL
    if not acquire_lock(name=LOCK_NAME, owner=owner, ttl=ttl):
        holder = RefreshLock.objects.filter(name=LOCK_NAME).first()
        until = f" until {holder.expires_at:%Y-%m-%d %H:%M:%S} UTC" if holder else ""
        raise LockHeld(f"another refresh_listings run holds the lock{until}")
    heartbeat = _Heartbeat(owner=owner, ttl=ttl, on_lost=on_lost)
    heartbeat.start()
    try:
        yield
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
        release_lock(name=LOCK_NAME, owner=owner)
