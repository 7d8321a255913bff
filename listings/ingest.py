"""Fetch -> screen -> upsert: one card's eBay search results into Listing rows and their history.

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

import logging
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from catalog.models import Gpu
from listings import heuristics
from listings.bulk import insert_rows, item_ids_in, update_rows
from listings.cleaning import MalformedItem, clean_item
from listings.links import is_ebay_url
from listings.models import (
    SALE_FORMAT_FIELDS,
    Listing,
    PriceHistory,
    RefreshRun,
    RefreshSource,
    RefreshStatus,
    Verdict,
)
from listings.signals import listings_changed
from listings.summaries import landed_unit_price, parse_item
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=48)
SUSPICIOUS_DROP_RATIO = 0.2
SUSPICIOUS_MIN_ACTIVE = 10
MIN_LISTINGS_FOR_TYPICAL_PRICE = 3
IMPORT_BATCH_ITEMS = 2_000  # per transaction in a large import: a second or two of write lock
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


@dataclass
class ItemOutcome:
    """The screen's answer for one item, as `import_listings --json` prints it."""

    item_id: str
    verdict: str
    reason: str
    quantity: int
    unit_price: Decimal | None
    currency: str

    def as_json(self) -> dict:
        return {
            "itemId": self.item_id,
            "verdict": self.verdict,
            "reason": self.reason,
            "quantity": self.quantity,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "currency": self.currency,
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
    changed_gpu_ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.status == RefreshStatus.OK

    def summary(self) -> str:
        """One human line: counts, or the error."""
        if not self.ok:
            return f"{self.gpu_slug}: {self.status}: {self.error}"
        line = (
            f"{self.gpu_slug}: {self.seen} seen, {self.created} new, {self.updated} updated, "
            f"{self.archived} archived, {self.rejected} rejected, {self.api_calls} API calls"
        )
        notes = [self.note] if self.note else []
        if self.malformed:
            reasons = "; ".join(f"{n} {why}" for why, n in sorted(self.malformed_reasons.items()))
            notes.append(f"{self.malformed} malformed items rejected: {reasons}")
        return f"{line} ({'; '.join(notes)})" if notes else line


def new_run_id() -> str:
    """A fresh id shared by every card's RefreshRun row of one command run."""
    return uuid.uuid4().hex


# The Gpu fields card_facts reads: the screen needs names and sizes, not the whole spec sheet.
# CardFacts carries the first as they are and the name lists as tuples of strings.
FACT_FIELDS = ("slug", "label", "manufacturer", "memory_gb", "form_factor", "category")
NAME_LIST_FIELDS = ("aliases", "part_numbers")
CARD_FIELDS = (*FACT_FIELDS, *NAME_LIST_FIELDS, "msrp_usd", "typical_used_usd", "typical_new_usd")


def catalog_facts(
    *, gpus: Iterable[Gpu] | None = None, priced: Iterable[Gpu] | None = None
) -> list[heuristics.CardFacts]:
    """The screen's view of every catalog card, with its typical price.

    `priced` limits the typical-price look-up to the cards about to be screened (the screen reads
    only the searched card's price); the others keep the catalog's typical price.
    """
    if gpus is None:  # plain rows: building a hundred model instances costs more than the query
        cards = list(Gpu.objects.values("pk", *CARD_FIELDS))
    else:
        cards = [
            {"pk": gpu.pk, **{name: getattr(gpu, name) for name in CARD_FIELDS}} for gpu in gpus
        ]
    prices: dict[int, list[Decimal]] = defaultdict(list)
    rows = Listing.objects.visible().filter(currency=settings.EBAY_CURRENCY, is_demo=False)
    if priced is not None:
        rows = rows.filter(gpu__in=[gpu.pk for gpu in priced])
    for gpu_id, unit_price in rows.values_list("gpu_id", "unit_price"):
        prices[gpu_id].append(unit_price)
    return [_facts(card=card, listing_prices=prices.get(card["pk"], [])) for card in cards]


def card_facts(*, gpu: Gpu, listing_prices: Sequence[Decimal] = ()) -> heuristics.CardFacts:
    """One card as the screen sees it; typical price = median visible listing, else the catalog's
    typical used (or new) price, else the MSRP."""
    return _facts(
        card={name: getattr(gpu, name) for name in CARD_FIELDS}, listing_prices=listing_prices
    )


def _facts(*, card: dict, listing_prices: Sequence[Decimal]) -> heuristics.CardFacts:
    typical = (
        statistics.median(listing_prices)
        if len(listing_prices) >= MIN_LISTINGS_FOR_TYPICAL_PRICE
        else card["typical_used_usd"] or card["typical_new_usd"] or card["msrp_usd"]
    )
    return heuristics.CardFacts(
        **{name: card[name] for name in FACT_FIELDS},
        **{name: tuple(str(n) for n in card[name] or ()) for name in NAME_LIST_FIELDS},
        typical_price=Decimal(typical) if typical is not None else None,
    )


def screen_items(
    *, gpu: Gpu, items: Sequence[dict], catalog: Sequence[heuristics.CardFacts] | None = None
) -> list[heuristics.Screened]:
    """The screen's verdict for each item of one search, in order."""
    catalog = list(catalog) if catalog is not None else catalog_facts()
    card = next((c for c in catalog if c.slug == gpu.slug), None) or card_facts(gpu=gpu)
    return heuristics.screen_listings(
        card=card, catalog=catalog, items=list(items), currency=settings.EBAY_CURRENCY
    )


def _unique_items(items: Iterable[object], *, report: IngestReport) -> list[dict]:
    """Cleaned items, the last copy of each id winning (pages can repeat one); the rest are
    counted as malformed with their reason."""
    by_id: dict[str, dict] = {}
    for item in items:
        try:
            cleaned = clean_item(item)
        except MalformedItem as exc:
            _reject_malformed(report=report, item=item, reason=str(exc))
            continue
        by_id[str(cleaned["itemId"])[:100]] = cleaned
    return list(by_id.values())


def _reject_malformed(*, report: IngestReport, item: object, reason: str) -> None:
    report.malformed += 1
    report.malformed_reasons[reason] = report.malformed_reasons.get(reason, 0) + 1
    item_id = item.get("itemId") if isinstance(item, dict) else None
    logger.warning("Rejected malformed item %r: %s", str(item_id)[:100], reason)


def _screen_each(
    *, gpu: Gpu, items: list[dict], catalog, report: IngestReport
) -> list[tuple[dict, heuristics.Screened, dict]]:
    """(item, verdict, listing values) for each item the screen and the parser can read; an item
    either of them trips over is rejected on its own."""
    readable = []
    for item in items:
        try:
            readable.append((item, parse_item(item)))
        except Exception as exc:  # noqa: BLE001 - a malformed item must not stop its card
            _reject_malformed(report=report, item=item, reason=f"unreadable ({type(exc).__name__})")
    try:
        screened = screen_items(gpu=gpu, items=[i for i, _ in readable], catalog=catalog)
    except Exception:  # noqa: BLE001 - find the culprits one by one, then screen the rest together
        usable = []
        for item, values in readable:
            try:
                screen_items(gpu=gpu, items=[item], catalog=catalog)
            except Exception as exc:  # noqa: BLE001
                reason = f"unscreenable ({type(exc).__name__})"
                _reject_malformed(report=report, item=item, reason=reason)
            else:
                usable.append((item, values))
        readable = usable
        screened = screen_items(gpu=gpu, items=[i for i, _ in readable], catalog=catalog)
    return [(i, v, values) for (i, values), v in zip(readable, screened, strict=True)]


def _listing_values(*, values: dict, screened: heuristics.Screened, gpu: Gpu, demo: bool) -> dict:
    # A URL that is not https on one of eBay's marketplace hosts is never a link we show.
    for name in ("item_web_url", "affiliate_url"):
        if not is_ebay_url(values[name]):
            values[name] = ""
    quantity = max(1, int(screened.quantity or 1))
    # The lot is priced landed (shipping included) per card; the screen read the quantity.
    values["unit_price"] = landed_unit_price(
        price=values["price"], shipping_cost=values["shipping_cost"], quantity=quantity
    )
    values.update(
        verdict=Verdict.KEEP if screened.verdict == "keep" else Verdict.DROP,
        reason=str(screened.reason or "")[:30],
        screen_note=(screened.note or "")[:300],
        quantity=quantity,
        is_demo=demo,
        gpu_id=gpu.pk,
    )
    return values


def _history_row(*, listing_id: int, values: dict, now: datetime) -> dict:
    return {"listing_id": listing_id, "observed_at": now, **{f: values[f] for f in HISTORY_FIELDS}}


@dataclass
class _Answer:
    """What one search's answer held for its card, summed over the batches of a large import."""

    seen_ids: set[str] = field(default_factory=set)
    accounted: int = 0  # this card's listings in the answer (created, changed or sighted)
    kept: int = 0  # ... of which the screen kept
    were_active: int = 0  # ... of which were active listings of this card before


def _may_archive(*, gpu: Gpu, answer: _Answer, zero_answer: bool, active: int, kept: int):
    """Whether this search's answer is trustworthy enough to archive what it did not return."""
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
    demo = source == RefreshSource.DEMO
    report = IngestReport(
        gpu_slug=gpu.slug, run_id=run_id, source=source, dry_run=dry_run, api_calls=api_calls
    )
    answer = _Answer()
    raw_count = 0
    whole = nullcontext() if batch_size else transaction.atomic()
    with whole:
        for batch in _batches(items, batch_size):
            raw_count += len(batch)
            unique = _unique_items(batch, report=report)
            values_by_id: dict[str, dict] = {}
            for item, verdict, parsed in _screen_each(
                gpu=gpu, items=unique, catalog=catalog, report=report
            ):
                item_id = str(item["itemId"])[:100]
                values = _listing_values(values=parsed, screened=verdict, gpu=gpu, demo=demo)
                values_by_id[item_id] = values
                if verdict.verdict != Verdict.KEEP:
                    report.rejected += 1
                if keep_outcomes:
                    report.outcomes.append(
                        ItemOutcome(
                            item_id=item_id,
                            verdict=verdict.verdict,
                            reason=str(verdict.reason or ""),
                            quantity=values["quantity"],
                            unit_price=values["unit_price"],
                            currency=verdict.currency,
                        )
                    )
            report.seen += len(values_by_id)
            with transaction.atomic():
                _upsert(gpu=gpu, values_by_id=values_by_id, report=report, answer=answer, now=now)
            answer.seen_ids.update(values_by_id)
            del batch, unique, values_by_id
        report.zero_answer = total == 0 and raw_count == 0
        with transaction.atomic():
            _archive_missing(
                gpu=gpu, answer=answer, total=total, truncated=truncated, report=report, now=now
            )
            if dry_run:
                return report
            if run is None:
                run = RefreshRun(run_id=run_id, gpu=gpu, source=source, started_at=now)
            _finish_run(run=run, report=report)
            if notify:
                notify_listings_changed(gpu_ids=report.changed_gpu_ids)
            transaction.on_commit(bump_generation)  # "last checked" moved on every page
    return report


def notify_listings_changed(*, gpu_ids: Iterable[int], source: str = "") -> None:
    """Send listings_changed once the current transaction commits, if any card changed."""
    gpu_ids = sorted(set(gpu_ids))
    if gpu_ids:
        transaction.on_commit(
            lambda: listings_changed.send(sender=Listing, gpu_ids=gpu_ids, source=source)
        )


def _upsert(
    *,
    gpu: Gpu,
    values_by_id: dict[str, dict],
    report: IngestReport,
    answer: _Answer,
    now: datetime,
) -> None:
    """Create, update or sight each item's listing (a dry run only counts), adding to answer."""
    marketplace = settings.EBAY_MARKETPLACE_ID
    existing = {
        listing.item_id: listing
        for listing in Listing.objects.filter(
            item_ids_in(Listing, values_by_id), marketplace=marketplace
        ).order_by()
    }
    to_create: list[dict] = []
    changed: list[dict] = []
    sighted: list[int] = []
    priced: list[dict] = []
    for item_id, values in values_by_id.items():
        listing = existing.get(item_id)
        if listing is None:
            to_create.append(
                {
                    "marketplace": marketplace,
                    "item_id": item_id,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    **values,
                }
            )
            answer.accounted += 1
            answer.kept += values["verdict"] == Verdict.KEEP
            continue
        if listing.gpu_id != gpu.pk and not (
            values["verdict"] == Verdict.KEEP and listing.verdict != Verdict.KEEP
        ):
            # Another card's search found it first and this card does not claim it better:
            # the listing stays that card's (one listing, one card).
            report.seen -= 1
            report.rejected -= values["verdict"] != Verdict.KEEP
            continue
        answer.accounted += 1
        answer.kept += values["verdict"] == Verdict.KEEP
        answer.were_active += listing.gpu_id == gpu.pk and listing.is_active
        differs = any(getattr(listing, f) != values[f] for f in COMPARED_FIELDS)
        if listing.gpu_id != gpu.pk or not listing.is_active:
            report.changed_gpu_ids.add(listing.gpu_id)
            differs = True
        row = {"id": listing.pk, **values, "last_seen_at": now, "is_active": True}
        row["archived_at"] = None
        if differs:
            changed.append(row)
        else:
            sighted.append(listing.pk)
        if any(getattr(listing, f) != values[f] for f in PRICE_FIELDS):
            priced.append(row)
    report.created += len(to_create)
    report.updated += len(changed)
    if to_create or changed:
        report.changed_gpu_ids.add(gpu.pk)
    if report.dry_run:
        return
    created_ids: dict[str, int] = {}
    if to_create:
        ids = insert_rows(model=Listing, rows=to_create, with_ids=True)
        keys = [row["item_id"] for row in to_create]
        created_ids = (
            dict(
                Listing.objects.filter(
                    item_ids_in(Listing, keys), marketplace=marketplace
                ).values_list("item_id", "pk")
            )
            if ids is None
            else dict(zip(keys, ids, strict=True))
        )
    if changed:
        update_rows(model=Listing, rows=changed, fields=[*INGESTED_FIELDS, *SIGHTING_FIELDS])
    if sighted:
        Listing.objects.filter(pk__in=sighted).update(last_seen_at=now)
    history = [
        _history_row(listing_id=created_ids[row["item_id"]], values=row, now=now)
        for row in to_create
    ]
    history += [_history_row(listing_id=row["id"], values=row, now=now) for row in priced]
    if history:
        insert_rows(model=PriceHistory, rows=history)


def _archive_missing(
    *,
    gpu: Gpu,
    answer: _Answer,
    total: int | None,
    truncated: bool,
    report: IngestReport,
    now: datetime,
) -> None:
    active = Listing.objects.filter(gpu=gpu, is_active=True)
    if report.source == RefreshSource.DEMO:
        active = active.filter(is_demo=True)  # demo data never retires real listings
    counts = active.order_by().aggregate(
        active=Count("pk"), kept=Count("pk", filter=Q(verdict=Verdict.KEEP))
    )
    allowed, report.note = _may_archive(
        gpu=gpu,
        answer=answer,
        zero_answer=report.zero_answer,
        active=counts["active"],
        kept=counts["kept"],
    )
    if not allowed:
        return
    if report.dry_run:  # nothing was written: what the answer did not account for is missing
        missing = active.exclude(
            item_ids_in(Listing, answer.seen_ids), marketplace=settings.EBAY_MARKETPLACE_ID
        )
        if truncated:
            missing = missing.filter(last_seen_at__lt=now - STALE_AFTER)
        report.archived = missing.count() if truncated else counts["active"] - answer.were_active
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


def _finish_run(*, run: RefreshRun, report: IngestReport) -> None:
    for name in (
        "seen",
        "created",
        "updated",
        "archived",
        "rejected",
        "malformed",
        "zero_answer",
        "api_calls",
        "error",
    ):
        setattr(run, name, getattr(report, name))
    run.status = report.status
    run.finished_at = timezone.now()
    run.save()
