"""zuji.review.symbolic: exact algebra of rule expressions, proofs of equivalence, and LaTeX."""

from __future__ import annotations

import pytest
import sympy

import zuji
from zuji.lang import model as m
from zuji.lang.build import load_text
from zuji.review.symbolic import (
    FactorSymbol,
    Given,
    ItemSymbol,
    ListSum,
    OptionSymbol,
    UnitSymbol,
    equivalent,
    to_latex,
    to_sympy,
)


def expr(text: str) -> m.Expr:
    """An expression as the engine's parser and builder make it, from a one-value module."""
    rule, _ = load_text(f"module t {{\n  let v = {text}\n}}\n")
    return rule.lets[0].expr


# ------------------------------------------------------------------------------ to_sympy


def test_decimal_literals_are_exact() -> None:
    assert to_sympy(expr("0.1")) == sympy.Rational(1, 10)
    assert to_sympy(expr("0.1 + 0.2")) == sympy.Rational(3, 10)
    assert to_sympy(expr("1.5e3")) == 1500


def test_names_are_symbols_named_by_their_dotted_name() -> None:
    got = to_sympy(expr("clinker_used * electricity.national_grid"))
    assert got == sympy.Symbol("clinker_used") * sympy.Symbol("electricity.national_grid")


def test_units_are_kept_and_cancel_like_algebra() -> None:
    got = to_sympy(expr("44 [t CO2] / 12 [t C]"))
    assert got == sympy.Rational(11, 3) * UnitSymbol("CO2") / UnitSymbol("C")
    assert UnitSymbol("t") not in got.free_symbols


def test_a_unit_symbol_never_aliases_a_name() -> None:
    assert UnitSymbol("t") != sympy.Symbol("t")
    assert OptionSymbol("coke") != sympy.Symbol("coke")


def test_if_becomes_piecewise_with_choice_conditions() -> None:
    got = to_sympy(expr("if route is eaf then a else b"))
    route, a, b = sympy.symbols("route a b")
    assert got == sympy.Piecewise((a, sympy.Eq(route, OptionSymbol("eaf"))), (b, True))
    negated = to_sympy(expr("if route is not eaf then a else b"))
    assert negated == sympy.Piecewise((a, sympy.Ne(route, OptionSymbol("eaf"))), (b, True))


def test_else_if_chains_are_one_piecewise() -> None:
    got = to_sympy(expr("if m is a then 1 else if m is b then 2 else 3"))
    assert isinstance(got, sympy.Piecewise) and len(got.args) == 3


def test_min_max_given_calls_families_and_inline_factors() -> None:
    x, y = sympy.symbols("x y")
    assert to_sympy(expr("max(x, y)")) == sympy.Max(x, y)
    assert to_sympy(expr("min(x, y)")) == sympy.Min(x, y)
    assert to_sympy(expr("given(x)")) == Given(x)
    assert to_sympy(expr("electricity.co2(x, y)")) == sympy.Function("electricity.co2")(x, y)
    indexed = to_sympy(expr("regional_grid[region]"))
    assert indexed == sympy.IndexedBase("regional_grid")[sympy.Symbol("region")]
    assert to_sympy(expr("factor cn_grid.national")) == FactorSymbol("cn_grid.national")


def test_sum_over_is_equal_for_equal_bodies_and_knows_the_list_fields() -> None:
    cement = zuji.load("cement").rule
    kiln_heat = next(let for let in cement.lets if let.name == "kiln_heat")
    got = to_sympy(kiln_heat.expr, cement)
    assert isinstance(got, ListSum)
    assert got.args[0] == sympy.Symbol("kiln_fuels")
    assert ItemSymbol("kiln_fuels.amount") in got.free_symbols
    assert to_sympy(expr("sum over l (a * b)")) == to_sympy(expr("sum over l (b * a)"))


def test_conditions_are_sympy_booleans() -> None:
    got = to_sympy(expr("x >= 1 [t] and not (y < 2)"))
    assert isinstance(got, sympy.And)
    both = to_sympy(expr("given(cao) == given(mgo)"))
    assert isinstance(both, sympy.Equivalent)


def test_every_formula_of_the_library_converts() -> None:
    for rule in zuji.list_pcrs():
        pcr = zuji.load(rule.path)
        files = [pcr.rule, *pcr.resolved.modules.values()]
        for rule_file in files:
            for formula in [
                *(x.expr for x in rule_file.lets),
                *(f.expr for f in rule_file.formulas),
                *(line.expr for line in rule_file.lines),
            ]:
                assert isinstance(to_sympy(formula, rule_file), sympy.Basic)
                assert to_latex(formula, rule_file)


