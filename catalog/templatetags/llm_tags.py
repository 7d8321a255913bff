"""The "runs these models" table a card's learn and shop pages show."""

from django import template

from catalog import llm
from catalog.llm_catalogue import card_spec, load_llm_catalogue

register = template.Library()


@register.inclusion_tag("catalog/includes/llm_runs_models.html")
def runs_these_models(gpu):
    """Which catalogued LLMs the card holds at Q4_K_M and the default context, and how fast."""
    catalogue = load_llm_catalogue()
    quant, rows = llm.models_on_card(catalogue, card_spec(gpu))
    return {
        "gpu": gpu,
        "quant": quant,
        "rows": rows,
        "context": llm.DEFAULT_CONTEXT,
        "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
    }


@register.inclusion_tag("catalog/includes/llm_methodology.html")
def llm_methodology():
    """The decode fit, its error on every calibration point, and the fixed assumptions."""
    catalogue = load_llm_catalogue()
    return {
        "fit": catalogue.fit,
        "error": catalogue.error(),
        "quants": catalogue.quants,
        "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
        "default_context": llm.DEFAULT_CONTEXT,
        "max_cards": llm.MAX_CARDS,
    }
