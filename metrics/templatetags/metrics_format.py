"""Rows and links of the ranking, use-case and home pages (formatting: catalog.presentation)."""

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

from catalog.presentation import MISSING, figure, money, per_thousand, per_unit, sig, web_url
from catalog.specs import SPECS_BY_SLUG

register = template.Library()

SLUG_MARK = "__slug__"
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


def card_links_html(gpu, paths: tuple[str, str] | None = None) -> SafeString:
    """The card's links; `paths` from card_paths() saves the URL lookups when rows are many."""
    shop_pattern, learn_pattern = paths or card_paths()
    shop = shop_pattern.replace(SLUG_MARK, gpu.slug) if shop_pattern else ""
    learn = learn_pattern.replace(SLUG_MARK, gpu.slug) if learn_pattern else ""
    # One format_html per card: a ranking page links a hundred of them.
    if shop and learn:
        return format_html(
            '<a href="{}">{}</a> <a class="muted" href="{}" aria-label="About the {}">specs</a>',
            shop,
            gpu.label,
            learn,
            gpu.label,
        )
    if shop:
        return format_html('<a href="{}">{}</a>', shop, gpu.label)
    if learn:
        return format_html(
            '{} <a class="muted" href="{}" aria-label="About the {}">specs</a>',
            gpu.label,
            learn,
            gpu.label,
        )
    return conditional_escape(gpu.label)


def badge_renderer():
    """Render the ML software badge partial, once per distinct (level, note) on a page."""
    template = get_template("includes/ml_software_badge.html")
    rendered: dict[tuple[str, str], SafeString] = {}

    def render(level: str, note: str) -> SafeString:
        if (level, note) not in rendered:
            rendered[level, note] = template.render({"level": level, "note": note})
        return rendered[level, note]

    return render


def card_paths() -> tuple[str, str]:
    """The shop and learn page paths with SLUG_MARK for the slug ("" for a missing page)."""
    return slug_path("listings:shop-gpu", SLUG_MARK), slug_path("catalog:learn-gpu", SLUG_MARK)


@register.simple_tag
def card_links(gpu) -> SafeString:
    """The card's name linking to its shop page, and a `specs` link to its learn page."""
    return card_links_html(gpu)


def _top_items(rows, value, note) -> SafeString:
    """The <li> items of a home page top list (selectors.TopRow): card, figure, note, badge."""
    paths, badge = card_paths(), badge_renderer()
    return format_html_join(
        "",
        '<li>{}: {} <span class="muted">{}</span>{}</li>',
        (
            (
                card_links_html(row.gpu, paths),
                value(row.value),
                note(row),
                badge(row.ml_software, row.ml_software_note),
            )
            for row in rows
        ),
    )


@register.simple_tag
def throughput_items(rows) -> SafeString:
    """A top list by samples/s per dollar, shown per $1,000, at each card's headline price."""
    return _top_items(rows, per_thousand, lambda row: f"at {money(row.headline_price, 'whole')}")


@register.simple_tag
def per_unit_items(rows, unit) -> SafeString:
    """A top list by dollars per spec unit."""
    return _top_items(rows, per_unit, lambda row: f"per {unit}")


def _score_round(score, table) -> SafeString:
    """The MLPerf round a score comes from, linking its published log when there is one."""
    round_ = conditional_escape(score.round)
    if href := web_url(score.source_url):
        round_ = format_html(
            '<a href="{}" rel="nofollow" title="{}">{}</a>',
            href,
            score.system_name,
            round_,
        )
    if score.run_benchmark and score.run_benchmark != table.model.mlperf_id:
        round_ = format_html('{} <span class="muted">({} run)</span>', round_, score.run_benchmark)
    return round_


@register.simple_tag
def score_rows(table) -> SafeString:
    """The ranked rows of a use-case table (selectors.ModelTable)."""
    paths, badge = card_paths(), badge_renderer()
    cells = (
        '\n    <tr><td class="num">{}</td><td class="card-cell">{}{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>{}'
        '<td class="num">{}</td><td>{}</td></tr>'
    )
    return format_html_join(
        "",
        cells,
        (
            (
                rank,
                card_links_html(score.gpu, paths),
                badge(score.gpu.ml_software, score.gpu.ml_software_note),
                per_thousand(score.samples_per_dollar),
                per_unit(score.dollars_per_sample),
                sig(score.samples_per_s, 5),
                format_html('<td class="num">{}</td>', sig(score.tokens_per_s, 5))
                if table.has_tokens
                else "",
                money(score.headline_price),
                _score_round(score, table),
            )
            for rank, score in enumerate(table.ranked, start=1)
        ),
    )


