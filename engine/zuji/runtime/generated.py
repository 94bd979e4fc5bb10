"""One inventory evaluated by its PCR's generated function (semantics.compile.scalar): the path of
`PCR.evaluate`, giving the result the closures give (runtime.evaluate), field for field.

The generated function computes every value and line on plain floats; the rest of an evaluation
(the inventory's checks, assertions, allocation, the result) is the closures' own code, run on the
same state. What the generated function cannot vouch for is left to the closures, which evaluate
the inventory from the start and stop or warn in their own words: a construct they would stop on
or defer (the function raises), a value or line that is not a finite number, a negative emission.

The names an evaluation reads (what its data-quality figures and factor warnings rest on) follow
from the decisions it took, which the generated function records as its path: they are worked
out once per path, by the closures, and kept per reference period; the data quality of each line
is kept per path and per kind of origin of the inputs (Origin.quality_key).

A plan's first evaluation runs on its closures, and only a second one generates its function
(about as long as compiling the plan again): a command evaluating one inventory does not pay for
it.
"""

from __future__ import annotations

import math
import operator
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zuji.core.errors import ZujiError
from zuji.core.identity import by_identity
from zuji.runtime import aggregate
from zuji.runtime.evaluate import Evaluated, assemble, evaluate, prepared
from zuji.runtime.inventory import Inventory
from zuji.runtime.quality import LineQuality, lines_quality
from zuji.runtime.result import Result
from zuji.runtime.run import LineResult, Run, call, reference_flow, run_step, total_of
from zuji.runtime.scope import Deferred, Scope
from zuji.semantics.compile import LinePlan, Plan
from zuji.semantics.compile.scalar import (
    DEFERRED,
    Evaluate,
    NotGiven,
    ScalarPlan,
    member_table,
    scalar_plan,
)

_PATHS_MOST = 512  # paths remembered per plan and period; more are forgotten all at once
_QUALITY_MOST = 64  # kinds of origins remembered per path


@dataclass(frozen=True)
class _Reads:
    """What the values and lines of an evaluation read, for one path through the function."""

    steps: Mapping[str, frozenset[str]]
    deferred: Mapping[str, Deferred]  # the values not computed, as the closures keep them
    lines: tuple[frozenset[str], ...]
    every_line: frozenset[str]  # and every name the early assertions read
    quality: dict[tuple[Any, ...], list[LineQuality]] = field(default_factory=dict)


@dataclass
class _Period:
    """The generated function bound to the factor values in force in one reference period, and
    the reads of each path it took."""

    evaluate: Evaluate
    paths: dict[tuple[object, ...], _Reads] = field(default_factory=dict)


_EVALUATED_ONCE: weakref.WeakSet[Plan] = weakref.WeakSet()


def evaluate_fast(plan: Plan, inventory: Inventory, trace: bool = False) -> Result:
    """The footprint of one inventory: by the generated function from a plan's second
    evaluation on, else (and wherever it cannot vouch for a figure) by the closures."""
    if plan not in _EVALUATED_ONCE:
        _EVALUATED_ONCE.add(plan)
        return evaluate(plan, inventory, trace)
    splan = scalar_plan(plan)
    result = by_generated(splan, inventory, trace) if splan is not None else None
    return result if result is not None else evaluate(plan, inventory, trace)


def by_generated(splan: ScalarPlan, inventory: Inventory, trace: bool = False) -> Result | None:
    """The result of an inventory by the generated function; None where the closures must
    evaluate it (module docstring). What raises here raises the same in the closures."""
    run = prepared(splan.plan, inventory)
    period = _period(splan, run)
    path: list[object] = []
    try:
        steps, lines, passed = period.evaluate(splan.pick_inputs(inventory.values), path.append)
    except Exception:  # whatever stopped it, the closures say why in their words
        return None
    if not _finite(steps):
        return None
    key = tuple(path)
    reads = period.paths.get(key)
    if reads is None:
        reads = _learnt(run, splan, steps)
        if reads is None:
            return None
        if len(period.paths) >= _PATHS_MOST:
            period.paths.clear()
        period.paths[key] = reads
    else:
        run.env.update(zip(splan.steps, steps, strict=True))
        run.env.update(reads.deferred)
    run.step_reads = dict(reads.steps)
    run.early = dict.fromkeys(splan.early, True)  # the function checked them: each passed
    run.early.update(zip(splan.warned, passed, strict=True))  # and ran these
    done = _finished(run, lines, reads)
    if done is None:
        return None
    return assemble(done, trace, _quality(run, done, reads), lazily=True)


def _finite(steps: tuple[Any, ...]) -> bool:
    """Whether every value computed is a finite number (a deferred one aside)."""
    try:
        return all(map(math.isfinite, steps))
    except NotGiven:  # a deferred value, which math.isfinite cannot read: rare
        return all(math.isfinite(v) for v in steps if v is not DEFERRED)


def _period(splan: ScalarPlan, run: Run) -> _Period:
    """The function bound to the factor values in force for the run's period, made once."""
    periods = _periods(run.factor_values)
    period = periods.get(id(splan))
    if period is None:
        env = run.env
        factors = tuple(env[name] for name in splan.factors)
        tables = tuple(member_table(env[name], k) for name, k in splan.tables)
        period = periods[id(splan)] = _Period(splan.bind(factors, tables))
    return period


