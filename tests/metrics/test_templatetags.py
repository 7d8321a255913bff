from decimal import Decimal

import pytest

from metrics.templatetags.metrics_format import money, per_unit, sig, spec_number


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
    assert spec_number(30.3) == "30.3"
    assert spec_number(24.0) == "24"
    assert per_unit(0.17684) == "$0.1768"
    assert per_unit(None) == "—"
