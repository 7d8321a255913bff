"""Find cards by what people type: a name, an alias, a part number, a slug or a memory size.

Typed words are matched as tokens. A word with digits is a model number: its digit runs match whole
digit runs of a name ("a100" is never the RTX A1000, "l4" never the L40). A memory size ("24gb",
"24 GB") matches the card's memory, not its name. A query names one card when that card's own
name ends with it and every other match only extends that name ("3090": the RTX 3090, not the
RTX 3090 Ti); otherwise every match is listed ("a100 40gb": the PCIe and the SXM4 card).
"""

import re
from dataclasses import dataclass

from catalog.models import Gpu

MAX_QUERY_LENGTH = 100
_WORD = re.compile(r"[a-z0-9]+")
# A word's letter and digit runs: "rtx3090ti" -> rtx, 3090, ti.
_RUN = re.compile(r"[a-z]+|[0-9]+")
# The same runs in a whole text, the first group set where a run starts a word.
_RUN_IN_TEXT = re.compile(r"(?<![a-z0-9])([a-z]+|[0-9]+)|([a-z]+|[0-9]+)")
_MEMORY = re.compile(r"([0-9]+)(?:gb|gib|g)")
MEMORY_UNITS = {"gb", "gib", "g"}

# A letter or digit run and whether it starts a word ("w7900": w starts it, 7900 does not).
Run = tuple[str, bool]


def normalise(text: str) -> str:
    """Lower case, punctuation and spaces dropped: "RTX-3090 Ti" and "rtx3090ti" are one key."""
    return "".join(_WORD.findall(text.lower()))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def runs(text: str) -> tuple[Run, ...]:
    found = _RUN_IN_TEXT.findall(text.lower())
    return tuple((first or inner, bool(first)) for first, inner in found)


@dataclass(frozen=True)
class Query:
    """What was typed: the whole key, the words matched against names, the memory sizes."""

    key: str
    name_words: tuple[str, ...]
    memory_gb: tuple[int, ...]
    runs: tuple[Run, ...]

    @classmethod
    def of(cls, text: str) -> "Query":
        typed, names, memory = words(text), [], []
        n = 0
        while n < len(typed):
            word, unit = typed[n], typed[n + 1] if n + 1 < len(typed) else ""
            if size := _MEMORY.fullmatch(word):
                memory.append(int(size[1]))
            elif word.isdigit() and unit in MEMORY_UNITS:
                memory.append(int(word))
                n += 1
            else:
                names.append(word)
            n += 1
        return cls(normalise(text), tuple(names), tuple(memory), runs(text))


@dataclass(frozen=True)
class CardNames:
    """A card and every name it goes by, normalised once."""

    slug: str
    label: str
    manufacturer: str
    category: str
    memory_gb: float | None
    keys: frozenset[str]
    own_keys: frozenset[str]
    name_words: frozenset[str]
    name_keys: tuple[str, ...]
    name_runs: tuple[tuple[Run, ...], ...]
    label_runs: tuple[Run, ...]
    part_keys: tuple[str, ...]

    @classmethod
    def of(
        cls, *, slug, label, manufacturer, category, aliases, part_numbers, memory_gb=None
    ) -> "CardNames":
        names = [slug, label, *_strings(aliases)]
        parts = tuple(normalise(part) for part in _strings(part_numbers))
        typed = [words(name) for name in names]
        name_keys = tuple("".join(name) for name in typed)
        name_runs = tuple(runs(name) for name in names)
        return cls(
            slug=slug,
            label=label,
            manufacturer=manufacturer,
            category=category,
            memory_gb=memory_gb,
            keys=frozenset(key for key in (*name_keys, *parts) if key),
            own_keys=frozenset(key for key in (*name_keys[:2], *parts) if key),
            name_words=frozenset(word for name in typed for word in name),
            name_keys=name_keys,
            name_runs=name_runs,
            label_runs=name_runs[1],
            part_keys=parts,
        )

    def matches_exactly(self, key: str) -> bool:
        return key in self.keys

    def matches(self, query: Query, *, digit_prefix: bool = False) -> bool:
        """The query starts a part number ("900-1g136"), or every typed word is in a name and
        every typed memory size is the card's ("3090 ti", "rtx3090", "a100 40gb", "24gb")."""
        if len(query.key) >= 4 and any(part.startswith(query.key) for part in self.part_keys):
            return True
        if query.memory_gb and self.memory_gb not in query.memory_gb:
            return False
        return all(self._matches_word(word, digit_prefix) for word in query.name_words)

    def _matches_word(self, word: str, digit_prefix: bool) -> bool:
        # Short fragments would hit a digit run inside most part numbers.
        if len(word) >= 4 and any(part.startswith(word) for part in self.part_keys):
            return True
        if word.isalpha():
            return any(name_word.startswith(word) for name_word in self.name_words) or any(
                word in key for key in self.name_keys
            )
        typed = _RUN.findall(word)
        return any(_contains(name, typed, digit_prefix) for name in self.name_runs)

    def ends_with(self, typed: tuple[Run, ...]) -> bool:
        """The card's own name ends with the typed words ("NVIDIA GeForce RTX 3090" and "3090")."""
        tail = self.label_runs[len(self.label_runs) - len(typed) :]
        return len(tail) == len(typed) and _same(tail, typed)

    def extends(self, typed: tuple[Run, ...]) -> bool:
        """The card's own name has the typed words, whole, with more after them ("RTX 3090 Ti")."""
        size = len(typed)
        return any(
            _same(self.label_runs[start : start + size], typed)
            for start in range(len(self.label_runs) - size)
        )


