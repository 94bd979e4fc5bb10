"""The data quality of a footprint: its PEF data-quality rating and its share of primary data.

Both rest on what each emission line read for this inventory (through the values it read), each
line weighing as much as its part of the footprint: a line that is not part of this footprint
(an untaken branch, an optional input only tested by given(...)) does not count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, NamedTuple

from zuji.core.identity import by_identity
from zuji.data.standards import FactorEntry, FactorValue
from zuji.runtime.inventory import Origin
from zuji.runtime.result import DQ_KEYS, DataQuality, made
from zuji.runtime.run import LineResult, Run

# PEF data-quality classes (PEFCR Guidance 6.3; see standards/README.md on their confirmation).
DQR_CLASSES = ((1.5, "excellent"), (2.0, "very good"), (3.0, "good"), (4.0, "fair"), (5.0, "poor"))


@dataclass(frozen=True)
class LineQuality:
    """What one emission line's data quality rests on for one inventory: the sum and number of
    the ratings of the inputs and factor values it read that have all four scores, the sum of
    each indicator over them, and whether the inventory inputs it read are all primary data.

    It depends only on what the line read and where those values came from, not on the line's
    figure: an evaluation taking the same branches with inputs of the same origins has the same
    (runtime.generated keeps it per such evaluation)."""

    rating_sum: float
    scored: int
    indicator_sums: tuple[int, ...]  # in the order of DQ_KEYS
    primary: bool


class QualityFigures(NamedTuple):
    """The figures of a footprint's data quality, which assertions may read (dqr, primary
    share), before they are put in their model with the inputs' origins (quality_model)."""

    dqr: float | None
    rating: str | None
    primary_data_share: float
    indicators: dict[str, float]


def data_quality(
    run: Run, emissions: list[LineResult], lines: Sequence[LineQuality] | None = None
) -> DataQuality:
    """The data quality of a footprint from its emission lines; `lines` gives what each rests
    on when it is known already (lines_quality of the same run)."""
    return quality_model(run, quality_figures(run, emissions, lines))


def quality_model(run: Run, figures: QualityFigures) -> DataQuality:
    return made(
        DataQuality,
        dqr=figures.dqr,
        rating=figures.rating,
        primary_data_share=figures.primary_data_share,
        inputs=_inputs(run.inventory.origins),
        indicators=figures.indicators,
    )


def quality_figures(
    run: Run,
    emissions: list[LineResult],
    lines: Sequence[LineQuality] | None = None,
) -> QualityFigures:
    """The data-quality rating, its class, the primary-data share and the indicators: each
    scored line's rating and indicators weighted by its magnitude per declared unit, and the
    magnitudes of the lines resting on primary data alone."""
    if lines is None:
        lines = lines_quality(run, emissions)
    magnitudes = [abs(f.per_du) for f in emissions]
    dqr, share = rating_and_share(magnitudes, lines)
    rating = next((name for limit, name in DQR_CLASSES if dqr is not None and dqr <= limit), None)
    return QualityFigures(dqr, rating, share, _indicators(magnitudes, lines))


def rating_and_share(
    magnitudes: Sequence[float], lines: Sequence[LineQuality]
) -> tuple[float | None, float]:
    """The data-quality rating and the primary-data share of emission lines of these
    magnitudes per declared unit: what assertions read (quality_figures has the rest)."""
    weighted: list[float] = []
    weights: list[float] = []
    primary: list[float] = []
    for magnitude, line in zip(magnitudes, lines, strict=True):
        scored = line.scored
        if scored:
            weighted.append(magnitude * line.rating_sum / scored)
            weights.append(magnitude)
        if line.primary:
            primary.append(magnitude)
    total_weight = math.fsum(weights)
    dqr = math.fsum(weighted) / total_weight if weights and total_weight else None
    magnitude = math.fsum(magnitudes)
    return dqr, (100 * math.fsum(primary) / magnitude if magnitude else 0.0)


def _indicators(magnitudes: Sequence[float], lines: Sequence[LineQuality]) -> dict[str, float]:
    weights: list[float] = []
    by_indicator: tuple[list[float], ...] = tuple([] for _ in DQ_KEYS)
    for magnitude, line in zip(magnitudes, lines, strict=True):
        scored = line.scored
        if scored:
            weights.append(magnitude)
            for values, total in zip(by_indicator, line.indicator_sums, strict=True):
                values.append(magnitude * total / scored)
    total_weight = math.fsum(weights)
    if not (weights and total_weight):
        return {}
    return {k: math.fsum(v) / total_weight for k, v in zip(DQ_KEYS, by_indicator, strict=True)}


