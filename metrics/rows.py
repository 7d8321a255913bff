"""The rows of the all-cards table and the cost-per-spec rankings as they read: each figure
formatted once with catalog.presentation's rules (the functions behind the money, price,
figure and per_unit filters), so a row partial only places values by name."""

from catalog.presentation import MISSING, figure, money, per_unit, price


def _card(gpu) -> dict:
    """What every row shows of its card (a metrics.selectors.CardRef): the card itself for
    {% card_links %}, and its ML software badge and whether it has a card-needs badge."""
    return {
        "gpu": gpu,
        "slug": gpu.slug,
        "label": gpu.label,
        "ml_software": gpu.ml_software,
        "ml_software_note": gpu.ml_software_note,
        "has_needs": gpu.has_needs,
    }


def index_rows(cards: list) -> list[dict]:
    """The all-cards table's rows (metrics.selectors.IndexCard)."""
    return [
        {
            **_card(card.gpu),
            "manufacturer": card.manufacturer,
            "category": card.category_label,
            "price": money(card.headline_price, "whole"),
            "new": money(card.new_headline_price, "whole"),
            "used": money(card.used_headline_price, "whole"),
            "listings": card.all_listing_count or 0,
            "lowest": price(card.all_lowest_price) or MISSING,
            "memory": figure(card.memory_gb),
            "gpu_memory": figure(card.gpu_memory_gb) if card.gpu_memory_gb else "",
            "fp16": figure(card.fp16_tflops),
            "per_fp16": per_unit(card.per_fp16),
            "per_gb": per_unit(card.per_gb),
            "power": f"{figure(card.tdp_w)} W" if card.tdp_w else MISSING,
        }
        for card in cards
    ]


def spec_rank_rows(cards: list) -> list[dict]:
    """A cost-per-spec ranking's rows (metrics.selectors.RankedCard), with the headline price's
    30-day trend as it reads (metrics.history.Trend), or none."""
    rows = []
    for card in cards:
        trend = card.trend
        rows.append(
            {
                **_card(card.gpu),
                "per_unit": per_unit(card.per_unit),
                "price": money(card.headline_price),
                "spec_value": figure(card.spec_value),
                "listings": card.listing_count,
                "trend": trend is not None,
                "trend_direction": trend.direction if trend else "",
                "trend_change": f"{trend.arrow}{trend.abs_percent}%" if trend else "",
                "trend_text": trend.text if trend else "",
            }
        )
    return rows
