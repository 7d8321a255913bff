"""Ranking, all-cards and compare pages: read stored rankings through selectors, render."""

from dataclasses import replace

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.llm_catalogue import load_llm_catalogue
from catalog.models import MlSoftware, UseCase
from catalog.presentation import fit_description, site_title
from catalog.specs import SPECS, SPECS_BY_SLUG
from metrics import card_index, filters, llm_finder, selectors
from metrics.card_index import KINDS, VENDORS, parse_index_query, sort_headers
from metrics.compare import comparison_sections, pair_candidates, pair_slug
from metrics.filters import CONDITIONS, parse_filters
from metrics.llm import COMPARE_MODELS, compare_llm_runs
from metrics.llm_finder import find_for_home
from metrics.ranking import HEADLINE_K
from metrics.rows import index_rows, spec_rank_rows
from shopagent.cache import cached_page


def _crumbs(*trail: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Home", reverse("metrics:home")), *trail]


def _filter_context(chosen) -> dict:
    return {
        "filters": chosen,
        "conditions": list(CONDITIONS),
        "categories": ("datacenter", "workstation", "gaming"),
        "software_levels": MlSoftware.choices,
    }


@require_safe
@cached_page(reads=llm_finder.PARAMS)
def home(request):
    spec_lists, use_case_lists = selectors.home_top_lists()
    use_case_lists = [
        replace(top, finder_href=llm_finder.finder_href(use_case=top.use_case.slug))
        for top in use_case_lists
    ]
    context = {
        "spec_lists": spec_lists,
        "use_case_lists": use_case_lists,
        "top_n": selectors.TOP_N,
        "crumbs": _crumbs(),
    }
    context["finder"] = find_for_home(request.GET)
    return render(request, "metrics/home.html", context)


@require_safe
@cached_page()
def rankings_index(request):
    context = {
        "specs": SPECS,
        "ranked_specs": selectors.ranked_spec_slugs(),
        "use_cases": UseCase.objects.all(),
        "crumbs": _crumbs(("Rankings", request.path)),
    }
    return render(request, "metrics/rankings_index.html", context)


@require_safe
@cached_page(reads=filters.PARAMS)
def cost_per_spec(request, metric):
    spec = SPECS_BY_SLUG.get(metric)
    if spec is None:
        raise Http404("No such metric")
    chosen = parse_filters(request.GET)
    ranking = selectors.spec_ranking(spec=spec, filters=chosen)
    context = {
        "spec": spec,
        "ranking": ranking,
        "rows": spec_rank_rows(ranking.ranked),
        "title": site_title(
            f"Cheapest GPUs per {spec.noun} right now", f"Cheapest GPUs per {spec.noun}"
        ),
        "headline_k": HEADLINE_K,
        "crumbs": _crumbs(
            ("Rankings", reverse("metrics:rankings-index")), (f"$ per {spec.noun}", request.path)
        ),
        **_filter_context(chosen),
    }
    return render(request, "metrics/cost_per_spec.html", context)


@require_safe
@cached_page()
def use_case_index(request):
    context = {
        "use_cases": UseCase.objects.prefetch_related("models"),
        "crumbs": _crumbs(("Use cases", request.path)),
    }
    return render(request, "metrics/use_case_index.html", context)


@require_safe
@cached_page(reads=filters.PARAMS)
def use_case(request, slug):
    use_case = get_object_or_404(UseCase, slug=slug)
    chosen = parse_filters(request.GET)
    task = use_case.task[:1].lower() + use_case.task[1:]
    context = {
        "use_case": use_case,
        "tables": selectors.use_case_tables(use_case=use_case, filters=chosen),
        "finder_href": llm_finder.finder_href(use_case=use_case.slug, budget=chosen.max_budget),
        "title": site_title(
            f"Best GPU per dollar for {task} (MLPerf)",
            f"Best GPU per dollar for {task}",
            f"Best GPU for {task}",
        ),
        "crumbs": _crumbs(
            ("Use cases", reverse("metrics:use-case-index")), (use_case.task, request.path)
        ),
        **_filter_context(chosen),
    }
    return render(request, "metrics/use_case.html", context)


@require_safe
@cached_page(reads=(*filters.PARAMS, *card_index.PARAMS))
def shop_index(request):
    chosen = parse_filters(request.GET)
    index = parse_index_query(request.GET, software=chosen.software or "")
    context = {
        "cards": index_rows(selectors.card_index(filters=chosen, index=index)),
        "index": index,
        "headers": sort_headers(request.GET, index),
        "vendors": VENDORS,
        "kinds": KINDS,
        "crumbs": _crumbs(("Shop", request.path)),
        **_filter_context(chosen),
    }
    return render(request, "metrics/shop_index.html", context)


def _comparison(slugs: list[str]):
    """The cards named and their comparison table."""
    comparison = selectors.compare_cards(slugs=slugs)
    cards = comparison.cards
    sections = comparison_sections(
        cards,
        comparison.scores,
        spec_links={s.slug: reverse("metrics:cost-per-spec", args=[s.slug]) for s in SPECS},
        llms=compare_llm_runs(cards=cards, catalogue=load_llm_catalogue()),
        llm_links={
            slug: reverse("metrics:llm-model", kwargs={"slug": slug}) for slug in COMPARE_MODELS
        },
    )
    return comparison, sections


def _compare_context(request, comparison, sections, *, title_candidates, crumb) -> dict:
    chosen = [card.slug for card in comparison.cards]
    return {
        "comparison": comparison,
        "sections": sections,
        "choices": selectors.card_choices(),
        "picks": (chosen + ["", ""])[: max(2, len(chosen))],
        "pair_url": (
            reverse("metrics:compare-pair", args=[pair_slug(*chosen)]) if len(chosen) == 2 else ""
        ),
        "title": site_title(*title_candidates, "Compare GPUs side by side"),
        "crumbs": _crumbs(("Shop", reverse("metrics:shop-index")), crumb),
    }


@require_safe
@cached_page(reads=("gpu",))
def compare(request):
    """Any cards named in ?gpu=..., in the order given; a picker when fewer than two."""
    comparison, sections = _comparison(request.GET.getlist("gpu"))
    names = " vs ".join(card.label for card in comparison.cards)
    candidates = [f"{names}: specs and prices compared", names] if len(comparison.cards) > 1 else []
    context = _compare_context(
        request,
        comparison,
        sections,
        title_candidates=candidates,
        crumb=("Compare", request.path),
    )
    return render(request, "metrics/compare.html", context)


@require_safe
@cached_page()
def compare_pair(request, pair):
    """A shareable two-card comparison; the reverse order redirects to the sorted address."""
    slugs = selectors.pair_cards(candidates=pair_candidates(pair))
    if slugs is None:
        raise Http404("No such pair of cards")
    canonical = pair_slug(*slugs)
    if pair != canonical:
        target = reverse("metrics:compare-pair", kwargs={"pair": canonical})
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{target}?{query}" if query else target, permanent=True)
    comparison, sections = _comparison(sorted(slugs))
    first, second = (card.label for card in comparison.cards)
    short = [label.removeprefix("NVIDIA ").removeprefix("AMD ") for label in (first, second)]
    context = _compare_context(
        request,
        comparison,
        sections,
        title_candidates=[
            f"{first} vs {second}: specs, prices and value",
            f"{short[0]} vs {short[1]}: specs, prices and value",
            f"{short[0]} vs {short[1]}: prices and specs",
            f"{short[0]} vs {short[1]}",
        ],
        crumb=(f"{short[0]} vs {short[1]}", request.path),
    )
    context["is_pair_page"] = True
    context["description"] = fit_description(
        f"{first} vs {second}: live eBay prices, specs, dollars per TFLOPS and per GB, MLPerf,"
        " board power.",
        f"{first} vs {second}: live eBay prices, specs and value compared.",
        f"{short[0]} vs {short[1]}: live eBay prices, specs and value compared.",
    )
    return render(request, "metrics/compare.html", context)
