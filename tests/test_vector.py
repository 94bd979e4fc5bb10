"""The vectorised code generator gives the scalar path's figures, and leaves to the scalar path
every row it cannot vouch for (a division by zero reached, an optional input read, a missing
family member ...), never a wrong number."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zuji
from zuji.core import library
from zuji.runtime.cases import load_case
from zuji.runtime.inventory import Inventory
from zuji.runtime.result import Result
from zuji.runtime.vector import (
    Figures,
    factors_in_force,
    inventory_arrays,
    one_inventory,
    run_vector,
)
from zuji.semantics.compile.vector import vector_plan

CASES = sorted(library.pcr_root().glob("*/cases/*.yaml"))


def _read(path: Path) -> tuple[zuji.PCR, Inventory]:
    pcr = zuji.load(path.parent.parent.name)
    case = load_case(path)
    return pcr, pcr.inventory(case["inventory"], str(path), path.parent)


def _vectorised(pcr: zuji.PCR, inventories: list[Inventory]) -> Figures:
    vplan = vector_plan(pcr.plan)
    factors = factors_in_force(pcr.plan, inventories[0].period_start)
    return run_vector(vplan, inventory_arrays(vplan, inventories), factors, len(inventories))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same(result: Result, figures: Figures, i: int) -> None:
    """Every figure of a row: total, removals, credits, by stage, by gas, by origin."""
    assert not figures.suspect[i]
    for name in ("total", "removals", "credits"):
        assert _close(getattr(result, name), getattr(figures, name)[i]), name
    assert set(result.by_stage) == set(figures.by_stage)
    for stage, value in result.by_stage.items():
        assert _close(value, figures.by_stage[stage][i]), stage
    assert set(result.by_gas) == set(figures.by_gas)
    for gas, figure in result.by_gas.items():
        assert _close(figure.co2e_kg, figures.by_gas[gas][i]), gas
    for origin, value in result.by_origin.items():
        assert _close(value, figures.by_origin[origin][i]), origin
    for line in result.lines:
        assert _close(line.co2e_kg, figures.lines[line.name][i]), line.name


def test_the_library_has_worked_cases_for_every_pcr() -> None:
    assert len({p.parent.parent.name for p in CASES}) >= 9


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_each_worked_case_gives_the_scalar_figures(path: Path) -> None:
    pcr, inventory = _read(path)
    _same(pcr.evaluate(inventory), _vectorised(pcr, [inventory]), 0)


def test_the_cases_of_each_pcr_in_one_call_give_the_scalar_figures() -> None:
    """Several rows at once: lists of different lengths are summed per row (segment sums)."""
    groups: dict[tuple[str, Any], list[Path]] = defaultdict(list)
    for path in CASES:
        pcr, inventory = _read(path)
        groups[(pcr.id, inventory.period_start)].append(path)
    several = [paths for paths in groups.values() if len(paths) > 1]
    assert several
    for paths in several:
        read = [_read(p) for p in paths]
        pcr, inventories = read[0][0], [inv for _, inv in read]
        figures = _vectorised(pcr, inventories)
        for i, inventory in enumerate(inventories):
            _same(pcr.evaluate(inventory), figures, i)


# A rule of one stage, `making`, for the tests' own inputs (DECLARATIONS) and lines (LINES).
TEMPLATE = """
pcr NAME {
  name en "NAME" zh "测试"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
DECLARATIONS
  stage making {
    LINES
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""
RULE = TEMPLATE.replace("NAME", "numbers").replace(
    "DECLARATIONS",
    """  input amount : t "An amount" >= 0
  input divisor : t "An output divided by" >= 0 = 1
  input spare : t CO2 "A figure that may be left out" >= 0 optional
  let spare_share = spare / product / 1 [t CO2/t] "Read only where given"
""",
)


def _rule(lines: str) -> zuji.PCR:
    pcr = zuji.load_text(RULE.replace("LINES", lines), "numbers.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    return pcr


def _rows(pcr: zuji.PCR, **columns: list[float]) -> Figures:
    n = len(next(iter(columns.values())))
    values: dict[str, Any] = {"spare": np.full(n, np.nan), "divisor": np.ones(n)}
    values.update({k: np.asarray(v, dtype=float) for k, v in columns.items()})
    vplan = vector_plan(pcr.plan)
    return run_vector(vplan, values, factors_in_force(pcr.plan, None), n)


def test_a_division_by_zero_in_a_branch_not_taken_is_not_suspect() -> None:
    pcr = _rule("part : CO2 = if divisor > 0 [t] then amount / divisor * 1 [t CO2] else 0 [t CO2]")
    figures = _rows(pcr, product=[1, 1], amount=[2, 2], divisor=[0, 4])
    assert not figures.suspect.any()
    assert figures.total.tolist() == [0.0, 500.0]


def test_a_division_by_zero_reached_leaves_the_row_to_the_scalar_path() -> None:
    pcr = _rule("part : CO2 = amount / divisor * 1 [t CO2]")
    figures = _rows(pcr, product=[1, 1, 1], amount=[2, 2, 0], divisor=[4, 0, 0])
    assert figures.suspect.tolist() == [False, True, True]
    out = pcr.evaluate_many(
        [
            {"pcr": "numbers", "inputs": {"product": "1 t", "amount": "2 t", "divisor": d}}
            for d in ("4 t", "0 t")
        ]
    )
    assert out["status"].tolist() == ["ok", "failed"]
    assert out["error"][1].startswith("E621: line 'part' divides by zero")
    assert out["total"][0] == pytest.approx(500.0)


def test_an_optional_input_is_suspect_only_where_read() -> None:
    guarded = _rule("part : CO2 = if given(spare) then spare else amount * 1 [t CO2/t]")
    figures = _rows(guarded, product=[1, 1], amount=[2, 3], spare=[math.nan, 5])
    assert not figures.suspect.any()
    assert figures.total.tolist() == [2000.0, 5000.0]
    # A line reading it without given(...) is refused when the rule is checked (E225).
    unguarded = RULE.replace("LINES", "part : CO2 = spare_share * amount * 1 [t CO2/t]")
    assert [d.code for d in zuji.load_text(unguarded, "numbers.pcr").errors] == ["E225"]


def test_a_value_left_out_is_no_concern_of_lines_that_do_not_read_it() -> None:
    """spare_share reads an optional input: kept aside (Deferred) where it is not given."""
    pcr = _rule("part : CO2 = amount * 1 [t CO2/t]")
    figures = _rows(pcr, product=[1, 2], amount=[2, 3], spare=[math.nan, math.nan])
    assert not figures.suspect.any()
    assert figures.total.tolist() == [2000.0, 1500.0]


def test_negative_lines_and_a_zero_product_go_to_the_scalar_path() -> None:
    pcr = _rule("part : CO2 = (amount - divisor) * 1 [t CO2/t]")
    figures = _rows(pcr, product=[1, 1, 0], amount=[2, 1, 2], divisor=[1, 2, 1])
    assert figures.suspect.tolist() == [False, True, True]


def test_a_family_member_without_a_value_in_force_goes_to_the_scalar_path(
    cement: zuji.PCR, inventory: dict[str, Any]
) -> None:
    """The regional grid factors apply from 2022: a 2021 inventory on a regional grid fails
    with the scalar path's E610, the national one does not."""
    period = {"start": "2021-01-01", "end": "2021-12-31"}
    rows = [
        {**inventory, "reference_period": period, "inputs": {**inventory["inputs"], **grid}}
        for grid in ({"grid_region": "national"}, {"grid_region": "north"})
    ]
    out = cement.evaluate_many(rows)
    assert out["status"].tolist() == ["ok", "failed"]
    assert "E610" in out["error"][1] and "regional.north" in out["error"][1]
    assert out["total"][0] == pytest.approx(cement.evaluate(rows[0]).total, rel=1e-12)


def test_the_hand_written_cement_baselines_agree_with_the_engine() -> None:
    script = library.pcr_root().parent / "benchmarks" / "baseline_cement.py"
    spec = importlib.util.spec_from_file_location("baseline_cement", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    checked = module.check_against_engine()
    assert len(checked) == len(list((library.pcr_root() / "cement" / "cases").glob("*.yaml")))


def test_factor_samples_and_one_inventory_seen_n_times(cement: zuji.PCR) -> None:
    """What Monte Carlo does: one inventory n times over, a factor given one value per row.
    Row i with the grid factor's sample i gives what the whole run gives with that value."""
    case = library.pcr_root() / "cement" / "cases" / "typical_plant.yaml"
    _, inventory = _read(case)
    vplan = vector_plan(cement.plan)
    factors = factors_in_force(cement.plan, inventory.period_start)
    samples = np.array([0.5, 0.5366, 0.6, 0.7])
    inputs = one_inventory(vplan, inventory, len(samples))
    together = run_vector(vplan, inputs, {**factors, "electricity.national_grid": samples}, 4)
    assert not together.suspect.any()
    for i, value in enumerate(samples):
        alone = run_vector(
            vplan,
            one_inventory(vplan, inventory, 1),
            {**factors, "electricity.national_grid": value},
            1,
        )
        assert _close(together.total[i], alone.total[0])
    assert _close(together.total[1], cement.evaluate(inventory).total)  # the value in force
    assert together.total[0] < together.total[1] < together.total[2] < together.total[3]


def test_an_error_assertion_on_the_data_quality_leaves_every_row_to_the_scalar_path() -> None:
    """Batches do not rate data quality, so such an assertion is judged by the scalar path,
    row by row: the rows still get their figures, or the assertion's error."""
    assertion = '  assert primary_share >= 50 [%] otherwise error "Mostly primary data"\n'
    text = RULE.replace("LINES", "part : CO2 = amount * 1 [t CO2/t]")
    pcr = zuji.load_text(text.replace("  changelog {", assertion + "  changelog {"), "dq.pcr")
    assert pcr.errors == []
    figures = _rows(pcr, product=[1, 2], amount=[2, 3])
    assert figures.suspect.all()
    rows = [{"pcr": "numbers", "inputs": {"product": "1 t", "amount": a}} for a in ("2 t", "3 t")]
    out = pcr.evaluate_many(rows)
    assert out["total"].tolist() == [pcr.evaluate(r).total for r in rows]


CHOICE_RULE = (
    TEMPLATE.replace("NAME", "carried")
    .replace(
        "DECLARATIONS",
        """  input mass : t "Mass carried" >= 0
  input mode : one of truck, train, ship, barge, plane = barge""",
    )
    .replace(
        "LINES",
        """carried : CO2 = mass * (CHAIN) "One choice, mixed units, an option named twice"
    negated : CO2 = mass * (NEGATED) "A negated test"
""",
    )
)
CHAIN = " else ".join(
    [
        "if mode is truck then 120 [g CO2/t]",
        "if mode is train then 0.03 [kg CO2/t]",
        "if mode is truck then 1 [kg CO2/t]",
        "if mode is plane then 1.5 [kg CO2/t]",
        "0.002 [t CO2/t]",
    ]
)
NEGATED = "if mode is not ship then 0.001 [t CO2/t] else 0.5 [kg CO2/t]"
MODES = ["truck", "train", "ship", "barge", "plane"]


def _tables(fn: Any) -> list[Any]:
    """The choice tables a closure holds (in its cells, or its own attributes), depth first."""
    from zuji.semantics.compile.vector_choices import ChoiceTable

    found, todo, seen = [], [fn], set()
    while todo:
        current = todo.pop()
        if id(current) in seen or not callable(current):
            continue
        seen.add(id(current))
        if isinstance(current, ChoiceTable):
            found.append(current)
            continue
        todo.extend(cell.cell_contents for cell in getattr(current, "__closure__", None) or ())
        todo.extend(getattr(current, "__dict__", {}).values())
    return found


def test_a_chain_of_if_on_one_choice_is_one_look_up_giving_the_chains_floats() -> None:
    """`if mode is a then x else if mode is b then y ...` on arrays is one table indexed by the
    choice's codes: the chain's floats to the bit, the first branch naming an option winning,
    a choice not given (-1) or unknown (-2) taking the last `else`."""
    from zuji.semantics.compile.vector import VectorEnv

    rule = CHOICE_RULE.replace("CHAIN", CHAIN).replace("NEGATED", NEGATED)
    pcr = zuji.load_text(rule, "carried.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    vplan = vector_plan(pcr.plan)
    tables = _tables(vplan.plan.lines[0].fn)
    assert len(tables) == 1  # the whole chain, not a table per `if`
    codes = np.append(vplan.code_of(MODES), [-1, -2])
    env = VectorEnv({"mode": codes, "mass": np.full(len(codes), 7.0)}, len(codes))
    looked_up = tables[0](env)
    assert np.array_equal(looked_up, tables[0].chain(env))
    # In the chain's unit, g CO2/t: truck 120 (its first branch), train 0.03 kg = 30, plane
    # 1.5 kg = 1500, anything else 0.002 t = 2000.
    assert looked_up.tolist() == [120.0, 30.0, 2000.0, 2000.0, 1500.0, 2000.0, 2000.0]
    assert not env.suspect.any()
    assert _tables(vplan.plan.lines[1].fn) == []  # a negated test stays a closure
    for mode in MODES:
        inventory = {"pcr": "carried", "inputs": {"product": "1 t", "mass": "7 t", "mode": mode}}
        figures = run_vector(
            vplan,
            {"product": np.ones(1), "mass": np.full(1, 7.0), "mode": vplan.code_of([mode])},
            factors_in_force(pcr.plan, None),
            1,
        )
        _same(pcr.evaluate(inventory), figures, 0)


def test_a_chain_reading_factors_sampled_per_row_runs_as_written(cement: zuji.PCR) -> None:
    """Monte Carlo gives a factor one value per row: the table cannot hold it, and the chain
    (transport's factor by mode) runs as written, on the samples."""
    from zuji.semantics.compile.vector import VectorEnv

    vplan = vector_plan(cement.plan)
    line = next(lp for lp in vplan.plan.lines if lp.line.name == "deliveries_transport")
    (table,) = _tables(line.fn)
    factors = factors_in_force(cement.plan, None)
    modes = vplan.code_of(["rail", "sea", "road_truck_30t", "waterway"])
    env = VectorEnv({**factors, "mode": modes}, len(modes))
    assert np.array_equal(table(env), table.chain(env))
    samples = {
        k: np.linspace(0.5, 2.0, len(modes)) * v for k, v in factors.items() if isinstance(v, float)
    }
    sampled = VectorEnv({**factors, **samples, "mode": modes}, len(modes))
    assert np.array_equal(table(sampled), table.chain(sampled))
    assert not np.array_equal(table(sampled), table(env))  # the samples were read


def test_a_value_the_same_in_every_row_runs_one_branch_with_the_rows_verdicts() -> None:
    """An input a table leaves out is one value seen in every row (numpy.broadcast_to): `if`,
    `and` and `or` on it run only the branch every row takes, and mark the same rows as the
    same input written out row by row."""
    pcr = _rule(
        "part : CO2 = if given(spare) and spare > 0 [t CO2] then spare * amount / divisor "
        "else amount * 1 [t CO2/t]"
    )
    vplan = vector_plan(pcr.plan)
    factors = factors_in_force(pcr.plan, None)
    rows = {"product": np.ones(3), "amount": np.array([2.0, 3.0, 4.0])}
    for spare in (np.nan, 5.0):
        for divisor in (np.array([1.0, 0.0, 2.0]), np.zeros(3)):
            given = {**rows, "divisor": divisor}
            alike = run_vector(vplan, {**given, "spare": np.broadcast_to(spare, (3,))}, factors, 3)
            written = run_vector(vplan, {**given, "spare": np.full(3, spare)}, factors, 3)
            assert alike.suspect.tolist() == written.suspect.tolist()
            assert np.array_equal(alike.total, written.total, equal_nan=True)
    left_out = {**rows, "divisor": np.zeros(3), "spare": np.broadcast_to(np.nan, (3,))}
    figures = run_vector(vplan, left_out, factors, 3)
    assert not figures.suspect.any()  # the division by zero is in the branch no row takes
    assert figures.total.tolist() == [2000.0, 3000.0, 4000.0]
