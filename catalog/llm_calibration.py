"""The decode and prompt-speed model's calibration: one fit per backend family, and its backtest.

A calibration family is a llama.cpp backend on a kind of card (CUDA on HBM cards, Vulkan on
Radeons, SYCL on Arc...), listed in fixtures/llm_calibration.json with the family it borrows from
when its own measurements are too few. Each family's fit is least squares of seconds per token on
bytes read / bandwidth (slope 1 / efficiency) and on the model's layers (slope: the kernel-launch
and synchronisation overhead per layer per token), shrunk towards the family it borrows from: no
point of its own takes that fit whole, one or two points fit only the efficiency (keeping the
borrowed overhead), three or more fit both. A mixture-of-experts model also pays a per-token
routing cost, k x expert layers / the card's shader rate (per GPU core on a Mac, whose rate Apple
does not publish), with k fitted on a family's own MoE measurements where it has
OWN_FLOOR_POINTS of them, else on the others' at once (one k per kind of cost). llama.cpp's
kernels reach different shares of bandwidth per weight
format (F16 and Q8_0 nearer to it than the 4-bit formats, whose unpacking costs time), so each
quantisation's bytes/bandwidth term carries a factor, relative to the most measured quantisation,
from the families that measured both. A backend's kernels get faster over time: an era marks a
change after which its earlier measurements no longer show today's speed. Those earlier-build
measurements still calibrate, their seconds per token divided by the backend's earlier-build
factor (the median ratio of such measurements to the fit from current ones), and none of them
stands in for a card's figure. The backtest leaves each measurement out in turn, refits, and
estimates it: each family's expected error is the median |error| there.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, replace
from functools import cached_property

# Used only when no measurement calibrates a family or anything it borrows from: typical of
# llama.cpp on recent cards.
TYPICAL_EFFICIENCY, TYPICAL_LAYER_OVERHEAD_US = 0.75, 50.0
TYPICAL_PREFILL_EFFICIENCY, TYPICAL_SHADER_PREFILL_EFFICIENCY = 0.5, 0.5
# Points a family needs before its overhead is its own rather than the borrowed one.
FULL_FIT_POINTS = 3
# Mixture-of-experts measurements a family needs before its MoE floor is its own rather than the
# one fitted on the families that have fewer.
OWN_FLOOR_POINTS = 2
# The bounds keep a quantisation factor fitted on very few points physical.
QUANT_FACTOR_RANGE = (0.5, 1.5)
# Likewise an earlier-build factor: kernels have not got more than twice as fast, nor slower.
EARLIER_FACTOR_RANGE = (1.0, 2.0)


@dataclass(frozen=True)
class Era:
    """A change to one backend's kernels (dated) after which measurements from before it no
    longer show the speed today's builds reach."""

    backend: str
    since: str  # ISO date of the change
    reason: str = ""
    source_url: str = ""


def earlier_build(backend: str, published_on: str, eras: tuple[Era, ...]) -> bool:
    """Whether a measurement on this backend predates one of its eras (ISO dates sort as text)."""
    return any(era.backend == backend and published_on < era.since for era in eras)


@dataclass(frozen=True)
class Family:
    """A llama.cpp backend on a kind of card; the first family a card matches is its own."""

    key: str
    label: str
    backend: str
    memory: str = ""  # "hbm", "gddr", "lpddr" or "" for any
    manufacturers: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    borrows_from: str = ""
    # Whole computers with unified memory: they take the quantisation factors the cards'
    # families fit and add nothing to them, so a machine's measurement never moves a card's
    # estimate.
    unified: bool = False

    def matches(self, *, backend: str, memory: str, manufacturer: str, architecture: str) -> bool:
        return (
            backend == self.backend
            and (not self.memory or memory == self.memory)
            and (not self.manufacturers or manufacturer in self.manufacturers)
            and (not self.architectures or architecture in self.architectures)
        )


