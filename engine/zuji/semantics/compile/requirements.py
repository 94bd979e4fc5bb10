"""`required when`: the condition under which an input that may be left out must be given.

The condition is compiled like an assertion that needs no result, but it may read only inputs and
factors: it is judged on the inventory as read, before any value or line, so that an inventory
leaving out what its own figures require is refused by name (E613) rather than by a line that
reads the missing input (E620).
"""

from __future__ import annotations

from zuji.semantics.compile.codegen import ExpressionCompiler
from zuji.semantics.compile.plan import RequirementPlan

# What a condition judged on the inventory as read may rest on.
_READABLE = ("input", "factor", "family")


def compile_requirements(compiler: ExpressionCompiler) -> None:
    compilation = compiler.compilation
    symbols = compilation.resolved.symbols
    for inp in compilation.resolved.pcr.inputs:
        condition = inp.required_when
        if condition is None:
            continue
        where = condition.span or inp.span
        if inp.default is not None:
            compilation.error(
                "E269",
                f"input '{inp.name}' has a default and is required when a condition holds: "
                "left out, the default would always stand in, so the requirement means nothing",
                where,
                "drop the default, or drop `required when ...`",
            )
            continue
        typed = compiler.expr(condition, {}, "")
        if not typed.ok:
            continue
        if typed.kind != "bool":
            compilation.error(
                "E351",
                f"`required when` of '{inp.name}' must be a condition, not a {typed.kind}",
                where,
                "e.g. required when limestone > 0 [t]",
            )
            continue
        others = sorted(d for d in typed.deps if d in symbols and symbols[d].kind not in _READABLE)
        if others:
            compilation.error(
                "E351",
                f"`required when` of '{inp.name}' reads {', '.join(others)}: the condition is "
                "judged on the inventory as read, so it may read only inputs and factors",
                where,
                "write the condition on the inputs the value is made from",
            )
            continue
        compilation.requirements.append(RequirementPlan(inp, condition, typed.fn))
