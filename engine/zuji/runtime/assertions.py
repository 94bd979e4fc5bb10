"""The rule's assertions and cut-off criteria, checked against one inventory's footprint.

An error assertion that fails, or a cut-off above the PCR's limits, refuses the inventory; a
warning assertion that fails is reported with the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from zuji.core.errors import Diagnostic, EvaluationError
from zuji.core.identity import by_identity
from zuji.lang import model as m
from zuji.runtime.result import Finding
from zuji.runtime.run import Run, call
from zuji.runtime.scope import Scope
from zuji.semantics.compile import AssertionPlan


def check_cutoff(run: Run) -> None:
    """W640 for each flow the inventory cuts off; E641 and E642 past the PCR's limits."""
    cutoff = run.plan.pcr.cutoff
    flows = run.inventory.cutoff
    for flow in flows:
        run.warnings.warn(
            "W640",
            f"cut-off applied: '{flow.flow}' ({flow.share:g} % of the footprint) "
            f"left out: {flow.reason}",
        )
        if cutoff and cutoff.per_flow is not None and flow.share > cutoff.per_flow:
            raise EvaluationError(
                Diagnostic(
                    "E641",
                    f"{run.inventory.file}: cut-off flow '{flow.flow}' is {flow.share:g} % of "
                    f"the footprint, above the PCR's per-flow limit of {cutoff.per_flow:g} %",
                    cutoff.span,
                    hint="include this flow in the inventory",
                )
            )
    total = run.inventory.cutoff_total
    if cutoff and cutoff.total is not None and total > cutoff.total:
        raise EvaluationError(
            Diagnostic(
                "E642",
                f"{run.inventory.file}: cut-off flows add up to {total:g} % of the "
                f"footprint, above the PCR's total limit of {cutoff.total:g} %",
                cutoff.span,
            )
        )


def check_requirements(run: Run) -> None:
    """E613 for an input the inventory leaves out although its `required when` condition holds
    for the inventory's own figures."""
    for rp in run.plan.requirements:
        name = rp.input.name
        if run.env.get(name) is not None:
            continue
        if bool(call(rp.fn, Scope(run.env, run.reads), rp.condition.span, "condition")):
            raise EvaluationError(
                Diagnostic(
                    "E613",
                    f"{run.inventory.file}: input '{name}' is required when "
                    f"{_condition_text(run, rp.condition)}, which holds for this inventory, "
                    "but the inventory leaves it out",
                    rp.condition.span,
                    hint=f"give {name} under inputs",
                )
            )


def _condition_text(run: Run, condition: m.Expr) -> str:
    """The condition as written in the rule (its place in the source)."""
    span = condition.span
    source = run.plan.resolved.sources.get(span.file, "") if span else ""
    if not span or not source or span.line != span.end_line:
        return "its condition"
    return source.split("\n")[span.line - 1][span.column - 1 : span.end_column - 1]


def early_assertions(run: Run) -> None:
    """Error assertions that need no result run before the lines: an inventory the rule refuses
    is refused in the rule's own words, not by what a line makes of it (a negative line, E625)."""
    for index, ap in enumerate(run.plan.assertions):
        if ap.assertion.level == "error" and not ap.uses_results:
            run.early[index] = _assertion(run, ap, run.env)


def _assertion(run: Run, ap: AssertionPlan, env: dict[str, Any]) -> bool:
    a = ap.assertion
    passed = bool(call(ap.fn, Scope(env, run.reads), a.span, "assertion"))
    if not passed and a.level == "error":
        raise EvaluationError(
            Diagnostic("E650", f"{run.inventory.file}: assertion failed: {a.message}", a.span)
        )
    return passed


@by_identity()  # an assertion's two outcomes read the same in every result: made once a rule
def _outcomes(assertions: tuple[AssertionPlan, ...]) -> tuple[dict[bool, Finding], ...]:
    return tuple(_outcome(ap.assertion) for ap in assertions)


def _outcome(a: m.Assertion) -> dict[bool, Finding]:
    return {
        passed: Finding(
            code="A" + ("E" if a.level == "error" else "W"),
            level="passed" if passed else a.level,
            message=a.message,
            where=str(a.span) if a.span else None,
        )
        for passed in (True, False)
    }


def assertions(
    run: Run,
    total: float,
    quality: tuple[float | None, float],
    cutoff_total: float,
    figures: Mapping[str, float] | None = None,
) -> list[Finding]:
    """Every assertion's outcome, those run early included; W650 for each that failed.
    `quality` is the data-quality rating and the primary-data share; `figures` holds each
    line's and stage's kg CO2e per declared unit, keyed as the plan reads them (LINE_FIGURE +
    name, STAGE_FIGURE + name). A warning assertion that cannot be evaluated (it reads an
    optional input left out, it divides by zero) stops the evaluation, as an error one does."""
    dqr, primary_share = quality
    # Written among the evaluation's names, which nothing else reads by these keys (a figure's
    # key cannot be a name of the rule): no copy of them all per evaluation.
    env = run.env
    env.update(figures or {})
    env.update(
        {
            "$total": total,
            "$dqr": dqr if dqr is not None else math.nan,
            "$primary_share": primary_share,
            "$cutoff_total": cutoff_total,
        }
    )
    findings = []
    planned = run.plan.assertions
    for index, (ap, outcome) in enumerate(zip(planned, _outcomes(planned), strict=True)):
        a = ap.assertion
        passed = run.early[index] if index in run.early else _assertion(run, ap, env)
        findings.append(outcome[passed])
        if not passed:
            run.warnings.warn("W650", f"assertion: {a.message}", a.span)
    return findings
