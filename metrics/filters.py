"""Query-string filters for the ranking pages: parsed leniently, bad values ignored with a note."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict

from catalog.models import Category, MlSoftware
from catalog.presentation import quoted, typed_number
from metrics.models import Scope

MAX_MEMORY_GB = 10_000
MAX_BUDGET_USD = 10_000_000
CONDITIONS = {"new": Scope.NEW, "used": Scope.USED}
# Notes name a filter as its form field is labelled, and a choice as its option reads.
LABELS = {
    "min_memory": "Min memory (GB)",
    "max_budget": "Max budget (USD)",
    "condition": "Condition",
    "category": "Category",
    "software": "ML software",
}
# The query parameters the filters read: a page that uses them is cached by them.
PARAMS = tuple(LABELS)
CHOICE_LABELS = {**dict(Scope.choices), **dict(Category.choices), **dict(MlSoftware.choices)}


@dataclass(frozen=True)
class RankingFilters:
    min_memory: float | None = None
    max_budget: Decimal | None = None
    condition: str | None = None
    category: str | None = None
    software: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def scope(self) -> str:
        """Which headline price ranks the cards: new, used or any condition."""
        return CONDITIONS.get(self.condition, Scope.ALL)

    @property
    def is_active(self) -> bool:
        """Whether any filter is set (LABELS names every one)."""
        return any(getattr(self, name) is not None for name in LABELS)


def _number(
    name: str, raw: str, maximum: float, minimum: float = 0.0
) -> tuple[float | None, str | None]:
    ignored = f"Ignored {LABELS[name]} {quoted(raw)}"
    number = typed_number(raw)
    if number is None:
        return None, f"{ignored}: not a number"
    value = float(number)
    if value < 0:
        return None, f"{ignored}: must not be negative"
    if value < minimum:
        return None, f"{ignored}: below ${minimum:,.0f}"
    if value > maximum:
        return None, f"{ignored}: larger than {maximum:,.0f}"
    return value, None


def _choice(name: str, raw: str, choices) -> tuple[str | None, str | None]:
    if raw in choices:
        return raw, None
    options = ", ".join(CHOICE_LABELS.get(choice, choice) for choice in choices)
    return None, f"Ignored {LABELS[name]} {quoted(raw)}: choose one of {options}"


def read_each(query: QueryDict, parsers: dict, *, labels: dict) -> tuple[dict, list[str]]:
    """Each parameter's one value through its parser, which answers (value, note): the values
    read and the notes. A parameter given more than once is ignored with a note naming it as
    `labels` does; a blank one is absent."""
    values, notes = {}, []
    for name, parse in parsers.items():
        given = [v.strip() for v in query.getlist(name) if v.strip()]
        if not given:
            continue
        if len(given) > 1:
            notes.append(f"{labels[name]}: given more than once")
            continue
        value, note = parse(given[0])
        if note:
            notes.append(note)
        else:
            values[name] = value
    return values, notes


def parse_filters(query: QueryDict) -> RankingFilters:
    """Read min_memory, max_budget, condition, category and software; a bad value is a note."""
    parsers = {
        "min_memory": lambda raw: _number("min_memory", raw, MAX_MEMORY_GB),
        "max_budget": lambda raw: _number("max_budget", raw, MAX_BUDGET_USD, minimum=1),
        "condition": lambda raw: _choice("condition", raw, list(CONDITIONS)),
        "category": lambda raw: _choice("category", raw, Category.values),
        "software": lambda raw: _choice("software", raw, MlSoftware.values),
    }
    labels = {name: f"Ignored {label}" for name, label in LABELS.items()}
    values, notes = read_each(query, parsers, labels=labels)
    if values.get("max_budget") is not None:
        values["max_budget"] = Decimal(str(round(values["max_budget"], 2)))
    return RankingFilters(**values, notes=tuple(notes))
