"""Exact sensitivities of a footprint: the partial derivative and the elasticity of the total with
respect to every input and factor value an evaluation reads, and each line's share of the total.

The footprint's symbolic form is built by running the PCR's own compiled plan on traced numbers:
each input and factor value is a float that also carries a sympy expression, starting as its own
Symbol, and every operation of the plan combines the expressions as it combines the floats. The
plan is compiled with `TracingClosures`, which keep those numbers traced where the float
closures would make plain floats of them (a quotient, a sum over a list, a family member). So the
symbolic total is exactly the arithmetic the engine runs, with its unit conversions, module
formulas, lets, list items, allocation shares and reference flow; comparisons (`if`, `min`,
`max`) are decided on the floats, which gives the branch this inventory takes, and the derivative
there. sympy then differentiates the total exactly and the derivatives are evaluated at the
inventory's values.

This is review, not runtime: sympy is a heavy import, a sensitivity is an analysis a verifier or
a committee asks for, and `evaluate` must stay free of it (runtime may not import review, where
the symbolic algebra of rules lives).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy  # type: ignore[import-untyped]  # sympy ships without type information

from zuji.core.errors import (
    DivisionByZero,
    EvaluationError,
    MissingMember,
    NotGiven,
    Span,
)
from zuji.lang import model as m
from zuji.runtime.factors import bind_factors
from zuji.runtime.inventory import Inventory
from zuji.runtime.item_amounts import item_unit
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Contribution, Result, Sensitivity, SensitivityFigure
from zuji.runtime.run import Run, call, gwp_set
from zuji.runtime.scope import Deferred, Scope
from zuji.semantics.compile import Closures, Fn, Plan, compile_plan
from zuji.semantics.compile.closures import placed
from zuji.semantics.compile.plan import Env

__all__ = ["Traced", "TracingClosures", "sensitivity", "symbolic_total", "with_sensitivity"]


def _expr(x: Any) -> Any:
    if isinstance(x, Traced):
        return x.expr
    return x if isinstance(x, sympy.Basic) else sympy.Float(float(x))


class Traced(float):
    """A float that carries the sympy expression it was computed by."""

    __slots__ = ("expr",)
    expr: Any

    def __new__(cls, value: float, expr: Any) -> Traced:
        made = super().__new__(cls, value)
        made.expr = expr
        return made

    def _of(self, value: float, expr: Any) -> Traced:
        return Traced(value, expr)

    def __add__(self, o: Any) -> Traced:
        return self._of(float(self) + float(o), self.expr + _expr(o))

    def __radd__(self, o: Any) -> Traced:
        return self._of(float(o) + float(self), _expr(o) + self.expr)

    def __sub__(self, o: Any) -> Traced:
        return self._of(float(self) - float(o), self.expr - _expr(o))

    def __rsub__(self, o: Any) -> Traced:
        return self._of(float(o) - float(self), _expr(o) - self.expr)

    def __mul__(self, o: Any) -> Traced:
        return self._of(float(self) * float(o), self.expr * _expr(o))

    def __rmul__(self, o: Any) -> Traced:
        return self._of(float(o) * float(self), _expr(o) * self.expr)

    def __truediv__(self, o: Any) -> Traced:
        return self._of(float(self) / float(o), self.expr / _expr(o))

    def __rtruediv__(self, o: Any) -> Traced:
        return self._of(float(o) / float(self), _expr(o) / self.expr)

    def __pow__(self, o: Any) -> Traced:  # type: ignore[override]  # a real power, as the plan asks
        return self._of(float(self) ** float(o), self.expr ** _expr(o))

    def __rpow__(self, o: Any) -> Traced:  # type: ignore[override]  # a real power
        return self._of(float(o) ** float(self), _expr(o) ** self.expr)

    def __neg__(self) -> Traced:
        return self._of(-float(self), -self.expr)

    def __pos__(self) -> Traced:
        return self


class TracingClosures(Closures):
    """The float closures, except where they would turn a traced number into a plain float."""

    def quotient(self, lf: Fn, rf: Fn, divisor: str, span: Span | None) -> Fn:
        def quotient(env: Env) -> Any:
            denominator = rf(env)
            if denominator == 0:
                raise DivisionByZero(divisor, span)
            return lf(env) / denominator

        return quotient

    def sum_over(self, fn: Fn, key: str) -> Fn:
        def total(env: Env) -> Any:
            items = env[key]
            try:
                return sum((fn(env.item(item)) for item in items), 0.0)
            except NotGiven as exc:
                raise placed(exc, key, fn, env, items) from None

        return total

    def member(
        self,
        name: str,
        pick: Fn,
        conversions: Mapping[str, float],
        member_keys: Mapping[str, str],
    ) -> Fn:
        def member(env: Env) -> Any:
            option = pick(env)
            values = env[name]
            if option not in values:
                raise MissingMember(name, option)
            env.note(member_keys[option])
            return values[option] * conversions[option]

        return member


@dataclass(frozen=True)
class SymbolicTotal:
    """The footprint per declared unit as a sympy expression of the values it read."""

    total: Any
    values: dict[str, float]  # each symbol's value for this inventory, in the PCR's unit
    units: dict[str, str]
    kinds: dict[str, str]  # input or factor
    references: dict[str, str]  # a factor's dataset entry


def _traced_run(pcr: PCR, inventory: Inventory) -> tuple[Run, SymbolicTotal]:
    plan: Plan = compile_plan(pcr.resolved, closures=TracingClosures())
    run = Run(plan, inventory, dict(inventory.values))
    bind_factors(run)
    found = SymbolicTotal(sympy.Integer(0), {}, {}, {}, {})
    _trace_inputs(run, pcr, found)
    _trace_factors(run, found)
    return run, found


def _symbol(name: str, value: float, unit: str, kind: str, found: SymbolicTotal) -> Traced:
    found.values[name], found.units[name], found.kinds[name] = float(value), unit, kind
    return Traced(value, sympy.Symbol(name))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _trace_inputs(run: Run, pcr: PCR, found: SymbolicTotal) -> None:
    for inp in pcr.rule.inputs:
        value = run.env.get(inp.name)
        if inp.kind == "list" and isinstance(value, list):
            run.env[inp.name] = [
                _traced_item(pcr, inp, i, item, found) for i, item in enumerate(value)
            ]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            run.env[inp.name] = _symbol(inp.name, value, str(inp.unit or ""), "input", found)


def _traced_item(
    pcr: PCR, inp: m.Input, index: int, item: dict[str, Any], found: SymbolicTotal
) -> dict[str, Any]:
    """A list's item, each number a symbol in its unit (for a field in several units, the one
    of the item's option)."""
    fields = {f.name: f for f in inp.fields}
    units = {k: item_unit(pcr.plan.item_units, inp, item, f) for k, f in fields.items()}
    return {
        k: _symbol(f"{inp.name}[{index}].{k}", v, units.get(k, ""), "input", found)
        if _is_number(v)
        else v
        for k, v in item.items()
    }


