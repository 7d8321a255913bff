"""Template helpers for the learn pages: links that may not exist yet, breadcrumbs, numbers."""

import json

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

from catalog.spec_table import format_figure

register = template.Library()


@register.simple_tag
def shop_url(slug: str) -> str:
    """The card's shop page, or "" while the listings app does not serve one."""
    try:
        return reverse("listings:shop-gpu", kwargs={"slug": slug})
    except NoReverseMatch:
        return ""


@register.filter
def figure(value) -> str:
    """A measured number for people: thousands separators, no float noise; blank is unknown."""
    return format_figure(None if value == "" else value)


@register.inclusion_tag("catalog/includes/breadcrumbs.html")
def learn_breadcrumbs(crumbs):
    return {"crumbs": list(crumbs)}


@register.simple_tag
def learn_breadcrumbs_jsonld(crumbs) -> str:
    """JSON-LD BreadcrumbList for [(name, path), ...]; safe inside a <script> element."""
    items = [
        {
            "@type": "ListItem",
            "position": n,
            "name": str(name),
            "item": f"{settings.SITE_URL}{path}",
        }
        for n, (name, path) in enumerate(crumbs, start=1)
    ]
    data = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
