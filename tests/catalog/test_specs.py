from decimal import Decimal

import numpy as np

from catalog.admin import GpuAdmin
from catalog.models import Gpu
from catalog.specs import FIGURES, POSITIVE_SPEC_FIELDS, SPECS, dollars_per_unit
from metrics.ranking import dollars_per_unit as dollars_per_unit_of_cards


def test_a_listing_and_the_rankings_divide_price_by_spec_by_one_rule():
    prices = [700, 700, 700, 700]
    specs = [35.58, 0, None, -1]
    cards = dollars_per_unit_of_cards(
        prices=np.array(prices, dtype=float), specs=np.array([specs], dtype=float).T
    )
    assert dollars_per_unit(Decimal("700"), 35.58).quantize(Decimal("0.001")) == Decimal("19.674")
    assert round(float(cards[0, 0]), 3) == 19.674
    for n in (1, 2, 3):  # no value, no figure
        assert dollars_per_unit(prices[n], specs[n]) is None
        assert np.isnan(cards[n, 0])


def test_every_figure_is_a_field_of_a_card_checked_positive_and_shown_in_the_admin():
    fields = {f.name for f in Gpu._meta.get_fields()}
    admin_fields = {name for _, options in GpuAdmin.fieldsets for name in options["fields"]}
    for figure in FIGURES:
        assert figure.field in fields
        assert (figure.field in POSITIVE_SPEC_FIELDS) is not figure.text
        assert figure.field in admin_fields
    assert {spec.field for spec in SPECS} <= {f.field for f in FIGURES if not f.text}
    assert "typical_used_usd" in POSITIVE_SPEC_FIELDS
    assert [f.field for f in FIGURES if f.text] == ["memory_type"]  # shown as text, never ranked
