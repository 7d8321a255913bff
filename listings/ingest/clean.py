"""Clean: each item made safe on its own (listings/cleaning.py); one that cannot be is rejected
and counted as malformed with its reason, and the rest of the card goes on."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from listings.cleaning import MalformedItem, clean_item
from listings.ingest.report import IngestReport

logger = logging.getLogger(__name__)


def item_key(item: dict) -> str:
    """The item id as stored (Listing.item_id holds 100 characters)."""
    return str(item["itemId"])[:100]


def unique_items(items: Iterable[object], *, report: IngestReport) -> list[dict]:
    """Cleaned items, the last copy of each id winning (pages can repeat one); the rest are
    counted as malformed with their reason."""
    by_id: dict[str, dict] = {}
    for item in items:
        try:
            cleaned = clean_item(item)
        except MalformedItem as exc:
            reject_malformed(report=report, item=item, reason=str(exc))
            continue
        by_id[item_key(cleaned)] = cleaned
    return list(by_id.values())


def reject_malformed(*, report: IngestReport, item: object, reason: str) -> None:
    """Count one item as malformed, with its reason, and log it."""
    report.malformed += 1
    report.malformed_reasons[reason] = report.malformed_reasons.get(reason, 0) + 1
    item_id = item.get("itemId") if isinstance(item, dict) else None
    logger.warning("Rejected malformed item %r: %s", str(item_id)[:100], reason)
