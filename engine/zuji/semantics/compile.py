"""Stage 5: compile a resolved PCR into a plan of closures on plain floats.

Each expression's unit is inferred once, here; a dimension mismatch is a diagnostic at the spot.
Conversion factors are folded into the closures, so evaluation multiplies floats and never meets a
unit. Formulas of modules are inlined at their call (they cannot recurse), values (`let`) are
ordered by their dependencies, and a circular definition is reported with the names on the cycle.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pint

from zuji.core import limits
from zuji.core.errors import (
    Diagnostic,
    DivisionByZero,
    MissingMember,
    NotGiven,
    Severity,
    Span,
    UnitSyntaxError,
)
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.resolve import Resolved, Symbol

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

BUILTIN_RESULTS = {
    "total": "kg CO2e",
    "dqr": "",
    "primary_share": "%",
    "cutoff_total": "%",
}


@dataclass(frozen=True)
class Typed:
    """A compiled expression: its closure, what it yields, its unit and the names it reads."""

    fn: Fn
    kind: str  # quantity, bool, choice, error
    unit: pint.Unit | None = None
    options: frozenset[str] = frozenset()
    deps: frozenset[str] = frozenset()
    bare: float | None = None  # the value of a number written without a unit

    @property
    def ok(self) -> bool:
        return self.kind != "error"


POISON = Typed(lambda env: math.nan, "error")


@dataclass(frozen=True)
class Step:
    """A named value computed before the lines (a let of the PCR or of a module)."""

    name: str
    fn: Fn
    unit: pint.Unit
    deps: frozenset[str]
    decl: m.Let


@dataclass(frozen=True)
class LinePlan:
    line: m.Line
    fn: Fn
    unit: pint.Unit
    to_kg: float  # from the formula's unit to kilograms of the line's gas
    deps: frozenset[str]


@dataclass(frozen=True)
class ProductPlan:
    name: str
    quantity_to_base: float  # the product's amount to SI base units of its dimension
    weight: Typed | None
    weight_to_base: float = 1.0
    weight_only: bool = False  # the weight is the product's whole weight, not amount × weight


@dataclass(frozen=True)
class AllocationPlan:
    allocation: m.Allocation
    products: tuple[ProductPlan, ...]


@dataclass(frozen=True)
class AssertionPlan:
    assertion: m.Assertion
    fn: Fn
    deps: frozenset[str]
    # Reads total, dqr, primary_share or cutoff_total, so it can only run after the lines.
    uses_results: bool = True


@dataclass
class Plan:
    """What evaluation runs: ordered values, lines, allocations and assertions."""

    resolved: Resolved
    steps: list[Step] = field(default_factory=list)
    lines: list[LinePlan] = field(default_factory=list)
    allocations: list[AllocationPlan] = field(default_factory=list)
    assertions: list[AssertionPlan] = field(default_factory=list)
    declared_unit_factor: float = 1.0  # reference product amount -> declared-unit amount
    diagnostics: list[Diagnostic] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @property
    def pcr(self) -> m.RuleFile:
        return self.resolved.pcr

    @cached_property
    def steps_by_name(self) -> dict[str, Step]:
        return {step.name: step for step in self.steps}

    def input_unit(self, name: str) -> pint.Unit:
        inp = self.pcr.input(name)
        return u.to_pint(inp.unit if inp else None)


class _Compiler:
    def __init__(self, resolved: Resolved, probe: Any = None) -> None:
        self.resolved = resolved
        # A coverage collector (zuji.review.coverage.Probe) wraps branches and lines when given;
        # without one the closures are exactly those of an ordinary plan.
        self.probe = probe
        self.symbols = resolved.symbols
        self.plan = Plan(resolved)
        self.lets: dict[str, Typed] = {}
        self.visiting: list[str] = []
        self.calling: list[str] = []
        self.unit_errors: set[tuple[Span | None, str]] = set()
        # Formulas are inlined at every call, so formulas calling formulas twice over could
        # expand a small rule exponentially; compiling stops at a budget of expression nodes.
        self.operations, self.most_operations = 0, limits.current().operations
        self.summing = False

    # ----------------------------------------------------------------- reporting
    def error(self, code: str, message: str, span: Span | None, hint: str = "") -> Typed:
        self.plan.diagnostics.append(Diagnostic(code, message, span, hint=hint))
        return POISON

    def warn(self, code: str, message: str, span: Span | None, hint: str = "") -> None:
        self.plan.diagnostics.append(Diagnostic(code, message, span, Severity.WARNING, hint))

    # ----------------------------------------------------------------- top level
    def run(self) -> Plan:
        pcr = self.resolved.pcr
        for alias, module in self.resolved.modules.items():
            for let in module.lets:
                if (
                    self.symbols.get(f"{alias}.{let.name}", None) is not None
                    and self.symbols[f"{alias}.{let.name}"].decl is let
                ):
                    self.let(f"{alias}.{let.name}", alias)
        for let in pcr.lets:
            if self.symbols.get(let.name) and self.symbols[let.name].decl is let:
                self.let(let.name, "")  # a duplicate name was reported by resolve
        if pcr.kind == "module":
            for formula in pcr.formulas:
                if self.symbols.get(formula.name) and self.symbols[formula.name].decl is formula:
                    self.formula_alone(formula)
        for line in pcr.lines:
            self.line(line)
        self.declared_unit()
        for allocation in pcr.allocations:
            self.allocation(allocation)
        for assertion in pcr.assertions:
            self.assertion(assertion)
        return self.plan

    def let(self, name: str, module: str) -> Typed:
        if name in self.lets:
            return self.lets[name]
        if name in self.visiting:
            cycle = self.visiting[self.visiting.index(name) :] + [name]
            decl = self.symbols[name].decl
            return self.error(
                "E310",
                "circular definition: " + " -> ".join(cycle),
                getattr(decl, "span", None),
                "a value cannot depend on itself",
            )
        decl: m.Let = self.symbols[name].decl  # type: ignore[assignment]
        self.visiting.append(name)
        typed = self.expr(decl.expr, {}, module)
        self.visiting.pop()
        if typed.ok and typed.kind != "quantity":
            typed = self.error(
                "E311", f"value '{decl.name}' must be a quantity, not a {typed.kind}", decl.span
            )
        if typed.ok and decl.unit is not None:
            typed = self.convert_to(typed, decl.unit, f"value '{decl.name}'", decl.span)
        self.lets[name] = typed
        if typed.ok:
            self.plan.steps.append(Step(name, typed.fn, typed.unit, typed.deps, decl))
        return typed

    def formula_alone(self, formula: m.Formula) -> None:
        """A module's formula compiled with each parameter standing for any value of its declared
        unit or choice type: a mistake in its body is found where it is written, not first by a
        PCR that calls it."""
        bound: dict[str, Typed] = {}
        for param in formula.params:
            if param.choice_type:
                options = self.options_of(param, "")
                if not options:
                    return
                bound[param.name] = Typed(_reader(param.name), "choice", options=options)
            else:
                unit = self.unit_of(param.unit, param.span)
                if unit is None:
                    return
                bound[param.name] = Typed(_reader(param.name), "quantity", unit)
        self.calling.append(formula.name)
        body = self.expr(formula.expr, bound, "")
        self.calling.pop()
        if body.ok:
            self.convert_to(body, formula.unit, f"formula '{formula.name}'", formula.span)

    def line(self, line: m.Line) -> None:
        typed = self.expr(line.expr, {}, "")
        if not typed.ok:
            return
        if typed.kind != "quantity":
            self.error(
                "E320",
                f"line '{line.name}' must give a mass of {line.gas}, not a {typed.kind}",
                line.span,
            )
            return
        if line.gas not in m.GASES:
            return  # reported when the line was built
        if not u.is_mass_of(typed.unit, line.gas):
            self.error(
                "E321",
                f"line '{line.name}' must be a mass of {line.gas}, but its formula "
                f"gives {u.format_unit(typed.unit)} ({u.describe_dimension(typed.unit)})",
                line.span,
                _gas_hint(typed.unit, line.gas),
            )
            return
        to_kg = u.conversion(typed.unit, u.mass_of(line.gas))
        fn = typed.fn if self.probe is None else self.probe.line(line, typed.fn)
        self.plan.lines.append(LinePlan(line, fn, typed.unit, to_kg, typed.deps))

    def output(
        self, name: str, span: Span | None, code: str, message: str, declaration: str
    ) -> m.Input | None:
        """The quantity input measuring a product (reference or co-product), marked used."""
        inp = self.resolved.pcr.input(name)
        if inp is None or inp.kind != "quantity":
            self.error(code, message, span, f"declare: input {name} : {declaration}")
            return None
        self.plan.used.add(name)
        return inp

    def declared_unit(self) -> None:
        declared = self.resolved.pcr.declared_unit
        if declared is None:
            return
        inp = self.output(
            declared.product,
            declared.span,
            "E330",
            f"the declared unit's product '{declared.product}' is not a quantity input",
            f'{declared.unit} "..." > 0',
        )
        if inp is None:
            return
        source, target = (
            self.unit_of(inp.unit, inp.span),
            self.unit_of(declared.unit, declared.span),
        )
        if source is None or target is None:
            return
        if not u.same_dimension(source, target):
            self.error(
                "E331",
                f"the declared unit is {declared.unit} "
                f"({u.describe_dimension(target)}) but '{declared.product}' is measured "
                f"in {inp.unit} ({u.describe_dimension(source)})",
                declared.span,
            )
            return
        if not declared.amount > 0:  # also refuses NaN: the footprint is per this amount
            self.error(
                "E332",
                f"the declared unit's amount must be more than zero, not {declared.amount:g}",
                declared.span,
                f"e.g. unit 1 {declared.unit} of {declared.product}",
            )
            return
        self.plan.declared_unit_factor = u.conversion(source, target) / declared.amount

    def allocation(self, allocation: m.Allocation) -> None:
        products = []
        weight_dims: pint.Unit | None = None
        for product in allocation.products:
            inp = self.output(
                product.name,
                product.span,
                "E340",
                f"co-product '{product.name}' is not an output of the inventory",
                't "..." >= 0',
            )
            if inp is None:
                continue
            quantity = self.unit_of(inp.unit, inp.span)
            if quantity is None:
                continue
            weight = self.expr(product.weight, {}, "") if product.weight is not None else None
            if weight is not None and not weight.ok:
                continue
            # `product polymer mass monomer_used`: the mass that enters the allocated stages is
            # given, as when the declared product is not itself the stage's output.
            stated_mass = (
                allocation.method == "mass" and product.property == "mass" and weight is not None
            )
            if stated_mass and (
                weight.kind != "quantity" or not u.same_dimension(weight.unit, u.unit_named("kg"))
            ):
                shown = u.format_unit(weight.unit) if weight.kind == "quantity" else weight.kind
                self.error(
                    "E341",
                    f"the mass given for '{product.name}' must be a mass, not {shown}",
                    product.span,
                )
                continue
            value_unit = quantity * weight.unit if weight is not None else quantity
            if (
                allocation.method == "mass"
                and not stated_mass
                and not u.same_dimension(quantity, u.unit_named("kg"))
            ):
                self.error(
                    "E341",
                    f"allocation by mass needs a mass for '{product.name}', which is "
                    f"measured in {inp.unit}",
                    product.span,
                    f"give its mass: product {product.name} mass <mass>",
                )
                continue
            if (
                allocation.method == "energy"
                and weight is not None
                and not u.same_dimension(value_unit, u.unit_named("MJ"))
            ):
                self.error(
                    "E342",
                    f"'{product.name}' times its heating value must be an energy, "
                    f"not {u.format_unit(value_unit)}",
                    product.span,
                )
                continue
            if (
                allocation.method == "fixed"
                and weight is not None
                and weight.unit is not None
                and not u.same_dimension(weight.unit, u.dimensionless())
            ):
                self.error(
                    "E343",
                    f"a fixed share must be a pure number or a %, not {u.format_unit(weight.unit)}",
                    product.span,
                )
                continue
            if allocation.method == "economic" and weight is not None:
                if weight_dims is not None and not u.same_dimension(weight_dims, value_unit):
                    self.error(
                        "E344",
                        f"the value of '{product.name}' "
                        f"({u.format_unit(value_unit)}) is not in the currency of the "
                        f"other co-products ({u.format_unit(weight_dims)})",
                        product.span,
                    )
                    continue
                weight_dims = weight_dims or value_unit
            products.append(
                ProductPlan(
                    product.name,
                    u.conversion(quantity, _base(quantity)),
                    weight,
                    u.conversion(weight.unit, _base(weight.unit)) if weight else 1.0,
                    weight_only=stated_mass or allocation.method == "fixed",
                )
            )
        self.plan.allocations.append(AllocationPlan(allocation, tuple(products)))

    def assertion(self, assertion: m.Assertion) -> None:
        scope = {
            name: Typed(
                _reader("$" + name), "quantity", u.to_pint(_unit_text(unit)), deps=frozenset()
            )
            for name, unit in BUILTIN_RESULTS.items()
        }
        typed = self.expr(assertion.expr, scope, "")
        if typed.ok and typed.kind != "bool":
            self.error(
                "E350",
                f"an assertion must be a condition (a comparison), not a {typed.kind}",
                assertion.span,
                "e.g. assert clinker_ratio <= 1 otherwise ...",
            )
            return
        if typed.ok:
            uses_results = any(
                isinstance(node, m.Ref) and node.name in BUILTIN_RESULTS
                for node in exprs.walk(assertion.expr)
            )
            self.plan.assertions.append(
                AssertionPlan(assertion, typed.fn, typed.deps, uses_results)
            )

    # ----------------------------------------------------------------- units
    def unit_of(self, unit: m.UnitExpr | None, span: Span | None) -> pint.Unit | None:
        try:
            return u.to_pint(unit)
        except UnitSyntaxError as exc:
            where = unit.span if unit and unit.span else span
            if (where, str(exc)) not in self.unit_errors:  # an input's unit is met at every use
                self.unit_errors.add((where, str(exc)))
                self.error(
                    "E301", str(exc), where, "units are written like t, MWh, GJ/t, kg CO2/kWh, %"
                )
            return None

    def convert_to(self, typed: Typed, unit: m.UnitExpr, what: str, span: Span | None) -> Typed:
        target = self.unit_of(unit, span)
        if target is None:
            return POISON
        if typed.kind != "quantity":
            kind = "condition" if typed.kind == "bool" else typed.kind
            return self.error(
                "E302",
                f"{what} is declared in {unit} but its formula gives a {kind}, not a quantity",
                span,
            )
        if not u.same_dimension(typed.unit, target):
            return self.error(
                "E302",
                f"{what} is declared in {unit} "
                f"({u.describe_dimension(target)}) but its formula gives "
                f"{u.format_unit(typed.unit)} ({u.describe_dimension(typed.unit)})",
                span,
            )
        k = u.conversion(typed.unit, target)
        return _scaled(typed, k, target)

    # ----------------------------------------------------------------- expressions
    def expr(self, node: m.Expr, scope: Mapping[str, Typed], module: str) -> Typed:
        self.operations += 1
        if self.operations > self.most_operations:
            raise _TooComplex(node.span)
        method = getattr(self, "visit_" + type(node).__name__)
        result: Typed = method(node, scope, module)
        return result

    def visit_Number(self, node: m.Number, scope: Mapping[str, Typed], module: str) -> Typed:
        value = node.value
        if node.unit is None:
            return Typed(lambda env: value, "quantity", u.dimensionless(), bare=value)
        unit = self.unit_of(node.unit, node.span)
        if unit is None:
            return POISON
        return Typed(lambda env: value, "quantity", unit)

    def lookup(self, name: str, module: str) -> Symbol | None:
        if module:
            return self.symbols.get(f"{module}.{name}")
        return self.symbols.get(name)

    def visit_Ref(self, node: m.Ref, scope: Mapping[str, Typed], module: str) -> Typed:
        if node.name in scope:
            return scope[node.name]
        symbol = self.lookup(node.name, module)
        if symbol is None:
            return self.undefined(node.name, node.span, module)
        self.plan.used.add(symbol.name)
        return self.symbol_value(symbol, node.span)

    def undefined(self, name: str, span: Span | None, module: str) -> Typed:
        prefix = f"{module}." if module else ""
        known = [s[len(prefix) :] for s in self.symbols if s.startswith(prefix)]
        hint = exprs.suggest(name, known) or "declare it as an input, a value (let) or a factor"
        return self.error("E210", f"unknown name '{name}'", span, hint)

    def symbol_value(self, symbol: Symbol, span: Span | None) -> Typed:
        key, decl = symbol.name, symbol.decl
        deps = frozenset([key])
        if symbol.kind == "input":
            inp: m.Input = decl  # type: ignore[assignment]
            if inp.kind == "list":
                return self.error(
                    "E211",
                    f"'{inp.name}' is a list; add its items up with sum over {inp.name} (...)",
                    span,
                )
            reader = _optional_reader(key, span) if inp.optional else _reader(key)
            if inp.kind == "choice":
                return self.choice_value(reader, inp, deps)
            unit = self.unit_of(inp.unit, inp.span)
            return POISON if unit is None else Typed(reader, "quantity", unit, deps=deps)
        if symbol.kind == "let":
            typed = self.let(key, symbol.module)
            return Typed(_reader(key), "quantity", typed.unit, deps=deps) if typed.ok else POISON
        if symbol.kind == "factor":
            return self.factor_value(key, decl, span)  # type: ignore[arg-type]
        kinds = {
            "family": "a factor family; pick a member with [choice]",
            "formula": "a formula; call it with (arguments)",
            "choice": "a list of options; declare an input of this choice",
        }
        return self.error("E212", f"'{symbol.name}' is {kinds[symbol.kind]}", span)

    def choice_value(self, reader: Fn, inp: m.Input, deps: frozenset[str]) -> Typed:
        options = self.options_of(inp)
        # An unknown choice type was reported by options_of; a choice of nothing would poison
        # every family it indexes with a unit-less value.
        return Typed(reader, "choice", options=options, deps=deps) if options else POISON

    def options_of(self, inp: m.Input | m.Param, module: str = "") -> frozenset[str]:
        if isinstance(inp, m.Input) and inp.options:
            return frozenset(inp.options)
        choice = (
            self.symbols.get(f"{module}.{inp.choice_type}") if module else None
        ) or self.symbols.get(inp.choice_type or "")
        if choice is None or choice.kind != "choice":
            self.error("E213", f"unknown choice '{inp.choice_type}' for '{inp.name}'", inp.span)
            return frozenset()
        return frozenset(choice.decl.options)  # type: ignore[attr-defined]

    def factor_value(self, key: str, factor: m.Factor, span: Span | None) -> Typed:
        entry = self.resolved.entries.get(key)
        if entry is None:
            return POISON  # reported when it was bound
        unit = self.unit_of(entry.unit, span)
        if unit is None:
            return POISON
        typed = Typed(_reader(key), "quantity", unit, deps=frozenset([key]))
        if factor.unit is not None:
            return self.convert_to(
                typed, factor.unit, f"factor '{factor.name}' ({entry.reference})", factor.span
            )
        return typed

    def visit_FactorRef(self, node: m.FactorRef, scope: Mapping[str, Typed], module: str) -> Typed:
        self.plan.used.add(node.target)
        dataset, _, entry = node.target.partition(".")
        return self.factor_value(node.target, m.Factor(node.target, dataset, entry), node.span)

    def visit_Index(self, node: m.Index, scope: Mapping[str, Typed], module: str) -> Typed:
        symbol = self.lookup(node.family, module)
        if symbol is None:
            return self.undefined(node.family, node.span, module)
        if symbol.kind != "family":
            return self.error(
                "E214",
                f"'{node.family}' is not a factor family; only a factor "
                "declared as dataset.entry.* can be indexed",
                node.span,
            )
        self.plan.used.add(symbol.name)
        key = self.expr(node.key, scope, module)
        if not key.ok:
            return POISON
        if key.kind != "choice":
            return self.error(
                "E215", f"a factor family is indexed by a choice, not a {key.kind}", node.span
            )
        members = self.resolved.families.get(symbol.name, {})
        missing = sorted(key.options - set(members))
        if missing and members:
            return self.error(
                "E216",
                f"factor family '{node.family}' has no entry for "
                f"{', '.join(repr(x) for x in missing)}",
                node.span,
                "members: " + ", ".join(sorted(members)),
            )
        factor: m.Factor = symbol.decl  # type: ignore[assignment]
        target = self.unit_of(factor.unit, factor.span) if factor.unit else None
        conversions: dict[str, float] = {}
        for option in sorted(key.options):
            unit = self.unit_of(members[option].unit, node.span) if option in members else None
            if unit is None:
                return POISON
            target = target or unit
            if not u.same_dimension(unit, target):
                return self.error(
                    "E217",
                    f"members of factor family '{node.family}' differ in "
                    f"dimension ({u.format_unit(unit)} vs {u.format_unit(target)})",
                    factor.span,
                )
            conversions[option] = u.conversion(unit, target)
        name, pick = symbol.name, key.fn
        # The member picked is what the evaluation reads: its data quality and its confirmation
        # count, not those of the family's other members.
        member_keys = {option: f"{name}[{option}]" for option in conversions}

        def member(env: Env) -> float:
            option = pick(env)
            values = env[name]
            if option not in values:
                raise MissingMember(name, option)
            env.note(member_keys[option])
            return float(values[option]) * conversions[option]

        return Typed(member, "quantity", target, deps=key.deps | {symbol.name})

    def visit_BinOp(self, node: m.BinOp, scope: Mapping[str, Typed], module: str) -> Typed:
        left, right = self.expr(node.left, scope, module), self.expr(node.right, scope, module)
        if not (left.ok and right.ok):
            return POISON
        for side in (left, right):
            if side.kind != "quantity":
                return self.error(
                    "E303", f"'{node.op}' needs numbers, not a {side.kind}", node.span
                )
        deps = left.deps | right.deps
        if node.op in "+-":
            return self.additive(node, left, right, deps)
        if node.op == "*":
            lf, rf = left.fn, right.fn
            return Typed(
                lambda env: lf(env) * rf(env), "quantity", left.unit * right.unit, deps=deps
            )
        if node.op == "/":
            return self.divide(node, left, right, deps)
        return self.power(node, left, right, deps)

    def additive(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        unit = self.common_unit(left, right, node, f"'{node.op}'")
        if unit is None:
            return POISON
        kl, kr = _k(left, unit), _k(right, unit)
        lf, rf = left.fn, right.fn
        if node.op == "+":
            return Typed(lambda env: lf(env) * kl + rf(env) * kr, "quantity", unit, deps=deps)
        return Typed(lambda env: lf(env) * kl - rf(env) * kr, "quantity", unit, deps=deps)

    def common_unit(self, left: Typed, right: Typed, node: Any, what: str) -> pint.Unit | None:
        """The unit two sides are brought to before adding or comparing them."""
        bare_next_to_unit = any(
            a.bare not in (None, 0) and not _plain(b.unit)
            for a, b in ((left, right), (right, left))
        )
        if u.same_dimension(left.unit, right.unit) and not bare_next_to_unit:
            return left.unit
        for bare, other in ((left, right), (right, left)):
            if bare.bare == 0:
                return other.unit
        for bare, other in ((left, right), (right, left)):
            # 80 next to a percentage is ambiguous (80 % or 8000 %?): the unit must be written.
            if bare.bare is not None and not _plain(other.unit):
                self.error(
                    "E304",
                    f"{what} joins {u.format_unit(other.unit)} with a number that has no unit",
                    node.span,
                    f"write the number with its unit, e.g. {bare.bare:g} "
                    f"[{u.format_unit(other.unit)}]",
                )
                return None
        self.error(
            "E305",
            f"{what} joins {u.format_unit(left.unit)} "
            f"({u.describe_dimension(left.unit)}) with {u.format_unit(right.unit)} "
            f"({u.describe_dimension(right.unit)})",
            node.span,
            "both sides must measure the same thing",
        )
        return None

    def divide(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        lf, rf = left.fn, right.fn
        divisor, span = self.snippet(node.right), node.right.span

        def quotient(env: Env) -> float:
            denominator = rf(env)
            if denominator == 0:
                raise DivisionByZero(divisor, span)
            return float(lf(env) / denominator)

        return Typed(quotient, "quantity", left.unit / right.unit, deps=deps)

    def power(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        lf, rf = left.fn, right.fn
        if not u.same_dimension(right.unit, u.dimensionless()):
            return self.error("E306", "an exponent must be a pure number", node.right.span)
        base, span = self.snippet(node.left), node.left.span
        if u.same_dimension(left.unit, u.dimensionless()):
            kl, kr = _k(left, u.dimensionless()), _k(right, u.dimensionless())
            return Typed(
                lambda env: _real_power(lf(env) * kl, rf(env) * kr, base, span),
                "quantity",
                u.dimensionless(),
                deps=deps,
            )
        if right.bare is None or right.bare != int(right.bare):
            return self.error(
                "E307",
                "a quantity with a unit can only be raised to a whole number written in the rule",
                node.right.span,
            )
        exponent = int(right.bare)
        return Typed(
            lambda env: _real_power(lf(env), exponent, base, span),
            "quantity",
            left.unit**exponent,
            deps=deps,
        )

    def visit_Negate(self, node: m.Negate, scope: Mapping[str, Typed], module: str) -> Typed:
        inner = self.expr(node.operand, scope, module)
        if not inner.ok:
            return POISON
        if inner.kind != "quantity":
            return self.error("E303", f"'-' needs a number, not a {inner.kind}", node.span)
        fn = inner.fn
        bare = -inner.bare if inner.bare is not None else None
        return Typed(lambda env: -fn(env), "quantity", inner.unit, deps=inner.deps, bare=bare)

    def visit_Compare(self, node: m.Compare, scope: Mapping[str, Typed], module: str) -> Typed:
        left, right = self.expr(node.left, scope, module), self.expr(node.right, scope, module)
        if not (left.ok and right.ok):
            return POISON
        if left.kind == right.kind == "bool" and node.op in ("==", "!="):
            lf, rf, equal = left.fn, right.fn, node.op == "=="
            return Typed(
                lambda env: (lf(env) == rf(env)) == equal, "bool", deps=left.deps | right.deps
            )
        if left.kind != "quantity" or right.kind != "quantity":
            return self.error(
                "E308",
                f"'{node.op}' compares numbers; to test a choice write 'route is eaf'",
                node.span,
            )
        unit = self.common_unit(left, right, node, f"'{node.op}'")
        if unit is None:
            return POISON
        kl, kr, lf, rf = _k(left, unit), _k(right, unit), left.fn, right.fn
        test = m.COMPARISONS[node.op]
        return Typed(
            lambda env: test(lf(env) * kl, rf(env) * kr), "bool", deps=left.deps | right.deps
        )

    def visit_IsChoice(self, node: m.IsChoice, scope: Mapping[str, Typed], module: str) -> Typed:
        subject = self.expr(node.subject, scope, module)
        if not subject.ok:
            return POISON
        if subject.kind != "choice":
            return self.error("E309", f"'is' tests a choice, not a {subject.kind}", node.span)
        if node.option not in subject.options:
            return self.error(
                "E218",
                f"'{node.option}' is not one of the options",
                node.span,
                exprs.suggest(node.option, list(subject.options))
                or "options: " + ", ".join(sorted(subject.options)),
            )
        fn, option, negated = subject.fn, node.option, node.negated
        test = lambda env: (fn(env) == option) != negated
        if self.probe is not None:
            test = self.probe.condition(node, test)
        return Typed(test, "bool", deps=subject.deps)

    def visit_Logical(self, node: m.Logical, scope: Mapping[str, Typed], module: str) -> Typed:
        parts = [self.expr(x, scope, module) for x in node.operands]
        if not all(p.ok for p in parts):
            return POISON
        if any(p.kind != "bool" for p in parts):
            return self.error("E309", f"'{node.op}' joins conditions", node.span)
        fns = [p.fn for p in parts]
        deps = frozenset().union(*(p.deps for p in parts))
        if node.op == "and":
            return Typed(lambda env: all(f(env) for f in fns), "bool", deps=deps)
        return Typed(lambda env: any(f(env) for f in fns), "bool", deps=deps)

    def visit_Not(self, node: m.Not, scope: Mapping[str, Typed], module: str) -> Typed:
        inner = self.expr(node.operand, scope, module)
        if inner.ok and inner.kind != "bool":
            return self.error("E309", "'not' takes a condition", node.span)
        fn = inner.fn
        return Typed(lambda env: not fn(env), "bool", deps=inner.deps) if inner.ok else POISON

    def visit_If(self, node: m.If, scope: Mapping[str, Typed], module: str) -> Typed:
        cond = self.expr(node.condition, scope, module)
        then_scope, other_scope = self.narrowed(node.condition, scope, module)
        then = self.expr(node.then, then_scope, module)
        other = self.expr(node.otherwise, other_scope, module)
        if not (cond.ok and then.ok and other.ok):
            return POISON
        if cond.kind != "bool":
            return self.error("E309", "'if' needs a condition", node.condition.span)
        if then.kind != "quantity" or other.kind != "quantity":
            return self.error("E303", "both branches of 'if' must be numbers", node.span)
        unit = self.common_unit(then, other, node, "'if ... else'")
        if unit is None:
            return POISON
        kt, ko, cf, tf, of = _k(then, unit), _k(other, unit), cond.fn, then.fn, other.fn
        if self.probe is not None:
            tf, of = self.probe.branches(node, tf, of)
        return Typed(
            lambda env: tf(env) * kt if cf(env) else of(env) * ko,
            "quantity",
            unit,
            deps=cond.deps | then.deps | other.deps,
        )

    def narrowed(
        self, condition: m.Expr, scope: Mapping[str, Typed], module: str
    ) -> tuple[Mapping[str, Typed], Mapping[str, Typed]]:
        """Inside 'if region is national then A else B', B knows region is not national, so
        B may index a factor family that has no member for it."""
        if not (isinstance(condition, m.IsChoice) and isinstance(condition.subject, m.Ref)):
            return scope, scope
        subject = self.expr(condition.subject, scope, module)
        if subject.kind != "choice" or condition.option not in subject.options:
            return scope, scope
        only = frozenset([condition.option])
        inside = Typed(subject.fn, "choice", options=only, deps=subject.deps)
        outside = Typed(subject.fn, "choice", options=subject.options - only, deps=subject.deps)
        if condition.negated:
            inside, outside = outside, inside
        name = condition.subject.name
        return ChainMap({name: inside}, dict(scope)), ChainMap({name: outside}, dict(scope))

    def visit_SumOver(self, node: m.SumOver, scope: Mapping[str, Typed], module: str) -> Typed:
        if self.summing:  # one list within another would multiply evaluation time by its length
            return self.error(
                "E313",
                "sum over inside another sum over",
                node.span,
                "add the inner list up in a let value first",
            )
        self.summing = True
        try:
            return self.sum_over(node, scope, module)
        finally:
            self.summing = False

    def sum_over(self, node: m.SumOver, scope: Mapping[str, Typed], module: str) -> Typed:
        symbol = self.lookup(node.list_name, module)
        if symbol is None or symbol.kind != "input" or symbol.decl.kind != "list":  # type: ignore[attr-defined]
            return self.error(
                "E219",
                f"'{node.list_name}' is not a list input",
                node.span,
                "sum over takes an input declared as: list { ... }",
            )
        self.plan.used.add(symbol.name)
        fields = {}
        for fld in symbol.decl.fields:  # type: ignore[attr-defined]
            reader = _reader(fld.name)
            if fld.kind == "choice":
                fields[fld.name] = self.choice_value(reader, fld, frozenset([symbol.name]))
            else:
                unit = self.unit_of(fld.unit, fld.span)
                fields[fld.name] = (
                    Typed(reader, "quantity", unit, deps=frozenset([symbol.name]))
                    if unit is not None
                    else POISON
                )
        body = self.expr(node.body, ChainMap(fields, dict(scope)), module)
        if not body.ok:
            return POISON
        if body.kind != "quantity":
            return self.error("E303", "sum over adds numbers", node.span)
        fn, key = body.fn, symbol.name
        return Typed(
            lambda env: math.fsum(fn(env.item(item)) for item in env[key]),
            "quantity",
            body.unit,
            deps=body.deps | {key},
        )

    def visit_Call(self, node: m.Call, scope: Mapping[str, Typed], module: str) -> Typed:
        if node.function == "given":
            return self.given(node, module)
        symbol = self.lookup(node.function, module)
        args = [
            self.choice_literal(a, i, symbol, scope, module) or self.expr(a, scope, module)
            for i, a in enumerate(node.args)
        ]
        if not all(a.ok for a in args):
            return POISON
        if node.function in ("min", "max"):
            return self.extremum(node, args)
        if symbol is None or symbol.kind != "formula":
            names = [s for s, v in self.symbols.items() if v.kind == "formula"]
            return self.error(
                "E220",
                f"unknown formula '{node.function}'",
                node.span,
                exprs.suggest(node.function, names + ["min", "max", "given"])
                or "built in: min, max, given",
            )
        self.plan.used.add(symbol.name)
        return self.inline(node, symbol, args)

    def choice_literal(
        self,
        arg: m.Expr,
        index: int,
        symbol: Symbol | None,
        scope: Mapping[str, Typed],
        module: str,
    ) -> Typed | None:
        """An option written as a formula's argument: combustion.gas_co2(volume, natural_gas)."""
        if (
            symbol is None
            or symbol.kind != "formula"
            or not isinstance(arg, m.Ref)
            or arg.name in scope
            or self.lookup(arg.name, module) is not None
        ):
            return None
        params = symbol.decl.params  # type: ignore[attr-defined]
        if index >= len(params) or not params[index].choice_type:
            return None
        option = arg.name
        if option not in self.options_of(params[index], symbol.module):
            return None
        return Typed(lambda env: option, "choice", options=frozenset([option]))

    def given(self, node: m.Call, module: str) -> Typed:
        target = node.args[0] if len(node.args) == 1 else None
        symbol = self.lookup(target.name, module) if isinstance(target, m.Ref) else None
        if symbol is None or symbol.kind != "input":
            return self.error("E221", "given(...) takes the name of one input", node.span)
        self.plan.used.add(symbol.name)
        key = symbol.name
        if symbol.decl.kind == "list":  # type: ignore[attr-defined]
            # A list left out reads as no items: given() means "has items".
            return Typed(lambda env: bool(env.get(key)), "bool", deps=frozenset([key]))
        return Typed(lambda env: env.get(key) is not None, "bool", deps=frozenset([key]))

    def extremum(self, node: m.Call, args: list[Typed]) -> Typed:
        if not args or any(a.kind != "quantity" for a in args):
            return self.error("E222", f"{node.function}(...) takes one or more numbers", node.span)
        unit = args[0].unit
        for other in args[1:]:
            common = self.common_unit(
                Typed(args[0].fn, "quantity", unit), other, node, node.function
            )
            if common is None:  # reported: the arguments measure different things
                return POISON
            unit = common
        scaled = [(a.fn, _k(a, unit)) for a in args]
        pick = min if node.function == "min" else max
        return Typed(
            lambda env: pick(f(env) * k for f, k in scaled),
            "quantity",
            unit,
            deps=frozenset().union(*(a.deps for a in args)),
        )

    def inline(self, node: m.Call, symbol: Symbol, args: list[Typed]) -> Typed:
        formula: m.Formula = symbol.decl  # type: ignore[assignment]
        if symbol.name in self.calling:
            return self.error(
                "E312",
                "a formula calls itself: " + " -> ".join(self.calling + [symbol.name]),
                node.span,
                "formulas cannot be recursive",
            )
        if len(args) != len(formula.params):
            return self.error(
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
        body = self.expr(formula.expr, bound, symbol.module)
        self.calling.pop()
        if not body.ok:
            return POISON
        result = self.convert_to(body, formula.unit, f"formula '{formula.name}'", formula.span)
        deps = frozenset().union(*(a.deps for a in args)) | body.deps
        return Typed(result.fn, result.kind, result.unit, deps=deps) if result.ok else POISON

    def argument(self, node: m.Call, param: m.Param, arg: Typed, module: str) -> Typed:
        if param.choice_type:
            allowed = self.options_of(param, module)
            if arg.kind != "choice" or not arg.options <= allowed:
                extra = ", ".join(sorted(arg.options - allowed)) if arg.kind == "choice" else ""
                return self.error(
                    "E224",
                    f"argument '{param.name}' of {node.function} must be "
                    f"one of {', '.join(sorted(allowed))}" + (f"; not {extra}" if extra else ""),
                    node.span,
                )
            return arg
        if arg.kind != "quantity":
            return self.error(
                "E224",
                f"argument '{param.name}' of {node.function} must be a quantity in {param.unit}",
                node.span,
            )
        return (
            self.convert_to(
                arg, param.unit, f"argument '{param.name}' of {node.function}", node.span
            )
            if param.unit
            else arg
        )

    # ----------------------------------------------------------------- source text
    def snippet(self, node: m.Expr) -> str:
        span = node.span
        text = self.resolved.sources.get(span.file, "") if span else ""
        if not text or span is None or span.line != span.end_line:
            return type(node).__name__.lower()
        return text.split("\n")[span.line - 1][span.column - 1 : span.end_column - 1]


def _real_power(base: float, exponent: float, written: str, span: Span | None) -> float:
    """base ** exponent as a real number: 0 to a negative power divides by zero, and a negative
    base to a fractional power, which Python answers with a complex number, is not a number."""
    try:
        result = base**exponent
    except ZeroDivisionError:
        raise DivisionByZero(written, span) from None
    return result if isinstance(result, (int, float)) else math.nan


def _reader(key: str) -> Fn:
    return lambda env: env[key]


def _optional_reader(key: str, span: Span | None) -> Fn:
    def read(env: Env) -> Any:
        value = env.get(key)
        if value is None:
            raise NotGiven(key, span)
        return value

    return read


def _plain(unit: pint.Unit) -> bool:
    """A unit that is the pure number 1 (t/t cancels to it; % does not)."""
    return not unit._units


def _k(typed: Typed, unit: pint.Unit) -> float:
    if typed.bare is not None and typed.bare == 0:
        return 1.0
    return u.conversion(typed.unit, unit)


def _scaled(typed: Typed, k: float, unit: pint.Unit) -> Typed:
    if k == 1.0:
        return Typed(typed.fn, typed.kind, unit, typed.options, typed.deps)
    fn = typed.fn
    return Typed(lambda env: fn(env) * k, typed.kind, unit, typed.options, typed.deps)


def _base(unit: pint.Unit) -> pint.Unit:
    return u.registry().Quantity(1.0, unit).to_base_units().units


def _unit_text(text: str) -> m.UnitExpr | None:
    return u.unit_from_text(text) if text else None


def _gas_hint(unit: pint.Unit, gas: str) -> str:
    actual = u.gas_of(unit)
    if actual:
        return f"the formula gives a mass of {actual}; declare the line as {actual}"
    return f"multiply by a factor whose unit names the gas, e.g. t {gas}/t"


class _TooComplex(Exception):
    def __init__(self, span: Span | None):
        self.span = span


def compile_plan(resolved: Resolved, probe: Any = None) -> Plan:
    """Compile a resolved PCR. The plan's diagnostics say whether it may be evaluated.

    `probe` (zuji.review.coverage.Probe) records which branches and lines evaluation reaches."""
    compiler = _Compiler(resolved, probe)
    try:
        return compiler.run()
    except _TooComplex as exc:
        most = limits.current().operations
        span, message = exc.span, f"the rule's formulas expand past the operations limit ({most:,})"
    except RecursionError:
        span, message = None, "the rule's formulas nest too deeply to compile"
    compiler.plan.diagnostics.append(
        Diagnostic(
            "E085",
            message,
            span,
            hint="formulas are inlined at every call; call fewer "
            "formulas within formulas, or raise the limit (ZUJI_LIMITS=operations=...)",
        )
    )
    return compiler.plan
