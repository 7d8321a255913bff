"""Report: what one card's refresh or import did, its run record, and the signal to metrics."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from listings.models import FLAG_FIELDS, Flag, Listing, RefreshRun, RefreshStatus, Verdict
from listings.signals import ingest_finished, listings_changed

# The report's counts a RefreshRun row stores under the same names.
RUN_FIELDS = (
    "seen",
    "created",
    "updated",
    "archived",
    "rejected",
    "malformed",
    "zero_answer",
    "api_calls",
    "error",
)


@dataclass
class ItemOutcome:
    """The screen's answer for one item, as `import_listings --json` prints it."""

    item_id: str
    verdict: str
    reason: str
    quantity: int
    unit_price: Decimal | None
    currency: str
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "itemId": self.item_id,
            "verdict": self.verdict,
            "reason": self.reason,
            "quantity": self.quantity,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "currency": self.currency,
            "flags": self.flags,
        }


@dataclass
class IngestReport:
    """What one card's refresh or import did."""

    gpu_slug: str
    run_id: str
    source: str
    status: str = RefreshStatus.OK
    seen: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    rejected: int = 0
    malformed: int = 0
    api_calls: int = 0
    error: str = ""
    note: str = ""
    dry_run: bool = False
    zero_answer: bool = False
    outcomes: list[ItemOutcome] = field(default_factory=list)
    malformed_reasons: dict[str, int] = field(default_factory=dict)
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)  # kept listings by flag
    samples_rejected: dict[str, int] = field(default_factory=dict)  # dropped samples by reason
    changed_gpu_ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.status == RefreshStatus.OK

    def tally(self, values: dict, *, sign: int = 1) -> None:
        """Count one screened item's listing values (sign -1 takes one back): seen, rejected
        by reason, kept listings by flag and engineering samples the screen dropped."""
        self.seen += sign
        kept = values["verdict"] == Verdict.KEEP
        if not kept:
            self.rejected += sign
            _add(self.rejected_reasons, values["reason"] or "other", sign)
        for flag, name in FLAG_FIELDS.items():
            if values[name] and kept:
                _add(self.flagged, flag.value, sign)
        if values[FLAG_FIELDS[Flag.ENGINEERING_SAMPLE]] and not kept:
            _add(self.samples_rejected, values["reason"] or "other", sign)

    def summary(self) -> str:
        """One human line: counts, or the error."""
        if not self.ok:
            return f"{self.gpu_slug}: {self.status}: {self.error}"
        line = (
            f"{self.gpu_slug}: {self.seen} seen, {self.created} new, {self.updated} updated, "
            f"{self.archived} archived, {self.rejected} rejected, {self.api_calls} API calls"
        )
        notes = [self.note] if self.note else []
        if self.rejected:
            notes.append(f"rejected: {_counts(self.rejected_reasons)}")
        if any(self.flagged.values()):
            notes.append(f"listed with a flag, not in the going rate: {_counts(self.flagged)}")
        if any(self.samples_rejected.values()):
            samples = sum(self.samples_rejected.values())
            notes.append(
                f"{samples} engineering sample{'s' if samples != 1 else ''} rejected by the "
                f"screen: {_counts(self.samples_rejected)}"
            )
        if self.malformed:
            reasons = "; ".join(f"{n} {why}" for why, n in sorted(self.malformed_reasons.items()))
            notes.append(f"{self.malformed} malformed items rejected: {reasons}")
        return f"{line} ({'; '.join(notes)})" if notes else line


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _counts(counts: dict[str, int]) -> str:
    """ "2 parts, 5 wrong_model": the non-zero counts by key."""
    return ", ".join(f"{n} {key}" for key, n in sorted(counts.items()) if n)


def new_run_id() -> str:
    """A fresh id shared by every card's RefreshRun row of one command run."""
    return uuid.uuid4().hex


def finish_run(*, run: RefreshRun, report: IngestReport) -> None:
    """Store the report's counts and status on the card's run record."""
    for name in RUN_FIELDS:
        setattr(run, name, getattr(report, name))
    run.status = report.status
    run.finished_at = timezone.now()
    run.save()


def notify_listings_changed(*, gpu_ids: Iterable[int], source: str = "") -> None:
    """Send listings_changed once the current transaction commits, if any card changed."""
    gpu_ids = sorted(set(gpu_ids))
    if gpu_ids:
        transaction.on_commit(
            lambda: listings_changed.send(sender=Listing, gpu_ids=gpu_ids, source=source)
        )


def announce_run_finished(*, source: str) -> None:
    """Tell the layers above that a refresh or import run is over (price alerts go out then);
    a receiver's failure is logged by the signal, never raised into the run."""
    ingest_finished.send_robust(sender=Listing, source=source)
