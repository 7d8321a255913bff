"""A listing as the shop page shows it: price, shipping, details and $/spec, formatted once."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from django.core.paginator import Page
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import escape
from django.utils.timesince import timeuntil

from catalog.models import Gpu
from catalog.presentation import figure, per_unit, price
from catalog.specs import SPECS, Spec, dollars_per_unit, ranked_value
from listings.market import GoingRates, deal_percent, deal_text
from listings.models import Flag, Listing
from listings.shop.queries import CARD_FIELDS, filter_listings, paginate, shown_listings

# What each flag means to a buyer, shown on the listing's card.
FLAG_WARNINGS = {
    Flag.ENGINEERING_SAMPLE: (
        "Engineering sample: pre-release silicon that may lack features, run at other clocks, "
        "need special firmware or come without warranty"
    ),
    Flag.LOW_FEEDBACK_SELLER: (
        "Seller with little track record: feedback score under 10 or under 95% positive"
    ),
}

# The one image host the Content-Security-Policy allows (shopagent/security.py): a photo from
# anywhere else would be blocked, so it gets the placeholder instead.
PHOTO_ORIGIN = "https://i.ebayimg.com/"

TENTH, THOUSANDTH = Decimal("0.1"), Decimal("0.001")


@dataclass(frozen=True)
class SpecPill:
    spec_key: str
    value: float
    dollars_per: Decimal
    text: str


class ListingCard(TypedDict):
    """A listing with every figure already formatted: templates only place the strings. A dict,
    not a dataclass: Django's templates look a name up in a dict first, and a page places some
    700 of them."""

    pk: int
    title: str
    condition_kind: str
    condition: str  # the condition's display name
    unit_price: Decimal | None
    pills: tuple[SpecPill, ...]
    go_url: str
    photo: str  # the listing's image URL, or "" for the placeholder
    price: str
    price_note: str
    shipping: str
    details: tuple[str, ...]
    seller: str
    deal: str  # the difference from the going rate, or ""
    deal_side: str  # "below" or "above" the going rate, for the badge's colour
    not_in_rate: str  # "Not in going rate: engineering sample", or ""
    warnings: tuple[str, ...]  # what a buyer should know before buying: its flags


def card_specs(gpu: Gpu) -> list[Spec]:
    return [s for s in SPECS if (ranked_value(gpu, s) or 0) > 0]


def spec_pills(listing: Listing, specs: list[Spec]) -> list[SpecPill]:
    """$/spec pills, by the rule and in the format the rankings use, one per spec in order."""
    pills = []
    for spec in specs:
        value = ranked_value(listing.gpu, spec)
        per = dollars_per_unit(listing.unit_price, value).quantize(THOUSANDTH)
        text = f"{per_unit(per, listing.currency)}/{spec.unit}"
        pills.append(SpecPill(spec.key, value=float(value), dollars_per=per, text=text))
    return pills


def feedback_percent(value: float) -> str:
    """floatformat(value, "-1") for a percentage: 100, 99.5 (one decimal, half up, unless whole)."""
    exact = Decimal(repr(value))
    if exact == exact.to_integral_value():
        return str(int(exact))
    return str(exact.quantize(TENTH, rounding=ROUND_HALF_UP))


def spec_tips(gpu: Gpu, specs: list[Spec]) -> list[str]:
    """What each $/spec figure means for this card, in the pills' order: the same for every
    listing of the card, so escaped for HTML once here rather than on each listing's card."""
    return [
        escape(
            f"{spec.short_name}: a listing's price per card divided by the {gpu.label}'s "
            f"{figure(ranked_value(gpu, spec))} {spec.units}"
            f"{' its GPU may use' if gpu.is_system and spec.field == 'memory_gb' else ''} "
            f"({spec.brief}). Lower is better."
        )
        for spec in specs
    ]


