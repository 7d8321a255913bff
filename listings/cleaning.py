"""Item summaries made safe before anything reads or stores them: pure functions, no ORM.

eBay (or a saved file) can send one item that breaks everything downstream: a NUL that
PostgreSQL refuses, a lone UTF-16 surrogate that cannot be encoded, nesting deep enough to exhaust
the stack, a multi-megabyte title. Each item is cleaned on its own; one that cannot be made safe is
rejected with a reason and the rest of the search goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DEPTH = 16  # eBay's item summaries nest five levels deep
MAX_STRING = 2_000  # longer strings are cut: titles are 80 characters on eBay
MAX_KEYS = 200  # per object, and entries per array
MAX_SIZE = 64_000  # characters of the whole item after cleaning, as stored in `raw`
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedItem(ValueError):
    """An item that cannot be made safe; its message is the reason shown in the run report."""


@dataclass
class _Budget:
    left: int = MAX_SIZE


def clean_item(item: object) -> dict:
    """A cleaned copy of one item summary, or MalformedItem saying why it cannot be kept."""
    if not isinstance(item, dict):
        raise MalformedItem(f"not an object but {type(item).__name__}")
    cleaned = _clean(item, depth=0, budget=_Budget())
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


def _spend(budget: _Budget, size: int) -> None:
    budget.left -= size
    if budget.left < 0:
        raise MalformedItem(f"larger than {MAX_SIZE // 1000} KB")
