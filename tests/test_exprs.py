"""zuji.lang.exprs: the expression toolkit every pass that reads or rebuilds expressions uses."""

from __future__ import annotations

import pytest

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang.build import load_text

RULE = """\
module t {
  input fuels : list {
    mass : t
    ncv : GJ/t
  }
  input clinker : t
  input route : one of bf, eaf
  let ncv = 2
  let energy = sum over fuels (mass * ncv)
  let twice = energy * ncv
  let loop_a = loop_b + 1
  let loop_b = loop_a * 2
  formula burn(amount: t) : t CO2 = amount * 3 [t CO2/t]
  stage kiln {
    fuel : CO2 = burn(clinker) + twice
  }
  allocate kiln by economic {
    product cement price 2
    product slag price 3
  }
  assert twice >= 0 otherwise warning "never negative"
}
"""


@pytest.fixture(scope="module")
def rule() -> m.RuleFile:
    built, findings = load_text(RULE, "t.pcr")
    assert findings == []
    return built


def expr(text: str) -> m.Expr:
    """An expression as the parser and builder make it, from a one-value module."""
    built, _ = load_text(f"module e {{\n  let v = {text}\n}}\n")
    return built.lets[0].expr


def let(rule: m.RuleFile, name: str) -> m.Expr:
    return next(x.expr for x in rule.lets if x.name == name)


a, b, c = m.Ref("a"), m.Ref("b"), m.Ref("c")


# ------------------------------------------------------------------------------ children


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (m.Number(1.0), ()),
        (a, ()),
        (m.FactorRef("ds.entry"), ()),
        (m.BinOp("+", a, b), (a, b)),
        (m.Compare(">=", a, b), (a, b)),
        (m.Negate(a), (a,)),
        (m.Not(a), (a,)),
        (m.IsChoice(a, "eaf"), (a,)),
        (m.Logical("and", (a, b, c)), (a, b, c)),
        (m.If(a, b, c), (a, b, c)),
        (m.Call("max", (a, b)), (a, b)),
        (m.Index("grid", a), (a,)),
        (m.SumOver("fuels", a), (a,)),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, tuple) else "",
)
def test_children_of_every_node_kind(node: m.Expr, expected: tuple[m.Expr, ...]) -> None:
    assert exprs.children(node) == expected


def test_children_of_built_expressions_in_written_order() -> None:
    condition, then, otherwise = exprs.children(expr("if x > 1 and not y then -z else f(p, q)"))
    assert isinstance(condition, m.Logical) and condition.op == "and"
    assert exprs.children(condition) == (
        m.Compare(">", m.Ref("x"), m.Number(1.0)),
        m.Not(m.Ref("y")),
    )
    assert then == m.Negate(m.Ref("z"))
    assert exprs.children(otherwise) == (m.Ref("p"), m.Ref("q"))


# ------------------------------------------------------------------------------ walk


def test_walk_yields_each_node_before_its_children_left_to_right() -> None:
    tree = expr("a + b * c")
    assert isinstance(tree, m.BinOp)
    walked = list(exprs.walk(tree))
    assert walked == [tree, a, tree.right, b, c]
    assert [type(n).__name__ for n in walked] == ["BinOp", "Ref", "BinOp", "Ref", "Ref"]


def test_walk_of_a_leaf_is_the_leaf() -> None:
    assert list(exprs.walk(a)) == [a]


# ------------------------------------------------------------------------------ map_expr


