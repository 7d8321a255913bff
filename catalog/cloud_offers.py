"""Cloud offers: each card's median on-demand rent, and the CSV import an operator updates them
with (`manage.py import_cloud_offers`)."""

from __future__ import annotations

import csv
import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import WEB_URL, CloudOffer, Gpu, OfferKind
from catalog.presentation import quoted, typed_number
from catalog.signals import catalog_changed

REQUIRED_COLUMNS = ("gpu", "provider", "kind", "usd_per_gpu_hour", "observed_on", "source_url")
COLUMNS = (*REQUIRED_COLUMNS, "instance", "note")
MAX_USD_PER_GPU_HOUR = Decimal(1000)
EARLIEST_OFFER = date(2010, 1, 1)
MAX_FILE_BYTES = 5_000_000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LIMITS = {"provider": 80, "instance": 120, "note": 2000}


@dataclass(frozen=True)
class CloudRent:
    """A card's rent: the median of its on-demand offers, in USD per GPU-hour."""

    median: Decimal
    offers: int


def on_demand_rents() -> dict[int, CloudRent]:
    """Each card's median on-demand offer, by card id (one query); a card with no on-demand
    offer is absent."""
    prices: dict[int, list[Decimal]] = {}
    rows = CloudOffer.objects.filter(kind=OfferKind.ON_DEMAND).values_list(
        "gpu_id", "usd_per_gpu_hour"
    )
    for gpu_id, price in rows:
        prices.setdefault(gpu_id, []).append(price)
    return {gpu_id: _rent(values) for gpu_id, values in prices.items()}


def card_offers(*, gpu_id: int) -> list[CloudOffer]:
    """A card's offers, on-demand first, cheapest first (one query)."""
    offers = CloudOffer.objects.filter(gpu_id=gpu_id).order_by("usd_per_gpu_hour", "provider")
    return sorted(offers, key=lambda offer: offer.kind != OfferKind.ON_DEMAND)


def rent_of(offers: list[CloudOffer]) -> CloudRent | None:
    """The median of the on-demand offers among `offers`; None without one."""
    prices = [o.usd_per_gpu_hour for o in offers if o.kind == OfferKind.ON_DEMAND]
    return _rent(prices) if prices else None


def _rent(prices: list[Decimal]) -> CloudRent:
    median = Decimal(statistics.median(sorted(prices))).quantize(Decimal("0.0001"))
    return CloudRent(median=median, offers=len(prices))


