"""A month's market report from the stored monthly going rates (metrics.MonthlyPrice): each
card's used and new rate with its change from the month before, the biggest movers, new lows,
the best value per budget band and a summary of it all. A month is published once it is over."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import NamedTuple, TypedDict

from django.db.models import Q
from django.urls import reverse

from catalog.models import Gpu
from catalog.presentation import money, signed_percent
from metrics.history import today_utc
from metrics.models import MonthlyPrice, Scope
from metrics.monthly import MIN_DAYS, month_start, next_month, previous_month
from metrics.reports.bands import BandPick, Market, ValueBands, value_bands

SHOWN_SCOPES = (Scope.USED, Scope.NEW)
NEW_LOW_AFTER = 2  # earlier months on record before a rate can be a new low
MOVERS = 5

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: one address per month


def parse_month(text: str) -> date | None:
    """The month of a "yyyy-mm" address; None for anything else."""
    found = MONTH.fullmatch(text)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


def report_path(month: date) -> str:
    return reverse("metrics:report-month", kwargs={"month": f"{month:%Y-%m}"})


def published_at(month: date) -> datetime:
    """When a month's report appears: the start of the next month, UTC."""
    return datetime.combine(next_month(month), time.min, tzinfo=UTC)


def published_months(*, today: date | None = None) -> list[date]:
    """Every month with stored prices that is over, newest first (one query)."""
    current = month_start(today or today_utc())
    months = MonthlyPrice.objects.filter(month__lt=current).order_by("-month")
    return list(months.values_list("month", flat=True).distinct())


@dataclass
class Rate:
    """A card's going rate in one condition over the month: the average of its daily going
    rates, with last month's and the lowest of the months before when they count."""

    price: Decimal
    days: int
    previous: Decimal | None = None
    earlier_low: Decimal | None = None
    change_pct: float | None = field(init=False)  # sorting movers reads it a few times

    def __post_init__(self):
        if self.previous is None or self.days < MIN_DAYS:
            self.change_pct = None
        else:
            self.change_pct = float((self.price - self.previous) / self.previous * 100)

    @property
    def new_low(self) -> bool:
        return (
            self.earlier_low is not None and self.days >= MIN_DAYS and self.price < self.earlier_low
        )


@dataclass
class CardRow:
    slug: str
    label: str
    used: Rate | None
    new: Rate | None

    @property
    def rates(self) -> tuple[Rate | None, Rate | None]:
        """Used, then new: the table's two pairs of cells."""
        return (self.used, self.new)


@dataclass
class Mover:
    slug: str
    label: str
    condition: str  # "used" or "new"
    rate: Rate


@dataclass(frozen=True)
class Summary:
    """What the generated summary says about a month."""

    month: date
    previous: date
    tracked: int  # cards with a used or new going rate
    compared: int  # used rates compared with the month before
    falling: int
    rising: int
    median_change: float | None
    biggest_fall: Mover | None
    biggest_rise: Mover | None
    new_lows: int  # cards with a used or new going rate below every earlier month's
    best_llm: BandPick | None
    best_fp16: BandPick | None


class TableRate(TypedDict):
    """A rate's two cells in the table of every card, formatted."""

    price: str
    new_low: bool
    change: str


class TableRow(TypedDict):
    """A card's row in the table of every card: its shop page, its label, its used and new
    rates (None: no rate)."""

    url: str
    label: str
    rates: list[TableRate | None]


@dataclass(frozen=True)
class MonthReport:
    month: date
    newer: date | None
    older: date | None
    cards: list[CardRow]
    falls: list[Mover]
    rises: list[Mover]
    new_lows: list[Mover]
    bands: ValueBands
    summary: Summary

    @property
    def table(self) -> list[TableRow]:
        """Every card's row of the table, as dicts with its cells formatted: the template engine
        reads a dict's keys without the exception each attribute lookup on an object costs it,
        and calls no filter per cell (about 3 ms less on 150 cards)."""
        return [
            TableRow(
                url=reverse("metrics:shop-gpu", kwargs={"slug": row.slug}),
                label=row.label,
                rates=[
                    None
                    if rate is None
                    else TableRate(
                        price=money(rate.price, "whole"),
                        new_low=rate.new_low,
                        change=signed_percent(rate.change_pct),
                    )
                    for rate in row.rates
                ],
            )
            for row in self.cards
        ]


def month_report(month: date, *, published: list[date], market: Market) -> MonthReport | None:
    """The report of a published month, worked out (two queries); None for any other month."""
    reports = month_reports([month], published=published, market=market)
    return reports[0] if reports else None


def month_reports(
    months: list[date], *, published: list[date], market: Market
) -> list[MonthReport]:
    """The reports of those of these months that are published, in their order, from two
    queries however many: every rate from the month before the first to the last, with its
    stored earlier low, and the cards' names."""
    wanted = [month for month in months if month in published]
    if not wanted:
        return []
    rates = _MonthRates.read(first=min(wanted), last=max(wanted))
    reports = []
    for month in wanted:
        cards, any_prices = rates.card_rows(month)
        bands = value_bands(any_prices, market=market)
        reports.append(assemble_report(month, cards, published=published, bands=bands))
    return reports


def card_rows(month: date) -> list[CardRow]:
    """Each card with a used or new rate in a month, by label, with its change and earlier low
    (three queries: the month's used and new rates, the month before's, the cards' names)."""
    return _MonthRates.read_month(month).card_rows(month)[0]


