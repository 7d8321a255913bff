"""The own-or-rent arithmetic on worked examples, the visitor's input, and depreciation fitted
from a card's own used prices."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.http import QueryDict
from django.utils import timezone

from catalog.cloud_offers import CloudRent
from metrics.depreciation import (
    FALLBACK_MONTHLY_RATE,
    MAX_MONTHLY_RATE,
    Rate,
    fit_depreciation,
    read_depreciation,
)
from metrics.history import record_price_history
from metrics.models import Depreciation
from metrics.ownership import (
    DEFAULT_HOURS_PER_DAY,
    DEFAULT_KWH_USD,
    DEFAULT_MONTHS,
    OwnOrRent,
    Usage,
    break_even_hours,
    energy_usd_per_hour,
    llm_energy,
    parse_usage,
    resale_usd,
)

# The worked example of the methodology: a $2,000 card losing 2% a month, 450 W, rented at
# $0.55 a GPU-hour, electricity at $0.20/kWh, 8 hours a day for 24 months.
EXAMPLE = {"buy": Decimal(2000), "rate": 0.02, "power": 450, "rent": Decimal("0.55")}


def test_electricity_is_board_power_times_the_price_of_a_kwh():
    assert energy_usd_per_hour(power_w=450, kwh_usd=Decimal("0.20")) == Decimal("0.09")
    assert energy_usd_per_hour(power_w=450, kwh_usd=DEFAULT_KWH_USD) == Decimal("0.08424")
    assert energy_usd_per_hour(power_w=72, kwh_usd=Decimal("0.30")) == Decimal("0.0216")


def test_resale_compounds_the_monthly_loss_to_the_cent():
    assert resale_usd(buy_usd=Decimal(2000), monthly_rate=0.02, months=24) == Decimal("1231.56")
    assert resale_usd(buy_usd=Decimal(2000), monthly_rate=0.0, months=24) == Decimal(2000)
    assert resale_usd(buy_usd=Decimal(3000), monthly_rate=0.015, months=12) == Decimal("2502.40")


def test_break_even_is_the_loss_over_the_hourly_saving():
    hours = break_even_hours(
        buy_usd=Decimal(2000),
        resale=Decimal("1231.56"),
        rent_usd=Decimal("0.55"),
        energy_usd=Decimal("0.09"),
    )
    assert hours == Decimal("1670.52")  # $768.44 / $0.46 an hour


@pytest.mark.parametrize("energy", ["0.55", "0.60"])
def test_owning_never_pays_back_when_electricity_costs_the_rent_or_more(energy):
    assert (
        break_even_hours(
            buy_usd=Decimal(2000),
            resale=Decimal(1000),
            rent_usd=Decimal("0.55"),
            energy_usd=Decimal(energy),
        )
        is None
    )


def _example(**usage) -> OwnOrRent:
    return OwnOrRent(
        slug="card-a",
        label="Card A",
        form_factor="pcie",
        power_w=EXAMPLE["power"],
        buy_usd=EXAMPLE["buy"],
        buy_listings=5,
        buy_is_used=True,
        rate=Rate(applied=EXAMPLE["rate"], fitted=EXAMPLE["rate"], points=300),
        rent=CloudRent(median=EXAMPLE["rent"], offers=4),
        usage=Usage(**{"kwh_usd": Decimal("0.20"), **usage}),
    )


def test_the_worked_example_in_hours_months_and_a_verdict():
    row = _example()
    assert row.resale_usd == Decimal("1231.56")
    assert row.energy_usd_per_hour == Decimal("0.09")
    assert row.break_even_hours == Decimal("1670.52")
    assert float(row.break_even_months) == pytest.approx(6.86, abs=0.005)  # 8 h x 30.44 days
    assert row.break_even_days == Decimal("1670.52") / 8
    assert row.buy_wins  # 24 months at 8 hours a day is 5,844 hours
    assert row.own_cost_usd == Decimal("2000") - Decimal("1231.56") + Decimal("0.09") * 5844
    assert row.rent_cost_usd == Decimal("0.55") * 5844
    assert row.as_json() == {
        "slug": "card-a",
        "buy_usd": 2000.0,
        "resale_usd": 1231.56,
        "power_w": 450,
        "energy_usd_per_hour": 0.09,
        "cloud_usd_per_hour": 0.55,
        "break_even_hours": 1670.52,
    }


def test_an_hour_a_day_for_three_months_is_not_enough_to_buy():
    row = _example(hours_per_day=Decimal(1), months=3)
    assert row.break_even_hours is not None and not row.buy_wins


def test_a_card_whose_electricity_beats_its_rent_is_never_and_null_in_the_data():
    row = _example(kwh_usd=Decimal("1.50"))  # 450 W costs $0.675 an hour
    assert row.never and row.break_even_hours is None and not row.buy_wins
    assert row.as_json()["break_even_hours"] is None


def test_tokens_per_joule_and_electricity_per_million_tokens():
    energy = llm_energy(tokens_per_s=90.0, power_w=450, kwh_usd=Decimal("0.20"))
    assert energy.tokens_per_joule == pytest.approx(0.2)
    # 5 J a token: 5 MJ for a million tokens is 1.389 kWh, $0.278 at $0.20.
    assert energy.usd_per_million_tokens == pytest.approx(5_000_000 / 3_600_000 * 0.20)
    assert llm_energy(tokens_per_s=None, power_w=450, kwh_usd=Decimal("0.2")) is None
    assert llm_energy(tokens_per_s=90.0, power_w=None, kwh_usd=Decimal("0.2")) is None


def test_usage_defaults_and_typed_values():
    assert parse_usage(QueryDict("")) == Usage(DEFAULT_HOURS_PER_DAY, DEFAULT_KWH_USD, 24)
    usage = parse_usage(QueryDict("hours_per_day=2.5&kwh_usd=$0.30&months=36"))
    assert (usage.hours_per_day, usage.kwh_usd, usage.months) == (
        Decimal("2.5"),
        Decimal("0.3"),
        36,
    )
    assert not usage.notes
    assert usage.shown("kwh_usd") == "0.3" and usage.shown("hours_per_day") == "2.5"


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("hours_per_day=abc", "Ignored Hours a day “abc”: not a number"),
        ("hours_per_day=0", "Ignored Hours a day “0”: must be above zero"),
        ("hours_per_day=25", "Ignored Hours a day “25”: over 24"),
        ("hours_per_day=8_0", "Ignored Hours a day “8_0”: not a number"),
        ("kwh_usd=1e-1", "Ignored Electricity ($/kWh) “1e-1”: not a number"),
        ("kwh_usd=-0.2", "Ignored Electricity ($/kWh) “-0.2”: must be above zero"),
        ("kwh_usd=٠٫٢", "Ignored Electricity ($/kWh) “٠٫٢”: not a number"),
        ("kwh_usd=nan", "Ignored Electricity ($/kWh) “nan”: not a number"),
        ("kwh_usd=9", "Ignored Electricity ($/kWh) “9”: over 5"),
        ("kwh_usd=" + "9" * 60, "over 5"),
        ("hours_per_day=-" + "9" * 60, "must be above zero"),
        ("kwh_usd=0.00001", "Ignored Electricity ($/kWh) “0.00001”: under 0.0001, the smallest"),
        ("months=1.5", "Ignored Months “1.5”: not a whole number of months"),
        ("months=0", "Ignored Months “0”: choose 1 to 120 months"),
        ("months=" + "9" * 400, "choose 1 to 120 months"),
        ("months=12&months=24", "Ignored Months: given more than once"),
    ],
)
def test_a_value_that_cannot_be_used_keeps_its_default_with_a_note(query, note):
    usage = parse_usage(QueryDict(query))
    assert (usage.hours_per_day, usage.kwh_usd, usage.months) == (
        DEFAULT_HOURS_PER_DAY,
        DEFAULT_KWH_USD,
        DEFAULT_MONTHS,
    )
    assert len(usage.notes) == 1 and note in usage.notes[0]


def test_the_data_api_names_the_parameter_in_its_notes():
    usage = parse_usage(QueryDict("hours_per_day=x&kwh_usd=0.2&kwh_usd=0.3"), api=True)
    assert usage.notes == (
        "hours_per_day “x”: not a number",
        "kwh_usd: given more than once",
    )


def _decay(days: int, monthly: float, start: float = 2000.0):
    day = np.arange(days)
    return day, start * (1 - monthly) ** (day / (365.25 / 12))


def test_a_steady_two_percent_a_month_is_fitted_as_two_percent():
    day, price = _decay(200, 0.02)
    fits = fit_depreciation(card=np.zeros(200), day=day, price=price, n_cards=1)
    assert fits.card.tolist() == [0] and fits.points.tolist() == [200]
    assert fits.monthly_rate[0] == pytest.approx(0.02, abs=1e-9)


def test_one_odd_day_moves_the_fit_little_and_short_histories_are_not_fitted():
    day, price = _decay(300, 0.01)
    price[150] *= 3  # a day when only dear listings were live
    card = np.r_[np.zeros(300), np.ones(9), np.full(20, 2)]
    day = np.r_[day, np.arange(9) * 10, np.arange(20)]  # 9 points; 19 days
    price = np.r_[price, np.full(9, 500.0), np.full(20, 500.0)]
    fits = fit_depreciation(card=card, day=day, price=price, n_cards=3)
    assert fits.card.tolist() == [0]
    assert fits.monthly_rate[0] == pytest.approx(0.01, abs=0.002)


def test_rising_prices_count_as_no_loss_and_steep_ones_are_capped(db, make_gpu):
    day = timezone.localdate()
    rows = [
        Depreciation(
            gpu=make_gpu(f"card-{i}"),
            monthly_rate=rate,
            points=100,
            first_day=day - timedelta(days=200),
            last_day=day,
            computed_at=timezone.now(),
        )
        for i, rate in enumerate([-0.01, 0.30, 0.01, 0.02, 0.03])
    ]
    Depreciation.objects.bulk_create(rows)
    rates = read_depreciation()
    risen, steep = rates.of(rows[0].gpu_id), rates.of(rows[1].gpu_id)
    assert risen.applied == 0.0 and risen.rose and risen.rise == pytest.approx(0.01)
    assert steep.applied == MAX_MONTHLY_RATE and steep.capped
    # A card without history takes the median of the five applied rates: 0, 0.01, 0.02, ...
    assert rates.of(999999) == Rate(applied=0.02) and rates.fallback_cards == 5


def test_with_few_fitted_cards_the_fallback_is_the_stated_assumption(db):
    rates = read_depreciation()
    assert rates.fallback == FALLBACK_MONTHLY_RATE and rates.fallback_cards == 0


def test_recording_price_history_fits_each_card_from_its_used_prices(
    make_gpu, make_listing, falling_used_prices
):
    from metrics.ranking import recompute_rankings

    gpu = make_gpu("card-a")
    for _ in range(5):
        make_listing(gpu, 2000)
    recompute_rankings()
    falling_used_prices(gpu, today_price=2000, monthly=0.02)
    record_price_history()
    stored = Depreciation.objects.get(gpu=gpu)
    assert stored.monthly_rate == pytest.approx(0.02, abs=1e-5)
    assert stored.points == 181 and stored.last_day == timezone.localdate() and stored.days == 180
