"""Every filter a page uses is served by an index: EXPLAIN on PostgreSQL, sequential scans off so
the planner shows whether an index can answer the query at all (tiny test tables would not).
The catalog's own tables (about a hundred cards, eight use cases) are read whole and need none."""

import pytest
from django.db import connection

from listings.models import Listing
from metrics.models import CardPrice, Scope, UseCaseScore

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="EXPLAIN plans are PostgreSQL's"
    ),
]


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")


def page_queries():
    return {
        "shop page listings by price": Listing.objects.visible()
        .filter(gpu_id=1)
        .order_by("unit_price"),
        "shop page filtered by condition": Listing.objects.visible()
        .filter(gpu_id=1, condition_kind__in=["new"])
        .order_by("unit_price"),
        "card headline prices by scope": CardPrice.objects.filter(scope=Scope.ALL).order_by(
            "headline_price"
        ),
        "use-case ranking": UseCaseScore.objects.filter(model_id=1, scope=Scope.ALL).order_by(
            "-samples_per_dollar"
        ),
        "archiving a card's active listings": Listing.objects.filter(gpu_id=1, is_active=True),
    }


@pytest.mark.parametrize("name", list(page_queries()))
def test_page_queries_use_an_index(name):
    text = plan(page_queries()[name])
    assert "Index" in text, text
    assert "Seq Scan" not in text, text
