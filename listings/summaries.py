"""Turn one eBay item summary into Listing field values, and strip the seller's personal data."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from listings.models import ConditionKind

MAX_PRICE = Decimal("9999999999.99")  # what Listing.price can hold
CENT = Decimal("0.01")
MAX_INT32 = 2**31 - 1  # IntegerField and PositiveIntegerField on PostgreSQL

# eBay condition ids: https://developer.ebay.com/api-docs/sell/static/metadata/condition-id-values.html
# 1500 "New other / open box" is unused stock, so it prices like new; 1750 "New with defects" and
# 2750 "Like new" have been handled or are flawed, so they compete with used cards, not new ones.
CONDITION_KINDS = {
    "1000": ConditionKind.NEW,
    "1500": ConditionKind.NEW,
    "1750": ConditionKind.USED,
    "2000": ConditionKind.REFURBISHED,
    "2010": ConditionKind.REFURBISHED,
    "2020": ConditionKind.REFURBISHED,
    "2030": ConditionKind.REFURBISHED,
    "2500": ConditionKind.REFURBISHED,
    "2750": ConditionKind.USED,
    "3000": ConditionKind.USED,
    "4000": ConditionKind.USED,
    "5000": ConditionKind.USED,
    "6000": ConditionKind.USED,
    "7000": ConditionKind.PARTS,
}


def money(value) -> Decimal | None:
    """A positive-or-zero Decimal with cents from eBay's {"value": "12.34"} or a plain value."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        return None
    return amount


def landed_unit_price(
    *, price: Decimal | None, shipping_cost: Decimal | None, quantity: int
) -> Decimal | None:
    """What one card costs delivered: (item price + shipping) / cards in the lot, to the cent.

    Unknown shipping (None: "calculated" at checkout or not stated) adds nothing, so such a listing
    is priced on its item price alone and its card says so.
    """
    if price is None or price <= 0:
        return None
    total = price + (shipping_cost if shipping_cost is not None else Decimal("0"))
    unit = (total / max(1, int(quantity or 1))).quantize(CENT, rounding=ROUND_HALF_UP)
    return unit if 0 < unit <= MAX_PRICE else None


def shipping_cost_of(option: dict) -> Decimal | None:
    """The first shipping option's cost, or None when eBay calculates it at checkout."""
    # A "CALCULATED" option depends on the buyer's address; any cost it carries is eBay's guess
    # for some default address, not what this buyer pays.
    if str(option.get("shippingCostType") or "").upper() == "CALCULATED":
        return None
    return money(option.get("shippingCost"))


def _datetime(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _int(value) -> int | None:
    """A whole number the integer columns hold (32 bits on PostgreSQL), else None."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -MAX_INT32 <= number <= MAX_INT32 else None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _url(value, max_length: int) -> str:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value if len(value) <= max_length else ""
    return ""


def condition_kind(*, condition_id: str, condition: str) -> str:
    """Our coarse condition from eBay's condition id, falling back on its text."""
    if condition_id in CONDITION_KINDS:
        return CONDITION_KINDS[condition_id]
    text = condition.lower()
    for word, kind in (
        ("parts", ConditionKind.PARTS),
        ("refurb", ConditionKind.REFURBISHED),
        ("used", ConditionKind.USED),
        ("new", ConditionKind.NEW),
    ):
        if word in text:
            return kind
    return ConditionKind.UNKNOWN


SELLER_KEY_SALT = "listings.seller"


def seller_key(username) -> str:
    """A keyed hash of an eBay username (HMAC-SHA256 with SECRET_KEY), or "" without one.

    It tells one seller's listings apart from another's without storing who the seller is: the
    username cannot be read back from it, and without SECRET_KEY nobody can test a guess. eBay
    usernames are not case-sensitive, so neither is the key.
    """
    if not isinstance(username, str) or not username.strip():
        return ""
    return salted_hmac(SELLER_KEY_SALT, username.strip().lower(), algorithm="sha256").hexdigest()


def scrub_personal_data(item: dict) -> dict:
    """A copy of the item summary without the seller's username or location beyond the country."""
    # No personal data about sellers is stored (no username, no postcode or city); the seller
    # is kept only as a keyed hash (seller_key), which eBay's account deletion notices remove.
    # Feedback figures are kept because the screen and buyers use them, and they identify no one.
    clean = dict(item)  # only the top-level keys below are replaced; nothing nested is changed
    seller = clean.get("seller")
    if isinstance(seller, dict):
        clean["seller"] = {
            key: seller[key]
            for key in ("feedbackPercentage", "feedbackScore", "sellerAccountType")
            if key in seller
        }
    location = clean.get("itemLocation")
    if isinstance(location, dict):
        clean["itemLocation"] = {"country": location["country"]} if "country" in location else {}
    clean.pop("pickupOptions", None)
    return clean


def parse_item(item: dict, *, quantity: int = 1) -> dict:
    """Listing field values from one item summary (everything but the screen's verdict).

    `quantity` is the number of cards one purchase gives (the screen reads it from the title);
    `unit_price` is the landed price per card.
    """
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    shipping = item.get("shippingOptions") or []
    first_shipping = shipping[0] if shipping and isinstance(shipping[0], dict) else {}
    options = set(item.get("buyingOptions") or [])
    seller = item.get("seller") if isinstance(item.get("seller"), dict) else {}
    location = item.get("itemLocation") if isinstance(item.get("itemLocation"), dict) else {}
    image = item.get("image") if isinstance(item.get("image"), dict) else {}
    condition_id = str(item.get("conditionId") or "")[:10]
    condition = str(item.get("condition") or "")[:100]
    is_auction = "AUCTION" in options
    # An auction-only listing's price is its current bid; with Buy It Now too, `price` is what one
    # can pay right away, so that is the price we keep.
    amount = (
        money(item.get("currentBidPrice")) if is_auction and "FIXED_PRICE" not in options else None
    )
    amount = amount if amount is not None else money(price)
    shipping_cost = shipping_cost_of(first_shipping)
    return {
        "title": str(item.get("title") or "")[:300],
        "price": amount,
        "currency": str(price.get("currency") or "")[:3].upper(),
        "shipping_cost": shipping_cost,
        "shipping_known": shipping_cost is not None,
        "unit_price": landed_unit_price(
            price=amount, shipping_cost=shipping_cost, quantity=quantity
        ),
        "condition": condition,
        "condition_id": condition_id,
        "condition_kind": condition_kind(condition_id=condition_id, condition=condition),
        "is_buy_now": "FIXED_PRICE" in options,
        "is_auction": is_auction,
        "accepts_best_offer": "BEST_OFFER" in options,
        "bid_count": max(0, _int(item.get("bidCount")) or 0) if is_auction else None,
        "auction_ends_at": _datetime(item.get("itemEndDate")) if is_auction else None,
        "seller_feedback_percent": _float(seller.get("feedbackPercentage")),
        "seller_feedback_score": _int(seller.get("feedbackScore")),
        "seller_key": seller_key(seller.get("username")),
        "item_location_country": str(location.get("country") or "")[:2].upper(),
        "image_url": _url(image.get("imageUrl"), 1000),
        "item_web_url": _url(item.get("itemWebUrl"), 2000),
        "affiliate_url": _url(item.get("itemAffiliateWebUrl"), 2000),
        "item_created_at": _datetime(item.get("itemCreationDate")),
        "raw": scrub_personal_data(item),
    }
