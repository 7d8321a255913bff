"""Number formatting and breadcrumbs for the ranking pages."""

import json
import math
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

register = template.Library()


def _finite(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def money(value) -> str:
    """$1,234 for whole dollars, $1,234.50 otherwise; an em dash for no value."""
    number = _finite(value)
    if number is None:
        return "—"
    cents = Decimal(str(value)).quantize(Decimal("0.01"))
    if cents == cents.to_integral_value():
        return f"${cents:,.0f}"
    return f"${cents:,.2f}"


@register.filter
def sig(value, digits: int = 4) -> str:
    """A positive number to `digits` significant figures with thousands separators (2.576)."""
    number = _finite(value)
    if number is None:
        return "—"
    if number == 0:
        return "0"
    decimals = max(0, int(digits) - 1 - math.floor(math.log10(abs(number))))
    return f"{number:,.{decimals}f}"


@register.filter
def per_unit(value) -> str:
    """Dollars per unit of a spec, with enough figures to tell close cards apart ($12.34)."""
    number = _finite(value)
    if number is None:
        return "—"
    return f"${sig(number, 4)}"


@register.filter
def attr(obj, name: str):
    """An attribute named at render time: {{ gpu|attr:spec.field }}."""
    return getattr(obj, name, None)


@register.filter
def spec_number(value) -> str:
    """A catalog spec value: whole numbers without decimals, others to 4 figures."""
    number = _finite(value)
    if number is None:
        return "—"
    if number == int(number):
        return f"{int(number):,}"
    text = sig(number, 4)
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.simple_tag
def breadcrumb_jsonld(crumbs) -> str:
    """JSON-LD BreadcrumbList for [(name, path), ...]; safe inside a <script> element."""
    items = [
        {
            "@type": "ListItem",
            "position": n,
            "name": name,
            "item": f"{settings.SITE_URL}{path}",
        }
        for n, (name, path) in enumerate(crumbs, start=1)
    ]
    data = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.inclusion_tag("metrics/includes/breadcrumbs.html")
def breadcrumbs(crumbs):
    return {"crumbs": list(crumbs)}