def _trace_factors(run: Run, found: SymbolicTotal) -> None:
    resolved = run.plan.resolved
    for name, entry in resolved.entries.items():
        if _is_number(run.env.get(name)):
            found.references[name] = entry.reference
            run.env[name] = _symbol(name, run.env[name], str(entry.unit), "factor", found)
    for name, members in resolved.families.items():
        values = run.env.get(name)
        if isinstance(values, dict):
            traced = {}
            for key, value in values.items():
                label = f"{name}[{key}]"
                found.references[label] = members[key].reference
                traced[key] = _symbol(label, value, str(members[key].unit), "factor", found)
            run.env[name] = traced


def symbolic_total(pcr: PCR, inventory: Inventory) -> SymbolicTotal:
    """The footprint per declared unit (emissions, credits and removals apart, as the total is)
    as an exact expression of the inputs and factor values this inventory's evaluation reads."""
    run, found = _traced_run(pcr, inventory)
    plan = run.plan
    for step in plan.steps:
        try:
            value = call(step.fn, Scope(run.env, set()), step.decl.span, step.name, True)
        except NotGiven as exc:
            value = Deferred.not_given(exc, step.name)
        except EvaluationError as exc:
            value = Deferred(error=exc)
        run.env[step.name] = value
    flow = _reference_flow(run)
    shares = _shares(run)
    gwp = gwp_set(run)
    per_du = []
    for lp in plan.lines:
        if lp.line.kind != "emission":
            continue
        value = call(lp.fn, Scope(run.env, set()), lp.line.span, f"line '{lp.line.name}'")
        factor = lp.to_kg * gwp.factor(lp.line.gas, lp.line.origin)
        per_du.append(_expr(value) * factor * _expr(shares.get(lp.line.stage, 1.0)) / flow)
    total = sympy.Add(*per_du)
    return SymbolicTotal(total, found.values, found.units, found.kinds, found.references)


