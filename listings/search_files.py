"""Saved eBay search responses, read an item at a time: a 200,000-item file never sits in memory.

A file is either a JSON array of item summaries or a search page envelope whose `itemSummaries`
holds them. The text is read in chunks and each item decoded on its own, so memory holds one chunk
and one item, whatever the file's size. An item nested too deeply for the JSON decoder is skipped
without recursion and given as an UnreadableItem, which the cleaner rejects on its own; the same
reader reads a live search page that json.loads cannot (`read_page`).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import TextIO

from listings.cleaning import MAX_DEPTH, UnreadableItem

CHUNK_CHARS = 1 << 20
MAX_ITEM_CHARS = 64 << 20  # one value longer than this is not an item summary
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
# A JSON string (possibly cut off by the end of the window) or a bracket: enough to find where a
# nested value ends without decoding it.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)|[\[\]{}]')


class SearchFileError(ValueError):
    """The file is not a readable search response; the message says why."""


def iter_items(path: str) -> Iterator[object]:
    """Each element of the file's item-summary array, in order; SearchFileError when malformed."""
    try:
        with open(path, encoding="utf-8") as handle:
            yield from _items(_Reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise SearchFileError(f"not a readable JSON file ({exc})") from exc
    except RecursionError as exc:
        raise SearchFileError("a value nested too deeply to read") from exc


def count_items(path: str) -> int:
    """How many item summaries the file holds, reading all of it; SearchFileError when malformed
    or when an element is not an object."""
    count = 0
    for item in iter_items(path):
        if not isinstance(item, dict):
            raise SearchFileError("expected a JSON array of item summaries or a search page")
        count += 1
    return count


def read_page(text: str) -> dict:
    """A search page (a JSON object) decoded an item at a time: every key as it is, and each
    item nested too deeply to decode as an UnreadableItem; SearchFileError when malformed."""
    reader = _Reader(io.StringIO(text))
    if reader.peek() != "{":
        raise SearchFileError("expected a JSON object")
    page: dict = {}
    try:
        items = list(_items(reader, envelope=page))
    except RecursionError as exc:
        raise SearchFileError("a value nested too deeply to read") from exc
    if "itemSummaries" in page:
        page["itemSummaries"] = items
    return page


def _items(reader: _Reader, *, envelope: dict | None = None) -> Iterator[object]:
    """The items of an array or of a page's itemSummaries; the page's other keys go into
    `envelope` when one is given."""
    first = reader.peek()
    if first == "[":
        yield from _array(reader)
    elif first == "{":
        reader.take("{")
        while reader.peek() != "}":
            key = reader.value()
            reader.take(":")
            if key == "itemSummaries":
                if reader.peek() != "[":
                    raise SearchFileError("itemSummaries is not an array")
                if envelope is not None:
                    envelope[key] = []
                yield from _array(reader)
            elif envelope is not None:
                envelope[key] = reader.value()
            else:
                reader.value()
            if reader.peek() == ",":
                reader.take(",")
        reader.take("}")
    else:
        raise SearchFileError("expected a JSON array of item summaries or a search page")
    if reader.peek():
        raise SearchFileError("text after the end of the JSON value")


def _array(reader: _Reader) -> Iterator[object]:
    reader.take("[")
    if reader.peek() == "]":
        reader.take("]")
        return
    while True:
        yield reader.value(item=True)
        if reader.peek() == ",":
            reader.take(",")
            continue
        reader.take("]")
        return


class _Reader:
    """A window on the file's text: values are decoded from it and it is refilled as needed."""

    def __init__(self, handle: TextIO):
        self.handle, self.text, self.pos, self.eof = handle, "", 0, False

    def _more(self) -> bool:
        chunk = self.handle.read(CHUNK_CHARS)
        if not chunk:
            self.eof = True
            return False
        self.text, self.pos = self.text[self.pos :] + chunk, 0
        return True

    def peek(self) -> str:
        """The next non-blank character, "" at the end of the file."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text) or not self._more():
                return self.text[self.pos : self.pos + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "the end of the file"
            raise SearchFileError(f"expected {char!r} but found {found!r}")
        self.pos += 1

    def value(self, *, item: bool = False) -> object:
        """The next JSON value, refilling the window until it is whole. An `item` nested too
        deeply to decode is skipped and given as an UnreadableItem."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except RecursionError as exc:
                if not item:
                    raise SearchFileError("a value nested too deeply to read") from exc
                self.pos = self._end_of_nested()
                return UnreadableItem(f"nested deeper than {MAX_DEPTH} levels")
            except json.JSONDecodeError as exc:
                if len(self.text) - self.pos > MAX_ITEM_CHARS or not self._more():
                    raise SearchFileError(f"not valid JSON ({exc.msg})") from exc
                continue
            # A number that ends the window may go on in the next chunk.
            if end == len(self.text) and not self.eof and self._more():
                continue
            self.pos = end
            return value

    def _end_of_nested(self) -> int:
        """Where the array or object at the window's position ends, found without recursion,
        refilling the window until it holds the whole value."""
        while True:
            depth = 0
            for match in _TOKEN.finditer(self.text, self.pos):
                token = match.group()
                if token in ("[", "{"):
                    depth += 1
                elif token in ("]", "}"):
                    depth -= 1
                    if depth == 0:
                        return match.end()
                elif match.end() == len(self.text):
                    break  # a string the window cuts off
            if len(self.text) - self.pos > MAX_ITEM_CHARS or not self._more():
                raise SearchFileError("a value nested too deeply to read")