@dataclass(frozen=True)
class FamilyFit:
    """One family's decode fit and prompt efficiencies, and where they come from."""

    family: Family
    efficiency: float
    layer_overhead_us: float  # per layer per token: kernel launches and synchronisation
    prefill_efficiency: float  # of the FP16 tensor rate, cards with tensor or matrix units
    shader_prefill_efficiency: float  # of the FP32 shader rate, cards without them
    points: int  # the family's own dense-model measurements
    core_prefill_gflops: float | None = None  # per GPU core, where no FLOPS figure is published
    borrowed_from: str = ""  # the family whose fit stands in, or part of it
    overhead_borrowed: bool = False
    typical: bool = False  # nothing measured anywhere in its chain: typical figures
    expected_error_pct: float | None = None
    expected_error_is_own: bool = False  # from its own backtest points, not the overall median
    moe_floor: float | None = None  # its own k, where it has OWN_FLOOR_POINTS MoE measurements

    @property
    def key(self) -> str:
        return self.family.key


@dataclass(frozen=True)
class Calibration:
    """Every family's fit and the MoE compute floor's coefficient."""

    fits: tuple[FamilyFit, ...]
    moe_floor: float  # k: extra seconds per token = k x 2 x active params / shader rate
    moe_points: int
    # The same k for floors counted per GPU core (no published rate), on their own measurements.
    core_moe_floor: float = 0.0
    # The shader-rate k of unified-memory machines' families without their own, fitted on those
    # machines' measurements (None: there are none, the cards' k stands).
    unified_moe_floor: float | None = None
    overall_error_pct: float | None = None
    # (quantisation, factor on its bytes/bandwidth time); the reference quantisation is 1.
    quant_factors: tuple[tuple[str, float], ...] = ()
    # (backend, factor on seconds per token of its earlier-build measurements); 1 where none.
    earlier_factors: tuple[tuple[str, float], ...] = ()

    def fit(self, key: str) -> FamilyFit | None:
        return self._fits_by_key.get(key)

    @cached_property
    def _fits_by_key(self) -> dict[str, FamilyFit]:
        # Every card's run looks its family up: by key, not by a walk of the fits.
        return {f.key: f for f in reversed(self.fits)}

    def quant_factor(self, quant: str) -> float:
        return self._quant_factors.get(quant, 1.0)

    @cached_property
    def _quant_factors(self) -> dict[str, float]:
        return dict(self.quant_factors)

    def floor_for(self, key: str, *, per_core: bool = False) -> float:
        """The MoE floor's k on a family: its own where it has enough MoE measurements, else
        the shared one of its kind (per GPU core; per shader TFLOPS on unified-memory machines,
        or on cards)."""
        fit = self.fit(key)
        if fit is not None and fit.moe_floor is not None:
            return fit.moe_floor
        if per_core:
            return self.core_moe_floor
        if fit is not None and fit.family.unified and self.unified_moe_floor is not None:
            return self.unified_moe_floor
        return self.moe_floor

    def earlier_factor(self, backend: str) -> float:
        return dict(self.earlier_factors).get(backend, 1.0)

    @property
    def points(self) -> int:
        return sum(f.points for f in self.fits)


@dataclass(frozen=True)
class Backtest:
    """One measurement against the estimate made without it."""

    point: object  # catalog.llm.Measured
    family_key: str
    estimate: float
    error_pct: float  # signed: above zero the estimate is faster than the measurement
    earlier: bool = False  # an earlier build: estimated with its backend's earlier-build factor


@dataclass(frozen=True)
class BacktestSummary:
    family_key: str
    label: str
    points: int
    median_abs_pct: float | None
    max_abs_pct: float | None


