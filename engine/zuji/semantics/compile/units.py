"""Unit inference and type checking: each expression's unit is inferred once, at compile time.

A dimension mismatch is a diagnostic at the spot. Conversion factors are worked out here and
folded into the closures, so evaluation multiplies floats and never meets a unit.
"""

from __future__ import annotations

from typing import Any, cast

import pint

from zuji.core.errors import Span, UnitSyntaxError
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.plan import POISON, Typed
from zuji.semantics.compile.state import Compilation


class UnitChecks:
    """Unit text to units, conversions to a declared unit, and the unit two sides share."""

    def __init__(self, compilation: Compilation) -> None:
        self.compilation = compilation
        self.reported: set[tuple[Span | None, str]] = set()

    def unit_of(self, unit: m.UnitExpr | None, span: Span | None) -> pint.Unit | None:
        """The unit written, or None after reporting why it is not one (E301)."""
        try:
            return u.to_pint(unit)
        except UnitSyntaxError as exc:
            where = unit.span if unit and unit.span else span
            if (where, str(exc)) not in self.reported:  # an input's unit is met at every use
                self.reported.add((where, str(exc)))
                self.compilation.error(
                    "E301", str(exc), where, "units are written like t, MWh, GJ/t, kg CO2/kWh, %"
                )
            return None

    def convert_to(self, typed: Typed, unit: m.UnitExpr, what: str, span: Span | None) -> Typed:
        """A quantity brought to a declared unit of the same dimension (E302 otherwise)."""
        target = self.unit_of(unit, span)
        if target is None:
            return POISON
        if typed.kind != "quantity":
            kind = "condition" if typed.kind == "bool" else typed.kind
            return self.compilation.error(
                "E302",
                f"{what} is declared in {unit} but its formula gives a {kind}, not a quantity",
                span,
            )
        if not u.same_dimension(typed.measure, target):
            return self.compilation.error(
                "E302",
                f"{what} is declared in {unit} "
                f"({u.describe_dimension(target)}) but its formula gives "
                f"{u.format_unit(typed.measure)} ({u.describe_dimension(typed.measure)})",
                span,
            )
        k = u.conversion(typed.measure, target)
        if k == 1.0:
            return Typed(typed.fn, typed.kind, target, typed.options, typed.deps)
        fn = self.compilation.closures.scale(typed.fn, k)
        return Typed(fn, typed.kind, target, typed.options, typed.deps)

    def common_unit(self, left: Typed, right: Typed, node: Any, what: str) -> pint.Unit | None:
        """The unit two sides are brought to before adding or comparing them."""
        lu, ru = left.measure, right.measure
        bare_next_to_unit = any(
            a.bare not in (None, 0) and not plain(b.measure)
            for a, b in ((left, right), (right, left))
        )
        if u.same_dimension(lu, ru) and not bare_next_to_unit:
            return lu
        for bare, other in ((left, right), (right, left)):
            if bare.bare == 0:
                return other.measure
        for bare, other in ((left, right), (right, left)):
            # 80 next to a percentage is ambiguous (80 % or 8000 %?): the unit must be written.
            if bare.bare is not None and not plain(other.measure):
                self.compilation.error(
                    "E304",
                    f"{what} joins {u.format_unit(other.measure)} with a number that has no unit",
                    node.span,
                    f"write the number with its unit, e.g. {bare.bare:g} "
                    f"[{u.format_unit(other.measure)}]",
                )
                return None
        self.compilation.error(
            "E305",
            f"{what} joins {u.format_unit(lu)} ({u.describe_dimension(lu)}) "
            f"with {u.format_unit(ru)} ({u.describe_dimension(ru)})",
            node.span,
            "both sides must measure the same thing",
        )
        return None


def plain(unit: pint.Unit) -> bool:
    """A unit that is the pure number 1 (t/t cancels to it; % does not)."""
    return not unit._units


def factor(typed: Typed, unit: pint.Unit) -> float:
    """What a quantity is multiplied by to be in `unit` (a bare 0 is 0 in any unit)."""
    if typed.bare is not None and typed.bare == 0:
        return 1.0
    return u.conversion(typed.measure, unit)


def base(unit: pint.Unit) -> pint.Unit:
    """The SI base units of a unit's dimension."""
    # pint's stubs type a derived unit as its PlainUnit base class; it is a registry Unit.
    return cast(pint.Unit, u.registry().Quantity(1.0, unit).to_base_units().units)


def power_of(unit: pint.Unit, exponent: int) -> pint.Unit:
    """A unit raised to a whole power (t² for t ** 2)."""
    return cast(pint.Unit, unit**exponent)  # a PlainUnit to pint's stubs, as in base()


def unit_text(text: str) -> m.UnitExpr | None:
    return u.unit_from_text(text) if text else None


def gas_hint(unit: pint.Unit, gas: str) -> str:
    actual = u.gas_of(unit)
    if actual:
        return f"the formula gives a mass of {actual}; declare the line as {actual}"
    return f"multiply by a factor whose unit names the gas, e.g. t {gas}/t"
