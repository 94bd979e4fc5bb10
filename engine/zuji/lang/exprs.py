"""The expression toolkit: every pass that looks into or rebuilds rule expressions uses these, so
the shape of an expression tree is known in one place.

- :func:`children` and :func:`walk`: the sub-expressions of a node, and every node of a tree;
- :func:`map_expr`: rebuild a tree bottom-up, replacing nodes (names a `sum over` hides are
  passed along, since inside it a list's fields shadow the file's names);
- :func:`reads`: the names a tree reads; :func:`inline_lets`: values (lets) written out;
- :func:`expressions`: every expression of a rule file, in order of declaration;
- :class:`Visitor`: dispatch on the node's class, for passes that compute one thing per node;
- :func:`suggest`: the one "did you mean" lookup of names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from typing import Generic, TypeVar

from zuji.lang import model as m

T = TypeVar("T")


def children(expr: m.Expr) -> tuple[m.Expr, ...]:
    """The direct sub-expressions of a node."""
    match expr:
        case m.BinOp(_, left, right) | m.Compare(_, left, right):
            return (left, right)
        case m.Negate(operand) | m.Not(operand):
            return (operand,)
        case m.IsChoice(subject):
            return (subject,)
        case m.Logical(_, operands):
            return operands
        case m.If(condition, then, otherwise):
            return (condition, then, otherwise)
        case m.Call(_, args):
            return args
        case m.Index(_, key):
            return (key,)
        case m.SumOver(_, body):
            return (body,)
    return ()


def walk(expr: m.Expr) -> Iterator[m.Expr]:
    """Every node of an expression, the node itself first."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def map_expr(
    expr: m.Expr,
    fn: Callable[[m.Expr, frozenset[str]], m.Expr | None],
    rule: m.RuleFile,
    shadow: frozenset[str] = frozenset(),
) -> m.Expr:
    """Rebuild an expression bottom-up; fn may replace a node (None keeps it). Inside
    `sum over`, the list's fields are in `shadow`: they hide names of the file."""

    def again(child: m.Expr, hidden: frozenset[str] = shadow) -> m.Expr:
        return map_expr(child, fn, rule, hidden)

    match expr:
        case m.BinOp() | m.Compare():
            expr = replace(expr, left=again(expr.left), right=again(expr.right))
        case m.Negate() | m.Not():
            expr = replace(expr, operand=again(expr.operand))
        case m.IsChoice():
            expr = replace(expr, subject=again(expr.subject))
        case m.Logical():
            expr = replace(expr, operands=tuple(again(o) for o in expr.operands))
        case m.If():
            expr = replace(
                expr,
                condition=again(expr.condition),
                then=again(expr.then),
                otherwise=again(expr.otherwise),
            )
        case m.Call() if expr.function != "given":  # given(x) names an input, not a value
            expr = replace(expr, args=tuple(again(a) for a in expr.args))
        case m.Index():
            expr = replace(expr, key=again(expr.key))
        case m.SumOver():
            found = rule.input(expr.list_name)
            fields = frozenset(f.name for f in found.fields) if found else frozenset()
            expr = replace(expr, body=again(expr.body, shadow | fields))
    swapped = fn(expr, shadow)
    return expr if swapped is None else swapped


def inline_lets(
    expr: m.Expr, rule: m.RuleFile, keep: frozenset[str] = frozenset(), _seen: tuple[str, ...] = ()
) -> m.Expr:
    """The expression with every value (let) of the file written out, except those in keep."""
    lets = {let.name: let for let in rule.lets}

    def swap(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        if (
            isinstance(node, m.Ref)
            and node.name in lets
            and node.name not in shadow
            and node.name not in keep
            and node.name not in _seen
        ):
            return inline_lets(lets[node.name].expr, rule, keep, (*_seen, node.name))
        return None

    return map_expr(expr, swap, rule)


def reads(expr: m.Expr) -> set[str]:
    """Names an expression reads: references, formulas called, families indexed, factors."""
    out: set[str] = set()
    for node in walk(expr):
        if isinstance(node, m.Ref):
            out.add(node.name)
        elif isinstance(node, m.Call):
            out.add(node.function)
        elif isinstance(node, m.Index):
            out.add(node.family)
        elif isinstance(node, m.FactorRef):
            out.add(node.target)
        elif isinstance(node, m.SumOver):
            out.add(node.list_name)
    return out


def expressions(rule_file: m.RuleFile) -> list[m.Expr]:
    """Every expression of a rule file, in order of declaration."""
    exprs: list[m.Expr] = [x.expr for x in rule_file.lets]
    exprs += [f.expr for f in rule_file.formulas]
    exprs += [line.expr for line in rule_file.lines]
    exprs += [p.weight for a in rule_file.allocations for p in a.products if p.weight is not None]
    exprs += [a.expr for a in rule_file.assertions]
    return exprs


class Visitor(Generic[T]):
    """Computes one T per node by calling ``visit_<NodeClass>``; a node class without a method
    goes to :meth:`generic`, which by default refuses it, so a new construct of the language is
    never passed over silently."""

    def visit(self, expr: m.Expr) -> T:
        method: Callable[[m.Expr], T] | None = getattr(self, f"visit_{type(expr).__name__}", None)
        return method(expr) if method is not None else self.generic(expr)

    def generic(self, expr: m.Expr) -> T:
        raise NotImplementedError(f"{type(self).__name__} has no visit_{type(expr).__name__}")


def suggest(name: str, known: Collection[str]) -> str:
    """A "did you mean" hint for a misspelt name, or "" when nothing is close."""
    close = difflib.get_close_matches(name, list(known), n=3)
    return ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""