def lines_quality(run: Run, emissions: list[LineResult]) -> list[LineQuality]:
    """What each emission line's data quality rests on, from what it read in this run."""
    leaves: dict[str, frozenset[str]] = {}  # what each value rests on, worked out once per run
    factor_scores = _factor_scores(run.factor_values)
    return [line_quality(run, f.reads, leaves, factor_scores) for f in emissions]


def line_quality(
    run: Run,
    reads: AbstractSet[str],
    leaves: dict[str, frozenset[str]],
    factor_scores: Mapping[str, dict[str, int]],
) -> LineQuality:
    origins = run.inventory.origins
    deps = dependencies(run, reads, leaves)
    scored = _scored(run, deps, factor_scores)
    scores = [sum(dq[k] for k in DQ_KEYS) / 4 for dq in scored]
    inventory_inputs = [d for d in deps if d in origins]
    primary = bool(inventory_inputs) and all(
        origins[d].kind == "inventory" and origins[d].source == "primary" for d in inventory_inputs
    )
    return LineQuality(
        sum(scores),
        len(scores),
        tuple(sum(dq[key] for dq in scored) for key in DQ_KEYS),
        primary,
    )


def _scored(
    run: Run, deps: set[str], factor_scores: Mapping[str, dict[str, int]]
) -> list[dict[str, int]]:
    """The scores of the inputs and factor values a line rests on that have all four."""
    origins = run.inventory.origins
    scored = [origins[d].dq for d in deps if d in origins and origins[d].dqr is not None]
    scored += [factor_scores[d] for d in deps if d in factor_scores]
    return scored


def _inputs(origins: dict[str, Origin]) -> dict[str, dict[str, Any]]:
    """Where each input came from, as the data-quality section reports it."""
    inputs: dict[str, dict[str, Any]] = {
        name: {"origin": o.kind, "source": o.source, "dqr": o.dqr, "written": o.written}
        for name, o in origins.items()
    }
    for name, o in origins.items():
        if o.supplier:
            inputs[name]["supplier"] = dict(o.supplier)
    return inputs


def _entry_dqr(entry: FactorEntry) -> float | None:
    if all(k in entry.dq for k in DQ_KEYS):
        return sum(entry.dq[k] for k in DQ_KEYS) / 4
    return None


@by_identity()  # per set of factor values in force (one per plan and period), made once
def _factor_scores(
    factor_values: Mapping[str, tuple[FactorEntry, FactorValue]],
) -> dict[str, dict[str, int]]:
    """The scores of each factor value in force that has all four."""
    return {
        name: entry.dq
        for name, (entry, _) in factor_values.items()
        if _entry_dqr(entry) is not None
    }


def dependencies(run: Run, reads: AbstractSet[str], leaves: dict[str, frozenset[str]]) -> set[str]:
    """Inputs and factor values a line read for this inventory, through the values it read.

    An input left out (an optional input, or an optional list without items) can only have been
    tested by given(...): reading its value would have stopped the evaluation. It is not data
    the line rests on.
    """
    step_reads, origins = run.step_reads, run.inventory.origins
    found: set[str] = set()
    for name in reads:
        if name in step_reads:
            found |= _leaves(step_reads, name, leaves)
        else:
            found.add(name)
    return {n for n in found if not _left_out(run, n, origins.get(n))}


def _leaves(
    step_reads: Mapping[str, AbstractSet[str]], name: str, leaves: dict[str, frozenset[str]]
) -> frozenset[str]:
    """The names that are not values (inputs, factors) a value rests on, through the values it
    reads: values are computed in dependency order, so this recursion ends."""
    known = leaves.get(name)
    if known is not None:
        return known
    leaves[name] = frozenset()  # a value seen again while its reads are walked adds nothing
    found: set[str] = set()
    for read in step_reads[name]:
        if read in step_reads:
            found |= _leaves(step_reads, read, leaves)
        else:
            found.add(read)
    leaves[name] = frozenset(found)
    return leaves[name]


def _left_out(run: Run, name: str, origin: Origin | None) -> bool:
    if origin is None or origin.kind not in ("not-given", "default"):
        return False
    if origin.kind == "not-given":
        return True
    inp = run.plan.pcr.input(name)  # a list left out has no default: it is an optional list
    return inp is not None and inp.kind == "list"
