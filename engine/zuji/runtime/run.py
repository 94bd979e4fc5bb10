"""Running a compiled plan on one inventory: the state of the run, its values and its lines.

Evaluation runs on plain floats: units were settled at compile time. A number that cannot be a
footprint (NaN, infinity, a negative emission, a division by zero) stops evaluation with the rule
line and the inputs involved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from zuji.core.errors import (
    Diagnostic,
    DiagnosticSink,
    DivisionByZero,
    EvaluationError,
    MissingMember,
    NotGiven,
    Span,
)
from zuji.data.standards import FactorEntry, FactorValue, GwpSet
from zuji.lang import units as u
from zuji.runtime.inventory import Inventory
from zuji.runtime.scope import Deferred, Scope
from zuji.semantics.compile import LinePlan, Plan, Step

# A compiled closure, called with the Scope it reads its names through. (The compiler types its
# argument as a Mapping, which a Scope only resembles: it reads, and notes each name it is asked.)
Closure = Callable[[Any], Any]

# The family members of each factor family the plan reads, and the date their values are taken on.
Families = Mapping[str, tuple[Mapping[str, FactorEntry], date | None]]


@dataclass
class Run:
    """One evaluation of a plan on an inventory, as it goes."""

    plan: Plan
    inventory: Inventory
    env: dict[str, Any] = field(default_factory=dict)
    # The factor values in force for the period, shared read-only by the runs of that period.
    factor_values: Mapping[str, tuple[FactorEntry, FactorValue]] = field(default_factory=dict)
    family_entries: Mapping[str, tuple[Mapping[str, FactorEntry], date | None]] = field(
        default_factory=dict
    )
    warnings: DiagnosticSink = field(default_factory=DiagnosticSink)
    # What each value read (its own reads, not those of the values it reads), and every name any
    # part of the evaluation read: the data quality and the factor warnings rest on them.
    step_reads: dict[str, AbstractSet[str]] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)
    # Warnings about a factor value, given only if the evaluation reads the value.
    factor_notes: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)
    early: dict[int, bool] = field(default_factory=dict)  # assertions run before the lines


class LineResult(NamedTuple):
    """One line worked out for the inventory: every figure the result and the trace report.
    (A named tuple: an evaluation makes one per line, and a tuple is the cheapest to make.)"""

    plan: LinePlan
    value: float  # in the formula's unit, for the whole period
    mass_kg: float
    gwp: float
    co2e_kg: float  # whole period, before allocation
    share: float
    per_du: float  # kg CO2e per declared unit, after allocation
    mass_per_du: float
    reads: frozenset[str] = frozenset()  # what the line read for this inventory


def _families(env: Scope) -> Families:
    families: Families = env.get("$families", {})
    return families


def run_step(run: Run, step: Step) -> None:
    """Compute one value. One that cannot be computed for this inventory (it reads an optional
    input left out, or fails) is kept as Deferred: only what reads it fails, so a use guarded by
    given(...), or an error assertion that refuses the inventory in its own words, comes first."""
    reads: set[str] = set()
    run.step_reads[step.name] = reads
    try:
        value = finite(
            call(step.fn, Scope(run.env, reads), step.decl.span, step.name, keep_not_given=True),
            step.decl.span,
            f"value '{step.name}'",
        )
    except NotGiven as exc:
        run.env[step.name] = Deferred.not_given(exc, step.name)
    except EvaluationError as exc:
        run.env[step.name] = Deferred(error=exc)
    else:
        run.env[step.name] = value


def _not_given(exc: NotGiven, what: str) -> Diagnostic:
    """E620: what was being computed, the input (or an item's field) left out, and the guard."""
    name, item = exc.name, exc.item
    through = f" through value '{exc.via[0]}'" if exc.via else ""
    if item:
        return Diagnostic(
            "E620",
            f"{what} needs '{item}.{name}'{through}, which the inventory leaves out",
            exc.span,
            hint=f"give '{name}' in {item}, or guard its use inside the sum with: "
            f"if given({name}) then ...",
        )
    return Diagnostic(
        "E620",
        f"{what} needs input '{name}'{through}, which the inventory leaves out",
        exc.span,
        hint=f"give '{name}', or guard its use with: if given({name}) then ...",
    )


def call(
    fn: Closure, env: Scope, span: Span | None, what: str, keep_not_given: bool = False
) -> Any:
    """Run a closure, turning what it raises into an error naming `what` was being computed."""
    try:
        return fn(env)
    except NotGiven as exc:
        if keep_not_given:
            raise
        raise EvaluationError(_not_given(exc, what)) from None
    except DivisionByZero as exc:
        raise EvaluationError(
            Diagnostic(
                "E621",
                f"{what} divides by zero: '{exc.divisor}' is 0 in this inventory",
                exc.span or span,
                hint="check the inventory value of that input",
            )
        ) from None
    except MissingMember as exc:
        raise _missing_member(exc, env, span, what) from None
    except OverflowError:
        raise EvaluationError(Diagnostic("E622", f"{what} overflows", span)) from None


def _missing_member(
    exc: MissingMember, env: Scope, span: Span | None, what: str
) -> EvaluationError:
    members, when = _families(env).get(exc.family, ({}, None))
    entry = members.get(exc.member)
    first = (
        min((v.valid_from for v in entry.values if v.valid_from), default=None) if entry else None
    )
    return EvaluationError(
        Diagnostic(
            "E610",
            f"{what}: factor {entry.reference if entry else exc.family} has no value in "
            f"force on {when} for the reference period of {env.get('$inventory', 'the inventory')}"
            f" (its first value applies from {first})",
            span,
            hint="give a reference period the dataset covers, or pin the factor with 'at'",
            where="reference_period",
        )
    )


def total_of(values: list[float], what: str) -> float:
    """An exactly rounded sum (math.fsum: no error grows with the number of lines)."""
    try:
        return finite(math.fsum(values), None, what)
    except OverflowError:
        raise EvaluationError(
            Diagnostic(
                "E622",
                f"{what} overflows: its lines add up past the largest number a footprint can hold",
            )
        ) from None


def finite(value: float, span: Span | None, what: str) -> float:
    if not math.isfinite(value):
        raise EvaluationError(Diagnostic("E623", f"{what} is {value}, not a finite number", span))
    return float(value)


def reference_flow(run: Run) -> float:
    """How many declared units the inventory's period produced."""
    declared = run.plan.pcr.declared_unit
    if declared is None:
        return 1.0
    amount = run.env.get(declared.product)
    # A negative amount would give a footprint of the right size and the wrong sign: refused
    # like a zero one, whatever bounds the rule gave the input.
    if not amount or amount < 0:
        raise EvaluationError(
            Diagnostic(
                "E624",
                f"{run.inventory.file}: the reference product '{declared.product}' is "
                f"{amount}; the footprint per {declared.amount:g} {declared.unit} "
                "cannot be computed",
                declared.span,
                hint=f"give the amount of {declared.product} produced in the period",
            )
        )
    return float(amount) * run.plan.declared_unit_factor


def run_line(run: Run, lp: LinePlan, share: float, reference_flow: float) -> LineResult:
    line = lp.line
    what = f"line '{line.name}'"
    reads: set[str] = set()
    value = finite(call(lp.fn, Scope(run.env, reads), line.span, what), line.span, what)
    run.reads |= reads
    # A credit may be negative: a balance such as worldsteel's (RR - S) x value of scrap is a
    # burden for a net scrap consumer, reported apart with the same sign as the benefit.
    if value < 0 and line.kind != "credit":
        kind = "a credit" if line.kind == "emission" else f"this {line.kind}"
        advice = (
            f"write a saving as {kind}"
            if line.kind == "emission"
            else f"{kind} is written as a positive amount"
        )
        raise EvaluationError(
            Diagnostic(
                "E625",
                f"{what} is negative ({value:g} {u.format_unit(lp.unit)}); {advice}",
                line.span,
                hint="check the inventory values it uses",
            )
        )
    gwp = gwp_set(run).factor(line.gas, line.origin)
    # Each step can leave the floats even when the formula's value did not (× GWP, ÷ a tiny
    # reference flow): every figure kept is finite, or the line is named.
    mass = finite(value * lp.to_kg, line.span, f"{what} in kg")
    co2e = finite(mass * gwp, line.span, f"{what} in kg CO2e")
    per_du = finite(co2e * share / reference_flow, line.span, f"{what} per declared unit")
    return LineResult(
        lp, value, mass, gwp, co2e, share, per_du, mass * share / reference_flow, frozenset(reads)
    )


def gwp_set(run: Run) -> GwpSet:
    """The GWP values the PCR names."""
    standards = run.plan.resolved.standards
    return standards.gwp_sets[run.plan.pcr.gwp]