@dataclass(frozen=True)
class CalibrationReport:
    """The calibration on every measurement, with its leave-one-out backtest."""

    calibration: Calibration
    backtests: list[Backtest] = field(default_factory=list)

    def summaries(self) -> list[BacktestSummary]:
        rows = []
        for fit in self.calibration.fits:
            errors = [abs(b.error_pct) for b in self.backtests if b.family_key == fit.key]
            rows.append(
                BacktestSummary(
                    fit.key,
                    fit.family.label,
                    len(errors),
                    statistics.median(errors) if errors else None,
                    max(errors) if errors else None,
                )
            )
        return rows

    @property
    def overall(self) -> BacktestSummary:
        errors = [abs(b.error_pct) for b in self.backtests]
        return BacktestSummary(
            "",
            "All measurements",
            len(errors),
            statistics.median(errors) if errors else None,
            max(errors) if errors else None,
        )


def in_fit_order(families: tuple[Family, ...]) -> list[Family]:
    """Families with each one after the family it borrows from (which must exist, no cycles)."""
    by_key = {f.key: f for f in families}
    ordered: list[Family] = []
    placed: set[str] = set()

    def visit(family: Family, seen: tuple[str, ...]) -> None:
        if family.key in placed:
            return
        if family.key in seen:
            raise ValueError(f"calibration families borrow in a circle: {seen}")
        if family.borrows_from:
            if family.borrows_from not in by_key:
                raise ValueError(f"{family.key} borrows from unknown {family.borrows_from}")
            visit(by_key[family.borrows_from], (*seen, family.key))
        ordered.append(family)
        placed.add(family.key)

    for family in families:
        visit(family, ())
    return ordered


@dataclass(frozen=True)
class Sample:
    """A measurement as the fit sees it: x = ideal seconds at full bandwidth, y = seconds/token,
    floor = the MoE compute floor's seconds per unit of k (0 for a dense model)."""

    family_key: str
    x: float
    layers: int
    y: float
    floor: float
    prefill_ratio: float | None  # measured prompt speed over the card's tensor ceiling
    shader_prefill_ratio: float | None  # over the shader ceiling, cards without tensor units
    quant: str = ""
    backend: str = ""
    earlier: bool = False  # ran a build from before its backend's latest era
    core_prefill_gflops: float | None = None  # measured prompt FLOPs per GPU core, no FLOPS figure
    core_floor: bool = False  # its floor counts GPU cores, not a shader rate (Apple)


def fit_families(families: tuple[Family, ...], samples: list[Sample]) -> Calibration:
    """The calibration on the current-build samples alone gives each backend's earlier-build
    factor; the calibration on every sample, earlier ones divided by that factor, is the fit."""
    earlier = [s for s in samples if s.earlier]
    if not earlier:
        return _fit_all(families, samples)
    # The factor needs only the families the earlier samples fall in and those they borrow from.
    needed = _with_lenders({s.family_key for s in earlier}, families)
    current = _fit_all(families, [s for s in samples if not s.earlier], only=needed)
    factors = _earlier_factors(current, earlier)
    eased = [_moved(s, y=s.y / factors.get(s.backend, 1.0)) if s.earlier else s for s in samples]
    fitted = _fit_all(families, eased)
    return replace(fitted, earlier_factors=tuple(sorted(factors.items())))


def _with_lenders(keys: set[str], families: tuple[Family, ...]) -> set[str]:
    """These families and every family they borrow from, directly or not."""
    lender = {f.key: f.borrows_from for f in families}
    found = set()
    for key in keys:
        while key and key not in found:
            found.add(key)
            key = lender.get(key, "")
    return found


def _earlier_factors(calibration: Calibration, earlier: list[Sample]) -> dict[str, float]:
    """Per backend, the median ratio of its earlier-build samples' seconds per token to what the
    current-build fit predicts, over families with current measurements of their own."""
    ratios: dict[str, list[float]] = {}
    for sample in earlier:
        fit = calibration.fit(sample.family_key)
        if fit is None or not fit.points:
            continue
        scaled = _moved(sample, x=sample.x * calibration.quant_factor(sample.quant))
        floor = calibration.floor_for(sample.family_key, per_core=sample.core_floor)
        predicted = _dense_seconds(fit, scaled) + floor * sample.floor
        ratios.setdefault(sample.backend, []).append(sample.y / predicted)
    low, high = EARLIER_FACTOR_RANGE
    return {b: min(high, max(low, statistics.median(r))) for b, r in sorted(ratios.items())}


