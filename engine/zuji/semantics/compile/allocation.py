"""The allocation plan: the declared unit's conversion and each allocation's co-products.

Each co-product is a quantity input (an output of the inventory) with, by the method, a weight:
its mass, heating value, price or fixed share. Units are checked here and the factors to SI base
units worked out, so that evaluation compares co-products as plain floats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pint

from zuji.core.errors import Span
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.plan import AllocationPlan, ProductPlan, Typed
from zuji.semantics.compile.units import base

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler


def output(
    compiler: ExpressionCompiler,
    name: str,
    span: Span | None,
    code: str,
    message: str,
    declaration: str,
) -> m.Input | None:
    """The quantity input measuring a product (reference or co-product), marked used."""
    inp = compiler.compilation.resolved.pcr.input(name)
    if inp is None or inp.kind != "quantity":
        compiler.error(code, message, span, f"declare: input {name} : {declaration}")
        return None
    compiler.names.use(name)
    return inp


def plan_declared_unit(compiler: ExpressionCompiler) -> None:
    """The pass: from the reference product's amount to amounts of the declared unit."""
    declared = compiler.compilation.resolved.pcr.declared_unit
    if declared is None:
        return
    inp = output(
        compiler,
        declared.product,
        declared.span,
        "E330",
        f"the declared unit's product '{declared.product}' is not a quantity input",
        f'{declared.unit} "..." > 0',
    )
    if inp is None:
        return
    source, target = (
        compiler.units.unit_of(inp.unit, inp.span),
        compiler.units.unit_of(declared.unit, declared.span),
    )
    if source is None or target is None:
        return
    if not u.same_dimension(source, target):
        compiler.error(
            "E331",
            f"the declared unit is {declared.unit} "
            f"({u.describe_dimension(target)}) but '{declared.product}' is measured "
            f"in {inp.unit} ({u.describe_dimension(source)})",
            declared.span,
        )
        return
    if not declared.amount > 0:  # also refuses NaN: the footprint is per this amount
        compiler.error(
            "E332",
            f"the declared unit's amount must be more than zero, not {declared.amount:g}",
            declared.span,
            f"e.g. unit 1 {declared.unit} of {declared.product}",
        )
        return
    compiler.compilation.declared_unit_factor = u.conversion(source, target) / declared.amount


def plan_allocations(compiler: ExpressionCompiler) -> None:
    """The pass: every allocation of the PCR, its co-products planned in order."""
    for allocation in compiler.compilation.resolved.pcr.allocations:
        _Allocation(compiler, allocation).plan()


class _Allocation:
    """One allocation's co-products; by economic value, they must share one currency."""

    def __init__(self, compiler: ExpressionCompiler, allocation: m.Allocation) -> None:
        self.compiler = compiler
        self.allocation = allocation
        self.method = allocation.method
        self.currency: pint.Unit | None = None  # the unit of the first co-product's value

    def plan(self) -> None:
        products = [p for p in map(self.product, self.allocation.products) if p is not None]
        self.compiler.compilation.allocations.append(
            AllocationPlan(self.allocation, tuple(products))
        )

    def product(self, product: m.CoProduct) -> ProductPlan | None:
        inp = output(
            self.compiler,
            product.name,
            product.span,
            "E340",
            f"co-product '{product.name}' is not an output of the inventory",
            't "..." >= 0',
        )
        if inp is None:
            return None
        quantity = self.compiler.units.unit_of(inp.unit, inp.span)
        if quantity is None:
            return None
        weight = self.compiler.expr(product.weight, {}, "") if product.weight is not None else None
        if weight is not None and not weight.ok:
            return None
        if weight is not None and weight.kind != "quantity":
            self.compiler.error(
                "E303",
                f"the {product.property or 'weight'} of co-product '{product.name}' must be a "
                f"number, not a {'condition' if weight.kind == 'bool' else weight.kind}",
                product.span,
            )
            return None
        # `product polymer mass monomer_used`: the mass that enters the allocated stages is
        # given, as when the declared product is not itself the stage's output.
        stated_mass = self.method == "mass" and product.property == "mass" and weight is not None
        if stated_mass and weight is not None and not _is_mass(weight):
            shown = u.format_unit(weight.measure) if weight.kind == "quantity" else weight.kind
            self.compiler.error(
                "E341",
                f"the mass given for '{product.name}' must be a mass, not {shown}",
                product.span,
            )
            return None
        value_unit = _value_unit(quantity, weight)
        if not self.fits(product, inp, quantity, weight, value_unit, stated_mass):
            return None
        return ProductPlan(
            product.name,
            u.conversion(quantity, base(quantity)),
            weight,
            u.conversion(weight.measure, base(weight.measure)) if weight else 1.0,
            weight_only=stated_mass or self.method == "fixed",
        )

    def fits(
        self,
        product: m.CoProduct,
        inp: m.Input,
        quantity: pint.Unit,
        weight: Typed | None,
        value_unit: pint.Unit,
        stated_mass: bool,
    ) -> bool:
        """Whether the co-product's amount and weight measure what the method needs."""
        method, error = self.method, self.compiler.error
        if method == "mass" and not stated_mass and not u.same_dimension(quantity, _kg()):
            error(
                "E341",
                f"allocation by mass needs a mass for '{product.name}', which is "
                f"measured in {inp.unit}",
                product.span,
                f"give its mass: product {product.name} mass <mass>",
            )
            return False
        if method == "energy" and weight is not None and not u.same_dimension(value_unit, _mj()):
            error(
                "E342",
                f"'{product.name}' times its heating value must be an energy, "
                f"not {u.format_unit(value_unit)}",
                product.span,
            )
            return False
        if (
            method == "fixed"
            and weight is not None
            and weight.unit is not None
            and not u.same_dimension(weight.unit, u.dimensionless())
        ):
            error(
                "E343",
                f"a fixed share must be a pure number or a %, not {u.format_unit(weight.unit)}",
                product.span,
            )
            return False
        if method == "economic" and weight is not None:
            return self.same_currency(product, value_unit)
        return True

    def same_currency(self, product: m.CoProduct, value_unit: pint.Unit) -> bool:
        if self.currency is not None and not u.same_dimension(self.currency, value_unit):
            self.compiler.error(
                "E344",
                f"the value of '{product.name}' "
                f"({u.format_unit(value_unit)}) is not in the currency of the "
                f"other co-products ({u.format_unit(self.currency)})",
                product.span,
            )
            return False
        self.currency = self.currency or value_unit
        return True


def _kg() -> pint.Unit:
    return u.unit_named("kg")


def _mj() -> pint.Unit:
    return u.unit_named("MJ")


def _is_mass(weight: Typed) -> bool:
    return weight.kind == "quantity" and u.same_dimension(weight.measure, _kg())


def _value_unit(quantity: pint.Unit, weight: Typed | None) -> pint.Unit:
    """The unit of a co-product's amount times its weight."""
    if weight is None:
        return quantity
    # A condition or choice as a weight was refused (E303) before this is reached.
    product: pint.Unit = quantity * weight.unit
    return product
