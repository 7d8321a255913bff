"""Compare pages: pair addresses, the rows of a comparison and which card wins each row.

Pure functions over the cards and scores metrics.selectors loads; templates get these dataclasses.
"""

from dataclasses import dataclass, replace

from catalog.models import MlSoftware
from catalog.presentation import figure, money, per_thousand, per_unit, sig
from catalog.presentation import price as asking_price
from catalog.specs import SPECS, system_figure

SEPARATOR = "-vs-"
MAX_PAIR_LENGTH = 2 * 100 + len(SEPARATOR)  # two slugs at Gpu.slug's max_length
# Pairs people search for, listed in the sitemap whenever both cards are in the catalog.
POPULAR_PAIRS = (
    ("nvidia-geforce-rtx-3090", "nvidia-geforce-rtx-4090"),
    ("nvidia-geforce-rtx-3090", "nvidia-tesla-p40"),
    ("nvidia-geforce-rtx-3090", "nvidia-geforce-rtx-3090-ti"),
    ("nvidia-geforce-rtx-4090", "nvidia-geforce-rtx-5090"),
    ("nvidia-geforce-rtx-3090", "nvidia-rtx-a6000"),
    ("nvidia-tesla-p40", "nvidia-tesla-p100"),
    ("nvidia-tesla-v100-32gb", "nvidia-geforce-rtx-3090"),
    ("nvidia-a100-pcie-80gb", "nvidia-h100-pcie"),
    ("nvidia-l40s", "nvidia-a100-pcie-80gb"),
    ("nvidia-h100-sxm5-80gb", "nvidia-h200-sxm"),
    ("amd-radeon-rx-7900-xtx", "nvidia-geforce-rtx-4090"),
    ("amd-instinct-mi300x", "nvidia-h100-sxm5-80gb"),
)
SOFTWARE_RANK = {level: n for n, level in enumerate(reversed(MlSoftware.values), start=1)}


def pair_slug(a: str, b: str) -> str:
    """The canonical address part of a pair: the two slugs in sorted order."""
    first, second = sorted((a, b))
    return f"{first}{SEPARATOR}{second}"


def pair_candidates(pair: str) -> list[tuple[str, str]]:
    """Every way to read "a-vs-b" as two slugs (a slug may itself contain "-vs-")."""
    if len(pair) > MAX_PAIR_LENGTH:
        return []
    candidates = []
    start = 0
    while (at := pair.find(SEPARATOR, start)) != -1:
        first, second = pair[:at], pair[at + len(SEPARATOR) :]
        if first and second:
            candidates.append((first, second))
        start = at + 1
    return candidates


def sitemap_pairs(priced: list[str], known: set[str]) -> list[str]:
    """Popular pairs of known cards, then each priced card with its neighbour in price."""
    pairs = [pair_slug(a, b) for a, b in POPULAR_PAIRS if a in known and b in known]
    pairs += [pair_slug(a, b) for a, b in zip(priced, priced[1:], strict=False)]
    return list(dict.fromkeys(pairs))


@dataclass(frozen=True)
class Cell:
    text: str
    best: bool = False
    source_url: str = ""  # an MLPerf figure links its log
    source_label: str = ""


@dataclass(frozen=True)
class Row:
    heading: str
    cells: list[Cell]
    better: str = ""  # "lower" or "higher": how the best cell was chosen; "" when not compared
    link: str = ""
    note: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def _row(heading, values, show, *, better="", link="", note="") -> Row:
    """One row; with `better` the card(s) with the best value are marked, when it differs."""
    known = [v for v in values if v is not None]
    best = None
    if better and len(known) >= 2 and len(set(known)) > 1:
        best = min(known) if better == "lower" else max(known)
    cells = [Cell(show(v), best is not None and v == best) for v in values]
    return Row(heading, cells, better, link, note)


def whole(value) -> str:
    return money(value, "whole")


def to_the_cent(value) -> str:
    """A listing's asking price as every page quotes a "from" price: $1,000.00."""
    return _dash(asking_price(value))


def _dash(value) -> str:
    return "—" if value in (None, "") else str(value)


def comparison_sections(
    cards, scores, *, spec_links: dict[str, str], llms=(), llm_links: dict[str, str] | None = None
) -> list[Section]:
    """The rows of the compare table: prices, specs, $ per spec, MLPerf, power and software.
    With a whole computer among them, rows for what its GPU may use and what its price buys."""
    systems = any(c.is_system for c in cards)
    price = _price_section(cards, systems)
    specs = Section(
        "Specs (vendor datasheets, dense figures)",
        [
            *[
                _row(s.heading, [getattr(c, s.field) for c in cards], figure, better="higher")
                for s in SPECS
            ],
            *_system_rows(cards, systems),
            _row("Memory type", [c.memory_type for c in cards], _dash),
            _row(
                "Board power (W)" if not systems else "Board power or a computer's maximum (W)",
                [c.tdp_w for c in cards],
                figure,
                better="lower",
                note="Lower draws less power and heat.",
            ),
            _row(
                "ML software support",
                [SOFTWARE_RANK.get(c.ml_software) for c in cards],
                lambda rank: _dash(_software_label(rank)),
                better="higher",
            ),
            _row("Form factor", [c.get_form_factor_display() for c in cards], _dash),
            _row("Cooling", [c.get_cooling_display() for c in cards], _dash),
            _row("Power connectors", [c.power_connectors for c in cards], _dash),
            _row("GPUs on the board", [c.devices for c in cards], str),
            _row(
                "llama.cpp backend",
                [c.get_llama_cpp_backend_display() or "none" for c in cards],
                _dash,
            ),
            _row("Category", [c.get_category_display() for c in cards], _dash),
            _row("Vendor", [c.manufacturer for c in cards], _dash),
        ],
    )
    value = Section(
        "Value: dollars per spec unit (any condition; lower is better)",
        [
            _row(
                s.per_unit,
                [getattr(c, f"per_{s.field}") for c in cards],
                per_unit,
                better="lower",
                link=spec_links.get(s.slug, ""),
                note=_system_value_note(s) if systems else "",
            )
            for s in SPECS
        ],
    )
    sections = [price, specs, value]
    mlperf = _mlperf_rows(cards, scores)
    if mlperf:
        sections.append(
            Section("MLPerf Inference (Offline, Closed division; higher is better)", mlperf)
        )
    llm_rows = _llm_rows(llms, llm_links or {})
    if llm_rows:
        sections.append(
            Section(
                "Local LLMs: decode tokens/s, one request (llama.cpp; higher is better)", llm_rows
            )
        )
    return sections