def _fit_all(
    families: tuple[Family, ...], samples: list[Sample], only: set[str] | None = None
) -> Calibration:
    """The quantisation factors (from the cards' families), each family's fit from its dense
    samples with them (shrunk towards the family it borrows from), then the MoE floor from the
    MoE samples' residuals: a family with OWN_FLOOR_POINTS of them fits its own, the others of
    its kind share one fitted on theirs; `only` limits the fits to those families (which must
    include what they borrow from)."""
    dense = [s for s in samples if not s.floor]
    unified = {f.key for f in families if f.unified}
    factors = _quant_factors([s for s in dense if s.family_key not in unified])
    own: dict[str, list[Sample]] = {}
    for sample in dense:
        own.setdefault(sample.family_key, []).append(_scaled(sample, factors))
    every: dict[str, list[Sample]] = {}
    for sample in samples:
        every.setdefault(sample.family_key, []).append(sample)
    fits: dict[str, FamilyFit] = {}
    for family in in_fit_order(families):
        if only is None or family.key in only:
            fits[family.key] = _fit_family(
                family,
                own.get(family.key, []),
                fits.get(family.borrows_from),
                every.get(family.key, []),
            )
    calibration = Calibration(
        tuple(fits[f.key] for f in families if f.key in fits),
        0.0,
        0,
        quant_factors=tuple(sorted(factors.items())),
    )
    moe = [_scaled(s, factors) for s in samples if s.floor and s.family_key in fits]
    by_family: dict[str, list[Sample]] = {}
    for sample in moe:
        by_family.setdefault(sample.family_key, []).append(sample)
    own = {
        key: _floor(fits, found)
        for key, found in by_family.items()
        if len(found) >= OWN_FLOOR_POINTS
    }
    calibration = replace(
        calibration,
        fits=tuple(replace(fit, moe_floor=own.get(fit.key)) for fit in calibration.fits),
    )
    # A shared k per kind of floor: the cards' shader rate, the unified-memory machines' shader
    # rate (their routing costs far less than an old card's) and GPU cores (Apple).
    unified = {fit.key for fit in fits.values() if fit.family.unified}
    kinds: dict[str, list[Sample]] = {}
    for sample in moe:
        kind = "core" if sample.core_floor else "unified" if sample.family_key in unified else ""
        kinds.setdefault(kind, []).append(sample)
    shared = {kind: _floor(fits, found) for kind, found in kinds.items()}
    return replace(
        calibration,
        moe_floor=shared.get("", 0.0),
        core_moe_floor=shared.get("core", 0.0),
        unified_moe_floor=shared.get("unified"),
        moe_points=len(moe),
    )


def _floor(fits: dict[str, FamilyFit], moe: list[Sample]) -> float:
    """k, by least squares through the origin of the MoE samples' residuals (seconds beyond the
    dense model) on their floor seconds; never below 0."""
    residuals = [(s.floor, s.y - _dense_seconds(fits[s.family_key], s)) for s in moe]
    sxx = sum(f * f for f, _ in residuals)
    return max(0.0, sum(f * r for f, r in residuals) / sxx) if sxx else 0.0


def _scaled(sample: Sample, factors: dict[str, float]) -> Sample:
    factor = factors.get(sample.quant)
    # The reference quantisation, most of the samples, has no factor: the sample as it is.
    return sample if factor is None else _moved(sample, x=sample.x * factor)