def test_map_expr_replaces_nodes_and_keeps_the_rest(rule: m.RuleFile) -> None:
    def one_for_a(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        return m.Number(1.0) if node == a else None

    mapped = exprs.map_expr(expr("a * (b + a) / max(a, c)"), one_for_a, rule)
    assert mapped == expr("1 * (b + 1) / max(1, c)")


def test_map_expr_rebuilds_bottom_up(rule: m.RuleFile) -> None:
    seen: list[str] = []

    def record(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        seen.append(node.name if isinstance(node, m.Ref) else type(node).__name__)
        return None

    tree = expr("-(a + b)")
    assert exprs.map_expr(tree, record, rule) == tree
    assert seen == ["a", "b", "BinOp", "Negate"]


def test_map_expr_sees_the_children_it_replaced(rule: m.RuleFile) -> None:
    def fold(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        if isinstance(node, m.Ref):
            return m.Number(2.0)
        if isinstance(node, m.BinOp) and node.op == "*":
            left, right = node.left, node.right
            assert isinstance(left, m.Number) and isinstance(right, m.Number)
            return m.Number(left.value * right.value)
        return None

    assert exprs.map_expr(expr("a * b * c"), fold, rule) == m.Number(8.0)


def test_map_expr_passes_the_fields_a_sum_over_hides(rule: m.RuleFile) -> None:
    shadows: dict[str, frozenset[str]] = {}

    def record(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        if isinstance(node, m.Ref):
            shadows[node.name] = shadow
        return None

    exprs.map_expr(expr("clinker + sum over fuels (mass * ncv)"), record, rule)
    assert shadows["clinker"] == frozenset()
    assert shadows["mass"] == shadows["ncv"] == frozenset({"mass", "ncv"})


def test_map_expr_leaves_the_name_given_tests(rule: m.RuleFile) -> None:
    def swap(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        return m.Ref("other") if node == m.Ref("clinker") else None

    mapped = exprs.map_expr(expr("if given(clinker) then clinker else 0"), swap, rule)
    assert mapped == expr("if given(clinker) then other else 0")


# ------------------------------------------------------------------------------ reads


def test_reads_names_of_every_kind() -> None:
    tree = expr("burn(a) + grid[route] + factor ds.entry + sum over fuels (mass) + 1 [t]")
    assert exprs.reads(tree) == {"burn", "a", "grid", "route", "ds.entry", "fuels", "mass"}


def test_reads_of_a_number_is_empty() -> None:
    assert exprs.reads(expr("2 [t]")) == set()


# ------------------------------------------------------------------------------ inline_lets


def test_inline_lets_writes_values_out_through_each_other(rule: m.RuleFile) -> None:
    inlined = exprs.inline_lets(let(rule, "twice"), rule)
    # twice = energy * ncv; inside the sum ncv is the list's field, outside it is the value 2
    assert inlined == expr("(sum over fuels (mass * ncv)) * 2")


def test_inline_lets_keeps_the_names_asked_for(rule: m.RuleFile) -> None:
    kept = exprs.inline_lets(let(rule, "twice"), rule, keep=frozenset({"energy"}))
    assert kept == expr("energy * 2")


def test_inline_lets_stops_at_a_cycle(rule: m.RuleFile) -> None:
    # loop_a = loop_b + 1 and loop_b = loop_a * 2: each value is written out once
    inlined = exprs.inline_lets(m.Ref("loop_a"), rule)
    assert inlined == expr("loop_a * 2 + 1")


def test_inline_lets_leaves_inputs_alone(rule: m.RuleFile) -> None:
    assert exprs.inline_lets(expr("clinker + route"), rule) == expr("clinker + route")


# ------------------------------------------------------------------------------ expressions


def test_expressions_in_order_of_declaration(rule: m.RuleFile) -> None:
    found = exprs.expressions(rule)
    lets = [x.expr for x in rule.lets]
    assert found[: len(lets)] == lets
    assert found[len(lets) :] == [
        rule.formulas[0].expr,
        rule.lines[0].expr,
        m.Number(2.0),
        m.Number(3.0),
        rule.assertions[0].expr,
    ]
    assert rule.formulas[0].expr == expr("amount * 3 [t CO2/t]")
    assert rule.lines[0].expr == expr("burn(clinker) + twice")
    assert rule.assertions[0].expr == expr("twice >= 0")


def test_expressions_of_an_empty_module() -> None:
    empty, _ = load_text("module e {\n}\n")
    assert exprs.expressions(empty) == []


# ------------------------------------------------------------------------------ Visitor


class Depth(exprs.Visitor[int]):
    """How deep an arithmetic expression nests."""

    def visit_Number(self, expr: m.Number) -> int:
        return 1

    def visit_Ref(self, expr: m.Ref) -> int:
        return 1

    def visit_BinOp(self, expr: m.BinOp) -> int:
        return 1 + max(self.visit(expr.left), self.visit(expr.right))


def test_visitor_dispatches_on_the_node_class() -> None:
    assert Depth().visit(expr("a")) == 1
    assert Depth().visit(expr("a + b * (c - 1)")) == 4


def test_visitor_refuses_a_node_it_has_no_method_for() -> None:
    with pytest.raises(NotImplementedError, match="Depth has no visit_Negate"):
        Depth().visit(expr("a + -b"))


def test_visitor_generic_may_be_overridden() -> None:
    class Kinds(exprs.Visitor[str]):
        def generic(self, expr: m.Expr) -> str:
            return type(expr).__name__.lower()

    assert Kinds().visit(expr("not a")) == "not"


# ------------------------------------------------------------------------------ suggest


def test_suggest_names_the_close_names() -> None:
    assert exprs.suggest("clinkr", ["clinker", "cement", "slag"]) == "did you mean 'clinker'?"


def test_suggest_names_several_close_names_best_first() -> None:
    hint = exprs.suggest("grid", ["grids", "grid_2022", "steel"])
    assert hint == "did you mean 'grids' or 'grid_2022'?"


def test_suggest_nothing_when_nothing_is_close() -> None:
    assert exprs.suggest("electricity", ["clinker", "slag"]) == ""
    assert exprs.suggest("clinker", []) == ""