def _reference_flow(run: Run) -> Any:
    declared = run.plan.pcr.declared_unit
    if declared is None:
        return sympy.Integer(1)
    return _expr(run.env[declared.product]) * run.plan.declared_unit_factor


def _shares(run: Run) -> dict[str, Any]:
    """The reference product's share of each allocated stage, traced: a share depends on the
    co-products' amounts (and weights), so its derivatives are part of the footprint's."""
    declared = run.plan.pcr.declared_unit
    reference = declared.product if declared else ""
    shares: dict[str, Any] = {}
    for ap in run.plan.allocations:
        weights = {}
        for product in ap.products:
            quantity = run.env[product.name] * product.quantity_to_base
            weight: Any = 1.0
            if product.weight is not None:
                what = f"the weight of '{product.name}'"
                weight = call(product.weight.fn, Scope(run.env, set()), ap.allocation.span, what)
                weight = weight * product.weight_to_base
            weights[product.name] = weight if product.weight_only else quantity * weight
        total = sum((_expr(w) for w in weights.values()), sympy.Integer(0))
        share = _expr(weights[reference]) / total if reference in weights else sympy.Integer(1)
        for stage in ap.allocation.stages:
            shares[stage] = share
    return shares


def sensitivity(pcr: PCR, inventory: Inventory, result: Result) -> Sensitivity:
    """Every partial derivative of the total, its elasticity, ranked by the elasticity's size;
    and each line's share of the total, largest first."""
    found = symbolic_total(pcr, inventory)
    symbols = sorted(found.total.free_symbols, key=lambda s: str(s.name))
    at = {s: found.values[s.name] for s in symbols}
    point = [at[s] for s in symbols]
    total = float(_evaluator(found.total, symbols)(*point))
    figures = []
    for symbol in symbols:
        derivative = float(_evaluator(sympy.diff(found.total, symbol), symbols)(*point))
        value = at[symbol]
        elasticity = derivative * value / total if total else math.nan
        figures.append(
            SensitivityFigure(
                name=symbol.name,
                kind=found.kinds[symbol.name],
                reference=found.references.get(symbol.name),
                value=value,
                unit=found.units[symbol.name],
                derivative=derivative,
                elasticity=elasticity if math.isfinite(elasticity) else None,
            )
        )
    figures.sort(key=lambda f: (-abs(f.elasticity or 0.0), f.name))
    contributions = sorted(
        (
            Contribution(line=f.name, stage=f.stage, co2e_kg=f.co2e_kg, share=f.share_of_total)
            for f in result.lines
            if f.kind == "emission"
        ),
        key=lambda c: -(c.share or 0.0),
    )
    return Sensitivity(
        method="exact partial derivatives of the symbolic footprint (sympy), at the inventory",
        total=total,
        parameters=figures,
        contributions=contributions,
    )


def _evaluator(expr: Any, symbols: Sequence[Any]) -> Callable[..., float]:
    fn: Callable[..., float] = sympy.lambdify(symbols, expr, modules="math")
    return fn


def with_sensitivity(pcr: PCR, inventory: Inventory, result: Result) -> Result:
    """The result with its `sensitivity` section filled in."""
    return result.model_copy(update={"sensitivity": sensitivity(pcr, inventory, result)})
