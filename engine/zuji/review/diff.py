"""The semantic diff of two versions of a rule file: what really changes, grouped for a committee.

Two versions are compared as models, never as text: moving a statement or editing a comment is no
change at all. Every line, value (`let`) and formula is classed as unchanged, rewritten but
mathematically equivalent (proved with sympy), or changed, and a change shows the old and the new
formula as mathematics with their difference simplified. A change is *substantive* when it can
move a result (formulas, boundary, allocation, factors, inputs, the GWP set or declared unit); a
wording change or an equivalent rewrite is *cosmetic*. Version discipline (review.py) rests on
that distinction.

Each part of a rule file is compared in a module of its own: diff_header (header, boundary,
cut-off), diff_inputs, diff_factors, diff_formulas (with diff_algebra for the proofs) and
diff_allocation (allocation, assertions, changelog).
"""

from __future__ import annotations

from collections.abc import Iterable

from zuji.review.diff_algebra import math_diff, physical, proven_equal
from zuji.review.diff_allocation import allocations, assertions, changelog
from zuji.review.diff_context import Context
from zuji.review.diff_factors import factors
from zuji.review.diff_formulas import formulas
from zuji.review.diff_header import boundary, header
from zuji.review.diff_inputs import inputs
from zuji.review.diff_model import GROUPS, Change, MathDiff, RuleDiff, ValuePoint
from zuji.runtime.pcr import PCR

__all__ = [
    "GROUPS",
    "Change",
    "MathDiff",
    "RuleDiff",
    "ValuePoint",
    "diff",
    "math_diff",
    "physical",
    "proven_equal",
]


def diff(
    old: PCR, new: PCR, old_label: str = "", new_label: str = "", notes: Iterable[str] = ()
) -> RuleDiff:
    """Everything that differs between two loaded versions of a PCR (or module)."""
    ctx = Context(old, new)
    changes = [
        *header(ctx),
        *boundary(ctx),
        *inputs(ctx),
        *factors(ctx),
        *formulas(ctx),
        *allocations(ctx),
        *assertions(ctx),
        *changelog(ctx),
    ]
    if new.rule.kind == "pcr":  # a module has no lines: whatever it changes, its callers move
        changes = _refactors(changes)
    a, b = old.rule, new.rule
    return RuleDiff(
        id=b.id,
        kind=b.kind,
        old_label=old_label or a.path,
        new_label=new_label or b.path,
        old_version=a.version,
        new_version=b.version,
        old_status=a.status,
        new_status=b.status,
        changes=changes,
        notes=list(notes),
    )


def _refactors(changes: list[Change]) -> list[Change]:
    """When every line stays as it was or is proved equivalent and reads nothing that moved,
    no result can move: the values, formulas and factors added, removed or changed on the way
    are a restructuring, not a change in substance."""
    restructuring = {"let", "formula", "factor"}
    for c in changes:
        if c.substantive and c.item not in restructuring:
            return changes
        if c.item == "line" and c.reads:
            return changes
        if c.item == "factor" and c.kind == "changed":
            return changes  # a factor whose value or reference changed moves its readers
    return [
        c.model_copy(
            update={
                "substantive": False,
                "summary": c.summary + " (a restructuring: every line stays equivalent)",
            }
        )
        if c.substantive
        else c
        for c in changes
    ]
