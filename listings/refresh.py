"""A live refresh of many cards: one run at a time, several cards fetched at once, every card
written in its own short transaction, and a wall-clock bound on the whole run.

Fetch workers (REFRESH_WORKERS threads, `--workers`) only talk to eBay; the calling thread screens
and writes each card as its answer arrives, one transaction per card and never with HTTP inside it.
All workers share one `CallGate`: the daily budget (reserved in the database call by call), a
back-off when eBay answers 429, a circuit breaker, and the run's deadline. Once the gate stops
(budget spent, breaker open, deadline passed, lock lost) no new call starts and the cards not yet
fetched are recorded as skipped. A heartbeat thread keeps the lock while a long card is in
progress; when it cannot renew it (the run stalled past the lock's expiry and another run may have
taken over), the run stops fetching and says so.

No card goes unreported: a fetch that dies on an unexpected error fails its card with that error,
and a card no worker reached (every fetch worker gone) is recorded as failed with the reason.

How long a run can take: REFRESH_RUN_DEADLINE_SECONDS, plus the calls already in flight when it
passes (each ends within EBAY_CALL_DEADLINE_SECONDS plus one EBAY_TIMEOUT_SECONDS socket wait),
plus writing the cards fetched by then. With the defaults: 1,500 + 30 + 15 s plus the writes,
under 30 minutes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from catalog.models import Gpu
from listings import analytics
from listings.budget import CallGate, serialised_writes
from listings.ebay import BudgetExhausted, CallsStopped, EbayClient, EbayError, SearchResult
from listings.ingest import (
    IngestReport,
    announce_run_finished,
    catalog_facts,
    ingest_items,
    new_run_id,
    notify_listings_changed,
)
from listings.models import RefreshRun, RefreshSource, RefreshStatus
from listings.refresh_lock import LockLost, refresh_lock

logger = logging.getLogger(__name__)


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
    skip_reason: str = ""
    budget_exhausted: bool = False
    stopped_early: str = ""  # why the run stopped before its cards were done, when it is a fault

    @property
    def failed(self) -> list[IngestReport]:
        return [r for r in self.reports if r.status == RefreshStatus.FAILED]

    @property
    def api_calls(self) -> int:
        return sum(r.api_calls for r in self.reports)


@dataclass
class Fetched:
    """One card's search as a worker finished it: the result or the error, and its calls."""

    gpu: Gpu
    started_at: datetime
    result: SearchResult | None = None
    error: EbayError | None = None
    api_calls: int = 0


