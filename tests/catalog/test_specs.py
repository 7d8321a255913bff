from decimal import Decimal

import pytest

from catalog.admin import GpuAdmin
from catalog.models import Gpu
from catalog.specs import POSITIVE_SPEC_FIELDS, SPEC_TABLE, SPECS, dollars_per_unit
from metrics.models import CardPrice
from tests.factories import make_gpu, make_listing


def test_price_over_spec_is_unknown_without_a_positive_figure_or_a_price():
    assert dollars_per_unit(Decimal("700"), 35.58).quantize(Decimal("0.001")) == Decimal("19.674")
    for price, value in ((700, 0), (700, None), (700, -1), (None, 35.58)):
        assert dollars_per_unit(price, value) is None


@pytest.mark.django_db
def test_a_listing_and_the_rankings_divide_price_by_spec_by_one_rule():
    from listings.shop.cards import spec_pills
    from metrics.ranking import recompute_rankings

    gpu = make_gpu(fp32_tflops=35.58, fp8_tflops=None)
    listing = make_listing(gpu, "700.00")  # the card's only listing: its headline price too
    recompute_rankings()
    stored = CardPrice.objects.get(gpu=gpu, scope="all")
    pills = {pill.spec_key: pill.dollars_per for pill in spec_pills(listing, SPECS[:1])}
    assert round(stored.dollars_per_fp32_tflops, 3) == float(pills["fp32"]) == 19.674
    assert stored.dollars_per_fp8_tflops is None


def test_every_figure_is_a_field_of_a_card_checked_positive_and_shown_in_the_admin():
    fields = {f.name for f in Gpu._meta.get_fields()}
    admin_fields = {name for _, options in GpuAdmin.fieldsets for name in options["fields"]}
    for spec in SPEC_TABLE:
        assert spec.field in fields
        assert (spec.field in POSITIVE_SPEC_FIELDS) is not spec.text
        assert spec.field in admin_fields
    assert set(SPECS) == {spec for spec in SPEC_TABLE if spec.ranked}
    assert not any(spec.text for spec in SPECS)
    assert "typical_used_usd" in POSITIVE_SPEC_FIELDS
    assert [s.field for s in SPEC_TABLE if s.text] == ["memory_type"]  # shown as text, never ranked
