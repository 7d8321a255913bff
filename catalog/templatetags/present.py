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
    # Numbered fields: the label is escaped once for its two places.
    return format_html(
        '<a href="{0}">{1}</a> <a class="muted" href="{2}" aria-label="About the {1}">specs</a>',
        reverse("metrics:shop-gpu", kwargs={"slug": card.slug}),
        card.label,
        reverse("metrics:learn-gpu", kwargs={"slug": card.slug}),
    )


@register.simple_tag
def ml_software_badge(level, note=""):
    """ML software support as a badge: `level` (catalog.models.MlSoftware value) and `note` (why),
    which opens by keyboard or tap; nothing when level is blank. A tag, not a partial: table rows
    show it on every row (includes/ml_software_badge.html is this tag)."""
    if not level:
        return ""
    # Numbered fields: the level is escaped once for its three places.
    if note:
        return format_html(
            '<details class="ml-software ml-software-{0}" data-ml-software="{0}"><summary>ML'
            " software: {0}</summary><span>{1}</span></details>",
            level,
            note,
        )
    return format_html(
        '<span class="ml-software ml-software-{0}" data-ml-software="{0}">ML software: {0}</span>',
        level,
    )


# A card-needs badge: its classes, what it is about and its words.
NEEDS_BADGE = ' <span class="{}" data-card-needs="{}">{}</span>'
MODULE = "card-needs card-needs-module"
# What a card that is not a PCIe card needs, by form factor: the badge's classes and words (our
# own words, written as they are, as a template would).
FORM_FACTOR_NEEDS = {
    form_factor: (css, mark_safe(words))  # noqa: S308 - constant text
    for form_factor, css, words in (
        ("sxm", MODULE, "SXM module: needs an SXM server board"),
        ("oam", MODULE, "OAM module: needs an OAM server board"),
        ("superchip", MODULE, "Superchip: needs its vendor's server board"),
        ("mxm", MODULE, "MXM module: needs an MXM slot"),
        ("laptop", MODULE, "Laptop GPU: sold only inside laptops"),
        ("system", "card-needs", "Whole computer"),
    )
}
PASSIVE = "Passive: needs server airflow or a fan shroud"


@register.simple_tag
def card_needs_badges(form_factor, cooling, devices, power=""):
    """What a card needs, as short badges beside the ML software badge: its form factor's, a
    passive PCIe card's airflow, several GPUs on one board and, where the page has room, `power`
    (its power connectors); nothing for an actively cooled single-GPU PCIe card. A tag, not a
    partial: table rows show it (includes/card_needs_badges.html is this tag)."""
    badges = []
    if form_factor in FORM_FACTOR_NEEDS:
        css, words = FORM_FACTOR_NEEDS[form_factor]
        badges.append(format_html(NEEDS_BADGE, css, form_factor, words))
    if cooling == "passive" and form_factor == "pcie":
        badges.append(format_html(NEEDS_BADGE, "card-needs card-needs-passive", "passive", PASSIVE))
    if devices and devices > 1:
        badges.append(
            format_html(NEEDS_BADGE, "card-needs", "devices", f"{devices} GPUs on one board")
        )
    if power:
        badges.append(format_html(NEEDS_BADGE, "card-needs", "power", f"Power: {power}"))
    return mark_safe("".join(badges))  # noqa: S308 - each part built by format_html


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
