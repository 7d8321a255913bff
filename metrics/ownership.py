"""Own or rent: what a card costs to own (its used price, electricity, resale) against renting
one in the cloud, and the hours of use after which buying wins.

    electricity $/hour = board power (W) / 1000 x $/kWh
    resale after N months = price paid x (1 - monthly depreciation)^N
    break-even hours = (price paid - resale) / (cloud $/hour - electricity $/hour)

"never" when the card's electricity costs as much as its rent or more. The depreciation is the
card's own, fitted to its used prices (metrics.depreciation); a card with too little history
takes the median of the cards that have one (or FALLBACK_MONTHLY_RATE when few do). A rate
fitted from rising prices counts as no loss: resale is never taken above the price paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.http import QueryDict

from catalog.cloud_offers import CloudRent, card_offers, on_demand_rents, rent_of
from catalog.models import FormFactor, Gpu
from catalog.presentation import quoted, typed_number
from listings.market import GoingRates
from metrics.depreciation import DAYS_PER_MONTH, Rate, read_depreciation
from metrics.filters import read_each
from metrics.going_rate import read_all_going_rates, read_going_rates

CENT = Decimal("0.01")
# The US average residential price: EIA Electric Power Monthly, Table 5.6.A (the methodology
# page cites it with its date).
DEFAULT_KWH_USD = Decimal("0.1872")
KWH_SOURCE_URL = "https://www.eia.gov/electricity/monthly/epm_table_grapher.php?t=epmt_5_6_a"
KWH_SOURCE_NOTE = (
    "the US average residential price, 18.72¢/kWh, from the EIA's Electric Power Monthly, "
    "Table 5.6.A, as energypricestoday.com republished it on 2026-04-26"
)
DEFAULT_HOURS_PER_DAY = Decimal(8)
DEFAULT_MONTHS = 24
MAX_KWH_USD = Decimal(5)
MAX_MONTHS = 120

# The query parameters the pages and rent-or-buy.json read, as their form labels them.
LABELS = {
    "hours_per_day": "Hours a day",
    "kwh_usd": "Electricity ($/kWh)",
    "months": "Months",
}
PARAMS = tuple(LABELS)


@dataclass(frozen=True)
class Usage:
    """How the visitor would use the card: hours a day, what electricity costs, for how long."""

    hours_per_day: Decimal = DEFAULT_HOURS_PER_DAY
    kwh_usd: Decimal = DEFAULT_KWH_USD
    months: int = DEFAULT_MONTHS
    notes: tuple[str, ...] = field(default=())

    @property
    def hours(self) -> Decimal:
        """Hours of use over the months."""
        return self.hours_per_day * Decimal(str(DAYS_PER_MONTH)) * self.months

    def shown(self, name: str) -> str:
        """A value as the form shows it: 8, 0.1872, 24."""
        value = getattr(self, name)
        return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)

    @property
    def is_default(self) -> bool:
        return (self.hours_per_day, self.kwh_usd, self.months) == (
            DEFAULT_HOURS_PER_DAY,
            DEFAULT_KWH_USD,
            DEFAULT_MONTHS,
        )


def _decimal(raw: str, *, maximum: Decimal, places: str) -> tuple[Decimal | None, str | None]:
    number = typed_number(raw.removeprefix("$"))
    if number is None:
        return None, "not a number"
    value = Decimal(number)  # no digit limit, unlike float(): many digits are only large
    if value > maximum:
        return None, f"over {maximum}"
    if value <= 0:
        return None, "must be above zero"
    value = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    if value == 0:
        return None, f"under {places}, the smallest step"
    return value, None


def _months(raw: str) -> tuple[int | None, str | None]:
    number = typed_number(raw)
    if number is None or "." in number:
        return None, "not a whole number of months"
    value = Decimal(number)  # no digit limit, unlike int()
    if not 1 <= value <= MAX_MONTHS:
        return None, f"choose 1 to {MAX_MONTHS} months"
    return int(value), None


def parse_kwh(raw: str) -> tuple[Decimal | None, str | None]:
    """An electricity price in $/kWh ("0.30", "$0.2"), or a note saying why it was ignored."""
    value, problem = PARSERS["kwh_usd"](raw.strip())
    return value, f"Ignored {LABELS['kwh_usd']} {quoted(raw)}: {problem}" if problem else None


PARSERS = {
    "hours_per_day": lambda raw: _decimal(raw, maximum=Decimal(24), places="0.01"),
    "kwh_usd": lambda raw: _decimal(raw, maximum=MAX_KWH_USD, places="0.0001"),
    "months": _months,
}


def parse_usage(query: QueryDict, *, api: bool = False) -> Usage:
    """hours_per_day, kwh_usd and months; a value that cannot be used keeps its default and
    leaves a note naming the field as the form labels it (the parameter, for the data API)."""
    labels = {name: name if api else f"Ignored {label}" for name, label in LABELS.items()}

    def noted(name):
        def parse(raw):
            value, problem = PARSERS[name](raw)
            return value, f"{labels[name]} {quoted(raw)}: {problem}" if problem else None

        return parse

    values, notes = read_each(query, {name: noted(name) for name in PARSERS}, labels=labels)
    return Usage(**values, notes=tuple(notes))


# --- the arithmetic ------------------------------------------------------------------------


def energy_usd_per_hour(*, power_w: int, kwh_usd: Decimal) -> Decimal:
    """What a card's board power costs an hour: W / 1000 x $/kWh."""
    return Decimal(power_w) * kwh_usd / 1000


