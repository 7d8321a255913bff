"""import_listings: saved eBay search files through the same screen and upsert as a live refresh.

Every file is read through once before anything is written, so a file that is not a readable
search page writes nothing. An item the cleaner cannot make safe is rejected on its own. A large
file is written a batch at a time; if writing fails part-way (the database goes away), the batches
already written stay, so the run is recorded as failed and the pages are invalidated before the
error is raised: what buyers see matches what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import DatabaseError
from django.utils import timezone

from catalog.models import Gpu
from listings.ingest import (
    IMPORT_BATCH_ITEMS,
    IngestReport,
    announce_run_finished,
    catalog_facts,
    ingest_items,
    new_run_id,
    notify_listings_changed,
)
from listings.models import RefreshRun, RefreshSource, RefreshStatus
from listings.search_files import SearchFileError, count_items, iter_items
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)


class ImportFailed(Exception):
    """The files could not be imported; the message names the file or the failure."""


def import_files(
    *,
    gpu: Gpu,
    paths: Sequence[str],
    dry_run: bool = False,
    keep_outcomes: bool = False,
    batch_size: int = IMPORT_BATCH_ITEMS,
) -> IngestReport:
    """Screen and store every item of the files for one card; raises ImportFailed."""
    for path in paths:  # every file read through once before any write: a bad one writes nothing
        try:
            count_items(path)
        except SearchFileError as exc:
            raise ImportFailed(f"{path}: {exc}") from exc
    run_id, started_at = new_run_id(), timezone.now()
    try:
        report = ingest_items(
            gpu=gpu,
            items=(item for path in paths for item in iter_items(path)),
            source=RefreshSource.IMPORT,
            run_id=run_id,
            dry_run=dry_run,
            now=started_at,
            catalog=catalog_facts(priced=[gpu]),
            batch_size=batch_size,
            keep_outcomes=keep_outcomes,
        )
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, what was written is recorded
        if not dry_run:
            _record_failed_import(gpu=gpu, run_id=run_id, started_at=started_at, error=exc)
        raise ImportFailed(f"import failed part-way: {exc}") from exc
    if not dry_run:
        announce_run_finished(source=RefreshSource.IMPORT)
    return report


def _record_failed_import(*, gpu: Gpu, run_id: str, started_at, error: Exception) -> None:
    """Record the run as failed and invalidate the card's figures and every cached page, since
    the batches written before the failure stay."""
    logger.error("Import for %s failed part-way: %s", gpu.slug, error)
    try:
        RefreshRun.objects.create(
            run_id=run_id,
            gpu=gpu,
            source=RefreshSource.IMPORT,
            started_at=started_at,
            finished_at=timezone.now(),
            status=RefreshStatus.FAILED,
            error=f"import failed part-way: {error}"[:2000],
        )
        notify_listings_changed(gpu_ids=[gpu.pk])
        bump_generation()
    except DatabaseError:
        logger.exception("Recording the failed import for %s failed too", gpu.slug)
