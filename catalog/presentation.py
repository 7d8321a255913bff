"""How figures, titles and trails read on every page: the rules every app's views and template
tags share (catalog/templatetags/present.py registers them as filters and tags)."""

import json
import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

MISSING = "—"
SITE = "ShopAgent"
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
CENT = Decimal("0.01")
# The only schemes a stored source, log or reference URL may have, in the database and as a link.
WEB_SCHEMES = ("http", "https")
# Escapes that keep JSON inert inside a <script> element.
# Each learn page's title, longest first, for the name of what it is about.
LEARN_TITLES = {
    "gpu": ("{} specs and MLPerf results | ShopAgent", "{} specs | ShopAgent", "{} specs"),
    "model": ("{}: MLPerf inference results by GPU | ShopAgent", "{} MLPerf results | ShopAgent"),
    "use_case": ("{}: which GPU, measured by MLPerf | ShopAgent", "{} on GPUs | ShopAgent"),
}
JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# A number as people type one into a form or a query string: ASCII digits, thousands commas in
# groups of three, a decimal point and a leading minus; not other scripts' digits ("٨١٩٢"),
# underscores ("8_192"), exponents or "nan", which Python's float() and int() would take.
TYPED_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?")


def iso_date(value: date | datetime) -> str:
    """A day as yyyy-mm-dd (a sitemap's lastmod), as |date:"Y-m-d" writes it, without looking the
    format up among the locale's for each of hundreds of values."""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def shows_needs(form_factor: str, cooling: str, devices: int | None) -> bool:
    """Whether a card has a card-needs badge (the card_needs_badges tag, power connectors aside):
    anything but an actively cooled single-GPU PCIe card. Long tables skip the tag when it would
    show nothing."""
    return not (form_factor == "pcie" and cooling != "passive" and (devices or 1) <= 1)


def quoted(typed: str) -> str:
    """A typed value quoted for a note or an error, cut at 40 characters."""
    return f"“{typed if len(typed) <= 40 else typed[:40] + '…'}”"


def typed_number(text: str) -> str | None:
    """The typed number without commas ("1,500.5" -> "1500.5"), or None if it is not one."""
    text = text.strip()
    if not TYPED_NUMBER.fullmatch(text) or not re.search("[0-9]", text):
        return None
    return text.replace(",", "")


def finite(value) -> float | None:
    """The value as a float, or None for blank, junk, NaN and infinity."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _decimal(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return amount if amount.is_finite() else None


def symbol(currency: str | None) -> str:
    return SYMBOLS.get(currency or "USD", f"{currency} ")


# Formatting runs for every figure on a page, so it uses str.format's grouping, not intcomma.
def price(value, currency: str | None = "USD") -> str:
    """An asking price, always to the cent: `$1,234.50`; "" for none."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return f"{symbol(currency)}{amount:,.2f}"


def money(value, style: str = "", currency: str | None = "USD") -> str:
    """$1,234 for whole dollars, $1,234.50 otherwise; an em dash for no value.

    money(value, "whole") rounds to whole dollars, so a column of headline prices (medians,
    estimates to the dollar) never mixes "$970" with "$527.66".
    """
    if isinstance(value, Decimal) and value.is_finite():
        cents = value.quantize(CENT)  # prices come from the database as Decimals
    elif finite(value) is None:
        return MISSING
    else:
        cents = Decimal(str(value)).quantize(CENT)
    if style == "whole":
        return f"{symbol(currency)}{cents.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"
    if cents == cents.to_integral_value():
        return f"{symbol(currency)}{cents:,.0f}"
    return f"{symbol(currency)}{cents:,.2f}"


