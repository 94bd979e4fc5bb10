"""The passes of compiling, each run on its own on a small rule: name binding, unit inference,
dependency order, formula inlining, the allocation plan and code generation (with its coverage
hook); and the read-only Resolved and Plan they produce."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import zuji
from zuji.data.standards import load as load_standards
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.lang.build import load_text
from zuji.runtime.scope import Scope
from zuji.semantics.compile import ExpressionCompiler, Typed, compile_plan
from zuji.semantics.compile.allocation import plan_allocations, plan_declared_unit
from zuji.semantics.compile.order import order_values
from zuji.semantics.compile.passes import PASSES, check_module_formulas, compile_lines
from zuji.semantics.compile.state import Compilation
from zuji.semantics.resolve import Resolved, resolve

RULE = """\
pcr widget {
  name en "Widget" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of widget
  boundary cradle_to_gate: making
  input widget : t "Widgets made" > 0
  input scrap : t "Scrap sold" >= 0
  input power : MWh "Electricity used" >= 0
  input coal : t "Coal burned" >= 0
  factor grid = cn_grid.national
LETS
  stage making "Making" {
    electricity : CO2 = LINE
  }
ALLOCATION
  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""

KIT = """\
module kit {
  version 1.0.0
  formula heat(amount: t, per_t: GJ/t) : MJ = amount * per_t
  formula twice(x: t) : t = x + x
}
"""


def rule(
    line: str = "power * grid", lets: str = "", allocation: str = "", uses: str = ""
) -> m.RuleFile:
    text = (
        RULE.replace("LETS", lets)
        .replace("LINE", line)
        .replace("ALLOCATION", allocation)
        .replace("  gwp AR6\n", "  gwp AR6\n" + uses)
    )
    pcr, findings = load_text(text, "widget.pcr")
    assert [d for d in findings if d.is_error] == []
    return pcr


def resolved(pcr: m.RuleFile, **modules: m.RuleFile) -> Resolved:
    return resolve(pcr, load_standards(), modules)


def compiler_for(pcr: m.RuleFile, **modules: m.RuleFile) -> ExpressionCompiler:
    return ExpressionCompiler(Compilation(resolved(pcr, **modules)))


def codes(compiler: ExpressionCompiler) -> list[str]:
    return [d.code for d in compiler.compilation.findings.items]


def line_expr(pcr: m.RuleFile) -> m.Expr:
    return pcr.lines[0].expr


# ------------------------------------------------------------------------------ name binding


def test_name_binding_looks_up_module_names_under_their_alias() -> None:
    kit, _ = load_text(KIT, "kit.pcr")
    compiler = compiler_for(rule(uses="  use kit\n"), kit=kit)
    symbol = compiler.names.lookup("heat", "kit")
    assert symbol is not None and symbol.kind == "formula" and symbol.module == "kit"
    assert compiler.names.lookup("heat", "") is None
    assert compiler.names.lookup("coal", "") is not None


def test_name_binding_reports_an_unknown_name_with_a_suggestion() -> None:
    compiler = compiler_for(rule())
    assert not compiler.names.undefined("powr", None, "").ok
    (diag,) = compiler.compilation.findings.items
    assert diag.code == "E210" and "'power'" in diag.hint


# ------------------------------------------------------------------------------ unit inference


def test_unit_inference_reports_E305_on_t_plus_MWh() -> None:
    compiler = compiler_for(rule())
    tonnes = Typed(lambda env: 1.0, "quantity", u.unit_named("t"))
    energy = Typed(lambda env: 1.0, "quantity", u.unit_named("MWh"))
    node = m.BinOp("+", m.Ref("coal"), m.Ref("power"))
    assert compiler.units.common_unit(tonnes, energy, node, "'+'") is None
    (diag,) = compiler.compilation.findings.items
    assert diag.code == "E305" and "'+' joins t" in diag.message and "MWh" in diag.message


def test_unit_inference_converts_to_a_declared_unit() -> None:
    compiler = compiler_for(rule())
    tonnes = Typed(lambda env: 2.0, "quantity", u.unit_named("t"))
    kilograms = compiler.units.convert_to(tonnes, u.unit_from_text("kg"), "value 'x'", None)
    assert kilograms.ok and kilograms.fn(Scope({})) == pytest.approx(2000.0)
    assert codes(compiler) == []


def test_unit_inference_on_a_whole_expression() -> None:
    pcr = rule(line="(power + coal) * grid")
    compiler = compiler_for(pcr)
    assert not compiler.expr(line_expr(pcr), {}, "").ok
    assert codes(compiler) == ["E305"]


# ------------------------------------------------------------------------------ dependency order


def test_dependency_order_puts_a_value_after_what_it_reads() -> None:
    lets = "  let heat : GJ = coal * per_t\n  let per_t : GJ/t = 20 [GJ/t]\n"
    compiler = compiler_for(rule(lets=lets, line="power * grid + heat * 0.1 [t CO2/GJ]"))
    order_values(compiler)
    assert [s.name for s in compiler.compilation.steps] == ["per_t", "heat"]
    assert codes(compiler) == []


def test_dependency_order_finds_a_cycle() -> None:
    lets = "  let a : t = b * 2\n  let b : t = a + coal\n"
    compiler = compiler_for(rule(lets=lets, line="power * grid + a * 1 [t CO2/t]"))
    order_values(compiler)
    (diag,) = compiler.compilation.findings.items
    assert diag.code == "E310" and diag.message == "circular definition: a -> b -> a"
    assert compiler.compilation.steps == []


# ------------------------------------------------------------------------------ formula inlining


def test_formula_inlining_converts_to_the_formula_unit() -> None:
    kit, _ = load_text(KIT, "kit.pcr")
    pcr = rule(uses="  use kit\n", line="kit.heat(coal, 20 [GJ/t]) * 0.1 [kg CO2/MJ]")
    compiler = compiler_for(pcr, kit=kit)
    call = line_expr(pcr)
    assert isinstance(call, m.BinOp)
    heat = compiler.expr(call.left, {}, "")
    assert heat.ok and u.format_unit(heat.measure) == "MJ"
    assert heat.fn(Scope({"coal": 3.0})) == pytest.approx(60_000.0)  # 3 t × 20 GJ/t in MJ
    assert heat.deps == {"coal"}


def test_formula_inlining_checks_the_number_of_arguments() -> None:
    kit, _ = load_text(KIT, "kit.pcr")
    pcr = rule(uses="  use kit\n", line="kit.twice(coal, coal) * 1 [t CO2/t]")
    compiler = compiler_for(pcr, kit=kit)
    compile_lines(compiler)
    assert codes(compiler) == ["E223"]


def test_a_module_formula_is_checked_alone() -> None:
    module, _ = load_text(KIT.replace("x + x", "x + 1 [MWh]"), "kit.pcr")
    compiler = compiler_for(module)
    check_module_formulas(compiler)
    assert codes(compiler) == ["E305"]


# ------------------------------------------------------------------------------ allocation plan

FIXED = """\
  allocate making by fixed {
    product widget share 0.75
    product scrap share 0.25
  }
"""


def test_allocation_plan_fixed_shares() -> None:
    compiler = compiler_for(rule(allocation=FIXED))
    plan_allocations(compiler)
    (allocation,) = compiler.compilation.allocations
    shares = {p.name: p.weight.fn(Scope({})) for p in allocation.products if p.weight}
    assert shares == {"widget": 0.75, "scrap": 0.25}
    assert all(p.weight_only for p in allocation.products)
    assert compiler.compilation.used == {"widget", "scrap"}


def test_allocation_plan_by_mass_converts_to_kilograms() -> None:
    mass = "  allocate making by mass {\n    product widget\n    product scrap\n  }\n"
    compiler = compiler_for(rule(allocation=mass))
    plan_allocations(compiler)
    (allocation,) = compiler.compilation.allocations
    assert [(p.name, p.quantity_to_base, p.weight) for p in allocation.products] == [
        ("widget", 1000.0, None),
        ("scrap", 1000.0, None),
    ]


def test_allocation_plan_refuses_a_co_product_that_is_no_output() -> None:
    compiler = compiler_for(rule(allocation=FIXED.replace("scrap", "slag")))
    plan_allocations(compiler)
    assert codes(compiler) == ["E340"]
    assert [p.name for p in compiler.compilation.allocations[0].products] == ["widget"]


def test_declared_unit_factor() -> None:
    compiler = compiler_for(rule())
    plan_declared_unit(compiler)
    assert compiler.compilation.declared_unit_factor == 1.0 and codes(compiler) == []


# ------------------------------------------------------------------------------ code generation


def test_codegen_closure_evaluates_a_simple_env() -> None:
    pcr = rule(line="power * 0.5 [t CO2/MWh] + coal * 2.5 [kg CO2/kg]")
    compiler = compiler_for(pcr)
    typed = compiler.expr(line_expr(pcr), {}, "")
    assert typed.ok and typed.deps == {"power", "coal"}
    value = typed.fn(Scope({"power": 10.0, "coal": 4.0}))
    in_tonnes = u.conversion(typed.measure, u.to_pint(u.unit_from_text("t CO2")))
    assert value * in_tonnes == pytest.approx(10.0 * 0.5 + 4.0 * 2.5)


def test_codegen_coverage_probe_wraps_branches() -> None:
    pcr = rule(line="(if coal > 1 [t] then power else 0 [MWh]) * grid")
    seen: list[str] = []

    class Probe:
        def branches(self, node: m.If, then: Any, otherwise: Any) -> tuple[Any, Any]:
            def took_then(env: Any) -> Any:
                seen.append("then")
                return then(env)

            return took_then, otherwise

        def condition(self, node: m.IsChoice, test: Any) -> Any:
            return test

        def line(self, line: m.Line, fn: Any) -> Any:
            return fn

    plain = ExpressionCompiler(Compilation(resolved(pcr)))
    probed = ExpressionCompiler(Compilation(resolved(pcr), Probe()))
    env = {"coal": 2.0, "power": 3.0, "grid": 0.5}
    assert plain.expr(line_expr(pcr), {}, "").fn(Scope(env)) == probed.expr(
        line_expr(pcr), {}, ""
    ).fn(Scope(env))
    assert seen == ["then"]


# ------------------------------------------------------------------------------ the plan


def test_compile_plan_runs_the_passes_given() -> None:
    lets = "  let heat : GJ = coal * 20 [GJ/t]\n"
    res = resolved(rule(lets=lets))
    only_values = compile_plan(res, passes=(order_values,))
    assert [s.name for s in only_values.steps] == ["heat"] and only_values.lines == ()
    whole = compile_plan(res)
    assert len(PASSES) == 8 and [lp.line.name for lp in whole.lines] == ["electricity"]


def test_plan_and_resolved_are_read_only() -> None:
    res = resolved(rule())
    plan = compile_plan(res)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.used = frozenset()  # type: ignore[misc]  # the point: a frozen dataclass
    with pytest.raises(TypeError):
        res.symbols["x"] = res.symbols["coal"]  # type: ignore[index]  # a read-only mapping
    assert isinstance(plan.steps, tuple) and isinstance(plan.used, frozenset)


def test_a_cached_plan_is_not_changed_by_loading_the_same_text_elsewhere() -> None:
    text = RULE.replace("LETS", "").replace("LINE", "power * grid").replace("ALLOCATION", "")
    first = zuji.load_text(text, "first.pcr")
    second = zuji.load_text(text, "second.pcr")
    assert "second.pcr" in second.plan.resolved.sources
    assert "second.pcr" not in first.plan.resolved.sources
    again = zuji.load_text(text, "first.pcr")
    assert again.plan is first.plan
