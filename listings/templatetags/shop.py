"""Formatting and SEO tags for shop pages and the shared partials in templates/includes/."""

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from html import escape

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import get_current_timezone, is_naive

register = template.Library()

SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
# Escapes that keep JSON inert inside a <script> element.
JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
TENTH = Decimal("0.1")


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


# Formatting runs for every figure on a page, so it uses str.format's grouping, not intcomma.
@register.filter
def money(value, currency="USD"):
    """An asking price: `$1,234.50`."""
    amount = _decimal(value)
    if amount is None:
        return ""
    symbol = SYMBOLS.get(currency or "USD", f"{currency} ")
    return f"{symbol}{amount:,.2f}"


@register.filter
def money_per(value, currency="USD"):
    """A price per unit of spec, to the precision that tells cards apart: $412, $12.34, $0.052."""
    amount = _decimal(value)
    if amount is None:
        return ""
    symbol = SYMBOLS.get(currency or "USD", f"{currency} ")
    if amount >= 100:
        text = f"{amount:,.0f}"
    elif amount >= TENTH:
        text = f"{amount:.2f}"
    else:
        text = f"{amount:.3f}"
    return f"{symbol}{text}"


@register.filter
def number(value):
    """A spec value without trailing zeros: 82.6, 24, 1,008."""
    amount = _decimal(value)
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.normalize():,f}"


@register.simple_tag
def optional_url(name, *args, **kwargs):
    """reverse(), or "" while the named page does not exist yet, so templates can hide the link."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.filter
def absolute(path):
    """A site path as an absolute URL on SITE_URL; absolute URLs pass through."""
    path = str(path)
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


@register.simple_tag
def jsonld(data):
    """A JSON-LD <script> block; the data is escaped so no string can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.simple_tag
def breadcrumbs_jsonld(crumbs):
    """BreadcrumbList for a trail of (name, url) pairs."""
    return jsonld(
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": str(name), "item": absolute(url)}
                for i, (name, url) in enumerate(crumbs, start=1)
            ],
        }
    )


@register.simple_tag
def product_jsonld(*, name, description, url, brand="", image="", low, high, count, currency):
    """Product with an AggregateOffer; without offers it is left out (search engines reject it)."""
    if not count or low is None or high is None:
        return ""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": str(name),
        "description": str(description),
        "url": absolute(url),
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": f"{Decimal(low):.2f}",
            "highPrice": f"{Decimal(high):.2f}",
            "offerCount": int(count),
            "priceCurrency": currency or settings.EBAY_CURRENCY,
        },
    }
    if brand:
        data["brand"] = {"@type": "Brand", "name": str(brand)}
    if image:
        data["image"] = str(image)
    return jsonld(data)


@register.simple_tag(takes_context=True)
def page_query(context, number):
    """The current query string with `page` set, so paging keeps the filters and sort."""
    query = context["request"].GET.copy()
    query["page"] = number
    return query.urlencode()


@register.filter
def ago(moment):
    """`12 minutes ago`, or `just now` inside the first minute."""
    if not moment:
        return ""
    since = timesince(moment)
    return "just now" if since.startswith("0\xa0") else f"{since} ago"


@register.simple_tag
def sitemap_urls(urlset):
    """The <url> entries of /sitemap.xml (templates/sitemap.xml overrides Django's), as Django's
    template writes them, without a dozen template nodes and a date filter per URL."""
    entries = []
    zone = get_current_timezone() if settings.USE_TZ else None
    for url in urlset:
        entry = f"<url><loc>{escape(str(url['location']))}</loc>"
        if day := url.get("lastmod"):
            # What the |date filter's template_localtime does, with the time zone looked up once.
            if zone and isinstance(day, datetime) and not is_naive(day):
                day = day.astimezone(zone)
            entry += f"<lastmod>{day.year:04d}-{day.month:02d}-{day.day:02d}</lastmod>"
        if url.get("changefreq"):
            entry += f"<changefreq>{escape(str(url['changefreq']))}</changefreq>"
        if url.get("priority"):
            entry += f"<priority>{escape(str(url['priority']))}</priority>"
        for alternate in url.get("alternates") or ():
            entry += (
                f'<xhtml:link rel="alternate" hreflang="{escape(str(alternate["lang_code"]))}"'
                f' href="{escape(str(alternate["location"]))}"/>'
            )
        entries.append(entry + "</url>")
    return mark_safe("".join(entries))  # noqa: S308 - every value is escaped


@register.simple_tag
def select_options(choices, selected):
    """<option> elements for (value, text) choices, the one equal to `selected` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", text) for value, text in choices),
    )
