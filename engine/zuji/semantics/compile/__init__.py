"""Stage 5: compile a resolved PCR into a plan of closures on plain floats.

Each expression's unit is inferred once, here; a dimension mismatch is a diagnostic at the spot.
Conversion factors are folded into the closures, so evaluation multiplies floats and never meets a
unit. Formulas of modules are inlined at their call (they cannot recurse), values (`let`) are
ordered by their dependencies, and a circular definition is reported with the names on the cycle.

The work is done by the passes of passes.py, in order, on one plan under construction (state.py):
name binding (names.py), unit inference (units.py), dependency order (order.py), formula inlining
(inline.py), the allocation plan (allocation.py) and code generation (codegen.py, values.py).
"""

from __future__ import annotations

from zuji.core import limits
from zuji.core.errors import Span
from zuji.semantics.compile.closures import Closures
from zuji.semantics.compile.codegen import ExpressionCompiler
from zuji.semantics.compile.passes import PASSES, Pass
from zuji.semantics.compile.plan import (
    BUILTIN_RESULTS,
    LINE_FIGURE,
    POISON,
    STAGE_FIGURE,
    AllocationPlan,
    AssertionPlan,
    Env,
    Fn,
    LinePlan,
    Plan,
    ProductPlan,
    Step,
    Typed,
)
from zuji.semantics.compile.state import Compilation, Probe, TooComplex
from zuji.semantics.resolve import Resolved


def compile_plan(
    resolved: Resolved,
    probe: Probe | None = None,
    passes: tuple[Pass, ...] = PASSES,
    closures: Closures | None = None,
) -> Plan:
    """Compile a resolved PCR. The plan's diagnostics say whether it may be evaluated.

    `probe` (zuji.review.coverage.Probe) records which branches and lines evaluation reaches;
    `closures` is what the code is generated on: plain floats by default (closures.py), numpy
    arrays for many inventories at once (vector.py)."""
    compilation = Compilation(resolved, probe, closures=closures or Closures())
    compiler = ExpressionCompiler(compilation)
    span: Span | None
    try:
        for run in passes:
            run(compiler)
        return compilation.plan()
    except TooComplex as exc:
        most = limits.current().operations
        span, message = exc.span, f"the rule's formulas expand past the operations limit ({most:,})"
    except RecursionError:
        span, message = None, "the rule's formulas nest too deeply to compile"
    compilation.findings.error(
        "E085",
        message,
        span,
        "formulas are inlined at every call; call fewer "
        "formulas within formulas, or raise the limit (ZUJI_LIMITS=operations=...)",
    )
    return compilation.plan()


__all__ = [
    "BUILTIN_RESULTS",
    "LINE_FIGURE",
    "PASSES",
    "POISON",
    "STAGE_FIGURE",
    "AllocationPlan",
    "AssertionPlan",
    "Closures",
    "Compilation",
    "Env",
    "ExpressionCompiler",
    "Fn",
    "LinePlan",
    "Pass",
    "Plan",
    "Probe",
    "ProductPlan",
    "Step",
    "Typed",
    "compile_plan",
]