def listing_card(
    listing: Listing, specs: list[Spec], *, rates: GoingRates | None = None
) -> ListingCard:
    """A listing's card: price, shipping, detail pills, $/spec pills and seller, formatted once."""
    currency = listing.currency
    notes = []
    if listing.price_is_bid:
        notes.append("current bid")
    if listing.quantity > 1:
        notes.append(f"each, lot of {listing.quantity} for {price(listing.price, currency)}")
    price_note = ", ".join(notes)
    if not listing.shipping_known or listing.shipping_cost is None:
        shipping = "Shipping not included: calculated at checkout or not stated"
    elif listing.shipping_cost == 0:
        shipping = "Free shipping"
    else:
        shipping = f"Includes {price(listing.shipping_cost, currency)} shipping"
    deal, deal_side = listing_deal(listing, rates=rates or GoingRates())
    exclusion = listing.going_rate_exclusion
    details = []
    if listing.is_auction:
        bids = listing.bid_count or 0
        auction = f"Auction · {bids} bid{pluralize(bids)}"
        if listing.auction_ends_at:
            auction += f" · ends in {timeuntil(listing.auction_ends_at)}"
        details.append(auction)
    if listing.is_buy_now:
        details.append("Buy it now")
    if listing.accepts_best_offer:
        details.append("Accepts offers")
    if listing.gpu.memory_gb:
        details.append(f"{figure(listing.gpu.memory_gb)} GB")
    if listing.item_location_country:
        details.append(f"Ships from {listing.item_location_country}")
    if listing.seller_feedback_percent is None:
        seller = "Seller feedback not shown"
    else:
        seller = f"Seller {feedback_percent(listing.seller_feedback_percent)}% positive"
        if listing.seller_feedback_score is not None:
            seller += f" ({listing.seller_feedback_score:,})"
    return ListingCard(
        pk=listing.pk,
        title=listing.title,
        condition_kind=listing.condition_kind,
        condition=listing.get_condition_kind_display(),
        unit_price=listing.unit_price,
        pills=tuple(spec_pills(listing, specs)),
        go_url=reverse("listings:go", args=[listing.pk]),
        photo=listing.image_url if listing.image_url.startswith(PHOTO_ORIGIN) else "",
        price=price(listing.unit_price, currency),
        price_note=price_note,
        shipping=shipping,
        details=tuple(details),
        seller=seller,
        deal=deal,
        deal_side=deal_side,
        not_in_rate=f"Not in going rate: {exclusion}" if exclusion else "",
        warnings=tuple(FLAG_WARNINGS[Flag(flag)] for flag in listing.flags),
    )


def listing_deal(listing: Listing, *, rates: GoingRates) -> tuple[str, str]:
    """The listing's difference from the going rate for its condition, and which side it is on;
    nothing for a listing the going rate leaves out (a bid, a flagged listing)."""
    if listing.going_rate_exclusion:
        return "", ""
    rate, name = rates.for_condition(listing.condition_kind)
    if rate is None or listing.unit_price is None:
        return "", ""
    percent = deal_percent(unit_price=listing.unit_price, going_rate=rate)
    side = "below" if percent < 0 else "above" if percent > 0 else "at"
    return deal_text(percent=percent, rate_name=name), side


@dataclass(frozen=True)
class ListingsPage:
    """One page of a card's listings: Django's Page for the paging links and count, the
    listings as cards, what each of their $/spec pills means (spec_tips), and why the page asked
    for was not the one shown."""

    page: Page
    cards: list[ListingCard]
    tips: list[str]
    note: str | None = None


def listings_page(
    gpu: Gpu,
    specs: list[Spec],
    *,
    applied: dict,
    rates: GoingRates,
    raw_page: str,
    count: int | None = None,
) -> ListingsPage:
    """The page of listing cards the filters, sort and page number ask for (one query, two
    without `count`, the number of listings the filters leave when the caller knows it)."""
    listings = filter_listings(shown_listings(gpu), gpu=gpu, applied=applied, rates=rates)
    page, note = paginate(listings.only(*CARD_FIELDS), raw_page, count=count)
    cards = []
    for listing in page.object_list:
        listing.gpu = gpu
        cards.append(listing_card(listing, specs, rates=rates))
    return ListingsPage(page=page, cards=cards, tips=spec_tips(gpu, specs), note=note)