def refresh_listings(
    *,
    gpus: Sequence[Gpu],
    dry_run: bool = False,
    make_client: Callable[[CallGate], EbayClient] | None = None,
    workers: int | None = None,
    run_id: str | None = None,
) -> RefreshSummary:
    """Refresh each card from eBay under the lock; raises LockHeld if another run is going."""
    summary = RefreshSummary(run_id=run_id or new_run_id())
    workers = max(1, min(workers or settings.REFRESH_WORKERS, len(gpus) or 1))
    make_client = make_client or (lambda gate: EbayClient(gate=gate))
    gate = CallGate(run_deadline=time.monotonic() + settings.REFRESH_RUN_DEADLINE_SECONDS)
    with refresh_lock(owner=summary.run_id, on_lost=lambda why: _lose_lock(gate, why)):
        catalog = catalog_facts()
        pending: queue.SimpleQueue[Gpu] = queue.SimpleQueue()
        for gpu in gpus:
            pending.put(gpu)
        stopped: list[Fetched] = []
        worker_errors: list[str] = []
        try:
            for fetched in _fetch_all(
                pending=pending,
                gate=gate,
                make_client=make_client,
                workers=workers,
                errors=worker_errors,
            ):
                if isinstance(fetched.error, CallsStopped):
                    stopped.append(fetched)
                    continue
                summary.reports.append(
                    _store(fetched=fetched, run_id=summary.run_id, dry_run=dry_run, catalog=catalog)
                )
        finally:
            # One notice for the whole run: rankings are recomputed once, not once per card.
            notify_listings_changed(
                gpu_ids={i for r in summary.reports if not r.dry_run for i in r.changed_gpu_ids}
            )
        unfetched = []
        while not pending.empty():
            unfetched.append(pending.get())
        if gate.stopped is not None:
            summary.budget_exhausted = isinstance(gate.stopped, BudgetExhausted)
            summary.skip_reason = _skip_reason(gate.stopped)
            if isinstance(gate.stopped, LockLost):
                summary.stopped_early = summary.skip_reason
            skipped = [f.gpu for f in stopped] + unfetched
            summary.skipped = sorted(g.slug for g in skipped)
            _record_skipped(
                gpus=skipped,
                run_id=summary.run_id,
                dry_run=dry_run,
                reason=summary.skip_reason,
                api_calls={f.gpu.pk: f.api_calls for f in stopped},
            )
        # Whatever happened to the fetch workers, every card is accounted for.
        accounted = {r.gpu_slug for r in summary.reports} | set(summary.skipped)
        reason = "; ".join(dict.fromkeys(worker_errors)) or "no fetch worker reached it"
        for gpu in gpus:
            if gpu.slug not in accounted:
                fetched = Fetched(gpu=gpu, started_at=timezone.now())
                summary.reports.append(
                    _store(
                        fetched=fetched,
                        run_id=summary.run_id,
                        dry_run=dry_run,
                        catalog=catalog,
                        error=f"not refreshed: {reason}",
                    )
                )
    summary.reports.sort(key=lambda r: r.gpu_slug)
    if not dry_run:
        announce_run_finished(source=RefreshSource.LIVE)  # out of the lock: alerts may take a while
    _report_to_analytics(summary=summary, dry_run=dry_run)
    return summary


def _lose_lock(gate: CallGate, why: str) -> None:
    logger.error("Refresh stops fetching: %s", why)
    gate.stop(LockLost(why))


def _skip_reason(stopped: CallsStopped) -> str:
    if isinstance(stopped, BudgetExhausted):
        return "daily eBay call budget spent"
    return str(stopped)


def _fetch(*, gpu: Gpu, client: EbayClient) -> Fetched:
    started, calls_before, sent_before = timezone.now(), client.api_calls, client.calls_sent
    client.card_deadline = time.monotonic() + settings.EBAY_CARD_DEADLINE_SECONDS
    fetched = Fetched(gpu=gpu, started_at=started)
    try:
        fetched.result = client.search(
            query=gpu.ebay_query, category_ids=[str(c) for c in gpu.ebay_category_ids or ()]
        )
    except BudgetExhausted as exc:
        fetched.error = exc  # a spent budget is not a fault: the card is skipped
    except CallsStopped as exc:
        # A card cut off part-way (its own calls failing when the breaker opened, or under way
        # when the run's deadline passed or its lock was lost) failed; the rest are skipped.
        fetched.error = EbayError(str(exc)) if client.calls_sent > sent_before else exc
    except EbayError as exc:
        fetched.error = exc
        if not isinstance(exc, CallsStopped):
            logger.warning("Refresh of %s failed: %s", gpu.slug, exc)
    except Exception as exc:  # noqa: BLE001 - a bug or a fault nobody foresaw fails this card alone
        logger.exception("Refresh of %s failed unexpectedly", gpu.slug)
        fetched.error = EbayError(f"unexpected error: {type(exc).__name__}: {exc}")
    fetched.api_calls = client.api_calls - calls_before
    return fetched


