"""Local-LLM pages and the data API: which cards run a model, how fast, per dollar."""

from dataclasses import replace

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog import llm
from catalog.llm_catalogue import load_llm_catalogue
from catalog.presentation import site_title
from metrics import llm as llm_metrics
from metrics.export import data_json
from metrics.llm_finder import PARAMS, find_cards, parse_finder
from metrics.selectors import data_as_of
from metrics.views import _crumbs
from shopagent.cache import cached_page


def _within_model(query, model):
    """The query with its context capped at what the model supports, saying so."""
    if query.context <= model.max_context:
        return query
    note = f"{model.name} supports at most {model.max_context:,} tokens; showing that context."
    return replace(query, context=model.max_context, notes=(*query.notes, note))


def _loaded():
    """Every card with its price, and the LLM catalogue on the same cards' figures."""
    priced = llm_metrics.load_priced_cards()
    return priced, load_llm_catalogue(cards=priced.by_id)


def _table(catalogue, priced, query, model_slug: str):
    """The model's table for this quantisation, context, budget and host-PC cost."""
    return llm_metrics.llm_table(
        catalogue=catalogue,
        model=catalogue.model(model_slug),
        quant=catalogue.quant(query.quant),
        context=query.context,
        budget=query.budget,
        priced=priced,
        include_modules=query.include_modules,
        host_usd=query.host,
        kwh_usd=query.kwh_usd,
    )


def _context(catalogue, query, table) -> dict:
    return {
        "query": query,
        "table": table,
        "single_rows": llm_metrics.shown_rows(table.single),
        "multi_rows": llm_metrics.shown_rows(table.multi),
        "models": catalogue.models,
        "quants": catalogue.quants,
        "contexts": sorted({2048, 4096, 8192, 16384, 32768, 65536, 131072, query.context}),
        "default_context": llm.DEFAULT_CONTEXT,
        "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
    }


def _settled(catalogue, query, model):
    """The query for one model: a known quantisation and a context the model supports."""
    quant = query.quant if catalogue.quant(query.quant) else catalogue.quants[0].slug
    return _within_model(replace(query, model=model.slug, quant=quant), model)


@require_safe
@cached_page(reads=llm_metrics.PARAMS)
def llm_index(request):
    priced, catalogue = _loaded()
    if not catalogue.models or not catalogue.quants:
        raise Http404("No LLM catalogue loaded")
    query = llm_metrics.parse_llm_query(request.GET, catalogue)
    model = catalogue.model(query.model) or catalogue.models[0]
    query = _settled(catalogue, query, model)
    context = _context(catalogue, query, _table(catalogue, priced, query, model.slug))
    context["crumbs"] = _crumbs(("Local LLMs", request.path))
    return render(request, "metrics/llm_index.html", context)


@require_safe
@cached_page(reads=llm_metrics.PARAMS)
def llm_model(request, slug):
    priced, catalogue = _loaded()
    model = catalogue.model(slug)
    if model is None or not catalogue.quants:
        raise Http404("No such model")
    query = _settled(catalogue, llm_metrics.parse_llm_query(request.GET, catalogue), model)
    context = _context(catalogue, query, _table(catalogue, priced, query, slug))
    context["title"] = site_title(
        f"Best GPU for {model.name}: fit and tokens/s per dollar",
        f"Best GPU for {model.name}",
    )
    context["crumbs"] = _crumbs(
        ("Local LLMs", reverse("metrics:llm-index")), (model.name, request.path)
    )
    return render(request, "metrics/llm_model.html", context)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_safe
@cached_page(reads=("model", "quant", "context"))
def llm_json(request):
    """GET ?model=<slug>[&quant=<slug>, default q4_k_m][&context=N]: every card's fit and speed
    for one model, a multi-card setup's as the pages show it.

    The same rules as the HTML pages: a parameter given more than once is refused, and a number
    is ASCII digits with thousands commas only."""
    priced, catalogue = _loaded()
    repeated: list[str] = []
    given = {
        name: llm_metrics.single_param(request.GET, name, repeated)
        for name in ("model", "quant", "context")
    }
    if repeated:
        return _error(400, "; ".join(note.removeprefix("Ignored ") for note in repeated))
    model = catalogue.model(given["model"] or "")
    if model is None:
        return _error(404, "Unknown model: pass model=<slug> of a model on /ml/shop/llm/.")
    quant = catalogue.quant(given["quant"] or llm_metrics.DEFAULT_QUANT)
    if quant is None:
        choices = ", ".join(q.slug for q in catalogue.quants)
        return _error(400, f"Unknown quant: choose one of {choices}.")
    context = llm.DEFAULT_CONTEXT
    if given["context"] is not None:
        context, note = llm_metrics.parse_context(given["context"])
        if note:
            return _error(400, note)
        if context > model.max_context:
            return _error(400, f"context: {model.name} supports at most {model.max_context} tokens")
    rows = priced.rows(catalogue, model, quant, context)
    body = {
        "model": model.slug,
        "quant": quant.slug,
        "context": context,
        "weights_gib": round(llm.weights_gib(model, quant.bits_per_weight), 3),
        "kv_cache_gib": round(llm.kv_cache_gib(model, context), 3),
        "cards": llm_metrics.api_rows(rows),
    }
    return data_json(body, as_of=data_as_of())


@require_safe
@cached_page(reads=PARAMS)
def finder_json(request):
    """GET ?task=<task>&budget=<usd>[&include=modules][&host=<usd>]: the home finder's answer
    as data; host adds a stated host-PC cost to every card answer."""
    asked = parse_finder(request.GET)
    if asked.notes:
        return _error(400, "; ".join(asked.notes))
    if asked.task is None:
        return _error(400, "Unknown task: pass task=<one of the home page finder's tasks>.")
    priced, catalogue = _loaded()
    result = find_cards(
        task=asked.task,
        budget=asked.budget,
        catalogue=catalogue,
        priced=priced,
        include_modules=asked.include_modules,
        host_usd=asked.host,
    )
    if result is None:
        return _error(404, "That task's model is not in the catalogue.")
    return data_json(result.as_json(), as_of=data_as_of())
