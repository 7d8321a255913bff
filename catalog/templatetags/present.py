"""Filters and tags every page uses for money, numbers, missing values, card links, breadcrumbs
and JSON-LD: `{% load present %}`. The rules live in catalog/presentation.py."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from catalog import presentation

register = template.Library()

register.filter("money", presentation.money)
register.filter("price", presentation.price)
register.filter("per_unit", presentation.per_unit)
register.filter("per_thousand", presentation.per_thousand)
register.filter("percent", presentation.percent)
register.filter("sig", presentation.sig)
register.filter("figure", presentation.figure)
register.filter("signed_percent", presentation.signed_percent)
register.filter("percent_size", presentation.percent_size)
register.filter("absolute", presentation.absolute)
register.filter("web_url", presentation.web_url)
# An aware datetime arrives in the current time zone, as it does to |date.
register.filter("iso_date", presentation.iso_date, expects_localtime=True)


@register.simple_tag
def card_links(card):
    """A card's name linking to its shop page, and a `specs` link to its learn page; `card` has
    .slug and .label. A tag, not a partial: the ranking tables show it on every row."""
    return format_html(
        '<a href="{}">{}</a> <a class="muted" href="{}" aria-label="About the {}">specs</a>',
        reverse("metrics:shop-gpu", kwargs={"slug": card.slug}),
        card.label,
        reverse("metrics:learn-gpu", kwargs={"slug": card.slug}),
        card.label,
    )


@register.simple_tag
def jsonld(data):
    """A JSON-LD <script> block; the data is escaped so no string can end the element."""
    text = presentation.json_for_script(data)
    # As in Django's json_script: the JSON has no "<", ">" or "&" left to escape.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.simple_tag
def breadcrumbs_jsonld(crumbs):
    """BreadcrumbList for a trail of (name, url) pairs."""
    return jsonld(presentation.breadcrumb_list(crumbs))


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
        "url": presentation.absolute(url),
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
