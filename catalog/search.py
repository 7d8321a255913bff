"""Find cards by what people type: a name, an alias, a part number or a slug."""

import re
from dataclasses import dataclass

from catalog.models import Gpu

MAX_QUERY_LENGTH = 100
_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, punctuation and spaces dropped: "RTX-3090 Ti" and "rtx3090ti" are one key."""
    return "".join(_WORD.findall(text.lower()))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class CardNames:
    """A card and every name it goes by, normalised once."""

    slug: str
    label: str
    manufacturer: str
    category: str
    keys: frozenset[str]
    name_words: frozenset[str]
    name_keys: tuple[str, ...]
    part_keys: tuple[str, ...]

    @classmethod
    def of(cls, *, slug, label, manufacturer, category, aliases, part_numbers) -> "CardNames":
        names = [slug, label, *_strings(aliases)]
        parts = [normalise(part) for part in _strings(part_numbers)]
        name_keys = tuple(normalise(name) for name in names)
        return cls(
            slug=slug,
            label=label,
            manufacturer=manufacturer,
            category=category,
            keys=frozenset(key for key in (*name_keys, *parts) if key),
            name_words=frozenset(word for name in names for word in words(name)),
            name_keys=name_keys,
            part_keys=tuple(parts),
        )

    def matches_exactly(self, key: str) -> bool:
        return key in self.keys

    def matches(self, query_words: list[str]) -> bool:
        """Every typed word starts a word of a name, sits in a name typed without spaces, or
        starts a part number ("3090 ti", "rtx3090", "900-1g136")."""
        key = "".join(query_words)
        if len(key) >= 4 and any(part.startswith(key) for part in self.part_keys):
            return True
        return all(self._matches_word(word) for word in query_words)

    def _matches_word(self, word: str) -> bool:
        if any(name_word.startswith(word) for name_word in self.name_words):
            return True
        if any(word in key for key in self.name_keys):
            return True
        # Short fragments would hit a digit run inside most part numbers.
        return len(word) >= 4 and any(part.startswith(word) for part in self.part_keys)


def _strings(value) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def card_names() -> list[CardNames]:
    """Every card with its names, normalised (one query)."""
    rows = Gpu.objects.order_by("label").values(
        "slug", "label", "manufacturer", "category", "aliases", "part_numbers"
    )
    return [CardNames.of(**row) for row in rows]


@dataclass(frozen=True)
class SearchResult:
    query: str
    cards: list[CardNames]
    exact: bool
    note: str = ""

    @property
    def unique(self) -> CardNames | None:
        """The one card to go straight to, when the query names exactly one."""
        return self.cards[0] if len(self.cards) == 1 else None


def clean_query(raw: str) -> tuple[str, str]:
    """The query as searched and a note when it was cut short."""
    query = " ".join(raw.split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH], f"Searched the first {MAX_QUERY_LENGTH} characters only."
    return query, ""


def filter_cards(cards: list[CardNames], query: str) -> tuple[list[CardNames], bool]:
    """Cards an exact name or part number names; else the cards containing every typed word."""
    key = normalise(query)
    if not key:
        return [], False
    exact = [card for card in cards if card.matches_exactly(key)]
    if exact:
        return exact, True
    query_words = words(query)
    return [card for card in cards if card.matches(query_words)], False


def search_cards(*, raw_query: str) -> SearchResult:
    """Cards matching what was typed in the site search (one query)."""
    query, note = clean_query(raw_query)
    cards, exact = filter_cards(card_names(), query) if query else ([], False)
    return SearchResult(query=query, cards=cards, exact=exact, note=note)
