"""A card's own pages: its shop page (listings priced per spec, going rates, price history) and
its learn page (specs, MLPerf results, price history). They show metrics data beside catalog and
listings data, so they live here, at the top of the flow."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.llm_catalogue import models_on
from catalog.models import Gpu
from catalog.presentation import learn_about
from catalog.spec_table import spec_rows
from listings.schedule import counts_views
from listings.shop.cards import card_specs, listings_page
from listings.shop.form import ShopFilterForm
from listings.shop.queries import UNSHOWN_GPU_FIELDS, shop_facts
from metrics.card_seo import shop_seo
from metrics.charts import price_history_section
from metrics.going_rate import read_going_rates
from metrics.models import Scope
from metrics.ownership import PARAMS as USAGE_PARAMS
from metrics.ownership import card_ownership, parse_usage, with_energy
from metrics.rent_views import usage_form
from metrics.rows import model_rows
from metrics.views import _crumbs
from shopagent.cache import cached_page

# The shop page's form fields, its page number, and the price chart's period.
SHOP_PARAMS = (*ShopFilterForm.base_fields, "page", "history")


def running_costs(request, gpu, *, page_params, rates=None) -> dict:
    """What a card page shows of owning against renting it, and the energy of its LLM table, for
    the visitor's hours a day, electricity price and months (two queries, three without the
    card's going `rates`, and the LLM catalogue's). The form carries the page's other
    parameters over."""
    usage = parse_usage(request.GET)
    keep = [
        (name, value)
        for name in page_params
        if name not in USAGE_PARAMS
        for value in request.GET.getlist(name)
    ]
    runs = with_energy(models_on(gpu), power_w=gpu.tdp_w, kwh_usd=usage.kwh_usd)
    return {
        "own": None if gpu.is_laptop else card_ownership(gpu=gpu, usage=usage, rates=rates),
        "usage_form": usage_form(usage, path=request.path),
        "usage_keep": keep,
        "llm_runs": runs,
        "llm_rows": model_rows(runs),
    }


@require_safe
@counts_views
@cached_page(reads=(*SHOP_PARAMS, *USAGE_PARAMS))
def shop_gpu(request, slug):
    """One card's listings as cards, with filters, sorts, $/spec pills and a price summary."""
    gpu = get_object_or_404(Gpu.objects.defer(*UNSHOWN_GPU_FIELDS), slug=slug)
    facts, rates, specs = shop_facts(gpu), read_going_rates(gpu_id=gpu.pk), card_specs(gpu)
    form = ShopFilterForm(request.GET, specs=specs, countries=facts.countries)
    form.is_valid()
    applied, notes = form.applied(), form.ignored_notes()
    listings = listings_page(
        gpu,
        specs,
        applied=applied,
        rates=rates,
        raw_page=request.GET.get("page", "1"),
        # Sorting keeps every listing, and condition and country are counted with the summary.
        count=facts.count_matching(applied),
    )
    notes += [listings.note] if listings.note else []
    if applied.get("sort") == "deal" and not rates.known:
        notes.append("No going rate for this card yet: sorted by price per card instead.")
    context = {
        "gpu": gpu,
        "form": form,
        "applied": applied,
        "notes": notes,
        "page": listings.page,
        "cards": listings.cards,
        "tips": listings.tips,
        "rates": rates,
        "summary": facts.summary,
        "checked_at": facts.checked_at,
        "is_variant": bool(request.GET),
        "history": price_history_section(gpu=gpu, query=request.GET),
        **running_costs(request, gpu, page_params=SHOP_PARAMS, rates=rates),
        "alert_conditions": Scope.choices,
        "crumbs": _crumbs(("Shop", reverse("metrics:shop-index")), (gpu.label, request.path)),
        **shop_seo(gpu=gpu, summary=facts.summary, page=listings.page),
    }
    return render(request, "metrics/gpu_shop.html", context)


@require_safe
@cached_page(reads=("history", *USAGE_PARAMS))
def learn_gpu(request, slug):
    """One card: every spec with its basis, its price history and its MLPerf results with
    citations."""
    gpu = get_object_or_404(Gpu, slug=slug)
    results = gpu.benchmark_results.select_related("model").order_by("model__name", "-round")
    context = {
        **learn_about("gpu", gpu, gpu.label),
        "specs": spec_rows(gpu),
        "results": results,
        "history": price_history_section(gpu=gpu, query=request.GET),
        **running_costs(request, gpu, page_params=("history",)),
    }
    return render(request, "metrics/learn_gpu.html", context)