def sig(value, digits: int = 4) -> str:
    """A positive number to `digits` significant figures with thousands separators (2.576)."""
    number = finite(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    decimals = max(0, int(digits) - 1 - math.floor(math.log10(abs(number))))
    return f"{number:,.{decimals}f}"


def whole(value) -> str:
    """A number rounded half up to a whole one (12.5 reads 13), as the floatformat:0 filter
    shows it without thousands separators; an em dash for no value."""
    number = finite(value)
    if number is None:
        return MISSING
    rounded = Decimal(repr(number)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"


def per_unit(value, currency: str | None = "USD") -> str:
    """Dollars per unit of a spec: cents from $1 up ($12.34), three figures below ($0.177)."""
    number = finite(value)
    if number is None:
        return MISSING
    if abs(number) >= 1:
        return f"{symbol(currency)}{number:,.2f}"
    return f"{symbol(currency)}{sig(number, 3)}"


def percent(value, decimals: int = 1) -> str:
    """A share as a percentage: 0.0153 reads 1.5%; an em dash for no value."""
    number = finite(value)
    if number is None:
        return MISSING
    return f"{number * 100:,.{int(decimals)}f}%"


def per_thousand(value) -> str:
    """A small rate per dollar shown per $1,000 (0.0002258 samples/s per $ reads 0.226)."""
    number = finite(value)
    if number is None:
        return MISSING
    return sig(number * 1000, 3)


def signed_percent(value) -> str:
    """A change in percent to one decimal with its sign: +4.1%, −3.2% (a true minus), 0.0%."""
    number = finite(value)
    if number is None:
        return MISSING
    shown = f"{abs(number):,.1f}%"
    if shown == "0.0%":
        return shown
    return ("+" if number > 0 else "\u2212") + shown


def percent_size(value) -> str:
    """How big a change is, without its sign ("down 3.2%"): 3.2%."""
    number = finite(value)
    return MISSING if number is None else f"{abs(number):,.1f}%"


def figure(value, missing: str = MISSING) -> str:
    """A measured number for people: thousands separators, no float noise (82.6, 24, 1,008)."""
    number = finite(value)
    if number is None:
        return missing
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def fit_title(*candidates: str, limit: int = 70, suffix: str = "") -> str:
    """The first candidate that fits in `limit` characters with `suffix`, else the last one cut
    at a word with an ellipsis."""
    for text in candidates:
        if len(text) + len(suffix) <= limit:
            return f"{text}{suffix}"
    room = limit - len(suffix) - 1
    return candidates[-1][:room].rsplit(" ", 1)[0] + "…" + suffix


def site_title(*candidates: str) -> str:
    """A page title of at most 70 characters ending in the site's name."""
    return fit_title(*candidates, suffix=f" | {SITE}")


def fit_description(*candidates: str) -> str:
    """A meta description of at most 160 characters, the most a search result shows."""
    return fit_title(*candidates, limit=160)


def absolute(path) -> str:
    """A site path as an absolute URL on SITE_URL; absolute URLs pass through."""
    path = str(path)
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def web_url(value) -> str:
    """The address when it is an absolute http(s) URL, else "": a page links no other scheme
    (javascript:, data:, ftp:), whatever reached the database."""
    text = str(value or "").strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in WEB_SCHEMES and rest.startswith("//"):
        return text
    return ""


def json_for_script(data) -> str:
    """JSON that no string inside it can break out of a <script> element with."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(JSON_ESCAPES)


def breadcrumb_list(crumbs) -> dict:
    """schema.org BreadcrumbList for a trail of (name, path or URL) pairs."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": str(name), "item": absolute(url)}
            for i, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def learn_about(kind: str, subject, name: str) -> dict:
    """What a learn page about one card, MLPerf model or use case shows around it: the subject
    under `kind`, heading, summary, title and breadcrumbs."""
    titles = (title.format(name) for title in LEARN_TITLES[kind])
    return {
        kind: subject,
        "heading": name,
        "summary": subject.summary,
        "title": fit_title(*titles, limit=70),
        "crumbs": [
            ("Learn", reverse("catalog:learn-index")),
            (name, subject.get_absolute_url()),
        ],
    }