def assemble_report(
    month: date,
    cards: list[CardRow],
    *,
    published: list[date],
    bands: ValueBands,
    summary: Summary | None = None,
) -> MonthReport:
    """A published month's report from its cards' rates and its bands: the movers and new lows
    worked out, the summary too unless it is given (stored)."""
    position = published.index(month)
    movers = [
        Mover(row.slug, row.label, condition, rate)
        for row in cards
        for condition, rate in (("used", row.used), ("new", row.new))
        if rate is not None and rate.change_pct is not None
    ]
    by_change = sorted(movers, key=lambda m: (m.rate.change_pct, m.label))
    falls = [m for m in by_change if m.rate.change_pct < 0][:MOVERS]
    rises = [m for m in reversed(by_change) if m.rate.change_pct > 0][:MOVERS]
    new_lows = sorted(
        (m for m in movers if m.rate.new_low),
        key=lambda m: (m.rate.price / m.rate.earlier_low, m.label),
    )
    return MonthReport(
        month=month,
        newer=published[position - 1] if position > 0 else None,
        older=published[position + 1] if position + 1 < len(published) else None,
        cards=cards,
        falls=falls,
        rises=rises,
        new_lows=new_lows,
        bands=bands,
        summary=summary or _summary(month, cards, falls, rises, new_lows, bands),
    )


# A card's rate in one scope: (gpu id, scope).
RateKey = tuple[int, str]


class _Stored(NamedTuple):
    """A stored monthly rate (metrics.MonthlyPrice) as a report reads it, by its field names."""

    headline_price: Decimal
    days: int
    earlier_low: Decimal | None
    earlier_months: int


@dataclass(frozen=True)
class _MonthRates:
    """Stored monthly rates by month, (gpu id, scope) -> _Stored; each card's slug and label by
    gpu id."""

    by_month: dict[date, dict[RateKey, _Stored]]
    names: dict[int, tuple[str, str]]
    in_order: list[int]  # every gpu id, in the table's order: by label, case aside

    @classmethod
    def read(cls, *, first: date, last: date) -> _MonthRates:
        """Every rate from first to last, and the month before first's used and new ones (two
        queries: the cards' names apart, not joined to each of thousands of rates)."""
        rows = (
            MonthlyPrice.objects.filter(
                Q(month__gte=first, month__lte=last)
                | Q(month=previous_month(first), scope__in=SHOWN_SCOPES)
            )
            .order_by()  # card_rows puts the cards in order
            .values_list("gpu_id", "scope", "month", *_Stored._fields)
        )
        by_month = {}
        for gpu_id, scope, month, *stored in rows:
            by_month.setdefault(month, {})[gpu_id, scope] = _Stored(*stored)
        return cls(by_month, *_names())

    @classmethod
    def read_month(cls, month: date) -> _MonthRates:
        """A month's used and new rates and the month before's (three queries: a month apiece,
        so neither month's date nor the month before's earlier lows are read)."""
        last = previous_month(month)
        this = {
            (gpu_id, scope): _Stored(*stored)
            for gpu_id, scope, *stored in _shown(month, *_Stored._fields)
        }
        before = {
            (gpu_id, scope): _Stored(price, days, None, 0)
            for gpu_id, scope, price, days in _shown(last, "headline_price", "days")
        }
        return cls({month: this, last: before}, *_names())

    def card_rows(self, month: date) -> tuple[list[CardRow], dict[str, Decimal]]:
        """Each card with a used or new rate that month, by label; and every card's rate in any
        condition, by slug (the bands' prices)."""
        this = self.by_month.get(month, {})
        before = self.by_month.get(previous_month(month), {})
        any_prices = {
            self.names[gpu_id][0]: stored.headline_price
            for (gpu_id, scope), stored in this.items()
            if scope == Scope.ALL
        }
        cards = []
        for gpu_id in self.in_order:
            rates = {}
            for scope in SHOWN_SCOPES:
                if (stored := this.get((gpu_id, scope))) is not None:
                    last = before.get((gpu_id, scope))
                    rates[scope] = Rate(
                        stored.headline_price,
                        stored.days,
                        previous=last.headline_price if last and last.days >= MIN_DAYS else None,
                        earlier_low=stored.earlier_low
                        if stored.earlier_months >= NEW_LOW_AFTER
                        else None,
                    )
            if rates:
                slug, label = self.names[gpu_id]
                cards.append(CardRow(slug, label, rates.get(Scope.USED), rates.get(Scope.NEW)))
        return cards, any_prices


def _shown(month: date, *fields: str):
    """A month's used and new rates: gpu id, scope and these fields."""
    rates = MonthlyPrice.objects.filter(month=month, scope__in=SHOWN_SCOPES).order_by()
    return rates.values_list("gpu_id", "scope", *fields)


def _names() -> tuple[dict[int, tuple[str, str]], list[int]]:
    """Each card's slug and label by gpu id, and every gpu id by label, case aside."""
    names = {
        gpu_id: (slug, label)
        for gpu_id, slug, label in Gpu.objects.values_list("id", "slug", "label").order_by()
    }
    return names, sorted(names, key=lambda gpu_id: (names[gpu_id][1].lower(), gpu_id))


def _summary(month, cards, falls, rises, new_lows, bands: ValueBands) -> Summary:
    changes = [row.used.change_pct for row in cards if row.used and row.used.change_pct is not None]
    return Summary(
        month=month,
        previous=previous_month(month),
        tracked=len(cards),
        compared=len(changes),
        falling=sum(change < 0 for change in changes),
        rising=sum(change > 0 for change in changes),
        median_change=statistics.median(changes) if changes else None,
        biggest_fall=falls[0] if falls else None,
        biggest_rise=rises[0] if rises else None,
        new_lows=len({mover.slug for mover in new_lows}),
        best_llm=max(bands.llm, key=lambda pick: pick.value, default=None),
        best_fp16=min(bands.fp16, key=lambda pick: pick.value, default=None),
    )
