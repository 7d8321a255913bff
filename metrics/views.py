"""Ranking pages: load stored rankings, render. Every page is cached per generation."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.models import UseCase
from metrics import history, selectors
from metrics.filters import CONDITIONS, parse_filters
from metrics.ranking import HEADLINE_K
from metrics.specs import SPECS, SPECS_BY_SLUG
from shopagent.cache import cached_page

SITE = "ShopAgent"


def _title(*candidates: str) -> str:
    """The first candidate that fits in 70 characters with the site name."""
    for text in candidates:
        if len(f"{text} | {SITE}") <= 70:
            return f"{text} | {SITE}"
    return f"{candidates[-1]} | {SITE}"[:70]


def _crumbs(*trail: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Home", reverse("metrics:home")), *trail]


def _filter_context(filters) -> dict:
    return {
        "filters": filters,
        "conditions": list(CONDITIONS),
        "categories": ("datacenter", "workstation", "gaming"),
    }


@require_safe
@cached_page
def home(request):
    spec_lists, use_case_lists = selectors.home_top_lists()
    context = {"spec_lists": spec_lists, "use_case_lists": use_case_lists, "crumbs": _crumbs()}
    return render(request, "metrics/home.html", context)


@require_safe
@cached_page
def rankings_index(request):
    context = {
        "specs": SPECS,
        "use_cases": UseCase.objects.all(),
        "crumbs": _crumbs(("Rankings", request.path)),
    }
    return render(request, "metrics/rankings_index.html", context)


@require_safe
@cached_page
def cost_per_spec(request, metric):
    spec = SPECS_BY_SLUG.get(metric)
    if spec is None:
        raise Http404("No such metric")
    filters = parse_filters(request.GET)
    context = {
        "spec": spec,
        "ranking": selectors.spec_ranking(spec=spec, filters=filters),
        "trends": history.trends(scope=filters.scope),
        "title": _title(
            f"Cheapest GPUs per {spec.noun} right now", f"Cheapest GPUs per {spec.noun}"
        ),
        "headline_k": HEADLINE_K,
        "crumbs": _crumbs(
            ("Rankings", reverse("metrics:rankings-index")), (f"$ per {spec.noun}", request.path)
        ),
        **_filter_context(filters),
    }
    return render(request, "metrics/cost_per_spec.html", context)


@require_safe
@cached_page
def use_case_index(request):
    context = {
        "use_cases": UseCase.objects.prefetch_related("models"),
        "crumbs": _crumbs(("Use cases", request.path)),
    }
    return render(request, "metrics/use_case_index.html", context)


@require_safe
@cached_page
def use_case(request, slug):
    use_case = get_object_or_404(UseCase, slug=slug)
    filters = parse_filters(request.GET)
    task = use_case.task[:1].lower() + use_case.task[1:]
    context = {
        "use_case": use_case,
        "tables": selectors.use_case_tables(use_case=use_case, filters=filters),
        "title": _title(
            f"Best GPU per dollar for {task} (MLPerf)",
            f"Best GPU per dollar for {task}",
            f"Best GPU for {task}",
        ),
        "crumbs": _crumbs(
            ("Use cases", reverse("metrics:use-case-index")), (use_case.task, request.path)
        ),
        **_filter_context(filters),
    }
    return render(request, "metrics/use_case.html", context)


@require_safe
@cached_page
def shop_index(request):
    filters = parse_filters(request.GET)
    context = {
        "cards": selectors.card_index(filters=filters),
        "specs": SPECS,
        "crumbs": _crumbs(("Shop", request.path)),
        **_filter_context(filters),
    }
    return render(request, "metrics/shop_index.html", context)


@require_safe
@cached_page
def compare(request):
    comparison = selectors.compare_cards(slugs=request.GET.getlist("gpu"))
    names = " vs ".join(card.label for card in comparison.cards)
    candidates = [f"{names}: specs and prices compared", names] if len(comparison.cards) > 1 else []
    context = {
        "comparison": comparison,
        "specs": SPECS,
        "title": _title(*candidates, "Compare GPUs side by side"),
        "crumbs": _crumbs(("Shop", reverse("metrics:shop-index")), ("Compare", request.path)),
    }
    return render(request, "metrics/compare.html", context)