def _same(name: tuple[Run, ...], typed: tuple[Run, ...]) -> bool:
    """The same runs, the first starting a word of the name ("7600" is not the end of "W7600")."""
    return bool(name) and name[0][1] and [run for run, _ in name] == [run for run, _ in typed]


def _contains(name: tuple[Run, ...], typed: list[str], digit_prefix: bool) -> bool:
    """The typed runs appear in a row in the name: digits whole (or their start, when allowed),
    letters whole but the last, which may be a start ("7900x": 7900 XT and XTX)."""
    last = len(typed) - 1

    def fits(have: str, want: str, n: int) -> bool:
        if have == want:
            return True
        if want.isdigit():
            return digit_prefix and have.isdigit() and have.startswith(want)
        return n == last and have.isalpha() and have.startswith(want)

    return any(
        all(fits(name[start + n][0], want, n) for n, want in enumerate(typed))
        for start in range(len(name) - last)
    )


def _strings(value) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def card_names(*, typed: str = "") -> list[CardNames]:
    """Every card with its names, normalised (one query); given what was `typed`, only the cards
    it can match: those whose names and part numbers, run together, hold each letter and digit
    run of its words (normalising every name of every card is most of a search's time)."""
    rows = Gpu.objects.order_by("label").values(
        "slug", "label", "manufacturer", "category", "aliases", "part_numbers", "memory_gb"
    )
    needed = {run for run, _ in runs(" ".join(Query.of(typed).name_words))}
    return [CardNames.of(**row) for row in rows if _may_match(row, needed)]


def _may_match(row: dict, needed: set[str]) -> bool:
    """Whether every `needed` run is in the card's names and part numbers run together: each way
    a card matches (a name, a word of one, a digit run or its start, a part number's start) puts
    every run of the typed words there; memory sizes are matched on their own."""
    if not needed:
        return True
    names = (row["slug"], row["label"], *_strings(row["aliases"]), *_strings(row["part_numbers"]))
    text = normalise(" ".join(names))
    return all(run in text for run in needed)


@dataclass(frozen=True)
class SearchResult:
    query: str
    cards: list[CardNames]
    exact: bool
    note: str = ""
    named: CardNames | None = None

    @property
    def unique(self) -> CardNames | None:
        """The one card to go straight to, when the query names exactly one."""
        return self.named or (self.cards[0] if len(self.cards) == 1 else None)


def clean_query(raw: str) -> tuple[str, str]:
    """The query as searched and a note when it was cut short."""
    query = " ".join(raw.split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH], f"Searched the first {MAX_QUERY_LENGTH} characters only."
    return query, ""


def filter_cards(cards: list[CardNames], query: str) -> tuple[list[CardNames], bool]:
    """Every card the query matches, and whether they are all named by it exactly (a name, alias
    or part number typed in full). Digit runs match whole; only when nothing matches so does the
    start of one ("309": the 3090 and 3090 Ti)."""
    typed = Query.of(query)
    if not typed.key:
        return [], False
    exact = {card.slug for card in cards if card.matches_exactly(typed.key)}
    found = {card.slug for card in cards if card.matches(typed)} or {
        card.slug for card in cards if card.matches(typed, digit_prefix=True)
    }
    listed = [card for card in cards if card.slug in exact | found]
    return listed, bool(exact) and found <= exact


def named_card(cards: list[CardNames], query: str) -> CardNames | None:
    """The one card among the matches the query names: by its own name, slug or part number typed
    in full, or by a name that ends with what was typed and that every other match extends."""
    typed = Query.of(query)
    own = [card for card in cards if typed.key in card.own_keys]
    if len(own) == 1:
        return own[0]
    if not typed.name_words:  # a memory size alone names no card
        return None
    name = runs(" ".join(typed.name_words))
    # "rtx 3060 8gb" ends the 3060 8GB's name; "3090 24gb" ends no name, but "3090" does.
    ending = [card for card in cards if card.ends_with(typed.runs)] or [
        card for card in cards if card.ends_with(name)
    ]
    if len(ending) == 1 and all(card.extends(name) for card in cards if card is not ending[0]):
        return ending[0]
    return None


def search_cards(*, raw_query: str) -> SearchResult:
    """Cards matching what was typed in the site search (one query)."""
    query, note = clean_query(raw_query)
    if not query:
        return SearchResult(query=query, cards=[], exact=False, note=note)
    cards, exact = filter_cards(card_names(typed=query), query)
    return SearchResult(
        query=query, cards=cards, exact=exact, note=note, named=named_card(cards, query)
    )
