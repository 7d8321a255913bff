"""Price-history charts as geometry for an inline SVG template: no JavaScript, no inline styles.

The chart is drawn in a 320 x 168 coordinate box, about its size on a 375 px phone, so its labels
stay readable there; on wider screens CSS scales it up to a readable maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from catalog import presentation
from metrics.history import PERIODS, PriceSeries, parse_period, price_history, today_utc

WIDTH, HEIGHT = 320, 168
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 24  # margins: price labels left, dates below


@dataclass(frozen=True)
class ChartLine:
    """One condition's line, and its text alternative: lowest, highest and change."""

    scope: str
    label: str
    points: str  # the SVG polyline's "x,y x,y" list
    last_x: str
    last_y: str
    summary: str


@dataclass(frozen=True)
class AxisLabel:
    x: str
    y: str
    text: str
    anchor: str  # SVG text-anchor: prices end at the plot's edge, dates start and end it


@dataclass(frozen=True)
class Chart:
    # The SVG's size and the plot's edges are the same on every chart.
    width: ClassVar[int] = WIDTH
    height: ClassVar[int] = HEIGHT
    plot_left: ClassVar[int] = LEFT
    plot_right: ClassVar[int] = WIDTH - RIGHT

    days: int
    lines: list[ChartLine]
    labels: list[AxisLabel]
    grid: list[str]
    description: str


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def summarize(series: PriceSeries, currency: str) -> str:
    """ "Lowest $900.00 (Nov 2, 2026), highest $1,050.00 (Oct 1, 2026), down 5% over the period"."""
    low, high = series.lowest, series.highest
    text = (
        f"lowest {presentation.price(low.price, currency)} ({_day(low.day)}), "
        f"highest {presentation.price(high.price, currency)} ({_day(high.day)})"
    )
    change = series.change_percent
    first, last = series.points[0], series.points[-1]
    if change is None:
        return f"{text}; one day recorded"
    trend = "unchanged" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change)}%"
    return (
        f"{text}; {trend} from {presentation.price(first.price, currency)} on {_day(first.day)} "
        f"to {presentation.price(last.price, currency)} on {_day(last.day)}"
    )


def price_chart(
    *, series: list[PriceSeries], days: int, today: date, currency: str = "USD"
) -> Chart | None:
    """The chart of the given series over the `days` days ending today; None without data."""
    series = [s for s in series if s.points]
    if not series:
        return None
    first_day = today - timedelta(days=days - 1)
    prices = [p.price for s in series for p in s.points]
    low, high = min(prices), max(prices)
    pad = (high - low) * Decimal("0.1") or max(high * Decimal("0.05"), Decimal("1"))
    low, high = max(Decimal(0), low - pad), high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day - first_day).days / max(1, days - 1), 1)

    def y(price: Decimal) -> float:
        return round(TOP + plot_h * float((high - price) / (high - low)), 1)

    lines = []
    for s in series:
        coords = [(x(p.day), y(p.price)) for p in s.points]
        lines.append(
            ChartLine(
                scope=s.scope,
                label=s.label,
                points=" ".join(f"{cx},{cy}" for cx, cy in coords),
                last_x=str(coords[-1][0]),
                last_y=str(coords[-1][1]),
                summary=summarize(s, currency),
            )
        )
    ticks = [high - (high - low) * Decimal(i) / 3 for i in range(4)]
    # Coordinates go to the template as strings: no localization can put a comma in them.
    labels = [AxisLabel(str(LEFT - 4), str(y(t) + 4), _tick(t, currency), "end") for t in ticks]
    labels += [
        AxisLabel(str(LEFT), str(HEIGHT - 6), f"{first_day:%b} {first_day.day}", "start"),
        AxisLabel(str(WIDTH - RIGHT), str(HEIGHT - 6), f"{today:%b} {today.day}", "end"),
    ]
    description = "; ".join(f"{line.label}: {line.summary}" for line in lines)
    return Chart(
        days=days,
        lines=lines,
        labels=labels,
        grid=[str(y(t)) for t in ticks],
        description=description,
    )


def _tick(value: Decimal, currency: str) -> str:
    """A short axis label: $1.2k, $950."""
    symbol = presentation.symbol(currency)
    if value >= 10000:
        return f"{symbol}{value / 1000:.0f}k"
    if value >= 1000:
        return f"{symbol}{value / 1000:.1f}k"
    return f"{symbol}{value:.0f}"


@dataclass(frozen=True)
class Period:
    """A link to the chart over another period: its days, its query string, whether shown."""

    days: int
    query: str
    current: bool


@dataclass(frozen=True)
class PriceHistorySection:
    """What a card page's price-history section shows: the chart (None without data), the period
    links and a note when ?history= was ignored."""

    gpu_label: str
    chart: Chart | None
    days: int
    note: str
    periods: list[Period]
    csv_url: str
    json_url: str


def price_history_section(*, gpu, query: QueryDict) -> PriceHistorySection:
    """The card's daily used and new headline prices over ?history=30|90|365 days (one query)."""
    days, note = parse_period(query.get("history"))
    today = today_utc()
    chart = price_chart(
        series=price_history(gpu_id=gpu.pk, days=days, today=today),
        days=days,
        today=today,
        currency=settings.EBAY_CURRENCY,
    )
    periods = []
    for n in PERIODS:
        linked = query.copy()
        linked["history"] = str(n)
        periods.append(Period(days=n, query=linked.urlencode(), current=n == days))
    return PriceHistorySection(
        gpu_label=gpu.label,
        chart=chart,
        days=days,
        note=note,
        periods=periods,
        csv_url=reverse("metrics:price-history-csv", kwargs={"slug": gpu.slug}),
        json_url=reverse("metrics:price-history-json", kwargs={"slug": gpu.slug}),
    )
