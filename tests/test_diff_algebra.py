"""zuji.review.diff_algebra: formulas written out as physics, proofs of equality, and the
algebra shown for a change; and the public names of zuji.review.diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_kit import library

from zuji.lang import model as m
from zuji.review import diff as public
from zuji.review.diff_algebra import math_diff, physical, proven_equal, written_out
from zuji.review.rule_review import current
from zuji.runtime.pcr import PCR


@pytest.fixture
def widget(tmp_path: Path) -> PCR:
    pcr = current(library(tmp_path / "lib")).pcr
    assert not pcr.errors, pcr.diagnostics
    return pcr


def _unit(text: str) -> m.UnitExpr:
    top, _, bottom = text.partition("/")
    return m.UnitExpr(tuple((n, 1) for n in top.split()), tuple((n, 1) for n in bottom.split()))


def test_the_diff_keeps_its_public_names() -> None:
    for name in ("GROUPS", "Change", "MathDiff", "RuleDiff", "ValuePoint", "diff"):
        assert hasattr(public, name)
    assert public.physical is physical and public.proven_equal is proven_equal


def test_a_quantity_input_carries_its_unit(widget: PCR) -> None:
    written = physical(m.Ref("coal"), widget)
    assert written == m.BinOp("*", m.Ref("coal"), m.Number(1.0, _unit("t")))


def test_a_value_is_written_out(widget: PCR) -> None:
    let = next(x for x in widget.rule.lets if x.name == "coal_heat")
    assert physical(m.Ref("coal_heat"), widget) == physical(let.expr, widget)


def test_an_unknown_name_is_kept(widget: PCR) -> None:
    assert physical(m.Ref("nowhere"), widget) == m.Ref("nowhere")
    assert written_out(m.Ref("nowhere"), widget) == m.Ref("nowhere")


def test_a_rewrite_is_proved_equal(widget: PCR) -> None:
    rule = widget.rule
    a, b, c = m.Ref("coal"), m.Ref("power"), m.Ref("widget")
    spread = m.BinOp("+", m.BinOp("*", a, b), m.BinOp("*", a, c))
    assert proven_equal(m.BinOp("*", a, m.BinOp("+", b, c)), spread, rule, rule)
    assert not proven_equal(m.BinOp("*", a, b), m.BinOp("*", a, c), rule, rule)


def test_math_diff_shows_new_minus_old(widget: PCR) -> None:
    rule = widget.rule
    shown = math_diff(
        m.BinOp("*", m.Number(2.0), m.Ref("coal")),
        m.BinOp("*", m.Number(3.0), m.Ref("coal")),
        rule,
        rule,
    )
    assert (shown.old, shown.new, shown.difference) == ("2*coal", "3*coal", "coal")
    assert shown.old_latex and shown.new_latex
    added = math_diff(None, m.Ref("coal"), rule, rule)
    assert (added.old, added.new, added.difference) == (None, "coal", None)