def resale_usd(*, buy_usd: Decimal, monthly_rate: float, months: int) -> Decimal:
    """The price paid after `months` of losing `monthly_rate` a month, to the cent."""
    kept = Decimal(repr((1.0 - monthly_rate) ** months))
    return (buy_usd * kept).quantize(CENT, rounding=ROUND_HALF_UP)


def break_even_hours(
    *, buy_usd: Decimal, resale: Decimal, rent_usd: Decimal, energy_usd: Decimal
) -> Decimal | None:
    """Hours of use after which owning costs less than renting; None ("never") when electricity
    costs as much as the rent or more."""
    margin = rent_usd - energy_usd
    if margin <= 0:
        return None
    return ((buy_usd - resale) / margin).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LlmEnergy:
    """Decode energy at the card's board power: an upper bound, as one stream rarely draws it."""

    tokens_per_joule: float
    usd_per_million_tokens: float


def llm_energy(*, tokens_per_s: float | None, power_w: float | None, kwh_usd: Decimal):
    """Tokens per joule (tok/s / W) and the electricity for a million tokens; None without a
    speed or a board power."""
    if not tokens_per_s or not power_w:
        return None
    joules_per_token = power_w / tokens_per_s
    return LlmEnergy(
        tokens_per_joule=tokens_per_s / power_w,
        usd_per_million_tokens=joules_per_token * 1_000_000 / 3_600_000 * float(kwh_usd),
    )


# --- one card, owned or rented ---------------------------------------------------------------


@dataclass(frozen=True)
class OwnOrRent:
    """One card's cost of owning against renting, for one way of using it."""

    slug: str
    label: str
    form_factor: str
    power_w: int | None
    buy_usd: Decimal | None
    buy_listings: int
    buy_is_used: bool  # the used going rate; else the going rate in any condition
    rate: Rate
    rent: CloudRent | None
    usage: Usage
    fallback_cards: int = 0

    @property
    def resale_usd(self) -> Decimal | None:
        if self.buy_usd is None:
            return None
        return resale_usd(
            buy_usd=self.buy_usd, monthly_rate=self.rate.applied, months=self.usage.months
        )

    @property
    def energy_usd_per_hour(self) -> Decimal | None:
        if not self.power_w:
            return None
        return energy_usd_per_hour(power_w=self.power_w, kwh_usd=self.usage.kwh_usd)

    @property
    def complete(self) -> bool:
        """Every figure the break-even needs is known."""
        return None not in (self.buy_usd, self.energy_usd_per_hour, self.rent)

    @property
    def break_even_hours(self) -> Decimal | None:
        if not self.complete:
            return None
        return break_even_hours(
            buy_usd=self.buy_usd,
            resale=self.resale_usd,
            rent_usd=self.rent.median,
            energy_usd=self.energy_usd_per_hour,
        )

    @property
    def never(self) -> bool:
        return self.complete and self.break_even_hours is None

    @property
    def break_even_months(self) -> Decimal | None:
        hours = self.break_even_hours
        if hours is None:
            return None
        return hours / (self.usage.hours_per_day * Decimal(str(DAYS_PER_MONTH)))

    @property
    def break_even_days(self) -> Decimal | None:
        """The break-even in days at the visitor's hours a day (shown when under a month)."""
        hours = self.break_even_hours
        return None if hours is None else hours / self.usage.hours_per_day

    @property
    def buy_wins(self) -> bool:
        """Owning costs less than renting over the visitor's months at their hours a day."""
        hours = self.break_even_hours
        return hours is not None and hours <= self.usage.hours

    @property
    def rent_cost_usd(self) -> Decimal | None:
        """Renting for the visitor's hours."""
        return None if self.rent is None else self.rent.median * self.usage.hours

    @property
    def own_cost_usd(self) -> Decimal | None:
        """Owning for the visitor's hours: the price paid less resale, plus electricity."""
        if not self.complete:
            return None
        return self.buy_usd - self.resale_usd + self.energy_usd_per_hour * self.usage.hours

    def as_json(self) -> dict:
        """The card as rent-or-buy.json lists it."""
        return {
            "slug": self.slug,
            "buy_usd": _number(self.buy_usd),
            "resale_usd": _number(self.resale_usd),
            "power_w": self.power_w,
            "energy_usd_per_hour": _number(self.energy_usd_per_hour),
            "cloud_usd_per_hour": _number(self.rent.median if self.rent else None),
            "break_even_hours": _number(self.break_even_hours),
        }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- what pages read -----------------------------------------------------------------------


