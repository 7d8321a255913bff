"""Fetch -> screen -> upsert: one card's eBay search results into Listing rows and their history.

Fetching happens outside any database transaction; the screen and the upsert of one card run in one
short transaction with bulk operations, so one card failing never touches another card's listings
and a failed search leaves the card's stored listings exactly as they were.

When listings are archived (never deleted): after a successful search that was not truncated at the
per-card cap, every active listing of the card that the search did not return is archived. A
suspicious answer archives nothing:
- an empty result while the card has active listings, unless eBay said `total: 0` on a well-formed
  page and the card's previous successful run found nothing either (two honest zeros in a row);
- a result that returned fewer than a fifth of the card's active listings (at least 10 of them),
  which looks like a degraded answer rather than a market that emptied overnight.
A search truncated at the cap archives only listings missing for longer than STALE_AFTER, since the
others may simply sit beyond the cap.
"""

from __future__ import annotations

import logging
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Gpu
from listings import heuristics
from listings.bulk import insert_rows, item_ids_in
from listings.ebay import BudgetExhausted, EbayClient, EbayError
from listings.models import (
    Listing,
    PriceHistory,
    RefreshRun,
    RefreshSource,
    RefreshStatus,
    Verdict,
)
from listings.signals import listings_changed
from listings.summaries import parse_item

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=48)
SUSPICIOUS_DROP_RATIO = 0.2
SUSPICIOUS_MIN_ACTIVE = 10
MIN_LISTINGS_FOR_TYPICAL_PRICE = 3
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
    "is_buy_now",
    "is_auction",
    "accepts_best_offer",
    "bid_count",
    "auction_ends_at",
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
    title: str
    verdict: str
    reason: str
    quantity: int
    unit_price: Decimal | None
    currency: str
    note: str = ""

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
    api_calls: int = 0
    error: str = ""
    note: str = ""
    dry_run: bool = False
    outcomes: list[ItemOutcome] = field(default_factory=list)
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
        return f"{line} ({self.note})" if self.note else line


def new_run_id() -> str:
    """A fresh id shared by every card's RefreshRun row of one command run."""
    return uuid.uuid4().hex


# The Gpu fields card_facts reads: the screen needs names and sizes, not the whole spec sheet.
CARD_FIELDS = (
    "slug",
    "label",
    "manufacturer",
    "memory_gb",
    "form_factor",
    "category",
    "aliases",
    "part_numbers",
    "msrp_usd",
)


def catalog_facts(
    *, gpus: Iterable[Gpu] | None = None, priced: Iterable[Gpu] | None = None
) -> list[heuristics.CardFacts]:
    """The screen's view of every catalog card, with its typical price.

    `priced` limits the typical-price look-up to the cards about to be screened (the screen reads
    only the searched card's price); the others keep their MSRP.
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
    """One card as the screen sees it; typical price = median visible listing, else the MSRP."""
    return _facts(
        card={name: getattr(gpu, name) for name in CARD_FIELDS}, listing_prices=listing_prices
    )


def _facts(*, card: dict, listing_prices: Sequence[Decimal]) -> heuristics.CardFacts:
    typical = (
        statistics.median(listing_prices)
        if len(listing_prices) >= MIN_LISTINGS_FOR_TYPICAL_PRICE
        else card["msrp_usd"]
    )
    return heuristics.CardFacts(
        slug=card["slug"],
        label=card["label"],
        manufacturer=card["manufacturer"],
        memory_gb=card["memory_gb"],
        form_factor=card["form_factor"],
        category=card["category"],
        aliases=tuple(str(a) for a in card["aliases"] or ()),
        part_numbers=tuple(str(p) for p in card["part_numbers"] or ()),
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


def _unique_items(items: Iterable[dict]) -> list[dict]:
    """Items with an id and a title, the last copy of each id winning (pages can repeat one)."""
    by_id: dict[str, dict] = {}
    for item in items:
        if isinstance(item, dict) and item.get("itemId") and item.get("title"):
            by_id[str(item["itemId"])[:100]] = item
    return list(by_id.values())


def _listing_values(*, item: dict, screened: heuristics.Screened, gpu: Gpu, demo: bool) -> dict:
    quantity = max(1, int(screened.quantity or 1))
    # parse_item prices the lot landed (shipping included) per card; the screen read the quantity.
    values = parse_item(item, quantity=quantity)
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


def _may_archive(*, gpu: Gpu, seen: int, total: int | None, active: int) -> tuple[bool, str]:
    """Whether this search's answer is trustworthy enough to archive what it did not return."""
    if seen == 0 and active:
        if total == 0 and _previous_run_found_nothing(gpu=gpu):
            return True, ""
        return False, "empty answer: nothing archived"
    if active >= SUSPICIOUS_MIN_ACTIVE and seen < active * SUSPICIOUS_DROP_RATIO:
        return False, f"only {seen} of {active} active listings returned: nothing archived"
    return True, ""


