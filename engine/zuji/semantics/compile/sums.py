"""`sum over` a list whose items are in the units of their options.

A field declared `t or Nm3 or GJ as fuel_co2[fuel]` is in t for some items and in Nm3 for others
(item_units.py decides which): the body of a sum over such a list is compiled once per option of
the key, each time with the field in that option's unit and the key narrowed to the option, so a
family it indexes has one unit; the bodies are brought to one unit and picked by each item's
option, with the closures every generator has (`is`, `if`), so the scalar, vectorised and
tracing generators all evaluate it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.plan import POISON, Fn, ListUnits, Typed
from zuji.semantics.compile.units import factor

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler


def by_option(
    compiler: ExpressionCompiler,
    node: m.SumOver,
    inp: m.Input,
    listed: ListUnits,
    fields: dict[str, Typed],
) -> Typed:
    """A sum over a list whose items are in the units of their options: the body compiled
    once per option of the key (each field in that option's unit, the key narrowed to it,
    so a family it indexes has one unit), the item's option picking its body."""
    key, deps = fields[listed.key], frozenset([inp.name])
    if not key.ok:
        return POISON
    findings = compiler.compilation.findings.items
    before = len(findings)
    bodies: list[tuple[str, Typed]] = []
    for option in listed.options:
        scope = dict(fields)
        scope[listed.key] = replace(key, options=frozenset([option]), declared=key.options)
        for fld in inp.fields:
            if fld.name not in listed.fields:
                continue
            unit = compiler.units.unit_of(listed.unit(fld.name, option), node.span)
            read = compiler.field_reader(inp, fld, node.span)
            scope[fld.name] = (
                Typed(read, "quantity", unit, deps=deps) if unit is not None else POISON
            )
        with compiler.items_of(inp, scope):
            body = compiler.visit(node.body)
        if not body.ok or len(findings) > before:  # each mistake said once, not per option
            findings[before:] = list(dict.fromkeys(findings[before:]))
            return POISON
        if body.kind != "quantity":
            return compiler.error("E303", "sum over adds numbers", node.span)
        bodies.append((option, body))
    return _joined(compiler, node, listed, key, bodies, deps)


def _joined(
    compiler: ExpressionCompiler,
    node: m.SumOver,
    listed: ListUnits,
    key: Typed,
    bodies: list[tuple[str, Typed]],
    deps: frozenset[str],
) -> Typed:
    """The bodies of the options as one: each in the unit of the first with a unit, picked
    by the item's option (E316 when two options give different kinds of quantity)."""
    first_option, first = next(((o, b) for o, b in bodies if b.bare != 0), bodies[0])
    unit = first.measure
    picked: Fn | None = None
    for option, body in reversed(bodies):
        if not u.same_dimension(body.measure, unit) and body.bare != 0:
            return compiler.error(
                "E316",
                f"sum over {listed.list_name} gives {u.format_unit(unit)} for items whose "
                f"{listed.key} is {first_option} but {u.format_unit(body.measure)} "
                f"({u.describe_dimension(body.measure)}) for {option}",
                node.span,
                "each item's amount is in the unit its factor is per: multiply it by "
                f"that factor ({listed.families[next(iter(listed.fields))]}[{listed.key}]) "
                "before adding items up",
            )
        scaled_fn, k = body.fn, factor(body, unit)
        if picked is None:
            picked = _times(scaled_fn, k)
        else:
            test = compiler.closures.is_option(key.fn, option, False)
            picked = compiler.closures.branch(test, scaled_fn, k, picked, 1.0)
        deps = deps | body.deps
    assert picked is not None  # a choice has at least one option
    return Typed(compiler.closures.sum_over(picked, listed.list_name), "quantity", unit, deps=deps)


def _times(fn: Fn, k: float) -> Fn:
    return fn if k == 1.0 else (lambda env: fn(env) * k)


def reads(body: m.Expr, names: set[str]) -> bool:
    """Whether an expression names any of these (a list's fields in several units)."""
    return any(isinstance(x, m.Ref) and x.name in names for x in exprs.walk(body))