def _fetch_all(
    *,
    pending: queue.SimpleQueue[Gpu],
    gate: CallGate,
    make_client: Callable[[CallGate], EbayClient],
    workers: int,
    errors: list[str],
) -> Iterator[Fetched]:
    """Each card's search as it completes, from `workers` threads (inline for one worker); why
    a worker stopped early goes into `errors`."""
    if workers == 1:
        try:
            client = make_client(gate)
        except Exception as exc:  # noqa: BLE001 - the cards it would have fetched are reported
            logger.exception("The refresh's eBay client could not be made")
            errors.append(f"{type(exc).__name__}: {exc}")
            return
        while gate.stopped is None and not pending.empty():
            yield _fetch(gpu=pending.get(), client=client)
        return
    done: queue.SimpleQueue[Fetched | None] = queue.SimpleQueue()

    def work() -> None:
        try:
            client = make_client(gate)
            while gate.stopped is None:
                try:
                    gpu = pending.get_nowait()
                except queue.Empty:
                    break
                done.put(_fetch(gpu=gpu, client=client))
        except Exception as exc:  # noqa: BLE001 - the cards it did not reach are reported
            logger.exception("A refresh worker failed")
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()  # the budget reservations' connection of this thread
            done.put(None)

    threads = [
        threading.Thread(target=work, name=f"refresh-fetch-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    running = workers
    try:
        while running:
            fetched = done.get()
            if fetched is None:
                running -= 1
            else:
                yield fetched
    finally:
        if running:  # the caller gave up: let no worker start another card
            gate.stop(CallsStopped("the run was aborted"))
        for thread in threads:
            thread.join()


def _store(
    *, fetched: Fetched, run_id: str, dry_run: bool, catalog: Sequence, error: str = ""
) -> IngestReport:
    """Screen and write one fetched card in one short transaction; a failure (or `error`, for a
    card that was never fetched) is recorded."""
    gpu = fetched.gpu
    with serialised_writes():
        run = None
        if not dry_run:
            run = RefreshRun.objects.create(
                run_id=run_id, gpu=gpu, source=RefreshSource.LIVE, started_at=fetched.started_at
            )
        result = fetched.result
        if result is None:
            return _failed(
                fetched=fetched,
                run=run,
                run_id=run_id,
                dry_run=dry_run,
                error=error or str(fetched.error),
            )
        try:
            report = ingest_items(
                gpu=gpu,
                items=result.items,
                source=RefreshSource.LIVE,
                run_id=run_id,
                dry_run=dry_run,
                total=result.total,
                truncated=result.truncated,
                api_calls=result.api_calls,
                catalog=catalog,
                run=run,
                notify=False,
            )
        except Exception as exc:  # one card's bad data must not stop the other cards
            logger.exception("Ingest of %s failed", gpu.slug)
            return _failed(
                fetched=fetched,
                run=run,
                run_id=run_id,
                dry_run=dry_run,
                error=f"ingest failed: {exc}",
            )
        if result.stalled:
            # What was fetched is kept (archiving only what a truncated answer allows), but the
            # card did not get a complete answer, so its refresh is not a success.
            report.status = RefreshStatus.FAILED
            report.error = (
                f"truncated: {result.stalled}; {report.seen} seen, {report.created} new, "
                f"{report.updated} updated, {report.archived} archived"
            )
            if run is not None:
                run.status, run.error = report.status, report.error
                run.save(update_fields=["status", "error"])
    return report


def _failed(
    *, fetched: Fetched, run: RefreshRun | None, run_id: str, dry_run: bool, error: str
) -> IngestReport:
    report = IngestReport(
        gpu_slug=fetched.gpu.slug,
        run_id=run_id,
        source=RefreshSource.LIVE,
        status=RefreshStatus.FAILED,
        api_calls=fetched.api_calls,
        error=error[:2000],
        dry_run=dry_run,
    )
    if run is not None:
        run.status, run.error, run.api_calls = report.status, report.error, report.api_calls
        run.finished_at = timezone.now()
        run.save()
    return report


def _record_skipped(
    *, gpus: Sequence[Gpu], run_id: str, dry_run: bool, reason: str, api_calls: dict[int, int]
) -> None:
    if dry_run or not gpus:
        return
    now = timezone.now()
    with serialised_writes():
        RefreshRun.objects.bulk_create(
            RefreshRun(
                run_id=run_id,
                gpu=gpu,
                source=RefreshSource.LIVE,
                started_at=now,
                finished_at=now,
                status=RefreshStatus.SKIPPED,
                api_calls=api_calls.get(gpu.pk, 0),
                error=reason,
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