class OfferFileError(ValueError):
    """A file that cannot be imported at all; nothing was written."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class OfferImport:
    """What an import did (or, with dry_run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    dry_run: bool = False


def read_offers(data: bytes) -> tuple[list[dict], list[RejectedRow]]:
    """The file's valid offers (field values ready for CloudOffer, `gpu_id` resolved) and its
    rejected rows with their line and reason. Raises OfferFileError for a file that is not a
    UTF-8 CSV of offers."""
    if len(data) > MAX_FILE_BYTES:
        raise OfferFileError(f"the file is over {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OfferFileError(f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), restval=None, strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or ()]
    except csv.Error as exc:
        raise OfferFileError(f"not a CSV file: {exc}") from None
    _check_header(header)
    reader.fieldnames = header
    gpu_ids = dict(Gpu.objects.values_list("slug", "id"))
    offers, rejected, seen = [], [], {}
    try:
        for raw in reader:
            start = reader.line_num  # the row's (last) line in the file
            try:
                offer = _offer(raw, gpu_ids)
            except ValueError as exc:
                rejected.append(RejectedRow(start, str(exc)))
                continue
            key = (offer["gpu_id"], offer["provider"], offer["kind"], offer["instance"])
            if key in seen:
                rejected.append(RejectedRow(start, f"repeats the offer on line {seen[key]}"))
                continue
            seen[key] = start
            offers.append(offer)
    except csv.Error as exc:
        raise OfferFileError(f"line {reader.line_num}: not valid CSV: {exc}") from None
    if not offers and not rejected:
        raise OfferFileError("no offers: the file has a header and no rows")
    return offers, rejected


def _check_header(header: list[str]) -> None:
    if not header:
        raise OfferFileError(f"no header row: the first line must name the columns {COLUMNS}")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = [
        f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}" if missing else "",
        f"unknown column{'s' * (len(unknown) > 1)} {', '.join(unknown)}" if unknown else "",
        f"repeated column {', '.join(repeated)}" if repeated else "",
    ]
    if any(problems):
        allowed = ", ".join(COLUMNS)
        raise OfferFileError(f"{'; '.join(p for p in problems if p)} (columns: {allowed})")


def _offer(raw: dict, gpu_ids: dict[str, int]) -> dict:
    """One row as CloudOffer fields; ValueError with the reason when it cannot be stored."""
    if None in raw or any(value is None for value in raw.values()):
        raise ValueError("wrong number of cells for the header")
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    for name in REQUIRED_COLUMNS:
        if not values[name]:
            raise ValueError(f"{name} is empty")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise ValueError(f"{name} is over {limit} characters")
    if values["gpu"] not in gpu_ids:
        raise ValueError(f"gpu {quoted(values['gpu'])}: no card has that slug")
    if values["kind"] not in OfferKind.values:
        choices = ", ".join(OfferKind.values)
        raise ValueError(f"kind {quoted(values['kind'])}: choose one of {choices}")
    return {
        "gpu_id": gpu_ids[values["gpu"]],
        "provider": values["provider"],
        "kind": values["kind"],
        "instance": values["instance"],
        "usd_per_gpu_hour": _price(values["usd_per_gpu_hour"]),
        "observed_on": _day(values["observed_on"]),
        "source_url": _url(values["source_url"]),
        "note": values["note"],
    }


def _price(raw: str) -> Decimal:
    number = typed_number(raw.removeprefix("$"))
    reason = f"usd_per_gpu_hour {quoted(raw)}"
    if number is None:
        raise ValueError(f"{reason}: not a number")
    try:
        price = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{reason}: not a number") from None
    if price <= 0:
        raise ValueError(f"{reason}: must be above zero")
    if price > MAX_USD_PER_GPU_HOUR:
        raise ValueError(f"{reason}: over ${MAX_USD_PER_GPU_HOUR:,} a GPU-hour")
    if -price.as_tuple().exponent > 4:
        raise ValueError(f"{reason}: more than 4 decimal places")
    return price


def _day(raw: str) -> date:
    reason = f"observed_on {quoted(raw)}"
    try:
        day = date.fromisoformat(raw) if ISO_DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{reason}: not a date (YYYY-MM-DD)")
    if day > timezone.localdate():
        raise ValueError(f"{reason}: in the future")
    if day < EARLIEST_OFFER:
        raise ValueError(f"{reason}: before {EARLIEST_OFFER.year}")
    return day


def _url(raw: str) -> str:
    if len(raw) > CloudOffer._meta.get_field("source_url").max_length:
        raise ValueError("source_url is over 500 characters")
    try:
        WEB_URL(raw)
    except ValidationError:
        raise ValueError(f"source_url {quoted(raw)}: not an http:// or https:// address") from None
    return raw


def import_offers(*, path: Path, dry_run: bool = False) -> OfferImport:
    """Create or update the file's valid offers (keyed by card, provider, kind and instance) in
    one transaction; rejected rows are reported and skipped. A file that cannot be read writes
    nothing (OfferFileError)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise OfferFileError(f"cannot read {path}: {exc.strerror}") from None
    offers, rejected = read_offers(data)
    report = OfferImport(rejected=rejected, dry_run=dry_run)
    changed: set[int] = set()
    with transaction.atomic():
        for offer in offers:
            key = {name: offer[name] for name in ("gpu_id", "provider", "kind", "instance")}
            stored = CloudOffer.objects.filter(**key).first()
            if stored is None:
                CloudOffer.objects.create(**offer)
                report.created += 1
            elif any(getattr(stored, name) != value for name, value in offer.items()):
                CloudOffer.objects.filter(pk=stored.pk).update(**offer)
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            changed.add(offer["gpu_id"])
        if dry_run:
            transaction.set_rollback(True)
        elif changed:
            transaction.on_commit(
                lambda: catalog_changed.send(
                    sender=CloudOffer, source="import_cloud_offers", gpu_ids=sorted(changed)
                )
            )
    return report
