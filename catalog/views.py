"""Learn pages: what each card is, the MLPerf models and use cases, and how we compute things."""

from itertools import groupby

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.llm_catalogue import llm_methodology
from catalog.models import BenchmarkResult, Category, Gpu, MlModel, UseCase
from catalog.presentation import learn_about
from catalog.search import search_cards
from shopagent.cache import cached_page


def _crumbs(*tail):
    return [("Learn", reverse("catalog:learn-index")), *tail]


@require_safe
@cached_page()
def learn_index(request):
    """Every card by category, every MLPerf model and use case the site explains."""
    gpus = Gpu.objects.only("slug", "label", "manufacturer", "category", "memory_gb").order_by(
        "category", "manufacturer", "label"
    )
    labels = dict(Category.choices)
    groups = [(labels[key], list(items)) for key, items in groupby(gpus, key=lambda g: g.category)]
    order = [label for _, label in Category.choices]
    groups.sort(key=lambda group: order.index(group[0]))
    context = {
        "groups": groups,
        "ml_models": MlModel.objects.select_related("use_case").order_by("use_case", "name"),
        "use_cases": UseCase.objects.all(),
        "crumbs": [("Learn", reverse("catalog:learn-index"))],
    }
    return render(request, "catalog/learn_index.html", context)


@require_safe
@cached_page()
def learn_model(request, slug):
    """One MLPerf model: what it is and every single-accelerator result we have for it."""
    model = get_object_or_404(MlModel.objects.select_related("use_case"), slug=slug)
    results = model.results.select_related("gpu").order_by("-round", "-samples_per_s")
    context = {"results": results, **learn_about("model", model, model.name)}
    return render(request, "catalog/learn_model.html", context)


@require_safe
@cached_page()
def learn_use_case(request, slug):
    """One use case: the task, its MLPerf models and metric, and how per-dollar is computed."""
    use_case = get_object_or_404(UseCase, slug=slug)
    models = list(use_case.models.order_by("name"))
    results = (
        BenchmarkResult.objects.filter(model__in=models)
        .select_related("gpu", "model")
        .order_by("model__name", "-round", "-samples_per_s")
    )
    context = {
        "ml_models": models,
        "results": results,
        **learn_about("use_case", use_case, use_case.task),
    }
    return render(request, "catalog/learn_use_case.html", context)


@require_safe
@cached_page()
def methodology(request):
    """The spec basis, where the data comes from, attribution and how listings are screened."""
    context = {
        "llm": llm_methodology(),
        "crumbs": _crumbs(("Methodology", reverse("catalog:methodology"))),
        # The open-data section links one card's listings.json as an example.
        "example_slug": Gpu.objects.order_by("slug").values_list("slug", flat=True).first(),
    }
    return render(request, "catalog/methodology.html", context)


@require_safe
def search(request):
    """The header search: straight to the card's shop page when the query names one card."""
    result = search_cards(raw_query=request.GET.get("q", ""))
    if result.unique is not None and not result.note:
        return redirect("metrics:shop-gpu", slug=result.unique.slug)
    context = {"result": result, "crumbs": [("Search", request.path)]}
    return render(request, "catalog/search_results.html", context)