def _previous_run_found_nothing(*, gpu: Gpu) -> bool:
    last = RefreshRun.objects.succeeded().filter(gpu=gpu).order_by("-finished_at").first()
    return last is not None and last.seen == 0


def ingest_items(
    *,
    gpu: Gpu,
    items: Sequence[dict],
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
) -> IngestReport:
    """Screen one card's search results and upsert them in one transaction (dry_run: no writes)."""
    now = now or timezone.now()
    items = _unique_items(items)
    screened = screen_items(gpu=gpu, items=items, catalog=catalog)
    demo = source == RefreshSource.DEMO
    report = IngestReport(
        gpu_slug=gpu.slug, run_id=run_id, source=source, dry_run=dry_run, api_calls=api_calls
    )
    values_by_id: dict[str, dict] = {}
    for item, verdict in zip(items, screened, strict=True):
        item_id = str(item["itemId"])[:100]
        values_by_id[item_id] = _listing_values(item=item, screened=verdict, gpu=gpu, demo=demo)
        report.outcomes.append(
            ItemOutcome(
                item_id=item_id,
                title=values_by_id[item_id]["title"],
                verdict=verdict.verdict,
                reason=str(verdict.reason or ""),
                quantity=values_by_id[item_id]["quantity"],
                unit_price=values_by_id[item_id]["unit_price"],
                currency=verdict.currency,
                note=verdict.note,
            )
        )
    report.seen = len(items)
    report.rejected = sum(1 for o in report.outcomes if o.verdict != Verdict.KEEP)

    with transaction.atomic():
        upserted = _upsert(
            gpu=gpu, values_by_id=values_by_id, report=report, now=now, dry_run=dry_run
        )
        _archive_missing(
            gpu=gpu,
            seen_ids=set(values_by_id),
            upserted=upserted,
            total=total,
            truncated=truncated,
            report=report,
            now=now,
            dry_run=dry_run,
        )
        if dry_run:
            return report
        if run is None:
            run = RefreshRun(run_id=run_id, gpu=gpu, source=source, started_at=now)
        _finish_run(run=run, report=report)
        if notify:
            notify_listings_changed(gpu_ids=report.changed_gpu_ids)
    return report


def notify_listings_changed(*, gpu_ids: Iterable[int]) -> None:
    """Send listings_changed once the current transaction commits, if any card changed."""
    gpu_ids = sorted(set(gpu_ids))
    if gpu_ids:
        transaction.on_commit(lambda: listings_changed.send(sender=Listing, gpu_ids=gpu_ids))


def _upsert(
    *, gpu: Gpu, values_by_id: dict[str, dict], report: IngestReport, now: datetime, dry_run: bool
) -> int | None:
    """Create, update or sight each item's listing; returns how many active listings of the card
    this search now accounts for (None in a dry run, which writes nothing)."""
    marketplace = settings.EBAY_MARKETPLACE_ID
    existing = {
        listing.item_id: listing
        for listing in Listing.objects.filter(
            item_ids_in(Listing, values_by_id), marketplace=marketplace
        ).order_by()
    }
    to_create: list[dict] = []
    changed: list[Listing] = []
    sighted: list[int] = []
    priced: list[Listing] = []
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
            continue
        if listing.gpu_id != gpu.pk and not (
            values["verdict"] == Verdict.KEEP and listing.verdict != Verdict.KEEP
        ):
            # Another card's search found it first and this card does not claim it better:
            # the listing stays that card's (one listing, one card).
            report.seen -= 1
            report.rejected -= values["verdict"] != Verdict.KEEP
            continue
        old_price = tuple(getattr(listing, f) for f in PRICE_FIELDS)
        differs = any(getattr(listing, f) != values[f] for f in COMPARED_FIELDS)
        if listing.gpu_id != gpu.pk or not listing.is_active:
            report.changed_gpu_ids.add(listing.gpu_id)
            differs = True
        for name, value in values.items():
            setattr(listing, name, value)
        listing.last_seen_at, listing.is_active, listing.archived_at = now, True, None
        if differs:
            changed.append(listing)
        else:
            sighted.append(listing.pk)
        if old_price != tuple(values[f] for f in PRICE_FIELDS):
            priced.append(listing)
    report.created = len(to_create)
    report.updated = len(changed)
    if to_create or changed:
        report.changed_gpu_ids.add(gpu.pk)
    if dry_run:
        return None
    created_ids: dict[str, int] = {}
    if to_create:
        ids = insert_rows(model=Listing, rows=to_create, with_ids=True)
        keys = [row["item_id"] for row in to_create]
        created_ids = (
            dict(
                Listing.objects.filter(marketplace=marketplace, item_id__in=keys).values_list(
                    "item_id", "pk"
                )
            )
            if ids is None
            else dict(zip(keys, ids, strict=True))
        )
    if changed:
        Listing.objects.bulk_update(changed, [*INGESTED_FIELDS, *SIGHTING_FIELDS], batch_size=500)
    if sighted:
        Listing.objects.filter(pk__in=sighted).update(last_seen_at=now)
    history = [
        _history_row(listing_id=created_ids[row["item_id"]], values=row, now=now)
        for row in to_create
    ]
    history += [_history_row(listing_id=x.pk, values=x.__dict__, now=now) for x in priced]
    if history:
        insert_rows(model=PriceHistory, rows=history)
    return len(to_create) + len(changed) + len(sighted)


