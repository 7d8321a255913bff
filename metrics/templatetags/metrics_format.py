"""Rows and links of the ranking, use-case and home pages (formatting: catalog.presentation)."""

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from catalog.llm import RUNTIME_OVERHEAD_GIB
from catalog.models import PREVIEW
from catalog.presentation import MISSING, figure, money, per_thousand, per_unit, sig, web_url
from catalog.specs import SPECS_BY_SLUG
from shopagent.cache import at_generation, cached_join

register = template.Library()

SLUG_MARK = "__slug__"
_slug_paths: dict[tuple, str] = {}


@register.filter
def tray_choices(rows) -> list[tuple[str, str]]:
    """(slug, label) of a ranking's cards: every ranking row has its card as .gpu."""
    return [(row.gpu.slug, row.gpu.label) for row in rows]


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
    return _card_links(gpu.slug, gpu.label, paths or card_paths())


def _card_links(slug: str, label: str, paths: tuple[str, str]) -> SafeString:
    shop_pattern, learn_pattern = paths
    shop = shop_pattern.replace(SLUG_MARK, slug) if shop_pattern else ""
    learn = learn_pattern.replace(SLUG_MARK, slug) if learn_pattern else ""
    if shop and learn:
        return format_html(
            '<a href="{}">{}</a> <a class="muted" href="{}" aria-label="About the {}">specs</a>',
            shop,
            label,
            learn,
            label,
        )
    if shop:
        return format_html('<a href="{}">{}</a>', shop, label)
    if learn:
        return format_html(
            '{} <a class="muted" href="{}" aria-label="About the {}">specs</a>',
            label,
            learn,
            label,
        )
    return conditional_escape(label)


def badge_renderer():
    """Render the ML software badge and what-it-needs badges (`card_badges`), once per distinct
    set on a page."""
    software = get_template("includes/ml_software_badge.html")
    needs = get_template("includes/card_needs_badges.html")
    rendered: dict[tuple, SafeString] = {}

    def render(level: str, note: str, form_factor="pcie", cooling="", devices=1) -> SafeString:
        key = (level, note, form_factor, cooling, devices)
        if key not in rendered:
            context = {
                "level": level,
                "note": note,
                "form_factor": form_factor,
                "cooling": cooling,
                "devices": devices,
            }
            rendered[key] = SafeString(software.render(context) + needs.render(context))
        return rendered[key]

    return render


def card_badges(gpu) -> tuple:
    """What a row's badges show of its card: ML software level and why, form factor, cooling and
    GPUs on the board."""
    return (
        gpu.ml_software,
        gpu.ml_software_note,
        getattr(gpu, "form_factor", "pcie"),
        getattr(gpu, "cooling", ""),
        getattr(gpu, "devices", 1),
    )


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

    def render(item) -> SafeString:
        _, slug, label, figure_text, note_text, badges = item
        return format_html(
            '<li>{}: {} <span class="muted">{}</span>{}</li>',
            _card_links(slug, label, paths),
            figure_text,
            note_text,
            badge(*badges),
        )

    items = [
        (
            paths,
            row.gpu.slug,
            row.gpu.label,
            value(row.value),
            note(row),
            card_badges(row.gpu),
        )
        for row in rows
    ]
    return cached_join("top-item", items, render)


@register.simple_tag
def compare_select(number, pick, choices) -> SafeString:
    """One select of the compare picker with `pick` chosen, rendered once per page generation
    (every card is an option, and a compare page has three of these)."""

    def render() -> str:
        context = {"number": number, "pick": pick, "choices": choices}
        return get_template("metrics/includes/compare_select.html").render(context)

    return at_generation("compare-select", number, pick, compute=render)


@register.simple_tag
def llm_table(table, query) -> SafeString:
    """The tables of cards that run one LLM (metrics.llm.LlmTable), rendered once per page
    generation for each model, quantisation, context and budget."""

    def render() -> str:
        context = {"table": table, "query": query, "overhead_gib": RUNTIME_OVERHEAD_GIB}
        return get_template("metrics/includes/llm_table.html").render(context)

    key = (table.model.slug, table.quant.slug, table.context, query.budget, table.include_modules)
    return at_generation("llm-table-html", *key, compute=render)


def _throughput_note(row) -> str:
    price = f"at {money(row.headline_price, 'whole')}"
    return f"{price} (preview)" if row.preview else price


@register.simple_tag
def throughput_items(rows) -> SafeString:
    """A top list by throughput per dollar (the use case's metric), shown per $1,000, at each
    card's headline price; a preview run's row says so."""
    return _top_items(rows, per_thousand, _throughput_note)


@register.simple_tag
def per_unit_items(rows, unit) -> SafeString:
    """A top list by dollars per spec unit."""
    return _top_items(rows, per_unit, lambda row: f"per {unit}")


def _score_round(parts) -> SafeString:
    """The MLPerf round a score comes from, linking its published log when there is one, marked
    "(preview)" for hardware not yet shipping, with the result's notes; `parts` are the round,
    log URL, system name, the benchmark run, the model's own benchmark, availability and notes."""
    round_, source_url, system_name, run_benchmark, model_benchmark, availability, notes = parts
    shown = conditional_escape(round_)
    if href := web_url(source_url):
        link = '<a href="{}" rel="nofollow" title="{}">{}</a>'
        shown = format_html(link, href, system_name, shown)
    if availability == PREVIEW:
        shown = format_html('{} <span class="muted">(preview)</span>', shown)
    if run_benchmark and run_benchmark != model_benchmark:
        shown = format_html('{} <span class="muted">({} run)</span>', shown, run_benchmark)
    if notes:
        shown = format_html("{} {}", shown, _result_note(system_name, notes))
    return shown