def _price_section(cards, systems: bool) -> Section:
    return Section(
        "Price (eBay going rate: median of the 5 cheapest fixed-price listings)",
        [
            _row("Any condition", [c.all_headline_price for c in cards], whole, better="lower"),
            _row("New", [c.new_headline_price for c in cards], whole, better="lower"),
            _row(
                "Used or refurbished", [c.used_headline_price for c in cards], whole, better="lower"
            ),
            _row("Listings", [c.all_listing_count or 0 for c in cards], str),
            _row(
                "From (fixed price)",
                [c.all_lowest_price for c in cards],
                to_the_cent,
                better="lower",
            ),
            *_price_buys(cards, systems),
        ],
    )


def _price_buys(cards, systems: bool) -> list[Row]:
    """What each price buys, when a whole computer is compared with cards."""
    if not systems:
        return []
    buys = ["a whole computer" if c.is_system else "the card: it needs a host PC" for c in cards]
    return [_row("The price buys", buys, _dash)]


def _system_rows(cards, systems: bool) -> list[Row]:
    """A whole computer's own figures: the memory its GPU may use, GPU cores, typical power."""
    if not systems:
        return []
    return [
        _row(
            "Memory the GPU may use (GB)",
            [c.llm_memory_gb for c in cards],
            figure,
            better="higher",
            note="A whole computer's GPU may use only part of its unified memory by default; "
            "a card's GPU uses all of its own.",
        ),
        _row("GPU cores", [c.gpu_cores for c in cards], _dash),
        _row("Typical power (W)", [c.typical_power_w for c in cards], figure),
    ]


def _system_value_note(spec) -> str:
    if system_figure(spec) is None:
        return "Not given for a whole computer: its price buys more than a GPU."
    if spec.field == "memory_gb":
        return "A whole computer's is per GB its GPU may use."
    return ""


def _llm_rows(llms, links: dict[str, str]) -> list[Row]:
    """One row per model: tokens/s where it fits on one card, labelled measured or estimate."""
    rows = []
    for compared in llms:
        runs = compared.runs
        row = _row(
            f"{compared.model.name} at {compared.quant.name}",
            [run.decode_tokens_per_s if run.fits else None for run in runs],
            lambda v: sig(v, 3),
            better="higher",
            link=links.get(compared.model.slug, ""),
        )
        cells = []
        for cell, run in zip(row.cells, runs, strict=True):
            if run.basis == "no llama.cpp":
                cells.append(replace(cell, source_label=run.basis_label))
            elif run.fits:
                label = " ".join(filter(None, (run.basis_label, run.error_label)))
                cells.append(
                    replace(
                        cell,
                        source_label=label,
                        source_url=run.measurement.source_url if run.measurement else "",
                    )
                )
            elif run.cards_needed:
                cells.append(replace(cell, source_label=f"needs {run.cards_needed} cards"))
            else:
                cells.append(replace(cell, source_label="does not fit"))
        rows.append(replace(row, cells=cells))
    return rows


def _software_label(rank):
    levels = {n: level for level, n in SOFTWARE_RANK.items()}
    return dict(MlSoftware.choices).get(levels.get(rank), None) if rank else None


def _result_label(score, model) -> str:
    """The round, naming the benchmark that ran when a 99.9% run stands for the 99% target."""
    ran = score.run_benchmark
    return f"{score.round} ({ran} run)" if ran and ran != model.mlperf_id else score.round


def _mlperf_rows(cards, scores) -> list[Row]:
    by_model: dict[int, dict] = {}
    models = {}
    for score in scores:
        models[score.model_id] = score.model
        by_model.setdefault(score.model_id, {})[score.gpu_id] = score
    rows = []
    for model_id, model in sorted(models.items(), key=lambda item: item[1].name):
        found = by_model[model_id]
        got = [found.get(card.pk) for card in cards]
        row = _row(
            f"{model.name}: samples/s",
            [s.samples_per_s if s else None for s in got],
            lambda v: sig(v, 4),
            better="higher",
        )
        cells = [
            replace(cell, source_url=s.source_url, source_label=_result_label(s, model))
            if s
            else cell
            for cell, s in zip(row.cells, got, strict=True)
        ]
        rows.append(replace(row, cells=cells))
        per_dollar = {"samples/s": "samples_per_dollar"}
        if any(s and s.tokens_per_s for s in got):
            per_dollar["tokens/s"] = "tokens_per_dollar"
        for unit, attribute in per_dollar.items():
            rows.append(
                _row(
                    f"{model.name}: {unit} per $1,000",
                    [getattr(s, attribute) if s else None for s in got],
                    per_thousand,
                    better="higher",
                )
            )
    return rows
