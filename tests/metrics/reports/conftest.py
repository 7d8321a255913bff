"""Market-report fixtures: monthly going rates stored straight (with their earlier lows), months
counted back from now."""

from datetime import date

import pytest
from django.utils import timezone

from metrics.monthly import previous_month, record_earlier_lows
from tests.factories import make_month


def months_ago(n: int) -> date:
    month = timezone.now().date().replace(day=1)
    for _ in range(n):
        month = previous_month(month)
    return month


def add_earlier_months(card, count: int) -> None:
    """`count` more finished months of the card's used rate, before the market's four."""
    for n in range(5, 5 + count):
        make_month(card, months_ago(n), "used", 1200 + n)


@pytest.fixture
def market(make_gpu):
    """Three cards over the last four finished months (and this one, unfinished):
    card-a used falls 1000 -> 900 -> 810 (new lows), card-b used rises 500 -> 550,
    card-c new only, flat, with a short last month."""
    a = make_gpu("card-a", label="Card A", ml_software="supported")
    b = make_gpu("card-b", label="Card B", ml_software="supported")
    c = make_gpu("card-c", label="Card C", ml_software="supported")
    for n, (a_used, b_used, c_new) in {
        4: (1100, 520, 3000),
        3: (1000, 500, 3000),
        2: (900, 500, 3000),
        1: (810, 550, 3000),
        0: (700, 700, 3000),
    }.items():
        month = months_ago(n)
        make_month(a, month, "used", a_used)
        make_month(a, month, "all", a_used)
        make_month(b, month, "used", b_used)
        make_month(b, month, "all", b_used)
        make_month(c, month, "new", c_new, days=3 if n == 1 else 30)
        make_month(c, month, "all", c_new)
    record_earlier_lows(since=months_ago(4))  # as recording the monthly prices does
    return {"a": a, "b": b, "c": c}