def _moved(sample: Sample, *, x: float | None = None, y: float | None = None) -> Sample:
    """The sample with another x or y. Built field by field, not with dataclasses.replace: a
    backtest scales thousands of samples."""
    return Sample(
        family_key=sample.family_key,
        x=sample.x if x is None else x,
        layers=sample.layers,
        y=sample.y if y is None else y,
        floor=sample.floor,
        prefill_ratio=sample.prefill_ratio,
        shader_prefill_ratio=sample.shader_prefill_ratio,
        quant=sample.quant,
        backend=sample.backend,
        earlier=sample.earlier,
        core_prefill_gflops=sample.core_prefill_gflops,
        core_floor=sample.core_floor,
    )


def _quant_factors(dense: list[Sample]) -> dict[str, float]:
    """Each quantisation's factor on x relative to the most measured one: within every family
    that measured both, least squares of y on x per quantisation and layers (one slope each, one
    overhead) gives the ratio of the two slopes; the factor is their mean weighted by points."""
    counts: dict[str, int] = {}
    for sample in dense:
        counts[sample.quant] = counts.get(sample.quant, 0) + 1
    if not counts:
        return {}
    reference = max(sorted(counts), key=counts.get)
    ratios: dict[str, list[tuple[float, int]]] = {}
    for key in sorted({s.family_key for s in dense}):
        own = [s for s in dense if s.family_key == key]
        quants = sorted({s.quant for s in own})
        if reference not in quants or len(quants) < 2 or len(own) < len(quants) + 2:
            continue
        slopes = _slopes(own, quants)
        if slopes is None or slopes[reference] <= 0:
            continue
        for quant in quants:
            if quant != reference and slopes[quant] > 0:
                weight = sum(1 for s in own if s.quant == quant)
                ratios.setdefault(quant, []).append((slopes[quant] / slopes[reference], weight))
    low, high = QUANT_FACTOR_RANGE
    return {
        quant: min(high, max(low, sum(r * w for r, w in pairs) / sum(w for _, w in pairs)))
        for quant, pairs in ratios.items()
    }


