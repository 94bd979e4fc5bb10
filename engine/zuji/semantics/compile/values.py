"""Reading a name: an input, a value (let), a factor, a factor written in place, a family member.

What a name stands for comes from name binding (names.py); a value is compiled first, in
dependency order (order.py), and read by its name; a factor reads the value in force that
evaluation binds under its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pint

from zuji.core.errors import Span
from zuji.data.standards import FactorEntry
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.plan import POISON, Fn, Typed
from zuji.semantics.resolve import Symbol

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler

# What a name that is not a value cannot be used as, said in the error.
_NOT_A_VALUE = {
    "family": "a factor family; pick a member with [choice]",
    "formula": "a formula; call it with (arguments)",
    "choice": "a list of options; declare an input of this choice",
}


class NameReader:
    """The closures that read names from evaluation's scope."""

    def __init__(self, compiler: ExpressionCompiler) -> None:
        self.compiler = compiler
        self.names = compiler.names
        self.units = compiler.units

    def symbol_value(self, symbol: Symbol, span: Span | None) -> Typed:
        key, decl = symbol.name, symbol.decl
        deps = frozenset([key])
        if isinstance(decl, m.Input):
            return self.input_value(key, decl, span)
        if isinstance(decl, m.Let):
            typed = self.compiler.order.value(key, symbol.module)
            read = self.compiler.closures.read(key)
            return Typed(read, "quantity", typed.unit, deps=deps) if typed.ok else POISON
        if isinstance(decl, m.Factor) and symbol.kind == "factor":
            return self.factor_value(key, decl, span)
        return self.compiler.error("E212", f"'{symbol.name}' is {_NOT_A_VALUE[symbol.kind]}", span)

    def input_value(self, key: str, inp: m.Input, span: Span | None) -> Typed:
        if inp.kind == "list":
            return self.compiler.error(
                "E211",
                f"'{inp.name}' is a list; add its items up with sum over {inp.name} (...)",
                span,
            )
        if inp.units is not None:
            return POISON  # several units outside a list (E116): no one unit to read it in
        closures = self.compiler.closures
        read = closures.optional(key, span) if inp.optional else closures.read(key)
        deps = frozenset([key])
        if inp.kind == "choice":
            return self.choice_value(read, inp, deps)
        unit = self.units.unit_of(inp.unit, inp.span)
        return POISON if unit is None else Typed(read, "quantity", unit, deps=deps)

    def choice_value(self, read: Fn, inp: m.Input, deps: frozenset[str]) -> Typed:
        options = self.names.options_of(inp)
        # An unknown choice type was reported by options_of; a choice of nothing would poison
        # every family it indexes with a unit-less value.
        return Typed(read, "choice", options=options, deps=deps) if options else POISON

    def factor_value(self, key: str, factor: m.Factor, span: Span | None) -> Typed:
        entry = self.compiler.compilation.resolved.entries.get(key)
        if entry is None:
            return POISON  # reported when it was bound
        unit = self.units.unit_of(entry.unit, span)
        if unit is None:
            return POISON
        typed = Typed(self.compiler.closures.read(key), "quantity", unit, deps=frozenset([key]))
        if factor.unit is not None:
            return self.units.convert_to(
                typed, factor.unit, f"factor '{factor.name}' ({entry.reference})", factor.span
            )
        return typed

    def factor_ref(self, node: m.FactorRef) -> Typed:
        self.names.use(node.target)
        dataset, _, entry = node.target.partition(".")
        return self.factor_value(node.target, m.Factor(node.target, dataset, entry), node.span)

    def index(self, node: m.Index) -> Typed:
        """A member of a factor family, picked by a choice: family[choice]."""
        module = self.compiler.module
        symbol = self.names.lookup(node.family, module)
        if symbol is None:
            return self.names.undefined(node.family, node.span, module)
        if symbol.kind != "family" or not isinstance(symbol.decl, m.Factor):
            return self.compiler.error(
                "E214",
                f"'{node.family}' is not a factor family; only a factor "
                "declared as dataset.entry.* can be indexed",
                node.span,
            )
        self.names.use(symbol.name)
        key = self.compiler.visit(node.key)
        if not key.ok:
            return POISON
        if key.kind != "choice":
            return self.compiler.error(
                "E215", f"a factor family is indexed by a choice, not a {key.kind}", node.span
            )
        members = self.compiler.compilation.resolved.families.get(symbol.name, {})
        missing = sorted(key.options - set(members))
        if missing and members:
            return self.compiler.error(
                "E216",
                f"factor family '{node.family}' has no entry for "
                f"{', '.join(repr(x) for x in missing)}",
                node.span,
                "members: " + ", ".join(sorted(members)),
            )
        return self.member(node, symbol, symbol.decl, key, members)

    def member(
        self,
        node: m.Index,
        symbol: Symbol,
        family: m.Factor,
        key: Typed,
        entries: Mapping[str, FactorEntry],
    ) -> Typed:
        """The closure reading the member picked, converted to the family's one unit."""
        target: pint.Unit | None = (
            self.units.unit_of(family.unit, family.span) if family.unit else None
        )
        conversions: dict[str, float] = {}
        for option in sorted(key.options):
            unit = (
                self.units.unit_of(entries[option].unit, node.span) if option in entries else None
            )
            if unit is None:
                return POISON
            target = target or unit
            if not u.same_dimension(unit, target):
                return self.compiler.error(
                    "E217",
                    f"members of factor family '{node.family}' differ in "
                    f"dimension ({u.format_unit(unit)} vs {u.format_unit(target)})",
                    family.span,
                )
            conversions[option] = u.conversion(unit, target)
        name, pick = symbol.name, key.fn
        # The member picked is what the evaluation reads: its data quality and its confirmation
        # count, not those of the family's other members.
        member_keys = {option: f"{name}[{option}]" for option in conversions}
        member = self.compiler.closures.member(name, pick, conversions, member_keys)
        return Typed(member, "quantity", target, deps=key.deps | {symbol.name})
