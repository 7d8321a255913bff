"""Screen: the catalog as the screen sees it, each item's verdict, and the listing values it
stores. An item the parser or the screen trips over is rejected on its own."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings

from catalog.models import Gpu
from listings import heuristics
from listings.ingest.clean import item_key, reject_malformed
from listings.ingest.report import IngestReport, ItemOutcome
from listings.links import is_ebay_url
from listings.models import FLAG_FIELDS, Listing, Verdict
from listings.summaries import landed_unit_price, parse_item

MIN_LISTINGS_FOR_TYPICAL_PRICE = 3
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
    # What the going rate is made of: a bid or an engineering sample says little of the price.
    rows = Listing.objects.priced_for_headline().filter(
        currency=settings.EBAY_CURRENCY, is_demo=False
    )
    if priced is not None:
        rows = rows.filter(gpu__in=[gpu.pk for gpu in priced])
    for gpu_id, unit_price in rows.values_list("gpu_id", "unit_price"):
        prices[gpu_id].append(unit_price)
    return [_facts(card=card, listing_prices=prices.get(card["pk"], [])) for card in cards]


def card_facts(*, gpu: Gpu, listing_prices: Sequence[Decimal] = ()) -> heuristics.CardFacts:
    """One card as the screen sees it; typical price = median listing the going rate counts, else
    the catalog's typical used (or new) price, else the MSRP."""
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


def screen_batch(
    *,
    gpu: Gpu,
    items: list[dict],
    catalog: Sequence[heuristics.CardFacts],
    report: IngestReport,
    demo: bool,
    keep_outcomes: bool,
) -> dict[str, dict]:
    """Listing values by item id for the items the parser and the screen can read, counting the
    rejected ones (and, with keep_outcomes, noting every verdict) on the report."""
    values_by_id: dict[str, dict] = {}
    for item, verdict, parsed in _screen_each(gpu=gpu, items=items, catalog=catalog, report=report):
        item_id = item_key(item)
        values = _listing_values(values=parsed, screened=verdict, gpu=gpu, demo=demo)
        values_by_id[item_id] = values
        report.tally(values)
        if keep_outcomes:
            report.outcomes.append(
                ItemOutcome(
                    item_id=item_id,
                    verdict=verdict.verdict,
                    reason=str(verdict.reason or ""),
                    quantity=values["quantity"],
                    unit_price=values["unit_price"],
                    currency=verdict.currency,
                    flags=list(verdict.flags),
                )
            )
    return values_by_id


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
            reject_malformed(report=report, item=item, reason=f"unreadable ({type(exc).__name__})")
    try:
        screened = screen_items(gpu=gpu, items=[i for i, _ in readable], catalog=catalog)
    except Exception:  # noqa: BLE001 - find the culprits one by one, then screen the rest together
        usable = []
        for item, values in readable:
            try:
                screen_items(gpu=gpu, items=[item], catalog=catalog)
            except Exception as exc:  # noqa: BLE001
                reason = f"unscreenable ({type(exc).__name__})"
                reject_malformed(report=report, item=item, reason=reason)
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
        **{name: flag in screened.flags for flag, name in FLAG_FIELDS.items()},
    )
    return values
