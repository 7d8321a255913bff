"""One card's eBay search results into Listing rows and their history, a job per module: clean
(each item made safe), screen (the verdict and the values stored), upsert (create, update, sight,
price history), archive (what the answer did not return) and report (the run record and the
signal to metrics).

Fetching happens outside any database transaction; the screen and the upsert of one card run in one
short transaction with bulk operations, so one card failing never touches another card's listings
and a failed search leaves the card's stored listings exactly as they were.

Items are cleaned one by one first (listings/cleaning.py): an item that cannot be read or made safe
is rejected on its own, with its reason counted as `malformed`, and the rest of the card goes on.
Large imports (batch_size) write a batch at a time in short transactions, so other writers wait
seconds, not minutes, and memory stays bounded by the batch, not the file.

When listings are archived (never deleted): after a successful search that was not truncated at the
per-card cap, every active listing of the card that the search did not return is archived. Only a
trustworthy answer archives anything; these archive nothing:
- an answer with no listing of this card in it (empty, or only items already stored under other
  cards), unless eBay said `total: 0` on a well-formed page with no items and the card's previous
  successful run was such a zero answer too (two honest zeros in a row);
- an answer whose every result the screen rejected, while the card has listings the screen kept;
- an answer that kept fewer than a fifth of the card's kept active listings (at least 10 of them),
  which looks like a degraded answer rather than a market that emptied overnight.
A search truncated at the cap archives only listings missing for longer than STALE_AFTER, since the
others may simply sit beyond the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from catalog.models import Gpu
from listings import heuristics
from listings.ingest.archive import STALE_AFTER, Answer, archive_missing
from listings.ingest.clean import unique_items
from listings.ingest.report import (
    IngestReport,
    ItemOutcome,
    announce_run_finished,
    finish_run,
    new_run_id,
    notify_listings_changed,
)
from listings.ingest.screen import card_facts, catalog_facts, screen_batch, screen_items
from listings.ingest.upsert import INGESTED_FIELDS, upsert_batch
from listings.models import RefreshRun, RefreshSource
from shopagent.cache import bump_generation

__all__ = [
    "IMPORT_BATCH_ITEMS",
    "INGESTED_FIELDS",
    "STALE_AFTER",
    "IngestReport",
    "ItemOutcome",
    "announce_run_finished",
    "card_facts",
    "catalog_facts",
    "ingest_items",
    "new_run_id",
    "notify_listings_changed",
    "screen_items",
]

IMPORT_BATCH_ITEMS = 2_000  # per transaction in a large import: a second or two of write lock


def _batches(items: Iterable[object], size: int | None) -> Iterator[list[object]]:
    if size is None:
        yield list(items)
        return
    batch: list[object] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_items(
    *,
    gpu: Gpu,
    items: Iterable[object],
    source: str,
    run_id: str,
    dry_run: bool = False,
    now: datetime | None = None,
    total: int | None = None,
    truncated: bool = False,
    api_calls: int = 0,
    catalog: Sequence[heuristics.CardFacts] | None = None,
    run: RefreshRun | None = None,
    notify: bool = True,
    batch_size: int | None = None,
    keep_outcomes: bool = True,
) -> IngestReport:
    """Screen one card's search results and upsert them (dry_run: no writes).

    Without batch_size, in one transaction; with it, items are read, screened and written a batch
    at a time, each batch its own short transaction, and the archive step runs once at the end.
    """
    now = now or timezone.now()
    catalog = list(catalog) if catalog is not None else catalog_facts(priced=[gpu])
    report = IngestReport(
        gpu_slug=gpu.slug, run_id=run_id, source=source, dry_run=dry_run, api_calls=api_calls
    )
    answer = Answer()
    raw_count = 0
    with nullcontext() if batch_size else transaction.atomic():
        for batch in _batches(items, batch_size):
            raw_count += len(batch)
            values_by_id = screen_batch(
                gpu=gpu,
                items=unique_items(batch, report=report),
                catalog=catalog,
                report=report,
                demo=source == RefreshSource.DEMO,
                keep_outcomes=keep_outcomes,
            )
            with transaction.atomic():
                upsert_batch(
                    gpu=gpu, values_by_id=values_by_id, report=report, answer=answer, now=now
                )
            answer.seen_ids.update(values_by_id)
            del batch, values_by_id
        report.zero_answer = total == 0 and raw_count == 0
        with transaction.atomic():
            archive_missing(gpu=gpu, answer=answer, truncated=truncated, report=report, now=now)
            if dry_run:
                return report
            if run is None:
                run = RefreshRun(run_id=run_id, gpu=gpu, source=source, started_at=now)
            finish_run(run=run, report=report)
            if notify:
                notify_listings_changed(gpu_ids=report.changed_gpu_ids)
            transaction.on_commit(bump_generation)  # "last checked" moved on every page
    return report
