"""Module formula inlining: a call compiles the formula's body with its parameters bound to the
arguments, converted to the parameters' declared units. Formulas cannot recurse, so inlining
ends; the built-in calls (min, max, given) are compiled here too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.semantics.compile.plan import POISON, Typed, union
from zuji.semantics.compile.units import factor
from zuji.semantics.resolve import Symbol

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler, Scope

BUILT_IN = ("min", "max", "given")


class Inliner:
    """Calls of formulas (inlined at each call) and of the built-in functions."""

    def __init__(self, compiler: ExpressionCompiler) -> None:
        self.compiler = compiler
        self.names = compiler.names
        self.units = compiler.units
        self.calling: list[str] = []  # the formulas being inlined, outermost first

    def unknown(self, node: m.Call) -> Typed:
        return self.compiler.error(
            "E220",
            f"unknown formula '{node.function}'",
            node.span,
            exprs.suggest(node.function, [*self.names.formulas(), *BUILT_IN])
            or "built in: min, max, given",
        )

    def choice_literal(
        self, arg: m.Expr, index: int, symbol: Symbol | None, scope: Scope
    ) -> Typed | None:
        """An option written as a formula's argument: combustion.gas_co2(volume, natural_gas)."""
        if (
            symbol is None
            or not isinstance(symbol.decl, m.Formula)
            or not isinstance(arg, m.Ref)
            or arg.name in scope
            or self.names.lookup(arg.name, self.compiler.module) is not None
        ):
            return None
        params = symbol.decl.params
        if index >= len(params) or not params[index].choice_type:
            return None
        option = arg.name
        options = self.names.options_of(params[index], symbol.module)
        if option not in options:
            # Not a name of the rule and not an option: most likely a misspelt option. The hint
            # names every option of the parameter's type, the close ones first.
            listed = "options: " + ", ".join(sorted(options))
            close = exprs.suggest(option, list(options))
            return self.compiler.error(
                "E218",
                f"'{option}' is not one of the options of '{params[index].name}' of {symbol.name}",
                arg.span,
                f"{close} {listed}" if close else listed,
            )
        return Typed(self.compiler.closures.option(option), "choice", options=frozenset([option]))

    def given(self, node: m.Call) -> Typed:
        target = node.args[0] if len(node.args) == 1 else None
        item = self.compiler.item
        fields = {f.name for f in item.fields} if item is not None else set()
        if item is not None and isinstance(target, m.Ref) and target.name in fields:
            # Inside `sum over`, a field's name stands for the item's: given(field) tests it.
            test = self.compiler.closures.given_field(target.name)
            return Typed(test, "bool", deps=frozenset([item.name]))
        module = self.compiler.module
        symbol = self.names.lookup(target.name, module) if isinstance(target, m.Ref) else None
        if symbol is None or not isinstance(symbol.decl, m.Input):
            return self.compiler.error("E221", "given(...) takes the name of one input", node.span)
        self.names.use(symbol.name)
        key = symbol.name
        test = self.compiler.closures.given(key, symbol.decl.kind == "list")
        return Typed(test, "bool", deps=frozenset([key]))

    def extremum(self, node: m.Call, args: list[Typed]) -> Typed:
        if not args or any(a.kind != "quantity" for a in args):
            return self.compiler.error(
                "E222", f"{node.function}(...) takes one or more numbers", node.span
            )
        unit = args[0].measure
        for other in args[1:]:
            common = self.units.common_unit(
                Typed(args[0].fn, "quantity", unit), other, node, node.function
            )
            if common is None:  # reported: the arguments measure different things
                return POISON
            unit = common
        scaled = [(a.fn, factor(a, unit)) for a in args]
        extreme = self.compiler.closures.extremum(node.function, scaled)
        return Typed(extreme, "quantity", unit, deps=union(a.deps for a in args))

    def inline(self, node: m.Call, symbol: Symbol, formula: m.Formula, args: list[Typed]) -> Typed:
        if symbol.name in self.calling:
            return self.compiler.error(
                "E312",
                "a formula calls itself: " + " -> ".join([*self.calling, symbol.name]),
                node.span,
                "formulas cannot be recursive",
            )
        if len(args) != len(formula.params):
            return self.compiler.error(
                "E223",
                f"{node.function}(...) takes {len(formula.params)} "
                f"arguments ({', '.join(p.name for p in formula.params)}), "
                f"not {len(args)}",
                node.span,
            )
        bound: dict[str, Typed] = {}
        for param, arg in zip(formula.params, args, strict=True):
            bound[param.name] = self.argument(node, param, arg, symbol.module)
            if not bound[param.name].ok:
                return POISON
        self.calling.append(symbol.name)
        with self.compiler.frame(bound, symbol.module):
            body = self.compiler.visit(formula.expr)
        self.calling.pop()
        if not body.ok:
            return POISON
        result = self.units.convert_to(
            body, formula.unit, f"formula '{formula.name}'", formula.span
        )
        deps = union(a.deps for a in args) | body.deps
        return Typed(result.fn, result.kind, result.unit, deps=deps) if result.ok else POISON

    def argument(self, node: m.Call, param: m.Param, arg: Typed, module: str) -> Typed:
        if param.choice_type:
            allowed = self.names.options_of(param, module)
            if arg.kind != "choice" or not arg.options <= allowed:
                extra = ", ".join(sorted(arg.options - allowed)) if arg.kind == "choice" else ""
                return self.compiler.error(
                    "E224",
                    f"argument '{param.name}' of {node.function} must be "
                    f"one of {', '.join(sorted(allowed))}" + (f"; not {extra}" if extra else ""),
                    node.span,
                )
            # The body may test any option of the parameter's type (`if mode is rail ...`): the
            # argument narrows what the parameter holds here, not the options `is` may name.
            return replace(arg, declared=allowed)
        if arg.kind != "quantity":
            return self.compiler.error(
                "E224",
                f"argument '{param.name}' of {node.function} must be a quantity in {param.unit}",
                node.span,
            )
        return (
            self.units.convert_to(
                arg, param.unit, f"argument '{param.name}' of {node.function}", node.span
            )
            if param.unit
            else arg
        )

    def formula_alone(self, formula: m.Formula) -> None:
        """A module's formula compiled with each parameter standing for any value of its declared
        unit or choice type: a mistake in its body is found where it is written, not first by a
        PCR that calls it."""
        bound: dict[str, Typed] = {}
        read = self.compiler.closures.read
        for param in formula.params:
            if param.choice_type:
                options = self.names.options_of(param, "")
                if not options:
                    return
                bound[param.name] = Typed(read(param.name), "choice", options=options)
            else:
                unit = self.units.unit_of(param.unit, param.span)
                if unit is None:
                    return
                bound[param.name] = Typed(read(param.name), "quantity", unit)
        self.calling.append(formula.name)
        body = self.compiler.expr(formula.expr, bound, "")
        self.calling.pop()
        if body.ok:
            self.units.convert_to(body, formula.unit, f"formula '{formula.name}'", formula.span)
