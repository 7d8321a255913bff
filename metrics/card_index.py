"""The all-cards table's own query string: search words, vendor, kind (cards, whole computers or
both), software support and sort order.

The shared ranking filters (category, condition, memory, budget) come from metrics.filters.
"""

from dataclasses import dataclass, field

from django.http import QueryDict

from catalog.models import Manufacturer, MlSoftware
from catalog.presentation import quoted

MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    order_by: str
    biggest_first: bool = False


# The sortable columns, in table order.
COLUMNS: tuple[Column, ...] = (
    Column("card", "Card", "label"),
    Column("price", "Headline price", "headline_price"),
    Column("new", "New", "new_headline_price"),
    Column("used", "Used", "used_headline_price"),
    Column("listings", "Listings", "all_listing_count", biggest_first=True),
    Column("from", "From", "all_lowest_price"),
    Column("memory", "Memory (GB)", "memory_gb", biggest_first=True),
    Column("fp16", "FP16 TFLOPS", "fp16_tflops", biggest_first=True),
    Column("per-fp16", "$ per FP16 TFLOPS", "per_fp16"),
    Column("per-gb", "$ per GB", "per_gb"),
    Column("power", "Board power (W)", "tdp_w"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "price"
VENDORS = dict(Manufacturer.choices)
SOFTWARE = dict(MlSoftware.choices)
# What the table lists: cards alone, whole computers alone, or both (no value).
CARDS, SYSTEMS = "cards", "systems"
KINDS = {CARDS: "Cards", SYSTEMS: "Whole computers"}
LABELS = {
    "q": "Search",
    "vendor": "Vendor",
    "kind": "Show",
    "software": "ML software",
    "sort": "Sort",
}
# The query parameters the table reads besides the ranking filters (software is one of those).
PARAMS = ("q", "vendor", "kind", "sort")


@dataclass(frozen=True)
class IndexQuery:
    q: str = ""
    vendor: str = ""
    kind: str = ""  # CARDS, SYSTEMS or "" for both
    software: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def column(self) -> Column:
        return COLUMNS_BY_KEY[self.sort]

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    @property
    def is_active(self) -> bool:
        return bool(self.q or self.vendor or self.kind or self.software)


def _one(query: QueryDict, name: str, notes: list[str]) -> str:
    given = [value.strip() for value in query.getlist(name) if value.strip()]
    if len(given) > 1:
        notes.append(f"Ignored {LABELS[name]}: given more than once")
        return ""
    return given[0] if given else ""


def _choice(name: str, raw: str, choices: dict[str, str], notes: list[str]) -> str:
    if not raw:
        return ""
    by_lower = {value.lower(): value for value in choices}
    if raw.lower() in by_lower:
        return by_lower[raw.lower()]
    notes.append(
        f"Ignored {LABELS[name]} {quoted(raw)}: choose one of {', '.join(choices.values())}"
    )
    return ""


def parse_index_query(query: QueryDict, *, software: str = "") -> IndexQuery:
    """Read q, vendor, kind and sort; a bad value is dropped with a note naming its label.
    `software` is the ranking filters' reading of the same parameter (one parser, one note)."""
    notes: list[str] = []
    q = " ".join(_one(query, "q", notes).split())
    if len(q) > MAX_SEARCH_LENGTH:
        q = q[:MAX_SEARCH_LENGTH]
        notes.append(f"Searched the first {MAX_SEARCH_LENGTH} characters only")
    vendor = _choice("vendor", _one(query, "vendor", notes), VENDORS, notes)
    kind = _choice("kind", _one(query, "kind", notes), KINDS, notes)
    sort, descending = DEFAULT_SORT, False
    raw_sort = _one(query, "sort", notes)
    if raw_sort:
        key = raw_sort.removeprefix("-")
        if key in COLUMNS_BY_KEY:
            sort, descending = key, raw_sort.startswith("-")
        else:
            headings = ", ".join(column.heading for column in COLUMNS)
            notes.append(f"Ignored {LABELS['sort']} {quoted(raw_sort)}: choose one of {headings}")
    return IndexQuery(
        q=q,
        vendor=vendor,
        kind=kind,
        software=software,
        sort=sort,
        descending=descending,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class SortHeader:
    """A column heading that sorts the table: its link and whether the table is sorted by it."""

    column: Column
    href: str
    aria_sort: str  # "ascending", "descending" or "" when not sorted by this column
    next_label: str


def sort_headers(query: QueryDict, index: IndexQuery) -> list[SortHeader]:
    """Each column's heading link: the current query with the sort flipped or set to it."""
    headers = []
    for column in COLUMNS:
        current = column.key == index.sort
        descending = not index.descending if current else column.biggest_first
        params = query.copy()
        params["sort"] = f"-{column.key}" if descending else column.key
        aria = ("descending" if index.descending else "ascending") if current else ""
        order = "largest first" if descending else "smallest first"
        if column.key == "card":
            order = "Z to A" if descending else "A to Z"
        headers.append(SortHeader(column, f"?{params.urlencode()}", aria, order))
    return headers
