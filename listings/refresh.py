"""A live refresh of many cards: one run at a time, stopping cleanly when the budget is spent."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from catalog.models import Gpu
from listings import analytics
from listings.ebay import BudgetExhausted, EbayClient
from listings.ingest import (
    IngestReport,
    catalog_facts,
    new_run_id,
    notify_listings_changed,
    refresh_gpu,
)
from listings.models import RefreshLock, RefreshRun, RefreshSource, RefreshStatus

logger = logging.getLogger(__name__)

LOCK_NAME = "refresh_listings"
# Longer than any sane run; the holder extends it after every card, so only a crashed run expires.
LOCK_TTL = timedelta(minutes=30)


class LockHeld(Exception):
    """Another refresh holds the lock."""


def acquire_lock(*, name: str, owner: str, ttl: timedelta = LOCK_TTL) -> bool:
    """Take the named lock for owner unless someone else holds an unexpired one."""
    now = timezone.now()
    # Take over an expired lock (or extend our own) with one conditional UPDATE: atomic on both
    # SQLite and PostgreSQL, so two runs can never both win.
    taken = RefreshLock.objects.filter(Q(expires_at__lte=now) | Q(owner=owner), name=name).update(
        owner=owner, acquired_at=now, expires_at=now + ttl
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            RefreshLock.objects.create(
                name=name, owner=owner, acquired_at=now, expires_at=now + ttl
            )
    except IntegrityError:
        return False
    return True


def release_lock(*, name: str, owner: str) -> None:
    """Drop the named lock if owner still holds it."""
    RefreshLock.objects.filter(name=name, owner=owner).delete()


@contextmanager
def refresh_lock(*, owner: str) -> Iterator[None]:
    """Hold the refresh lock for the block, or raise LockHeld."""
    if not acquire_lock(name=LOCK_NAME, owner=owner):
        holder = RefreshLock.objects.filter(name=LOCK_NAME).first()
        until = f" until {holder.expires_at:%Y-%m-%d %H:%M} UTC" if holder else ""
        raise LockHeld(f"another refresh_listings run holds the lock{until}")
    try:
        yield
    finally:
        release_lock(name=LOCK_NAME, owner=owner)


def stale_gpus(*, max_age: timedelta, now: datetime | None = None) -> QuerySet[Gpu]:
    """Cards whose last successful live refresh finished longer than max_age ago, or never."""
    cutoff = (now or timezone.now()) - max_age
    return Gpu.objects.annotate(
        last_refreshed=Max(
            "refresh_runs__finished_at",
            filter=Q(
                refresh_runs__status=RefreshStatus.OK,
                refresh_runs__source=RefreshSource.LIVE,
            ),
        )
    ).filter(Q(last_refreshed__isnull=True) | Q(last_refreshed__lt=cutoff))


@dataclass
class RefreshSummary:
    """What one refresh_listings run did to each card."""

    run_id: str
    reports: list[IngestReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    budget_exhausted: bool = False

    @property
    def failed(self) -> list[IngestReport]:
        return [r for r in self.reports if r.status == RefreshStatus.FAILED]

    @property
    def api_calls(self) -> int:
        return sum(r.api_calls for r in self.reports)


def refresh_listings(
    *,
    gpus: Sequence[Gpu],
    dry_run: bool = False,
    client: EbayClient | None = None,
    run_id: str | None = None,
) -> RefreshSummary:
    """Refresh each card from eBay under the lock; raises LockHeld if another run is going."""
    summary = RefreshSummary(run_id=run_id or new_run_id())
    with refresh_lock(owner=summary.run_id):
        client = client or EbayClient()
        catalog = catalog_facts()
        try:
            for index, gpu in enumerate(gpus):
                try:
                    report = refresh_gpu(
                        gpu=gpu,
                        client=client,
                        run_id=summary.run_id,
                        dry_run=dry_run,
                        catalog=catalog,
                        notify=False,
                    )
                except BudgetExhausted:
                    summary.budget_exhausted = True
                    summary.skipped = [g.slug for g in gpus[index:]]
                    _record_skipped(gpus=gpus[index + 1 :], run_id=summary.run_id, dry_run=dry_run)
                    break
                summary.reports.append(report)
                acquire_lock(name=LOCK_NAME, owner=summary.run_id)  # extend while we work
        finally:
            # One notice for the whole run: rankings are recomputed once, not once per card.
            notify_listings_changed(
                gpu_ids={i for r in summary.reports if not r.dry_run for i in r.changed_gpu_ids}
            )
    _report_to_analytics(summary=summary, dry_run=dry_run)
    return summary


def _record_skipped(*, gpus: Sequence[Gpu], run_id: str, dry_run: bool) -> None:
    if dry_run or not gpus:
        return
    now = timezone.now()
    RefreshRun.objects.bulk_create(
        RefreshRun(
            run_id=run_id,
            gpu=gpu,
            source=RefreshSource.LIVE,
            started_at=now,
            finished_at=now,
            status=RefreshStatus.SKIPPED,
            error="daily eBay call budget spent",
        )
        for gpu in gpus
    )


def _report_to_analytics(*, summary: RefreshSummary, dry_run: bool) -> None:
    ok = [r for r in summary.reports if r.ok]
    analytics.capture_event(
        event="refresh_listings",
        distinct_id="shopagent-server",
        properties={
            "run_id": summary.run_id,
            "dry_run": dry_run,
            "cards_ok": len(ok),
            "cards_failed": [r.gpu_slug for r in summary.failed],
            "cards_skipped": summary.skipped,
            "budget_exhausted": summary.budget_exhausted,
            "api_calls": summary.api_calls,
            "seen": sum(r.seen for r in ok),
            "created": sum(r.created for r in ok),
            "updated": sum(r.updated for r in ok),
            "archived": sum(r.archived for r in ok),
            "rejected": sum(r.rejected for r in ok),
        },
    )
    analytics.flush()
