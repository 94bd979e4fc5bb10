"""Code generation: an expression becomes a closure on plain floats, its unit inferred on the way.

One visit per node: the unit checks (units.py) decide the unit and the conversion factors, which
are folded into the closure built here. What a name reads is values.py's business, and what a
formula's call compiles to inline.py's. A coverage probe, when given, wraps the branches of `if`
and each `is` test. The closures of the constructs that are not plain arithmetic come from the
compilation's Closures (closures.py): on floats for one inventory, on numpy arrays for many
(vector.py).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from zuji.core.errors import Span
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.inline import Inliner
from zuji.semantics.compile.names import Names
from zuji.semantics.compile.order import ValueOrder
from zuji.semantics.compile.plan import POISON, Env, Fn, Typed
from zuji.semantics.compile.state import Compilation
from zuji.semantics.compile.sums import by_option, reads
from zuji.semantics.compile.units import UnitChecks, factor, power_of
from zuji.semantics.compile.values import NameReader

Scope = Mapping[str, Typed]


class ExpressionCompiler(exprs.Visitor[Typed]):
    """Compiles expressions in a scope (formula parameters, list fields) within a module."""

    def __init__(self, compilation: Compilation) -> None:
        self.compilation = compilation
        self.probe = compilation.probe
        self.closures = compilation.closures
        self.names = Names(compilation)
        self.units = UnitChecks(compilation)
        self.order = ValueOrder(self)
        self.reader = NameReader(self)
        self.inliner = Inliner(self)
        self.scope: Scope = {}
        self.module = ""  # alias of the module whose names the expression reads
        self.summing = False
        # The list whose item the scope's fields are (inside `sum over`): given(field) tests it.
        self.item: m.Input | None = None

    def error(self, code: str, message: str, span: Span | None, hint: str = "") -> Typed:
        return self.compilation.error(code, message, span, hint)

    # ----------------------------------------------------------------- entry points
    def expr(self, node: m.Expr, scope: Scope, module: str) -> Typed:
        """The typed closure of an expression, its names looked up in scope, then the module."""
        with self.frame(scope, module):
            return self.visit(node)

    def visit(self, expr: m.Expr) -> Typed:
        """A node, in the current scope and module, counted against the operations budget.

        Dispatch is done here rather than in a further call of exprs.Visitor.visit: formulas
        inlined within formulas nest deeply, and each Python frame per node counts."""
        self.compilation.count(expr.span)
        method = getattr(self, f"visit_{type(expr).__name__}", None)
        return method(expr) if method is not None else self.generic(expr)

    @contextmanager
    def frame(self, scope: Scope, module: str) -> Iterator[None]:
        """Compile within a scope (parameters, list fields) and a module's names."""
        saved = self.scope, self.module, self.item
        self.scope, self.module, self.item = scope, module, None
        try:
            yield
        finally:
            self.scope, self.module, self.item = saved

    @contextmanager
    def items_of(self, listed: m.Input, fields: dict[str, Typed]) -> Iterator[None]:
        """Compile a `sum over` body: the item's fields first, then the names around it."""
        with self.frame(ChainMap(fields, dict(self.scope)), self.module):
            self.item = listed
            yield

    def field_reader(self, listed: m.Input, fld: m.Input, span: Span | None) -> Fn:
        """The closure reading an item's field; an optional one an item may leave out (E620)."""
        if fld.optional and fld.default is None:
            return self.closures.optional_field(listed.name, fld.name, span)
        return self.closures.field(fld.name)

    # ----------------------------------------------------------------- leaves
    def visit_Number(self, node: m.Number) -> Typed:
        value = node.value
        if node.unit is None:
            return Typed(self.closures.constant(value), "quantity", u.dimensionless(), bare=value)
        unit = self.units.unit_of(node.unit, node.span)
        if unit is None:
            return POISON
        return Typed(self.closures.constant(value), "quantity", unit)

    def visit_Ref(self, node: m.Ref) -> Typed:
        if node.name in self.scope:
            return self.scope[node.name]
        symbol = self.names.lookup(node.name, self.module)
        if symbol is None:
            return self.names.undefined(node.name, node.span, self.module)
        self.names.use(symbol.name)
        return self.reader.symbol_value(symbol, node.span)

    def visit_FactorRef(self, node: m.FactorRef) -> Typed:
        return self.reader.factor_ref(node)

    def visit_Index(self, node: m.Index) -> Typed:
        return self.reader.index(node)

    def visit_Call(self, node: m.Call) -> Typed:
        """A formula, inlined at its call (inline.py), or a built-in function."""
        inliner = self.inliner
        if node.function == "given":
            return inliner.given(node)
        symbol = self.names.lookup(node.function, self.module)
        is_formula = symbol is not None and isinstance(symbol.decl, m.Formula)
        if not is_formula and node.function not in ("min", "max"):
            # Before the arguments: a misspelt formula's choice arguments would otherwise be
            # reported as unknown names, hiding the one mistake the writer made. Their names
            # count as read, so that no "never used" warning is added to the error.
            for ref in (r for a in node.args for r in exprs.walk(a) if isinstance(r, m.Ref)):
                if (found := self.names.lookup(ref.name, self.module)) is not None:
                    self.names.use(found.name)
            return inliner.unknown(node)
        scope = self.scope
        args = [
            inliner.choice_literal(a, i, symbol, scope) or self.visit(a)
            for i, a in enumerate(node.args)
        ]
        if not all(a.ok for a in args):
            return POISON
        if node.function in ("min", "max"):
            return inliner.extremum(node, args)
        if symbol is None or not isinstance(symbol.decl, m.Formula):
            return inliner.unknown(node)
        self.names.use(symbol.name)
        return inliner.inline(node, symbol, symbol.decl, args)

    # ----------------------------------------------------------------- arithmetic
    def visit_BinOp(self, node: m.BinOp) -> Typed:
        left, right = self.visit(node.left), self.visit(node.right)
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
            product = self.closures.product(left.fn, right.fn)
            return Typed(product, "quantity", left.measure * right.measure, deps=deps)
        if node.op == "/":
            return self.divide(node, left, right, deps)
        return self.power(node, left, right, deps)

    def additive(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        unit = self.units.common_unit(left, right, node, f"'{node.op}'")
        if unit is None:
            return POISON
        kl, kr = factor(left, unit), factor(right, unit)
        linear = self.closures.linear(node.op, left.fn, kl, right.fn, kr)
        return Typed(linear, "quantity", unit, deps=deps)

    def divide(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        divisor, span = self.snippet(node.right), node.right.span
        quotient = self.closures.quotient(left.fn, right.fn, divisor, span)
        return Typed(quotient, "quantity", left.measure / right.measure, deps=deps)

    def power(self, node: m.BinOp, left: Typed, right: Typed, deps: frozenset[str]) -> Typed:
        lf, rf = left.fn, right.fn
        if not u.same_dimension(right.measure, u.dimensionless()):
            return self.error("E306", "an exponent must be a pure number", node.right.span)
        base, span = self.snippet(node.left), node.left.span
        if u.same_dimension(left.measure, u.dimensionless()):
            kl, kr = factor(left, u.dimensionless()), factor(right, u.dimensionless())
            return Typed(
                self.closures.power(lf, kl, rf, kr, base, span),
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
            self.closures.whole_power(lf, exponent, base, span),
            "quantity",
            power_of(left.measure, exponent),
            deps=deps,
        )

    def visit_Negate(self, node: m.Negate) -> Typed:
        inner = self.visit(node.operand)
        if not inner.ok:
            return POISON
        if inner.kind != "quantity":
            return self.error("E303", f"'-' needs a number, not a {inner.kind}", node.span)
        bare = -inner.bare if inner.bare is not None else None
        negative = self.closures.negative(inner.fn)
        return Typed(negative, "quantity", inner.unit, deps=inner.deps, bare=bare)

    # ----------------------------------------------------------------- conditions
    def visit_Compare(self, node: m.Compare) -> Typed:
        left, right = self.visit(node.left), self.visit(node.right)
        if not (left.ok and right.ok):
            return POISON
        if left.kind == right.kind == "bool" and node.op in ("==", "!="):
            same = self.closures.same_truth(left.fn, right.fn, node.op == "==")
            return Typed(same, "bool", deps=left.deps | right.deps)
        if left.kind != "quantity" or right.kind != "quantity":
            return self.error(
                "E308",
                f"'{node.op}' compares numbers; to test a choice write 'route is eaf'",
                node.span,
            )
        unit = self.units.common_unit(left, right, node, f"'{node.op}'")
        if unit is None:
            return POISON
        kl, kr = factor(left, unit), factor(right, unit)
        test = self.closures.compare(node.op, left.fn, kl, right.fn, kr)
        return Typed(test, "bool", deps=left.deps | right.deps)

    def visit_IsChoice(self, node: m.IsChoice) -> Typed:
        subject = self.visit(node.subject)
        if not subject.ok:
            return POISON
        if subject.kind != "choice":
            return self.error("E309", f"'is' tests a choice, not a {subject.kind}", node.span)
        known = subject.declared or subject.options  # narrowed or not, any declared option
        if node.option not in known:
            return self.error(
                "E218",
                f"'{node.option}' is not one of the options",
                node.span,
                exprs.suggest(node.option, list(known)) or "options: " + ", ".join(sorted(known)),
            )
        test = self.closures.is_option(subject.fn, node.option, node.negated)
        if self.probe is not None:
            return Typed(self.probe.condition(node, test), "bool", deps=subject.deps)
        return Typed(test, "bool", deps=subject.deps)

    def visit_Logical(self, node: m.Logical) -> Typed:
        parts = [self.visit(x) for x in node.operands]
        if not all(p.ok for p in parts):
            return POISON
        if any(p.kind != "bool" for p in parts):
            return self.error("E309", f"'{node.op}' joins conditions", node.span)
        fns = [p.fn for p in parts]
        deps = frozenset[str]().union(*(p.deps for p in parts))
        return Typed(self.closures.logical(node.op, fns), "bool", deps=deps)

    def visit_Not(self, node: m.Not) -> Typed:
        inner = self.visit(node.operand)
        if inner.ok and inner.kind != "bool":
            return self.error("E309", "'not' takes a condition", node.span)
        if not inner.ok:
            return POISON
        return Typed(self.closures.negation(inner.fn), "bool", deps=inner.deps)

    def visit_If(self, node: m.If) -> Typed:
        holds = self.decided(node.condition)
        if holds is not None:
            return self.taken(node, holds)
        cond = self.visit(node.condition)
        then_scope, other_scope = self.narrowed(node.condition)
        with self.frame(then_scope, self.module):
            then = self.visit(node.then)
        with self.frame(other_scope, self.module):
            other = self.visit(node.otherwise)
        if not (cond.ok and then.ok and other.ok):
            return POISON
        if cond.kind != "bool":
            return self.error("E309", "'if' needs a condition", node.condition.span)
        if then.kind != "quantity" or other.kind != "quantity":
            return self.error("E303", "both branches of 'if' must be numbers", node.span)
        unit = self.units.common_unit(then, other, node, "'if ... else'")
        if unit is None:
            return POISON
        kt, ko, cf, tf, of = factor(then, unit), factor(other, unit), cond.fn, then.fn, other.fn
        if self.probe is not None:
            tf, of = self.probe.branches(node, tf, of)
        return Typed(
            self.closures.branch(cf, tf, kt, of, ko),
            "quantity",
            unit,
            deps=cond.deps | then.deps | other.deps,
        )

    def decided(self, condition: m.Expr) -> bool | None:
        """Whether a choice test is settled by what is known of the choice here (the items of
        one option, inside `sum over` a list whose items are in several units; a branch that
        already tested it): True or False, or None when it is left to evaluation."""
        if not (isinstance(condition, m.IsChoice) and isinstance(condition.subject, m.Ref)):
            return None
        subject = self.scope.get(condition.subject.name)
        if subject is None or subject.kind != "choice" or not subject.declared:
            return None  # a choice not narrowed: every option is possible
        if condition.option not in subject.declared:
            return None  # E218, reported by the test itself
        if subject.options == {condition.option}:
            return not condition.negated
        if condition.option not in subject.options:
            return condition.negated
        return None

    def taken(self, node: m.If, holds: bool) -> Typed:
        """An `if` whose condition is settled: only the branch taken is compiled (the other
        may index a family for an option its items cannot have), its reach still recorded
        for coverage."""
        typed = self.visit(node.then if holds else node.otherwise)
        if not typed.ok or self.probe is None or not isinstance(node.condition, m.IsChoice):
            return typed
        test = self.probe.condition(node.condition, lambda env: holds)
        then, other = self.probe.branches(node, typed.fn, typed.fn)
        live = then if holds else other

        def reached(env: Env) -> Any:
            test(env)  # the test's outcome and the branch taken, as evaluation would record
            return live(env)

        return replace(typed, fn=reached)

    def narrowed(self, condition: m.Expr) -> tuple[Scope, Scope]:
        """Inside 'if region is national then A else B', B knows region is not national, so
        B may index a factor family that has no member for it."""
        scope = self.scope
        if not (isinstance(condition, m.IsChoice) and isinstance(condition.subject, m.Ref)):
            return scope, scope
        subject = self.visit(condition.subject)
        if subject.kind != "choice" or condition.option not in subject.options:
            return scope, scope
        only, declared = frozenset([condition.option]), subject.declared or subject.options
        inside = Typed(subject.fn, "choice", options=only, deps=subject.deps, declared=declared)
        outside = Typed(
            subject.fn,
            "choice",
            options=subject.options - only,
            deps=subject.deps,
            declared=declared,
        )
        if condition.negated:
            inside, outside = outside, inside
        name = condition.subject.name
        return ChainMap({name: inside}, dict(scope)), ChainMap({name: outside}, dict(scope))

    # ----------------------------------------------------------------- lists
    def visit_SumOver(self, node: m.SumOver) -> Typed:
        if self.summing:  # one list within another would multiply evaluation time by its length
            return self.error(
                "E313",
                "sum over inside another sum over",
                node.span,
                "add the inner list up in a let value first",
            )
        self.summing = True
        try:
            return self.sum_over(node)
        finally:
            self.summing = False

    def sum_over(self, node: m.SumOver) -> Typed:
        symbol = self.names.lookup(node.list_name, self.module)
        if (
            symbol is None
            or not isinstance(symbol.decl, m.Input)
            or symbol.kind != "input"
            or symbol.decl.kind != "list"
        ):
            return self.error(
                "E219",
                f"'{node.list_name}' is not a list input",
                node.span,
                "sum over takes an input declared as: list { ... }",
            )
        self.names.use(symbol.name)
        fields = {}
        for fld in symbol.decl.fields:
            read = self.field_reader(symbol.decl, fld, node.span)
            if fld.kind == "choice":
                fields[fld.name] = self.reader.choice_value(read, fld, frozenset([symbol.name]))
            elif fld.units is None:
                unit = self.units.unit_of(fld.unit, fld.span)
                fields[fld.name] = (
                    Typed(read, "quantity", unit, deps=frozenset([symbol.name]))
                    if unit is not None
                    else POISON
                )
        listed = self.compilation.item_units.get(symbol.name)
        mixed = {f.name for f in symbol.decl.fields if f.units is not None}
        if mixed and not reads(node.body, mixed):
            fields.update(dict.fromkeys(mixed, POISON))  # not read: one body for every item
        elif mixed and listed is None:
            return POISON  # the units of its items are undecided: reported where declared
        elif listed is not None:
            return by_option(self, node, symbol.decl, listed, fields)
        with self.items_of(symbol.decl, fields):
            body = self.visit(node.body)
        if not body.ok:
            return POISON
        if body.kind != "quantity":
            return self.error("E303", "sum over adds numbers", node.span)
        return Typed(
            self.closures.sum_over(body.fn, symbol.name),
            "quantity",
            body.unit,
            deps=body.deps | {symbol.name},
        )

    # ----------------------------------------------------------------- source text
    def snippet(self, node: m.Expr) -> str:
        """The expression as written, for a run-time message (a divisor that is zero)."""
        span = node.span
        text = self.compilation.resolved.sources.get(span.file, "") if span else ""
        if not text or span is None or span.line != span.end_line:
            return type(node).__name__.lower()
        return text.split("\n")[span.line - 1][span.column - 1 : span.end_column - 1]
