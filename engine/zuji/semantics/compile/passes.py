"""The passes of compiling, in order, each given the expression compiler and the plan under
construction.

Name binding (names.py), unit inference (units.py), formula inlining (inline.py) and code
generation (codegen.py) work per expression, as each pass below compiles its part of the rule:
values in dependency order, the formulas of a module on their own, the lines, the declared unit,
the allocations and the assertions.
"""

from __future__ import annotations

from collections.abc import Callable

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.allocation import plan_allocations, plan_declared_unit
from zuji.semantics.compile.codegen import ExpressionCompiler
from zuji.semantics.compile.item_units import plan_item_units
from zuji.semantics.compile.order import order_values
from zuji.semantics.compile.plan import (
    BUILTIN_RESULTS,
    LINE_FIGURE,
    STAGE_FIGURE,
    AssertionPlan,
    LinePlan,
    Typed,
)
from zuji.semantics.compile.requirements import compile_requirements
from zuji.semantics.compile.units import gas_hint, unit_text

Pass = Callable[[ExpressionCompiler], None]


def check_module_formulas(compiler: ExpressionCompiler) -> None:
    """A module checked alone: each formula compiled with parameters of its declared units."""
    pcr = compiler.compilation.resolved.pcr
    if pcr.kind != "module":
        return
    symbols = compiler.compilation.resolved.symbols
    for formula in pcr.formulas:
        symbol = symbols.get(formula.name)
        if symbol and symbol.decl is formula:
            compiler.inliner.formula_alone(formula)


def compile_lines(compiler: ExpressionCompiler) -> None:
    """Each line: a mass of its gas, converted to kilograms."""
    for line in compiler.compilation.resolved.pcr.lines:
        _line(compiler, line)


def _line(compiler: ExpressionCompiler, line: m.Line) -> None:
    typed = compiler.expr(line.expr, {}, "")
    if not typed.ok:
        return
    if typed.kind != "quantity":
        compiler.error(
            "E320",
            f"line '{line.name}' must give a mass of {line.gas}, not a {typed.kind}",
            line.span,
        )
        return
    if line.gas not in m.GASES:
        return  # reported when the line was built
    unit = typed.measure
    if not u.is_mass_of(unit, line.gas):
        compiler.error(
            "E321",
            f"line '{line.name}' must be a mass of {line.gas}, but its formula "
            f"gives {u.format_unit(unit)} ({u.describe_dimension(unit)})",
            line.span,
            gas_hint(unit, line.gas),
        )
        return
    to_kg = u.conversion(unit, u.mass_of(line.gas))
    probe = compiler.compilation.probe
    fn = typed.fn if probe is None else probe.line(line, typed.fn)
    compiler.compilation.lines.append(LinePlan(line, fn, unit, to_kg, typed.deps))


def compile_assertions(compiler: ExpressionCompiler) -> None:
    """Each assertion: a condition, which may read the results (total, dqr, ...)."""
    for assertion in compiler.compilation.resolved.pcr.assertions:
        _assertion(compiler, assertion)


def _figures(compiler: ExpressionCompiler) -> dict[str, Typed]:
    """The lines and stages an assertion may read by name, in kg CO2e per declared unit, as the
    result reports them. An input, value or factor of the same name keeps its name (it was
    readable before lines were), and a line its name over a stage."""
    pcr = compiler.compilation.resolved.pcr
    symbols = compiler.compilation.resolved.symbols
    kg = u.to_pint(unit_text("kg CO2e"))
    read = compiler.closures.read
    out = {
        stage.name: Typed(read(STAGE_FIGURE + stage.name), "quantity", kg, deps=frozenset())
        for stage in pcr.stages
    }
    out.update(
        {
            line.name: Typed(read(LINE_FIGURE + line.name), "quantity", kg, deps=frozenset())
            for line in pcr.lines
        }
    )
    return {k: v for k, v in out.items() if k not in symbols and k not in BUILTIN_RESULTS}


def _assertion(compiler: ExpressionCompiler, assertion: m.Assertion) -> None:
    figures = _figures(compiler)
    read = compiler.closures.read
    scope = {
        name: Typed(read("$" + name), "quantity", u.to_pint(unit_text(unit)), deps=frozenset())
        for name, unit in BUILTIN_RESULTS.items()
    }
    scope.update(figures)
    typed = compiler.expr(assertion.expr, scope, "")
    if typed.ok and typed.kind != "bool":
        compiler.error(
            "E350",
            f"an assertion must be a condition (a comparison), not a {typed.kind}",
            assertion.span,
            "e.g. assert clinker_ratio <= 1 otherwise ...",
        )
        return
    if typed.ok:
        refs = {node.name for node in exprs.walk(assertion.expr) if isinstance(node, m.Ref)}
        reads_figures = bool(refs & figures.keys())
        uses_results = reads_figures or bool(refs & BUILTIN_RESULTS.keys())
        compiler.compilation.assertions.append(
            AssertionPlan(assertion, typed.fn, typed.deps, uses_results, reads_figures)
        )


# In this order: diagnostics come out in it (check sorts them by position, keeping this order
# among findings at one spot), and the plan's steps, lines and allocations in the rule's order.
PASSES: tuple[Pass, ...] = (
    plan_item_units,  # first: a sum over reads the units of its items
    order_values,
    check_module_formulas,
    compile_lines,
    plan_declared_unit,
    plan_allocations,
    compile_assertions,
    compile_requirements,
)
