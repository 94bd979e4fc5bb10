"""Dependency order: values (`let`) are compiled, and so evaluated, after the values they read.

A value is compiled when first read (or in the order of declaration, if nothing read it before),
after the values it reads; the plan's steps are in that order. A value reached again while it is
being compiled is a circular definition, reported with the names on the cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zuji.lang import model as m
from zuji.semantics.compile.plan import Step, Typed

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler


class ValueOrder:
    """Compiles each value once, its dependencies first, and finds circular definitions."""

    def __init__(self, compiler: ExpressionCompiler) -> None:
        self.compiler = compiler
        self.compilation = compiler.compilation
        self.visiting: list[str] = []  # the values being compiled, outermost first

    def value(self, name: str, module: str) -> Typed:
        """The compiled value of a let (by its full name), compiled now if it was not yet."""
        values = self.compilation.values
        if name in values:
            return values[name]
        decl = self.compilation.resolved.symbols[name].decl
        assert isinstance(decl, m.Let), name  # resolve tables every let as a let
        if name in self.visiting:
            cycle = [*self.visiting[self.visiting.index(name) :], name]
            return self.compiler.error(
                "E310",
                "circular definition: " + " -> ".join(cycle),
                decl.span,
                "a value cannot depend on itself",
            )
        self.visiting.append(name)
        with self.compiler.frame({}, module):
            typed = self.compiler.visit(decl.expr)
        self.visiting.pop()
        if typed.ok and typed.kind != "quantity":
            typed = self.compiler.error(
                "E311", f"value '{decl.name}' must be a quantity, not a {typed.kind}", decl.span
            )
        if typed.ok and decl.unit is not None:
            typed = self.compiler.units.convert_to(
                typed, decl.unit, f"value '{decl.name}'", decl.span
            )
        values[name] = typed
        if typed.ok:
            self.compilation.steps.append(Step(name, typed.fn, typed.measure, typed.deps, decl))
        return typed


def order_values(compiler: ExpressionCompiler) -> None:
    """The pass: every value of the modules, then of the PCR, in dependency order."""
    symbols = compiler.compilation.resolved.symbols
    resolved = compiler.compilation.resolved
    for alias, module in resolved.modules.items():
        for let in module.lets:
            symbol = symbols.get(f"{alias}.{let.name}", None)
            if symbol is not None and symbol.decl is let:
                compiler.order.value(f"{alias}.{let.name}", alias)
    for let in resolved.pcr.lets:
        symbol = symbols.get(let.name)
        if symbol and symbol.decl is let:
            compiler.order.value(let.name, "")  # a duplicate name was reported by resolve