FP16, GB = SPECS_BY_SLUG["fp16-flops"], SPECS_BY_SLUG["memory-gb"]
CARD_INDEX_ROW = (
    '<tr><td class="pick"><input type="checkbox" name="gpu" value="{slug}" id="pick-{slug}">'
    '<label for="pick-{slug}" class="pick-label">Compare'
    ' <span class="visually-hidden">{label}</span></label></td>'
    '<td class="card-cell">{links}<br><span class="muted">{maker} · {category}</span></td>'
    '<td class="num" data-label="Headline price">{headline}</td>'
    '<td class="num" data-label="New">{new}</td>'
    '<td class="num" data-label="Used">{used}</td>'
    '<td class="num" data-label="Listings">{listings}</td>'
    '<td class="num" data-label="{memory_heading}">{memory}</td>'
    '<td class="num" data-label="{fp16_heading}">{fp16}</td>'
    '<td class="num" data-label="{per_fp16_heading}">{per_fp16}</td>'
    '<td class="num" data-label="{per_gb_heading}">{per_gb}</td>'
    '<td class="num" data-label="Board power">{power}</td>'
    '<td class="text" data-label="ML software">{badge}</td></tr>'
)


def _card_index_row(gpu, paths, badge) -> SafeString:
    return format_html(
        CARD_INDEX_ROW,
        slug=gpu.slug,
        label=gpu.label,
        links=card_links_html(gpu, paths),
        maker=gpu.manufacturer,
        category=gpu.category_label,
        headline=money(gpu.headline_price, "whole"),
        new=money(gpu.new_headline_price, "whole"),
        used=money(gpu.used_headline_price, "whole"),
        listings=gpu.all_listing_count or 0,
        memory_heading=GB.heading,
        memory=figure(gpu.memory_gb),
        fp16_heading=FP16.heading,
        fp16=figure(gpu.fp16_tflops),
        per_fp16_heading=FP16.per_unit,
        per_fp16=per_unit(gpu.per_fp16),
        per_gb_heading=GB.per_unit,
        per_gb=per_unit(gpu.per_gb),
        power=f"{figure(gpu.tdp_w)} W" if gpu.tdp_w else MISSING,
        badge=badge(gpu.ml_software, gpu.ml_software_note) or MISSING,
    )


@register.simple_tag
def card_index_rows(cards) -> SafeString:
    """The rows of the all-cards table (metrics.selectors.card_index)."""
    paths, badge = card_paths(), badge_renderer()
    return format_html_join("\n    ", "{}", ((_card_index_row(g, paths, badge),) for g in cards))


def trend_html(trend) -> SafeString:
    """A headline price's 30-day trend: an arrow and a percentage, its words for screen readers."""
    if trend is None:
        return SafeString("")
    side = "up" if trend.percent > 0 else "down" if trend.percent < 0 else "flat"
    return format_html(
        ' <span class="trend trend-{}" title="{}" aria-hidden="true">{}{}%</span>'
        '<span class="visually-hidden"> ({})</span>',
        side,
        trend.text,
        trend.arrow,
        abs(trend.percent),
        trend.text,
    )


@register.simple_tag
def spec_rank_rows(cards, spec, trends=None) -> SafeString:
    """The ranked rows of a cost-per-spec table (metrics.selectors.spec_ranking); `trends`
    (metrics.history.trends) adds each headline price's 30-day trend."""
    paths, badge = card_paths(), badge_renderer()
    trends = trends or {}
    return format_html_join(
        "\n    ",
        '<tr><td class="num">{}</td><td class="card-cell">{}{}</td><td class="num">{}</td>'
        '<td class="num">{}{}</td><td class="num">{} <span class="muted">{}</span></td>'
        '<td class="num">{}</td></tr>',
        (
            (
                rank,
                card_links_html(gpu, paths),
                badge(gpu.ml_software, gpu.ml_software_note),
                per_unit(gpu.per_unit),
                money(gpu.headline_price),
                trend_html(trends.get(gpu.slug)),
                figure(gpu.spec_value),
                spec.unit,
                gpu.listing_count,
            )
            for rank, gpu in enumerate(cards, start=1)
        ),
    )
