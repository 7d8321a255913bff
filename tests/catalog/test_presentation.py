from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from catalog.presentation import figure, money, per_thousand, per_unit, sig


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("5000.00"), "$5,000"), (Decimal("399.99"), "$399.99"), (None, "—")],
)
def test_money_drops_zero_cents_and_shows_a_dash_for_no_data(value, shown):
    assert money(value) == shown


def test_samples_per_dollar_shows_four_significant_figures():
    assert sig(12881.7 / 5000) == "2.576"
    assert sig(0.0024551) == "0.002455"
    assert sig(float("nan")) == "—"


def test_spec_values_and_dollars_per_unit_are_readable():
    assert figure(30.3) == "30.3"
    assert figure(24.0) == "24"
    assert per_unit(0.17684) == "$0.177"
    assert per_unit(8) == "$8.00"
    assert per_unit(1234.567) == "$1,234.57"
    assert per_unit(None) == "—"


def test_headline_prices_can_be_shown_in_whole_dollars_throughout_a_column():
    assert money(Decimal("527.66"), "whole") == "$528"
    assert money(Decimal("970"), "whole") == "$970"
    assert money(None, "whole") == "—"


def test_small_rates_per_dollar_read_per_thousand_dollars():
    assert per_thousand(0.0002258) == "0.226"
    assert per_thousand(0.00226) == "2.26"
    assert per_thousand(2.576) == "2,576"
    assert per_thousand(None) == "—"


def test_a_sitemap_lastmod_is_the_day_the_date_filter_writes():
    late = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    template = Template('{% load present %}{{ when|iso_date }} {{ when|date:"Y-m-d" }}')
    for when in (late, date(2026, 2, 1)):
        ours, django = template.render(Context({"when": when})).split()
        assert ours == django == f"{when:%Y-%m-%d}"
