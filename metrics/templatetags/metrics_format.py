"""Rows and links of the ranking, use-case and home pages (formatting: catalog.presentation)."""

from decimal import Decimal
from html import escape

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

from catalog.presentation import figure, money, per_thousand, per_unit, sig

register = template.Library()

SLUG_MARK = "__slug__"
CENT = Decimal("0.01")
_slug_paths: dict[tuple, str] = {}


@register.filter
def attr(obj, name: str):
    """An attribute named at render time: {{ gpu|attr:spec.field }}."""
    return getattr(obj, name, None)


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


def badge_renderer():
    """Render the ML software badge partial, once per distinct (level, note) on a page."""
    template = get_template("includes/ml_software_badge.html")
    rendered: dict[tuple[str, str], str] = {}

    def render(level: str, note: str) -> str:
        if (level, note) not in rendered:
            rendered[level, note] = template.render({"level": level, "note": note}).strip()
        return rendered[level, note]

    return render


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
    paths, badge = card_paths(), badge_renderer()
    return mark_safe(  # noqa: S308 - every value is escaped, the badge is a rendered template
        "".join(
            f"<li>{card_links_html(row.gpu, paths)}: {escape(per_thousand(row.value))}"
            f' <span class="muted">at {escape(money(row.headline_price, "whole"))}</span>'
            f"{badge(row.ml_software, row.ml_software_note)}</li>"
            for row in rows
        )
    )


@register.simple_tag
def per_unit_items(rows, unit) -> str:
    """The <li> items of a home page top list by dollars per spec unit (selectors.TopRow)."""
    paths, badge = card_paths(), badge_renderer()
    unit = escape(str(unit))
    return mark_safe(  # noqa: S308 - every value is escaped, the badge is a rendered template
        "".join(
            f"<li>{card_links_html(row.gpu, paths)}: {escape(per_unit(row.value))}"
            f' <span class="muted">per {unit}</span>'
            f"{badge(row.ml_software, row.ml_software_note)}</li>"
            for row in rows
        )
    )


@register.simple_tag
def score_rows(table) -> str:
    """The ranked rows of a use-case table (selectors.ModelTable), built once in Python."""
    paths, badge = card_paths(), badge_renderer()
    rows = []
    for rank, score in enumerate(table.ranked, start=1):
        gpu = score.gpu
        tokens = f'<td class="num">{escape(sig(score.tokens_per_s, 5))}</td>'
        round_ = escape(score.round)
        if score.source_url:
            round_ = (
                f'<a href="{escape(score.source_url)}" rel="nofollow"'
                f' title="{escape(score.system_name)}">{round_}</a>'
            )
        if score.run_benchmark and score.run_benchmark != table.model.mlperf_id:
            round_ += f' <span class="muted">({escape(score.run_benchmark)} run)</span>'
        rows.append(
            f'\n    <tr><td class="num">{rank}</td>'
            f'<td class="card-cell">{card_links_html(gpu, paths)}'
            f"{badge(gpu.ml_software, gpu.ml_software_note)}</td>"
            f'<td class="num">{escape(per_thousand(score.samples_per_dollar))}</td>'
            f'<td class="num">{escape(per_unit(score.dollars_per_sample))}</td>'
            f'<td class="num">{escape(sig(score.samples_per_s, 5))}</td>'
            f"{tokens if table.has_tokens else ''}"
            f'<td class="num">{escape(money(score.headline_price))}</td><td>{round_}</td></tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - values escaped, the badge a rendered template


def _cell(label: str, text: str, css: str = "num") -> str:
    """A table cell that names its column on phones, where rows stack into cards."""
    return f'<td class="{css}" data-label="{escape(label)}">{text}</td>'


def _card_index_row(gpu, paths, badge) -> str:
    slug, label = escape(gpu.slug), escape(gpu.label)
    memory = escape(figure(gpu.memory_gb))
    fp16 = escape(figure(gpu.fp16_tflops))
    power = f"{escape(figure(gpu.tdp_w))} W" if gpu.tdp_w else "—"
    return (
        f'<tr><td class="pick"><input type="checkbox" name="gpu" value="{slug}"'
        f' id="pick-{slug}"><label for="pick-{slug}" class="pick-label">Compare'
        f' <span class="visually-hidden">{label}</span></label></td>'
        f'<td class="card-cell">{card_links_html(gpu, paths)}<br><span class="muted">'
        f"{escape(gpu.manufacturer)} · {escape(gpu.category_label)}</span></td>"
        + _cell("Headline price", escape(money(gpu.headline_price, "whole")))
        + _cell("New", escape(money(gpu.new_headline_price, "whole")))
        + _cell("Used", escape(money(gpu.used_headline_price, "whole")))
        + _cell("Listings", str(gpu.all_listing_count or 0))
        + _cell("Memory (GB)", memory)
        + _cell("FP16 TFLOPS", fp16)
        + _cell("$ per FP16 TFLOPS", escape(per_unit(gpu.per_fp16)))
        + _cell("$ per GB", escape(per_unit(gpu.per_gb)))
        + _cell("Board power", power)
        + _cell("ML software", badge(gpu.ml_software, gpu.ml_software_note) or "—", "text")
        + "</tr>"
    )


@register.simple_tag
def card_index_rows(cards) -> str:
    """The rows of the all-cards table (metrics.selectors.card_index), built in Python."""
    paths, badge = card_paths(), badge_renderer()
    rows = "\n    ".join(_card_index_row(gpu, paths, badge) for gpu in cards)
    return mark_safe(rows)  # noqa: S308 - values escaped, the badge a rendered template


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
    paths, badge = card_paths(), badge_renderer()
    unit = escape(spec.unit)
    trends = trends or {}
    rows = "\n    ".join(
        f'<tr><td class="num">{rank}</td><td class="card-cell">{card_links_html(gpu, paths)}'
        f"{badge(gpu.ml_software, gpu.ml_software_note)}</td>"
        f'<td class="num">{escape(per_unit(gpu.per_unit))}</td>'
        f'<td class="num">{escape(money(gpu.headline_price))}{trend_html(trends.get(gpu.slug))}'
        "</td>"
        f'<td class="num">{escape(figure(gpu.spec_value))}'
        f' <span class="muted">{unit}</span></td>'
        f'<td class="num">{escape(str(gpu.listing_count))}</td></tr>'
        for rank, gpu in enumerate(cards, start=1)
    )
    return mark_safe(rows)  # noqa: S308 - values escaped, the badge a rendered template