@by_identity(most=256)  # per set of factor values in force: one per plan and period
def _periods(factor_values: Mapping[str, Any]) -> dict[int, _Period]:
    return {}


def _learnt(run: Run, splan: ScalarPlan, values: tuple[Any, ...]) -> _Reads | None:
    """What each value and line reads on this path: the closures run once, and must compute what
    the generated function did (the same decisions, so the same reads), deferring the same
    values for the same reasons."""
    plan, env = run.plan, run.env
    for step in plan.steps:
        run_step(run, step)
    deferred: dict[str, Deferred] = {}
    for name, value in zip(splan.steps, values, strict=True):
        found = env[name]
        if isinstance(found, Deferred) != (value is DEFERRED) or (
            isinstance(found, Deferred) and found.error is not None
        ):
            return None
        if isinstance(found, Deferred):
            deferred[name] = found
    lines: list[frozenset[str]] = []
    early: set[str] = set()
    try:
        for index in (*splan.early, *splan.warned):
            ap = plan.assertions[index]
            call(ap.fn, Scope(env, early), ap.assertion.span, "assertion")
        for lp in plan.lines:
            reads: set[str] = set()
            call(lp.fn, Scope(env, reads), lp.line.span, lp.line.name)
            lines.append(frozenset(reads))
    except ZujiError:
        return None
    steps = {name: frozenset(reads) for name, reads in run.step_reads.items()}
    return _Reads(steps, deferred, tuple(lines), frozenset(early).union(*lines))


def _finished(run: Run, values: tuple[Any, ...], reads: _Reads) -> Evaluated | None:
    """The rest of the evaluation as the closures run it (the early assertions were checked by
    the function): the reference flow, allocation, then each line's figures; None for a line the
    closures would refuse (not a finite number, a negative emission)."""
    flow = reference_flow(run)
    shares, allocation = aggregate.allocate(run)
    figures: list[LineResult] = []
    # Each line's kg CO2e per declared unit, by kind (emission, removal, credit, other), and the
    # emission lines, for the totals (aggregate.totals, worked out on the way).
    kinds: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
    emissions: list[LineResult] = []
    per_du_all = 0.0
    for (lp, stage, kind, to_kg, factor), raw, line_reads in zip(
        _lines(run.plan), values, reads.lines, strict=True
    ):
        value = float(raw)
        if value < 0 and kind != _CREDIT:
            return None
        share = shares.get(stage, 1.0) if shares else 1.0
        mass = value * to_kg
        co2e = mass * factor
        per_du = co2e * share / flow
        per_du_all += per_du
        figure = _LINE(
            LineResult,
            (lp, value, mass, factor, co2e, share, per_du, mass * share / flow, line_reads),
        )
        figures.append(figure)
        kinds[kind].append(per_du)
        if kind == _EMISSION:
            emissions.append(figure)
    # A value, mass or CO2e that is not a finite number leaves its per_du none either (they
    # are multiplied by finite numbers and divided by a positive one), and so their sum: one
    # test for them all; a sum that overflows only sends the inventory to the closures too.
    if not math.isfinite(per_du_all):
        return None
    run.reads |= reads.every_line
    totals = aggregate.Totals(
        emissions,
        total_of(kinds[_EMISSION], "the total"),
        total_of(kinds[_REMOVAL], "the removals"),
        total_of(kinds[_CREDIT], "the credits"),
    )
    return Evaluated(run, figures, allocation, flow, totals)


_LINE = tuple.__new__  # a LineResult made from its fields at once, as its _make() makes it


_EMISSION, _REMOVAL, _CREDIT, _OTHER = range(4)
_KINDS = {"emission": _EMISSION, "removal": _REMOVAL, "credit": _CREDIT}


@by_identity()
def _lines(plan: Plan) -> tuple[tuple[LinePlan, str, int, float, float], ...]:
    """Each line's plan, stage, kind (_EMISSION ...), conversion to kg and GWP: the same for
    every evaluation of the plan."""
    gwp = plan.resolved.standards.gwp_sets[plan.pcr.gwp]
    return tuple(
        (
            lp,
            lp.line.stage,
            _KINDS.get(lp.line.kind, _OTHER),
            lp.to_kg,
            gwp.factor(lp.line.gas, lp.line.origin),
        )
        for lp in plan.lines
    )


def _quality(run: Run, done: Evaluated, reads: _Reads) -> list[LineQuality]:
    """What each emission line's data quality rests on, kept per kind of origins."""
    key = tuple(map(_QUALITY_KEY, run.inventory.origins.values()))
    known = reads.quality.get(key)
    if known is None:
        emissions = [f for f in done.figures if f.plan.line.kind == "emission"]
        known = lines_quality(run, emissions)
        if len(reads.quality) >= _QUALITY_MOST:
            reads.quality.clear()
        reads.quality[key] = known
    return known


_QUALITY_KEY = operator.attrgetter("quality_key")

__all__ = ["by_generated", "evaluate_fast"]
