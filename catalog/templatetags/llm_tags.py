"""The "runs these models" table a card's learn and shop pages show."""

from dataclasses import dataclass

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

from catalog import llm
from catalog.llm_calibration import FULL_FIT_POINTS, OWN_FLOOR_POINTS, Backtest
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
    """Each backend family's fit, the leave-one-out backtest behind its expected error (every
    measured point, estimated without it) and the fixed assumptions."""
    catalogue = load_llm_catalogue()
    report = catalogue.report
    return {
        "calibration": report.calibration,
        "families": list(zip(report.calibration.fits, report.summaries(), strict=True)),
        "overall": report.overall,
        "backtests": report.backtests,
        "scope": _calibration_scope(report.backtests),
        "quants": catalogue.quants,
        "overhead_gib": llm.RUNTIME_OVERHEAD_GIB,
        "default_context": llm.DEFAULT_CONTEXT,
        "max_cards": llm.MAX_CARDS,
        "full_fit_points": FULL_FIT_POINTS,
        "own_floor_points": OWN_FLOOR_POINTS,
    }


@dataclass(frozen=True)
class CalibrationScope:
    """What the measurements cover, so estimates for other cards are read as extrapolated."""

    cards: list[str]
    min_bandwidth_gbs: float | None
    max_bandwidth_gbs: float | None
    moe_points: int


def _calibration_scope(backtests: list[Backtest]) -> CalibrationScope:
    bandwidths = [b.point.card.device_bandwidth_gbs for b in backtests]
    return CalibrationScope(
        cards=sorted({b.point.card.label for b in backtests}),
        min_bandwidth_gbs=min(bandwidths, default=None),
        max_bandwidth_gbs=max(bandwidths, default=None),
        moe_points=sum(1 for b in backtests if b.point.model.is_moe),
    )
