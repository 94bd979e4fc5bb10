"""Formulas as algebra for the semantic diff: written out as physics, proved equal, shown as math.

Compilation folds unit conversions into numbers; here every name carries its unit instead, so two
rules that differ only in how they name, split or convert things give the same algebra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

import sympy  # type: ignore[import-untyped]  # sympy ships without type information

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.review.diff_model import MathDiff
from zuji.review.symbolic import equivalent, is_condition, to_latex, to_sympy
from zuji.runtime.pcr import PCR
from zuji.semantics.resolve import Symbol

T = TypeVar("T")
# Formulas cannot recurse; this only bounds a pathological nesting.
_MAX_DEPTH = 40


def physical(
    expr: m.Expr,
    pcr: PCR,
    module: str = "",
    bound: Mapping[str, m.Expr] | None = None,
    depth: int = 0,
) -> m.Expr:
    """The expression as physics: values and formulas written out, each factor as its dataset
    entry times the entry's unit, each quantity input times its unit.

    Compilation folds unit conversions into numbers; here every name carries its unit instead,
    so two rules that differ only in how they name, split or convert things give the same
    algebra. Units are independent symbols (t and kg never cancel), so what is proved equal is
    equal; a rewrite through a different unit is only "not proven".
    """
    if depth > _MAX_DEPTH:
        return expr
    return exprs.map_expr(expr, _WriteOut(pcr, module, bound or {}, depth), pcr.rule)


def _unit(written: m.UnitExpr | None) -> m.Expr:
    return m.Number(1.0, written) if written is not None else m.Number(1.0)


def _times(node: m.Expr, written: m.UnitExpr | None) -> m.Expr:
    return node if written is None else m.BinOp("*", node, _unit(written))


@dataclass(frozen=True)
class _WriteOut:
    """The rewrite `physical` applies to each node of one expression of one (module's) scope."""

    pcr: PCR
    module: str
    bound: Mapping[str, m.Expr]  # a formula's parameters, bound to the call's arguments
    depth: int

    def __call__(self, node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        if isinstance(node, m.SumOver):
            return self._tag_fields(node)
        if isinstance(node, m.Ref):
            return self._ref(node, shadow)
        if isinstance(node, m.FactorRef):
            return _times(node, self._entry_unit(node.target))
        if isinstance(node, m.Index):
            return self._index(node)
        if isinstance(node, m.Call) and node.function not in ("min", "max", "given"):
            return self._call(node)
        return None

    def _symbol(self, name: str) -> Symbol | None:
        symbols = self.pcr.resolved.symbols
        full = f"{self.module}.{name}" if self.module else name
        return symbols.get(full) or symbols.get(name)

    def _entry_unit(self, name: str) -> m.UnitExpr | None:
        entry = self.pcr.resolved.entries.get(name)
        if entry is not None:
            return entry.unit
        members = self.pcr.resolved.families.get(name) or {}
        return next(iter(members.values())).unit if members else None

    def _ref(self, node: m.Ref, shadow: frozenset[str]) -> m.Expr | None:
        if node.name in shadow:
            return None
        if node.name in self.bound:
            return self.bound[node.name]
        symbol = self._symbol(node.name)
        if symbol is None:
            return None  # an option written as an argument
        decl = symbol.decl
        if symbol.kind == "input" and isinstance(decl, m.Input) and decl.kind == "quantity":
            return _times(m.Ref(symbol.name), decl.unit)
        if symbol.kind == "let" and isinstance(decl, m.Let):
            return physical(decl.expr, self.pcr, symbol.module, None, self.depth + 1)
        if symbol.kind == "factor" and isinstance(decl, m.Factor):
            return _times(m.FactorRef(decl.target), self._entry_unit(symbol.name))
        return m.Ref(symbol.name)

    def _index(self, node: m.Index) -> m.Expr | None:
        symbol = self._symbol(node.family)
        if symbol is not None and isinstance(symbol.decl, m.Factor):
            return _times(
                m.Index(symbol.decl.target + ".*", node.key), self._entry_unit(symbol.name)
            )
        return None

    def _call(self, node: m.Call) -> m.Expr | None:
        symbol = self._symbol(node.function)
        if symbol is None or not isinstance(symbol.decl, m.Formula):
            return None
        formula = symbol.decl
        if len(formula.params) != len(node.args):
            return None
        args = {p.name: arg for p, arg in zip(formula.params, node.args, strict=True)}
        return physical(formula.expr, self.pcr, symbol.module, args, self.depth + 1)

    def _tag_fields(self, node: m.SumOver) -> m.Expr:
        # Inside sum over, a list field is a quantity of its declared unit.
        rule = self.pcr.rule
        found = rule.input(node.list_name)
        units = {f.name: f.unit for f in (found.fields if found else ()) if f.kind == "quantity"}

        def field(inner: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
            if isinstance(inner, m.Ref) and inner.name in units and inner.name in shadow:
                return _times(inner, units[inner.name])
            return None

        return replace(node, body=exprs.map_expr(node.body, field, rule, frozenset(units)))


def written_out(expr: m.Expr, pcr: PCR) -> m.Expr:
    """`physical`, or the expression itself when it cannot be written out."""
    try:
        return physical(expr, pcr)
    except Exception:  # a form that cannot be written out is "not proven"
        return expr


def _same_fields(a: m.RuleFile, b: m.RuleFile, expr: m.Expr) -> bool:
    for node in exprs.walk(expr):
        if isinstance(node, m.SumOver):
            x, y = a.input(node.list_name), b.input(node.list_name)
            if (x.fields if x else None) != (y.fields if y else None):
                return False
    return True


def proven_equal(old: m.Expr, new: m.Expr, a: m.RuleFile, b: m.RuleFile) -> bool:
    """Equal for every value of their names. List fields (ItemSymbols) are read from one
    rule, so the proof is attempted only when both versions give the lists the same fields."""
    if old == new:
        return True
    if not (_same_fields(a, b, old) and _same_fields(a, b, new)):
        return False
    return equivalent(old, new, b)


def math_diff(old: m.Expr | None, new: m.Expr | None, a: m.RuleFile, b: m.RuleFile) -> MathDiff:
    """Both formulas as algebra and, for numbers, new minus old simplified."""
    x = _safe(lambda: to_sympy(old, a)) if old is not None else None
    y = _safe(lambda: to_sympy(new, b)) if new is not None else None
    difference = None
    if x is not None and y is not None and not (is_condition(x) or is_condition(y)):
        difference = _safe(lambda: str(_simplify(y - x)))
    return MathDiff(
        old=str(x) if x is not None else None,
        new=str(y) if y is not None else None,
        old_latex=_safe(lambda: to_latex(old, a)) if old is not None else None,
        new_latex=_safe(lambda: to_latex(new, b)) if new is not None else None,
        difference=difference,
    )


def _simplify(expr: sympy.Basic) -> sympy.Basic:
    # simplify is thorough but can take seconds on a large Piecewise; expand is enough there.
    if sympy.count_ops(expr) > 150:
        return sympy.expand(expr)
    return sympy.simplify(expr)


def _safe(make: Callable[[], T]) -> T | None:
    try:
        return make()
    except Exception:  # a formula sympy cannot take is shown without algebra
        return None
