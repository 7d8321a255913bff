"""Number formatting and breadcrumbs for the ranking pages."""

import json
import math
from decimal import Decimal
from html import escape

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

register = template.Library()

SLUG_MARK = "__slug__"
CENT = Decimal("0.01")
_slug_paths: dict[tuple, str] = {}


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
    if isinstance(value, Decimal) and value.is_finite():
        cents = value.quantize(CENT)  # prices come from the database as Decimals
    elif _finite(value) is None:
        return "—"
    else:
        cents = Decimal(str(value)).quantize(CENT)
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


def slug_path(name: str, slug: str) -> str:
    """reverse(name, kwargs={"slug": slug}), or "" while that page does not exist.

    A ranking page links every card twice; one reverse() per URL name instead of per card keeps
    that linear cost out of the render.
    """
    key = (name, get_urlconf(), get_script_prefix())
    pattern = _slug_paths.get(key)
    if pattern is None:
        try:
            pattern = reverse(name, kwargs={"slug": SLUG_MARK})
        except NoReverseMatch:
            pattern = ""
        _slug_paths[key] = pattern
    return pattern.replace(SLUG_MARK, slug) if pattern else ""


def card_links_html(gpu, paths: tuple[str, str] | None = None) -> str:
    """The card's links; `paths` from card_paths() saves the URL lookups when rows are many."""
    shop_pattern, learn_pattern = paths or card_paths()
    label = escape(gpu.label)
    html = label
    if shop_pattern:
        html = f'<a href="{escape(shop_pattern.replace(SLUG_MARK, gpu.slug))}">{label}</a>'
    if learn_pattern:
        learn_url = escape(learn_pattern.replace(SLUG_MARK, gpu.slug))
        html += f' <a class="muted" href="{learn_url}" aria-label="About the {label}">specs</a>'
    return html


def card_paths() -> tuple[str, str]:
    """The shop and learn page paths with SLUG_MARK for the slug ("" for a missing page)."""
    return slug_path("listings:shop-gpu", SLUG_MARK), slug_path("catalog:learn-gpu", SLUG_MARK)


@register.simple_tag
def card_links(gpu) -> str:
    """The card's name linking to its shop page, and a `specs` link to its learn page."""
    return mark_safe(card_links_html(gpu))  # noqa: S308 - escaped in card_links_html


@register.simple_tag
def throughput_items(rows) -> str:
    """The <li> items of a home page top list by samples/s per dollar (selectors.TopRow)."""
    paths = card_paths()
    return mark_safe(  # noqa: S308 - every interpolated value is escaped
        "".join(
            f"<li>{card_links_html(row.gpu, paths)}: {escape(sig(row.value, 4))}"
            f' <span class="muted">at {escape(money(row.headline_price))}</span></li>'
            for row in rows
        )
    )


@register.simple_tag
def per_unit_items(rows, unit) -> str:
    """The <li> items of a home page top list by dollars per spec unit (selectors.TopRow)."""
    paths = card_paths()
    unit = escape(str(unit))
    return mark_safe(  # noqa: S308 - every interpolated value is escaped
        "".join(
            f"<li>{card_links_html(row.gpu, paths)}: {escape(per_unit(row.value))}"
            f' <span class="muted">per {unit}</span></li>'
            for row in rows
        )
    )


@register.simple_tag
def score_rows(table) -> str:
    """The ranked rows of a use-case table (selectors.ModelTable), built once in Python."""
    paths = card_paths()
    rows = []
    for rank, score in enumerate(table.ranked, start=1):
        tokens = f'<td class="num">{escape(sig(score.tokens_per_s, 5))}</td>'
        round_ = escape(score.round)
        if score.source_url:
            round_ = (
                f'<a href="{escape(score.source_url)}" rel="nofollow"'
                f' title="{escape(score.system_name)}">{round_}</a>'
            )
        rows.append(
            f'\n    <tr><td class="num">{rank}</td>'
            f'<td class="card-cell">{card_links_html(score.gpu, paths)}</td>'
            f'<td class="num">{escape(sig(score.samples_per_dollar, 4))}</td>'
            f'<td class="num">{escape(per_unit(score.dollars_per_sample))}</td>'
            f'<td class="num">{escape(sig(score.samples_per_s, 5))}</td>'
            f"{tokens if table.has_tokens else ''}"
            f'<td class="num">{escape(money(score.headline_price))}</td><td>{round_}</td></tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every interpolated value is escaped


def _card_index_row(gpu, paths) -> str:
    if gpu.headline_price is None:
        headline = '<span class="no-data">no data</span>'
    else:
        headline = escape(money(gpu.headline_price))
    specs = f"{spec_number(gpu.memory_gb)} GB" if gpu.memory_gb else ""
    for value, unit in (
        (gpu.fp16_tflops, "FP16 TFLOPS"),
        (gpu.fp32_tflops, "FP32 TFLOPS"),
        (gpu.memory_bandwidth_gbs, "GB/s"),
    ):
        if value:
            specs += f" · {spec_number(value)} {unit}"
    slug, label = escape(gpu.slug), escape(gpu.label)
    return (
        f'<tr><td><input type="checkbox" name="gpu" value="{slug}" aria-label="Compare {label}">'
        f'</td><td class="card-cell">{card_links_html(gpu, paths)}<br><span class="muted">'
        f"{escape(gpu.category_label)}</span></td>"
        f'<td class="num">{headline}</td>'
        f'<td class="num">{escape(money(gpu.new_headline_price))}</td>'
        f'<td class="num">{escape(money(gpu.used_headline_price))}</td>'
        f'<td class="num">{gpu.all_listing_count or 0}</td>'
        f'<td class="muted">{escape(specs)}</td></tr>'
    )


@register.simple_tag
def card_index_rows(cards) -> str:
    """The rows of the all-cards table (metrics.selectors.card_index), built in Python."""
    paths = card_paths()
    rows = "\n    ".join(_card_index_row(gpu, paths) for gpu in cards)
    return mark_safe(rows)  # noqa: S308 - every interpolated value is escaped


def trend_html(trend) -> str:
    """A headline price's 30-day trend: an arrow and a percentage, its words for screen readers."""
    if trend is None:
        return ""
    side = "up" if trend.percent > 0 else "down" if trend.percent < 0 else "flat"
    return (
        f' <span class="trend trend-{side}" title="{escape(trend.text)}" aria-hidden="true">'
        f"{trend.arrow}{abs(trend.percent)}%</span>"
        f'<span class="visually-hidden"> ({escape(trend.text)})</span>'
    )


@register.simple_tag
def spec_rank_rows(cards, spec, trends=None) -> str:
    """The ranked rows of a cost-per-spec table (metrics.selectors.spec_ranking); `trends`
    (metrics.history.trends) adds each headline price's 30-day trend."""
    paths = card_paths()
    unit = escape(spec.unit)
    trends = trends or {}
    rows = "\n    ".join(
        f'<tr><td class="num">{rank}</td><td class="card-cell">{card_links_html(gpu, paths)}</td>'
        f'<td class="num">{escape(per_unit(gpu.per_unit))}</td>'
        f'<td class="num">{escape(money(gpu.headline_price))}{trend_html(trends.get(gpu.slug))}'
        "</td>"
        f'<td class="num">{escape(spec_number(gpu.spec_value))}'
        f' <span class="muted">{unit}</span></td>'
        f'<td class="num">{escape(str(gpu.listing_count))}</td></tr>'
        for rank, gpu in enumerate(cards, start=1)
    )
    return mark_safe(rows)  # noqa: S308 - every interpolated value is escaped
