"""Each month's report summary and best value per budget band, stored as metrics.MonthlySummary
and MonthlyBandPick: the reports index and feed read one row a month instead of working out every
month's report, and a month's report reads its summary and bands instead of the catalog's speeds.
Written with the monthly prices; a month with no row (before the first price-history run after a
deploy) is worked out where it is read, showing the same."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Gpu
from metrics.models import MonthlyBandPick, MonthlyPrice, MonthlySummary
from metrics.monthly import previous_month
from metrics.reports.bands import BAND_FLOORS, BANDS, Band, BandPick, ValueBands, load_market
from metrics.reports.months import (
    MonthReport,
    Mover,
    Rate,
    Summary,
    assemble_report,
    card_rows,
    month_reports,
)

MOVERS = ("fall", "rise")  # Summary.biggest_fall, .biggest_rise
PICKS = ("llm", "fp16")  # Summary.best_llm, .best_fp16
COUNTS = ("tracked", "compared", "falling", "rising", "median_change", "new_lows")
STORED = (
    "month",
    *COUNTS,
    *(
        f"{role}_{name}"
        for role in MOVERS
        for name in ("gpu__slug", "gpu__label", "condition", "price", "previous", "days")
    ),
    *(f"{role}_{name}" for role in PICKS for name in ("gpu__slug", "gpu__label", "price", "value")),
)
BAND_PICK = ("figure", "band_low", "gpu__slug", "gpu__label", "price", "value", "basis")


def record_report_summaries() -> int:
    """Work out every stored month's report and store its summary and band picks, replacing the
    last: a month's lows read every earlier month, its bands the catalog's speeds. Returns the
    months stored."""
    months = list(
        MonthlyPrice.objects.order_by("-month").values_list("month", flat=True).distinct()
    )
    reports = month_reports(months, published=months, market=load_market())
    ids = dict(Gpu.objects.values_list("slug", "id"))
    now = timezone.now()
    with transaction.atomic():
        MonthlySummary.objects.all().delete()
        MonthlySummary.objects.bulk_create(
            [_stored(report, ids=ids, now=now) for report in reports]
        )
        summary_ids = dict(MonthlySummary.objects.values_list("month", "id"))
        MonthlyBandPick.objects.bulk_create(
            MonthlyBandPick(
                summary_id=summary_ids[report.month],
                figure=figure,
                band_low=pick.band.low,
                gpu_id=ids[pick.slug],
                price=pick.price,
                value=pick.value,
                basis=pick.basis,
            )
            for report in reports
            for figure, picks in zip(PICKS, (report.bands.llm, report.bands.fp16), strict=True)
            for pick in picks
        )
    return len(reports)


def month_summaries(months: list[date], *, published: list[date]) -> list[Summary]:
    """The summaries of these published months, in their order: the stored ones in one query, a
    month without a row worked out from its prices (three more queries and the catalog's)."""
    rows = MonthlySummary.objects.filter(month__in=months).order_by().values(*STORED)
    summaries = {row["month"]: _summary(row) for row in rows}
    if missing := [month for month in months if month not in summaries]:
        reports = month_reports(missing, published=published, market=load_market())
        summaries.update((report.month, report.summary) for report in reports)
    return [summaries[month] for month in months if month in summaries]


def stored_month_report(month: date, *, published: list[date]) -> MonthReport | None:
    """A published month's report from its stored summary and band picks and its used and new
    rates (four queries); None for a month not published or with no stored summary."""
    if month not in published:
        return None
    row = MonthlySummary.objects.filter(month=month).values("id", "llm_model", *STORED).first()
    if row is None:
        return None
    picks = MonthlyBandPick.objects.filter(summary_id=row["id"]).order_by("figure", "band_low")
    chosen = {figure: [] for figure in PICKS}
    for pick in picks.values(*BAND_PICK):
        chosen[pick["figure"]].append(
            BandPick(
                _band(pick["band_low"]),
                pick["gpu__slug"],
                pick["gpu__label"],
                pick["price"],
                pick["value"],
                pick["basis"],
            )
        )
    bands = ValueBands(llm_model=row["llm_model"], llm=chosen["llm"], fp16=chosen["fp16"])
    return assemble_report(
        month, card_rows(month), published=published, bands=bands, summary=_summary(row)
    )


def _stored(report: MonthReport, *, ids: dict[str, int], now: datetime) -> MonthlySummary:
    summary = report.summary
    fields = {name: getattr(summary, name) for name in COUNTS}
    for role, mover in zip(MOVERS, (summary.biggest_fall, summary.biggest_rise), strict=True):
        if mover is not None:
            fields |= {
                f"{role}_gpu_id": ids[mover.slug],
                f"{role}_condition": mover.condition,
                f"{role}_price": mover.rate.price,
                f"{role}_previous": mover.rate.previous,
                f"{role}_days": mover.rate.days,
            }
    for role, pick in zip(PICKS, (summary.best_llm, summary.best_fp16), strict=True):
        if pick is not None:
            fields |= {
                f"{role}_gpu_id": ids[pick.slug],
                f"{role}_price": pick.price,
                f"{role}_value": pick.value,
            }
    return MonthlySummary(
        month=summary.month, llm_model=report.bands.llm_model, computed_at=now, **fields
    )


def _summary(row: dict) -> Summary:
    """The Summary a month's report works out, from its stored row."""
    return Summary(
        month=row["month"],
        previous=previous_month(row["month"]),
        biggest_fall=_mover(row, "fall"),
        biggest_rise=_mover(row, "rise"),
        best_llm=_pick(row, "llm"),
        best_fp16=_pick(row, "fp16"),
        **{name: row[name] for name in COUNTS},
    )


def _mover(row: dict, role: str) -> Mover | None:
    if row[f"{role}_gpu__slug"] is None:
        return None
    rate = Rate(row[f"{role}_price"], row[f"{role}_days"], previous=row[f"{role}_previous"])
    slug, label = row[f"{role}_gpu__slug"], row[f"{role}_gpu__label"]
    return Mover(slug, label, row[f"{role}_condition"], rate)


def _pick(row: dict, role: str) -> BandPick | None:
    if row[f"{role}_gpu__slug"] is None:
        return None
    price: Decimal = row[f"{role}_price"]
    band = _band(BAND_FLOORS[bisect_right(BAND_FLOORS, price) - 1])
    slug, label = row[f"{role}_gpu__slug"], row[f"{role}_gpu__label"]
    return BandPick(band, slug, label, price, row[f"{role}_value"])


def _band(low: int) -> Band:
    return Band(low, dict(BANDS)[low])
