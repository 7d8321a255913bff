"""The rows of the all-cards table, the cost-per-spec rankings and a card's "runs these models"
table as they read: each figure formatted once with catalog.presentation's rules (the functions
behind the money, price, figure, per_unit and sig filters; Django's floatformat where the table
used it), so a row partial only places values by name.

The figures (digits, separators, "$", a dash, a trend's arrow and our own words) have nothing to
escape, so they are SafeString, as Django's floatformat marks its numbers: a table of 150 cards
spares some 1,500 escapes. Text from the catalogue (names, makers, notes) is left to the
template's escaping."""

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from catalog.presentation import MISSING, figure, money, per_unit, price, sig, whole


def _card(gpu) -> dict:
    """What every row shows of its card (a metrics.selectors.CardRef): the card itself for
    {% card_links %}, its ML software badge, and whether it has card-needs badges and what
    they are made of."""
    return {
        "gpu": gpu,
        "slug": gpu.slug,
        "label": gpu.label,
        "ml_software": gpu.ml_software,
        "ml_software_note": gpu.ml_software_note,
        "has_needs": gpu.has_needs,
        "form_factor": gpu.form_factor,
        "cooling": gpu.cooling,
        "devices": gpu.devices,
    }


def index_rows(cards: list) -> list[dict]:
    """The all-cards table's rows (metrics.selectors.IndexCard)."""
    return [
        {
            **_card(card["gpu"]),
            # Escaped once for the three places the row's compare box names it.
            "slug": conditional_escape(card["gpu"].slug),
            "maker": f"{card['manufacturer']} · {card['category_label']}",
            "price": SafeString(money(card["headline_price"], "whole")),
            "new": SafeString(money(card["new_headline_price"], "whole")),
            "used": SafeString(money(card["used_headline_price"], "whole")),
            "listings": SafeString(card["all_listing_count"] or 0),
            "lowest": SafeString(price(card["all_lowest_price"]) or MISSING),
            "memory": SafeString(figure(card["memory_gb"])),
            "gpu_memory": SafeString(figure(card["gpu_memory_gb"]))
            if card["gpu_memory_gb"]
            else "",
            "fp16": SafeString(figure(card["fp16_tflops"])),
            "per_fp16": SafeString(per_unit(card["per_fp16"])),
            "per_gb": SafeString(per_unit(card["per_gb"])),
            "power": SafeString(f"{figure(card['tdp_w'])} W" if card["tdp_w"] else MISSING),
        }
        for card in cards
    ]


def spec_rank_rows(cards: list) -> list[dict]:
    """A cost-per-spec ranking's rows (metrics.selectors.RankedCard), with the headline price's
    30-day trend as it reads (metrics.history.Trend), or none."""
    rows = []
    for rank, card in enumerate(cards, start=1):
        trend = card["trend"]
        rows.append(
            {
                **_card(card["gpu"]),
                "rank": SafeString(rank),
                "per_unit": SafeString(per_unit(card["per_unit"])),
                "price": SafeString(money(card["headline_price"])),
                "spec_value": SafeString(figure(card["spec_value"])),
                "listings": SafeString(card["listing_count"]),
                "trend": trend is not None,
                "trend_direction": trend.direction if trend else "",
                "trend_change": SafeString(f"{trend.arrow}{trend.abs_percent}%" if trend else ""),
                "trend_text": SafeString(trend.text if trend else ""),
            }
        )
    return rows


def model_rows(runs) -> list[dict]:
    """A card's "runs these models" rows (metrics.ownership.ModelEnergy: a model, its run on the
    card and the run's energy), with the run itself for the fit and basis partials."""
    rows = []
    for row in runs.rows:
        run, energy, decode = row.run, row.energy, row.run.decode_tokens_per_s
        rows.append(
            {
                **run_cells(run, energy),
                "url": reverse("metrics:llm-model", args=[row.model.slug]),
                "name": row.model.name,
                "memory": floatformat(run.memory_needed_gib, 1),
                "system": run.card.system,
                "fits": run.fits,
                # Counts as text: an int in a template is localised where it is placed.
                "cards_needed": None if run.cards_needed is None else str(run.cards_needed),
                # whole() reads as floatformat:0 does, at a sixth of its cost.
                "decode": None if decode is None else SafeString(whole(decode)),
                "no_llama_cpp": run.basis == "no llama.cpp" and bool(run.cards_needed),
            }
        )
    return rows


def run_cells(run, energy) -> dict:
    """What every LLM table shows alike of a card's run (catalog.llm.CardRun) and its energy
    (metrics.ownership.LlmEnergy, or None): the run itself for the basis partial, its expected
    error as the error bar shows it, the energy figures, the basis and a split's GPUs."""
    error = run.expected_error_pct
    return {
        "run": run,
        "error": None if error is None else SafeString(whole(error)),
        "tokens_per_joule": SafeString(sig(energy.tokens_per_joule if energy else None, 3)),
        "usd_per_million_tokens": SafeString(
            per_unit(energy.usd_per_million_tokens if energy else None)
        ),
        "measured": run.basis == "measured",
        "basis": SafeString(run.basis_label),
        "devices_used": str(run.devices_used) if run.device_split else None,
    }