# ------------------------------------------------------------------------------ equivalent


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a * (b + c)", "a * b + a * c"),
        ("a / b / c", "a / (b * c)"),
        ("0.1 + 0.2", "0.3"),
        ("a ^ 2", "a * a"),
        ("-a ^ 2", "-(a * a)"),
        ("x * 44 [t CO2] / 12 [t C]", "x * 11 [t CO2] / 3 [t C]"),
        ("if r is eaf then a else b", "if r is not eaf then b else a"),
        ("if c > 0 then a * (b + 1) else d", "if c > 0 then a * b + a else d"),
        (
            "if r is a then 1 else if r is b then 2 else 3",
            "if r is a then 1 else (if r is b then 2 else 3)",
        ),
        ("max(a, b)", "max(b, a)"),
        ("sum over l (a * (b + c))", "sum over l (a * b + a * c)"),
        ("f(a + b)", "f(b + a)"),
        ("fam[k] * x", "x * fam[k]"),
        ("x >= 1 and y < 2", "not (x < 1) and 2 > y"),
        ("given(a) == given(b)", "given(b) == given(a)"),
    ],
)
def test_rewrites_are_proven_equivalent(a: str, b: str) -> None:
    assert equivalent(expr(a), expr(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a - b", "b - a"),
        ("a * b", "a + b"),
        ("0.1", "0.10001"),
        ("x * 1 [t]", "x * 1 [kg]"),
        ("if r is eaf then a else b", "if r is eaf then b else a"),
        ("max(a, b)", "min(a, b)"),
        ("sum over l (a)", "sum over m (a)"),
        ("f(a)", "g(a)"),
        ("x >= 1", "x > 1"),
        ("x >= 1", "x"),
    ],
)
def test_different_formulas_are_not_equivalent(a: str, b: str) -> None:
    assert not equivalent(expr(a), expr(b))


def test_equivalent_never_raises() -> None:
    strange = m.BinOp("?", m.Ref("a"), m.Ref("b"))
    assert equivalent(strange, m.Ref("a")) is False


# ------------------------------------------------------------------------------ to_latex


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("clinker_used", r"\mathrm{clinker\_used}"),
        ("electricity.co2(e, r)", r"\mathrm{electricity{.}co2}\left(\mathrm{e}, \mathrm{r}\right)"),
        ("a / b", r"\frac{\mathrm{a}}{\mathrm{b}}"),
        ("a / b / c", r"\frac{\mathrm{a}}{\mathrm{b} \cdot \mathrm{c}}"),
        ("a + b + c", r"\mathrm{a} + \mathrm{b} + \mathrm{c}"),
        ("a - (b + c)", r"\mathrm{a} - \left(\mathrm{b} + \mathrm{c}\right)"),
        ("(a + b) ^ 2", r"\left(\mathrm{a} + \mathrm{b}\right)^{2}"),
        ("-a", r"- \mathrm{a}"),
        ("0.785 [t CO2/t]", r"0.785\,\mathrm{t}\,\mathrm{CO_{2}}/\mathrm{t}"),
        (
            "44 [t CO2] / 12 [t C]",
            r"\frac{44\,\mathrm{t}\,\mathrm{CO_{2}}}{12\,\mathrm{t}\,\mathrm{C}}",
        ),
        ("80 [%]", r"80\,\mathrm{\%}"),
        ("max(a - b, 0)", r"\max\left(\mathrm{a} - \mathrm{b}, 0\right)"),
        ("min(a, b)", r"\min\left(\mathrm{a}, \mathrm{b}\right)"),
        ("given(cao)", r"\operatorname{given}\left(\mathrm{cao}\right)"),
        ("regional_grid[region]", r"\mathrm{regional\_grid}\left[\mathrm{region}\right]"),
        ("factor cn_grid.national", r"\operatorname{factor}\,\mathrm{cn\_grid{.}national}"),
        ("x >= 1", r"\mathrm{x} \geq 1"),
        ("r is eaf", r"\mathrm{r} = \mathsf{eaf}"),
        ("r is not eaf", r"\mathrm{r} \neq \mathsf{eaf}"),
        ("a > 1 and b < 2", r"\mathrm{a} > 1\ \text{and}\ \mathrm{b} < 2"),
        ("a > 1 or b < 2", r"\mathrm{a} > 1\ \text{or}\ \mathrm{b} < 2"),
        ("not a > 1", r"\text{not}\ \left(\mathrm{a} > 1\right)"),
        (
            "given(a) == given(b)",
            r"\operatorname{given}\left(\mathrm{a}\right) = "
            r"\operatorname{given}\left(\mathrm{b}\right)",
        ),
        (
            "if r is eaf then a else b",
            (
                r"\begin{cases} \mathrm{a} & \text{if}\ \mathrm{r} = \mathsf{eaf} \\ \mathrm{b} & "
                r"\text{otherwise} \end{cases}"
            ),
        ),
        ("sum over l (x)", r"\sum_{i \in \mathrm{l}} \left(\mathrm{x}\right)"),
    ],
)
def test_latex_of_each_construct(text: str, latex: str) -> None:
    assert to_latex(expr(text)) == latex


def test_latex_marks_list_fields_as_items() -> None:
    cement = zuji.load("cement").rule
    kiln_heat = next(let for let in cement.lets if let.name == "kiln_heat")
    assert to_latex(kiln_heat.expr, cement) == (
        r"\sum_{i \in \mathrm{kiln\_fuels}} \left(\mathrm{combustion{.}energy}"
        r"\left(\mathrm{amount}_{i}, \mathrm{fuel}_{i}\right)\right)"
    )
