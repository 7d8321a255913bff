"""Archive: after a trustworthy search, the card's active listings it did not return are archived
(never deleted). The rules are in the package docstring (listings/ingest/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q

from catalog.models import Gpu
from listings.ingest.report import IngestReport
from listings.models import Listing, RefreshRun, RefreshSource, Verdict

STALE_AFTER = timedelta(hours=48)
SUSPICIOUS_DROP_RATIO = 0.2
SUSPICIOUS_MIN_ACTIVE = 10


@dataclass
class Answer:
    """What one search's answer held for its card, summed over the batches of a large import."""

    seen_ids: set[str] = field(default_factory=set)
    accounted: int = 0  # this card's listings in the answer (created, changed or sighted)
    kept: int = 0  # ... of which the screen kept
    were_active: int = 0  # ... of which were active listings of this card before


def may_archive(
    *, gpu: Gpu, answer: Answer, zero_answer: bool, active: int, kept: int
) -> tuple[bool, str]:
    """Whether this search's answer is trustworthy enough to archive what it did not return,
    and the note saying why not."""
    if not active:
        return True, ""
    if answer.accounted == 0:
        if zero_answer and _previous_run_was_zero_answer(gpu=gpu):
            return True, ""
        if zero_answer:
            return False, "first zero answer: nothing archived unless the next run agrees"
        return False, "no listing of this card in the answer: nothing archived"
    if answer.kept == 0 and kept:
        return False, "every result rejected by the screen: nothing archived"
    if kept >= SUSPICIOUS_MIN_ACTIVE and answer.kept < kept * SUSPICIOUS_DROP_RATIO:
        return False, f"only {answer.kept} of {kept} kept listings returned: nothing archived"
    return True, ""


def _previous_run_was_zero_answer(*, gpu: Gpu) -> bool:
    last = RefreshRun.objects.succeeded().filter(gpu=gpu).order_by("-finished_at").first()
    return last is not None and last.zero_answer


def archive_missing(
    *, gpu: Gpu, answer: Answer, truncated: bool, report: IngestReport, now: datetime
) -> None:
    """Archive the card's active listings this answer did not return, when it may (a dry run
    only counts them); report.note says why nothing was archived."""
    active = Listing.objects.filter(gpu=gpu, is_active=True)
    if report.source == RefreshSource.DEMO:
        active = active.filter(is_demo=True)  # demo data never retires real listings
    counts = active.order_by().aggregate(
        active=Count("pk"), kept=Count("pk", filter=Q(verdict=Verdict.KEEP))
    )
    allowed, report.note = may_archive(
        gpu=gpu,
        answer=answer,
        zero_answer=report.zero_answer,
        active=counts["active"],
        kept=counts["kept"],
    )
    if not allowed:
        return
    if report.dry_run:  # nothing was written: what the answer did not account for is missing
        if truncated:
            missing = active.exclude(
                item_id__in=list(answer.seen_ids), marketplace=settings.EBAY_MARKETPLACE_ID
            ).filter(last_seen_at__lt=now - STALE_AFTER)
            report.archived = missing.count()
        else:
            report.archived = counts["active"] - answer.were_active
        return
    if counts["active"] == answer.accounted:  # every active listing was just seen: none missing
        return
    # Every listing this answer accounted for was stamped last_seen_at=now in this run.
    cutoff = now - STALE_AFTER if truncated else now
    report.archived = active.filter(last_seen_at__lt=cutoff).update(
        is_active=False, archived_at=now
    )
    if report.archived:
        report.changed_gpu_ids.add(gpu.pk)
