"""Item summaries made safe before anything reads or stores them: pure functions, no ORM.

eBay (or a saved file) can send one item that breaks everything downstream: a NUL that
PostgreSQL refuses, a lone UTF-16 surrogate that cannot be encoded, nesting deep enough to exhaust
the stack, a multi-megabyte title, NaN or an integer no database column holds, a date that cannot
be stored. Each item is cleaned on its own; one that cannot be made safe is rejected with a reason
and the rest of the search goes on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

MAX_DEPTH = 16  # eBay's item summaries nest five levels deep
MAX_STRING = 2_000  # longer strings are cut: titles are 80 characters on eBay
MAX_KEYS = 200  # per object, and entries per array
MAX_SIZE = 64_000  # characters of the whole item after cleaning, as stored in `raw`
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
INT64 = 2**63  # JSON numbers outside a signed 64-bit integer fit no column and no jsonb index
# Dates a listing can carry: eBay opened in 1995, and nothing it lists ends after 2100. Outside
# this, a date is a corruption, and some (0001-01-01T00:00:00+14:00) cannot even be stored in UTC.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2100, 1, 1, tzinfo=UTC)


class MalformedItem(ValueError):
    """An item that cannot be made safe; its message is the reason shown in the run report."""


class UnreadableItem(dict):
    """Stands in for an item the JSON reader could not decode (listings/search_files.py): an
    empty object that clean_item rejects with `reason`."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass
class _Budget:
    left: int = MAX_SIZE


def clean_item(item: object) -> dict:
    """A cleaned copy of one item summary, or MalformedItem saying why it cannot be kept."""
    if not isinstance(item, dict):
        raise MalformedItem(f"not an object but {type(item).__name__}")
    if isinstance(item, UnreadableItem):
        raise MalformedItem(item.reason)
    cleaned = _clean(item, depth=0, budget=_Budget())
    _check_dates(cleaned)
    item_id, title = cleaned.get("itemId"), cleaned.get("title")
    if not isinstance(item_id, str | int) or isinstance(item_id, bool) or not str(item_id).strip():
        raise MalformedItem("no usable itemId")
    if not isinstance(title, str) or not title.strip():
        raise MalformedItem("no usable title")
    return cleaned


def clean_text(value: str) -> str:
    """The string without NUL characters and with lone surrogates replaced, at most MAX_STRING."""
    value = value[:MAX_STRING]
    if value.isascii():
        return value.replace("\x00", "")
    return LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def _clean(value: object, *, depth: int, budget: _Budget):
    if depth > MAX_DEPTH:
        raise MalformedItem(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        value = clean_text(value)
        _spend(budget, len(value) + 2)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedItem("a number that is not finite")
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        raise MalformedItem("an integer beyond 64 bits")
    if value is None or isinstance(value, bool | int | float):
        _spend(budget, 8)
        return value
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise MalformedItem(f"an object with more than {MAX_KEYS} keys")
        out = {}
        for key, inner in value.items():
            key = clean_text(str(key))[:100]
            _spend(budget, len(key) + 4)
            out[key] = _clean(inner, depth=depth + 1, budget=budget)
        return out
    if isinstance(value, list | tuple):
        if len(value) > MAX_KEYS:
            raise MalformedItem(f"an array with more than {MAX_KEYS} entries")
        _spend(budget, 2)
        return [_clean(inner, depth=depth + 1, budget=budget) for inner in value]
    raise MalformedItem(f"a value of type {type(value).__name__}")


def _check_dates(item: dict) -> None:
    """Every top-level `...Date` field that reads as a date lies between EARLIEST_DATE and
    LATEST_DATE; text that is not a valid date is left for the parser to ignore."""
    for name, value in item.items():
        if not (name.endswith("Date") and isinstance(value, str)):
            continue
        try:
            when = parse_datetime(value)
        except ValueError:
            continue
        if when is None:
            continue
        try:
            when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        except OverflowError:  # before year 1 or after 9999 once in UTC
            when = None
        if when is None or not EARLIEST_DATE <= when < LATEST_DATE:
            raise MalformedItem(f"{name[:40]} out of range")


def _spend(budget: _Budget, size: int) -> None:
    budget.left -= size
    if budget.left < 0:
        raise MalformedItem(f"larger than {MAX_SIZE // 1000} KB")
