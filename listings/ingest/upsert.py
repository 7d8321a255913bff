"""Upsert: each screened item created, updated or sighted as its card's Listing, with a price
history row whenever its price is new. Bulk statements through the ORM, never a query per row:
one INSERT ... ON CONFLICT DO UPDATE for new and changed listings, one UPDATE for the sighted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from catalog.models import Gpu
from listings.ingest.archive import Answer
from listings.ingest.report import IngestReport
from listings.models import SALE_FORMAT_FIELDS, Listing, PriceHistory, Verdict

# Fields a refresh may rewrite; excluded_by_admin and exclusion_reason are the admin's alone.
INGESTED_FIELDS = (
    "title",
    "price",
    "currency",
    "shipping_cost",
    "shipping_known",
    "condition",
    "condition_id",
    "condition_kind",
    *SALE_FORMAT_FIELDS,
    "seller_feedback_percent",
    "seller_feedback_score",
    "seller_key",
    "engineering_sample",
    "low_feedback_seller",
    "item_location_country",
    "image_url",
    "item_web_url",
    "affiliate_url",
    "item_created_at",
    "raw",
    "verdict",
    "reason",
    "screen_note",
    "quantity",
    "unit_price",
    "is_demo",
    "gpu_id",
)
# Bookkeeping fields written on every sighting, and the fields whose change is a new price.
SIGHTING_FIELDS = ("last_seen_at", "is_active", "archived_at")
PRICE_FIELDS = ("price", "currency", "shipping_cost", "quantity")
COMPARED_FIELDS = tuple(f for f in INGESTED_FIELDS if f != "raw")
HISTORY_FIELDS = ("price", "currency", "shipping_cost", "quantity", "unit_price", "bid_count")
# What the comparison reads of a stored listing (its eBay item stays unloaded).
STORED_FIELDS = ("id", "item_id", "is_active", *COMPARED_FIELDS)
# Rows per INSERT: SQLite allows 999 parameters a statement, which Django's batching respects.
WRITE_BATCH = 500


@dataclass
class UpsertPlan:
    """What one batch writes: listings to insert or overwrite, listings only sighted, and which
    of the written ones get a price history row."""

    written: list[Listing] = field(default_factory=list)
    created: int = 0
    sighted: list[int] = field(default_factory=list)
    priced: list[Listing] = field(default_factory=list)


def upsert_batch(
    *,
    gpu: Gpu,
    values_by_id: dict[str, dict],
    report: IngestReport,
    answer: Answer,
    now: datetime,
) -> None:
    """Create, update or sight each item's listing (a dry run only counts), adding to answer."""
    stored = {
        listing.item_id: listing
        for listing in Listing.objects.filter(
            marketplace=settings.EBAY_MARKETPLACE_ID, item_id__in=list(values_by_id)
        )
        .order_by()
        .only(*STORED_FIELDS)
    }
    plan = UpsertPlan()
    for item_id, values in values_by_id.items():
        _plan_item(
            gpu=gpu,
            item_id=item_id,
            values=values,
            listing=stored.get(item_id),
            plan=plan,
            report=report,
            answer=answer,
            now=now,
        )
    report.created += plan.created
    report.updated += len(plan.written) - plan.created
    if plan.written:
        report.changed_gpu_ids.add(gpu.pk)
    if not report.dry_run:
        _write(plan=plan, now=now)


def _plan_item(
    *,
    gpu: Gpu,
    item_id: str,
    values: dict,
    listing: Listing | None,
    plan: UpsertPlan,
    report: IngestReport,
    answer: Answer,
    now: datetime,
) -> None:
    keep = values["verdict"] == Verdict.KEEP
    if (
        listing is not None
        and listing.gpu_id != gpu.pk
        and not (keep and listing.verdict != Verdict.KEEP)
    ):
        # Another card's search found it first and this card does not claim it better: the
        # listing stays that card's (one listing, one card).
        report.tally(values, sign=-1)
        return
    answer.accounted += 1
    answer.kept += keep
    row = Listing(
        marketplace=settings.EBAY_MARKETPLACE_ID,
        item_id=item_id,
        first_seen_at=now,
        last_seen_at=now,
        is_active=True,
        archived_at=None,
        **values,
    )
    if listing is None:
        plan.created += 1
        plan.written.append(row)
        plan.priced.append(row)
        return
    answer.were_active += listing.gpu_id == gpu.pk and listing.is_active
    differs = any(getattr(listing, f) != values[f] for f in COMPARED_FIELDS)
    if listing.gpu_id != gpu.pk or not listing.is_active:
        report.changed_gpu_ids.add(listing.gpu_id)
        differs = True
    if not differs:
        plan.sighted.append(listing.pk)
        return
    plan.written.append(row)
    if any(getattr(listing, f) != values[f] for f in PRICE_FIELDS):
        plan.priced.append(row)


def _write(*, plan: UpsertPlan, now: datetime) -> None:
    if plan.written:
        # New listings are inserted; a changed one's row is overwritten field by field, keeping
        # its first sighting and the admin's exclusion. Both get their ids back.
        Listing.objects.bulk_create(
            plan.written,
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["marketplace", "item_id"],
            update_fields=[*INGESTED_FIELDS, *SIGHTING_FIELDS],
        )
    if plan.sighted:
        Listing.objects.filter(pk__in=plan.sighted).update(last_seen_at=now)
    if plan.priced:
        PriceHistory.objects.bulk_create(
            [
                PriceHistory(
                    listing_id=row.pk,
                    observed_at=now,
                    **{name: getattr(row, name) for name in HISTORY_FIELDS},
                )
                for row in plan.priced
            ],
            batch_size=WRITE_BATCH,
        )