def own_or_rent(
    *, gpu, rates: GoingRates | None, rent: CloudRent | None, depreciation, usage: Usage
) -> OwnOrRent:
    """One card's figures: `gpu` has slug, label, form_factor, tdp_w and id (a Gpu or a
    namespace); the buy price is the used going rate, else the going rate in any condition."""
    used = rates is not None and rates.used is not None
    buy = (rates.used if used else rates.any) if rates is not None else None
    count = (rates.used_count if used else rates.any_count) if rates is not None else 0
    return OwnOrRent(
        slug=gpu.slug,
        label=gpu.label,
        form_factor=gpu.form_factor,
        power_w=gpu.tdp_w,
        buy_usd=buy,
        buy_listings=count,
        buy_is_used=used,
        rate=depreciation.of(gpu.id),
        rent=rent,
        usage=usage,
        fallback_cards=depreciation.fallback_cards,
    )


@dataclass(frozen=True)
class RentTable:
    """Every card with a cloud rent: those with all the figures, the one that pays back soonest
    first, and those missing a price or a board power."""

    usage: Usage
    rows: list[OwnOrRent]
    incomplete: list[OwnOrRent]
    fallback_rate: float
    fallback_cards: int


def rent_or_buy_table(*, usage: Usage) -> RentTable:
    """The ranking's rows (four queries): cards sold as something to buy, not laptop GPUs."""
    rents = on_demand_rents()
    gpus = (
        Gpu.objects.filter(id__in=list(rents))
        .exclude(form_factor=FormFactor.LAPTOP)
        .only("slug", "label", "form_factor", "tdp_w")
        .order_by("label")
    )
    going = read_all_going_rates()
    depreciation = read_depreciation()
    rows = [
        own_or_rent(
            gpu=gpu,
            rates=going.get(gpu.id),
            rent=rents[gpu.id],
            depreciation=depreciation,
            usage=usage,
        )
        for gpu in gpus
    ]
    complete = sorted(
        (r for r in rows if r.complete),
        key=lambda r: (r.never, r.break_even_hours or 0, r.label),
    )
    return RentTable(
        usage=usage,
        rows=complete,
        incomplete=[r for r in rows if not r.complete],
        fallback_rate=depreciation.fallback,
        fallback_cards=depreciation.fallback_cards,
    )


@dataclass(frozen=True)
class CardOwnership:
    """A card page's own-or-rent section: the figures and the offers behind the rent."""

    row: OwnOrRent
    offers: list


def card_ownership(*, gpu, usage: Usage, rates: GoingRates | None = None) -> CardOwnership:
    """One card's section: its offers and the depreciation rates (two queries), and its going
    rates unless the page has read them (a third)."""
    offers = card_offers(gpu_id=gpu.pk)
    row = own_or_rent(
        gpu=gpu,
        rates=rates if rates is not None else read_going_rates(gpu_id=gpu.pk),
        rent=rent_of(offers),
        depreciation=read_depreciation(),
        usage=usage,
    )
    return CardOwnership(row=row, offers=offers)


@dataclass(frozen=True)
class ModelEnergy:
    """A row of a card's "runs these models" table with its decode energy."""

    model: object
    run: object
    energy: LlmEnergy | None


def with_energy(runs, *, power_w: int | None, kwh_usd: Decimal):
    """A card's "runs these models" table (catalog.llm_catalogue.CardModels) with each row's
    tokens per joule and electricity per million tokens; a setup of several cards draws each
    card's board power."""
    rows = [
        ModelEnergy(
            model=row.model,
            run=row.run,
            energy=llm_energy(
                tokens_per_s=row.run.decode_tokens_per_s,
                power_w=power_w * (row.run.cards_needed or 1) if power_w else None,
                kwh_usd=kwh_usd,
            ),
        )
        for row in runs.rows
    ]
    return replace(runs, rows=rows)