def _archive_missing(
    *,
    gpu: Gpu,
    seen_ids: set[str],
    upserted: int | None,
    total: int | None,
    truncated: bool,
    report: IngestReport,
    now: datetime,
    dry_run: bool,
) -> None:
    active = Listing.objects.filter(gpu=gpu, is_active=True)
    if report.source == RefreshSource.DEMO:
        active = active.filter(is_demo=True)  # demo data never retires real listings
    missing = active.exclude(
        item_ids_in(Listing, seen_ids), marketplace=settings.EBAY_MARKETPLACE_ID
    )
    if truncated:
        missing = missing.filter(last_seen_at__lt=now - STALE_AFTER)
    active_count = active.count()
    allowed, report.note = _may_archive(
        gpu=gpu, seen=len(seen_ids), total=total, active=active_count
    )
    if not allowed or active_count == upserted:  # every active listing was just seen: none missing
        return
    report.archived = (
        missing.count() if dry_run else missing.update(is_active=False, archived_at=now)
    )
    if report.archived:
        report.changed_gpu_ids.add(gpu.pk)


def _finish_run(*, run: RefreshRun, report: IngestReport) -> None:
    for name in ("seen", "created", "updated", "archived", "rejected", "api_calls", "error"):
        setattr(run, name, getattr(report, name))
    run.status = report.status
    run.finished_at = timezone.now()
    run.save()


def refresh_gpu(
    *,
    gpu: Gpu,
    client: EbayClient,
    run_id: str,
    dry_run: bool = False,
    catalog: Sequence[heuristics.CardFacts] | None = None,
    notify: bool = True,
) -> IngestReport:
    """Search eBay for one card and ingest the answer; a failure is recorded, never raised.

    BudgetExhausted is the exception: the run is recorded as skipped and the error re-raised so the
    caller stops asking eBay for the rest of the day.
    """
    started = timezone.now()
    run = None
    if not dry_run:
        run = RefreshRun.objects.create(
            run_id=run_id, gpu=gpu, source=RefreshSource.LIVE, started_at=started
        )
    calls_before = client.api_calls
    try:
        result = client.search(
            query=gpu.ebay_query, category_ids=[str(c) for c in gpu.ebay_category_ids or ()]
        )
    except EbayError as exc:
        status = RefreshStatus.SKIPPED if isinstance(exc, BudgetExhausted) else RefreshStatus.FAILED
        report = IngestReport(
            gpu_slug=gpu.slug,
            run_id=run_id,
            source=RefreshSource.LIVE,
            status=status,
            api_calls=client.api_calls - calls_before,
            error=str(exc)[:2000],
            dry_run=dry_run,
        )
        if run is not None:
            _finish_run(run=run, report=report)
        logger.warning("Refresh of %s failed: %s", gpu.slug, exc)
        if isinstance(exc, BudgetExhausted):
            raise
        return report
    try:
        return ingest_items(
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
            notify=notify,
        )
    except Exception as exc:  # one card's bad data must not stop the other cards
        logger.exception("Ingest of %s failed", gpu.slug)
        report = IngestReport(
            gpu_slug=gpu.slug,
            run_id=run_id,
            source=RefreshSource.LIVE,
            status=RefreshStatus.FAILED,
            api_calls=result.api_calls,
            error=f"ingest failed: {exc}"[:2000],
            dry_run=dry_run,
        )
        if run is not None:
            _finish_run(run=run, report=report)
        return report