def _result_note(system_name: str, notes: str) -> SafeString:
    """A result's notes, folded as on the learn pages' results table."""
    return get_template("catalog/includes/result_note.html").render(
        {"system_name": system_name, "notes": notes}
    )


RANKED_CARD = '<tr><td class="num">{}</td><td class="card-cell">{}{}</td>'
SCORE_ROW = (
    '{}<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>{}'
    '<td class="num">{}</td><td>{}</td></tr>'
)


def _ranked_card(item, paths, badge) -> SafeString:
    """A ranking row's first cells, from an item that starts (paths, rank, slug, label,
    badges)."""
    _, rank, slug, label, badges = item[:5]
    return format_html(RANKED_CARD, rank, _card_links(slug, label, paths), badge(*badges))


def _ranked_rows(kind: str, row: str, items: list, formats: tuple) -> SafeString:
    """Ranking rows from items (paths, rank, slug, label, badges, *cells):
    the card cells, then each cell put through its format; each row rendered once for its values."""
    paths, badge = card_paths(), badge_renderer()

    def render(item) -> SafeString:
        cells = (fmt(value) for fmt, value in zip(formats, item[5:], strict=True))
        return format_html(row, _ranked_card(item, paths, badge), *cells)

    return cached_join(kind, items, render, "\n    ")


def _card_item(paths: tuple[str, str], rank: int, gpu) -> tuple:
    """The start of a ranking row's item: where cards link to (card_paths()), rank and card."""
    return (paths, rank, gpu.slug, gpu.label, card_badges(gpu))


def _tokens_cell(shown_and_tokens) -> SafeString | str:
    shown, tokens = shown_and_tokens
    return format_html('<td class="num">{}</td>', sig(tokens, 5)) if shown else ""


SCORE_FORMATS = (per_thousand, per_unit, lambda v: sig(v, 5), _tokens_cell, money, _score_round)


@register.simple_tag
def score_rows(table) -> SafeString:
    """The ranked rows of a use-case table (selectors.ModelTable), per dollar in its metric."""
    has_tokens, paths = table.has_tokens, card_paths()
    items = [
        (
            *_card_item(paths, rank, score.gpu),
            score.tokens_per_dollar if table.by_tokens else score.samples_per_dollar,
            score.dollars_per_token if table.by_tokens else score.dollars_per_sample,
            score.samples_per_s,
            (has_tokens, score.tokens_per_s),
            score.headline_price,
            (
                score.round,
                score.source_url,
                score.system_name,
                score.run_benchmark,
                table.model.mlperf_id,
                score.availability,
                score.notes,
            ),
        )
        for rank, score in enumerate(table.ranked, start=1)
    ]
    return _ranked_rows("score-row", SCORE_ROW, items, SCORE_FORMATS)


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


def _card_index_row(item, badge) -> SafeString:
    (paths, slug, label, maker, category, headline, new, used, listings) = item[:9]
    memory, gpu_memory, fp16, per_fp16, per_gb, power, badges = item[9:]
    if gpu_memory:  # a whole computer: its $/GB is per GB its GPU may use
        memory = format_html(
            '{} <span class="muted">(GPU: {})</span>', figure(memory), figure(gpu_memory)
        )
    else:
        memory = figure(memory)
    return format_html(
        CARD_INDEX_ROW,
        slug=slug,
        label=label,
        links=_card_links(slug, label, paths),
        maker=maker,
        category=category,
        headline=money(headline, "whole"),
        new=money(new, "whole"),
        used=money(used, "whole"),
        listings=listings or 0,
        memory_heading=GB.heading,
        memory=memory,
        fp16_heading=FP16.heading,
        fp16=figure(fp16),
        per_fp16_heading=FP16.per_unit,
        per_fp16=per_unit(per_fp16),
        per_gb_heading=GB.per_unit,
        per_gb=per_unit(per_gb),
        power=f"{figure(power)} W" if power else MISSING,
        badge=badge(*badges) or MISSING,
    )


@register.simple_tag
def card_index_rows(cards) -> SafeString:
    """The rows of the all-cards table (metrics.selectors.card_index)."""
    paths, badge = card_paths(), badge_renderer()
    items = [
        (
            paths,
            card.gpu.slug,
            card.gpu.label,
            card.manufacturer,
            card.category_label,
            card.headline_price,
            card.new_headline_price,
            card.used_headline_price,
            card.all_listing_count,
            card.memory_gb,
            card.gpu_memory_gb,
            card.fp16_tflops,
            card.per_fp16,
            card.per_gb,
            card.tdp_w,
            card_badges(card.gpu),
        )
        for card in cards
    ]
    return cached_join("card-index-row", items, lambda item: _card_index_row(item, badge), "\n    ")


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


SPEC_RANK_ROW = (
    '{}<td class="num">{}</td><td class="num">{}{}</td>'
    '<td class="num">{} <span class="muted">{}</span></td><td class="num">{}</td></tr>'
)


SPEC_RANK_FORMATS = (per_unit, money, trend_html, figure, str, str)


@register.simple_tag
def spec_rank_rows(cards, spec, trends=None) -> SafeString:
    """The ranked rows of a cost-per-spec table (metrics.selectors.spec_ranking); `trends`
    (metrics.history.trends) adds each headline price's 30-day trend."""
    trends, paths = trends or {}, card_paths()
    items = [
        (
            *_card_item(paths, rank, card.gpu),
            card.per_unit,
            card.headline_price,
            trends.get(card.gpu.slug),
            card.spec_value,
            spec.unit,
            card.listing_count,
        )
        for rank, card in enumerate(cards, start=1)
    ]
    return _ranked_rows("spec-rank-row", SPEC_RANK_ROW, items, SPEC_RANK_FORMATS)
