"""The "runs these models" table a card's learn and shop pages show."""

from dataclasses import dataclass

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

from catalog import llm
from catalog.llm_catalogue import card_spec, load_llm_catalogue
from shopagent.cache import at_generation

register = template.Library()


@register.simple_tag
def runs_these_models(gpu) -> SafeString:
    """Which catalogued LLMs the card holds at Q4_K_M and the default context, and how fast:
    rendered once per page generation for the card's learn and shop pages."""

    def render() -> str:
        quant, rows = llm.models_on_card(load_llm_catalogue(), card_spec(gpu))
        context = {
            "gpu": gpu,
            "quant": quant,
            "rows": rows,
            "context": llm.DEFAULT_CONTEXT,
            "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
        }
        return get_template("catalog/includes/llm_runs_models.html").render(context)

    return at_generation("llm-runs-models", gpu.pk, compute=render)


@register.inclusion_tag("catalog/includes/llm_methodology.html")
def llm_methodology():
    """The decode fit of each memory family, its error on every calibration point, and the fixed
    assumptions."""
    catalogue = load_llm_catalogue()
    error = catalogue.error()
    return {
        "calibration": catalogue.calibration,
        "families": [(fit, error.of_family(fit.family)) for fit in catalogue.calibration.fits],
        "error": error,
        "scope": _calibration_scope(error),
        "quants": catalogue.quants,
        "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
        "default_context": llm.DEFAULT_CONTEXT,
        "max_cards": llm.MAX_CARDS,
        "min_family_points": llm.MIN_FAMILY_POINTS,
    }


@dataclass(frozen=True)
class CalibrationScope:
    """What the calibration points cover, so the error figures are read as in-sample."""

    cards: list[str]
    min_bandwidth_gbs: float | None
    max_bandwidth_gbs: float | None
    moe_points: int
    moe_min_error_pct: float | None
    moe_max_error_pct: float | None


def _calibration_scope(error: llm.FitError) -> CalibrationScope:
    bandwidths = [c.measured.card.bandwidth_gbs for c in error.checks]
    moe = [
        c.error_pct
        for c in error.checks
        if c.measured.model.active_params_b < c.measured.model.total_params_b
    ]
    return CalibrationScope(
        cards=sorted({c.measured.card.label for c in error.checks}),
        min_bandwidth_gbs=min(bandwidths, default=None),
        max_bandwidth_gbs=max(bandwidths, default=None),
        moe_points=len(moe),
        moe_min_error_pct=min(moe, default=None),
        moe_max_error_pct=max(moe, default=None),
    )