def _slopes(samples: list[Sample], quants: list[str]) -> dict[str, float] | None:
    """Least squares of y on x (one slope per quantisation) and layers; None if singular."""
    rows = [[s.x if s.quant == q else 0.0 for q in quants] + [float(s.layers)] for s in samples]
    size = len(quants) + 1
    normal = [[sum(r[i] * r[j] for r in rows) for j in range(size)] for i in range(size)]
    rhs = [sum(r[i] * s.y for r, s in zip(rows, samples, strict=True)) for i in range(size)]
    solution = _solve(normal, rhs)
    return None if solution is None else dict(zip(quants, solution, strict=False))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None for a singular system."""
    size = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    scale = max(abs(v) for row in matrix for v in row) or 1.0
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) <= 1e-12 * scale:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            ratio = rows[r][col] / rows[col][col]
            rows[r] = [a - ratio * b for a, b in zip(rows[r], rows[col], strict=True)]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution


def _dense_seconds(fit: FamilyFit, sample: Sample) -> float:
    return sample.x / fit.efficiency + sample.layers * fit.layer_overhead_us / 1e6


def _fit_family(
    family: Family, own: list[Sample], parent: FamilyFit | None, every: list[Sample]
) -> FamilyFit:
    """From the family's scaled dense samples (`own`) and all its samples (`every`, MoE too, for
    the prompt efficiencies)."""
    prefill = _median([s.prefill_ratio for s in every])
    shader = _median([s.shader_prefill_ratio for s in every])
    if parent is not None:
        prefill = prefill or parent.prefill_efficiency
        shader = shader or parent.shader_prefill_efficiency
    prefill = prefill or TYPICAL_PREFILL_EFFICIENCY
    shader = shader or TYPICAL_SHADER_PREFILL_EFFICIENCY
    cores = _median([s.core_prefill_gflops for s in every])
    base = dict(
        prefill_efficiency=prefill,
        shader_prefill_efficiency=shader,
        points=len(own),
        core_prefill_gflops=cores or (parent.core_prefill_gflops if parent else None),
    )
    full = _least_squares(own) if len(own) >= FULL_FIT_POINTS else None
    if full is not None:
        return FamilyFit(family, *full, **base)
    if parent is None:
        full = _least_squares(own)
        if full is not None:
            return FamilyFit(family, *full, **base)
        overhead = TYPICAL_LAYER_OVERHEAD_US
        if not own:
            return FamilyFit(family, TYPICAL_EFFICIENCY, overhead, **base, typical=True)
        return FamilyFit(family, _efficiency(own, overhead), overhead, **base)
    if not own:
        return FamilyFit(
            family,
            parent.efficiency,
            parent.layer_overhead_us,
            **base,
            borrowed_from=parent.key,
            overhead_borrowed=True,
            typical=parent.typical,
        )
    return FamilyFit(
        family,
        _efficiency(own, parent.layer_overhead_us),
        parent.layer_overhead_us,
        **base,
        borrowed_from=parent.key,
        overhead_borrowed=True,
    )


def _least_squares(samples: list[Sample]) -> tuple[float, float] | None:
    """(efficiency, overhead us per layer) from y = x / efficiency + layers x overhead; None
    without a physical fit (too few distinct points or an efficiency above 1). Where the free fit
    wants a negative overhead, the best fit with none (the constrained optimum) stands."""
    sxx = sum(s.x * s.x for s in samples)
    sll = sum(s.layers * s.layers for s in samples)
    sxl = sum(s.x * s.layers for s in samples)
    sxy = sum(s.x * s.y for s in samples)
    sly = sum(s.layers * s.y for s in samples)
    determinant = sxx * sll - sxl * sxl
    if len(samples) < 2 or determinant <= 1e-12 * sxx * sll:
        return None
    slope = (sxy * sll - sly * sxl) / determinant
    per_layer = (sly * sxx - sxy * sxl) / determinant
    if per_layer < 0:
        slope, per_layer = sxy / sxx, 0.0
    if slope < 1:
        return None
    return 1 / slope, per_layer * 1e6


def _efficiency(samples: list[Sample], layer_overhead_us: float) -> float:
    """The efficiency that best fits the samples with the overhead held: least squares of
    (y - overhead) on x through the origin, capped at 1."""
    pairs = [(s.x, s.y - s.layers * layer_overhead_us / 1e6) for s in samples]
    slope = sum(x * y for x, y in pairs) / sum(x * x for x, _ in pairs)
    return min(1.0, 1 / slope) if slope > 0 else 1.0


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v]
    return statistics.median(known) if known else None


def with_expected_errors(calibration: Calibration, backtests: list[Backtest]) -> Calibration:
    """Each family's expected error: the median |error| of its own backtest points; where it has
    none, that of the nearest family it borrows from that has some (its estimate is that family's
    fit), else the median over every point. Either way it says the figure is not its own."""
    every = [abs(b.error_pct) for b in backtests]
    overall = statistics.median(every) if every else None
    own: dict[str, float] = {}
    for fit in calibration.fits:
        errors = [abs(b.error_pct) for b in backtests if b.family_key == fit.key]
        if errors:
            own[fit.key] = statistics.median(errors)
    parents = {fit.key: fit.family.borrows_from for fit in calibration.fits}
    fits = []
    for fit in calibration.fits:
        if fit.key in own:
            fits.append(replace(fit, expected_error_pct=own[fit.key], expected_error_is_own=True))
            continue
        key = parents.get(fit.key, "")
        while key and key not in own:
            key = parents.get(key, "")
        fits.append(replace(fit, expected_error_pct=own.get(key, overall)))
    return replace(calibration, fits=tuple(fits), overall_error_pct=overall)


def signed_error_pct(estimate: float, measured: float) -> float:
    return 100 * (estimate - measured) / measured


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
