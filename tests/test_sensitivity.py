"""Exact sensitivities: every derivative of the symbolic footprint checked against central finite
differences of the ordinary evaluation, on every worked case of cement and of caustic soda (whose
allocation shares depend on the co-products' amounts)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import zuji
from zuji.core.errors import EvaluationError
from zuji.data.standards import Standards
from zuji.review.sensitivity import sensitivity, symbolic_total
from zuji.runtime.inventory import Inventory

STEP = 1e-6  # relative step of the central differences


def cases(pcr: str) -> list[Path]:
    return sorted((zuji.load(pcr).folder / "cases").glob("*.yaml"))


CASES = [(p, c) for p in ("cement", "caustic_soda") for c in cases(p)]


def with_input(inventory: Inventory, name: str, value: float) -> Inventory:
    """The inventory with one input (or one list item's field, list[i].field) set to value."""
    values = dict(inventory.values)
    if "[" in name:
        list_name, rest = name.split("[", 1)
        index, field = rest.split("].", 1)
        items = [dict(item) for item in values[list_name]]
        items[int(index)][field] = value
        values[list_name] = items
    else:
        values[name] = value
    return replace(inventory, values=values)


def with_factor(standards: Standards, reference: str, scale: float) -> Standards:
    """The datasets with every value of one entry multiplied by scale."""
    dataset_id, _, key = reference.partition(".")
    dataset = standards.datasets[dataset_id]
    entry = dataset.entries[key]
    changed = replace(entry, values=tuple(replace(v, value=v.value * scale) for v in entry.values))
    datasets = {
        **standards.datasets,
        dataset_id: replace(dataset, entries={**dataset.entries, key: changed}),
    }
    return Standards(datasets, standards.gwp_sets)


def total_with(pcr: zuji.PCR, inventory: Inventory, figure: Any, scale: float) -> float:
    if figure.kind == "input":
        return pcr.evaluate(with_input(inventory, figure.name, figure.value * scale)).total
    changed = zuji.load(
        pcr.rule.path, standards=with_factor(pcr.standards, figure.reference, scale)
    )
    return changed.evaluate(inventory).total


def finite_difference(
    pcr: zuji.PCR, inventory: Inventory, figure: Any, total: float
) -> tuple[float, float]:
    """The derivative by central differences, or one-sided where a step would leave what the PCR
    accepts (clinker used equal to clinker produced cannot grow): the value and its tolerance."""
    steps = {}
    for scale in (1 - STEP, 1 + STEP):
        try:
            steps[scale] = total_with(pcr, inventory, figure, scale)
        except EvaluationError:
            steps[scale] = math.nan
    down, up = steps[1 - STEP], steps[1 + STEP]
    if math.isnan(up):
        return (total - down) / (STEP * figure.value), 1e-4
    if math.isnan(down):
        return (up - total) / (STEP * figure.value), 1e-4
    return (up - down) / (2 * STEP * figure.value), 1e-5


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{p}-{c.stem}" for p, c in CASES])
def test_derivatives_match_finite_differences(rule: str, case: Path) -> None:
    pcr = zuji.load(rule)
    inventory = pcr.inventory(case)
    result = pcr.evaluate(inventory)
    found = sensitivity(pcr, inventory, result)
    assert found.total == pytest.approx(result.total, rel=1e-12)
    checked = 0
    for figure in found.parameters:
        if figure.value == 0:
            continue  # no relative step from 0; such a value's elasticity is 0 by definition
        numeric, rel = finite_difference(pcr, inventory, figure, result.total)
        # Central differences err by O(step²) in the curvature, one-sided ones by O(step), and
        # both by about eps·total/step in rounding: 1e-6 of the total's scale covers it.
        scale = abs(result.total / figure.value)
        assert figure.derivative == pytest.approx(numeric, rel=rel, abs=1e-6 * scale), figure.name
        assert figure.elasticity == pytest.approx(
            figure.derivative * figure.value / result.total, rel=1e-12
        )
        checked += 1
    assert checked >= 10  # each case reads many inputs and factors


def test_the_reference_product_has_elasticity_minus_one_for_a_footprint_per_unit() -> None:
    # Per tonne of cement: every line is divided by the cement produced and none depends on it
    # otherwise in the typical plant (no bought clinker), so d ln total / d ln cement = -1.
    pcr = zuji.load("cement")
    inventory = pcr.inventory(cases("cement")[-1])
    found = sensitivity(pcr, inventory, pcr.evaluate(inventory))
    cement = next(f for f in found.parameters if f.name == "cement")
    assert cement.elasticity == pytest.approx(-1.0, rel=1e-12)


def test_parameters_are_ranked_and_contributions_add_up_to_the_total() -> None:
    pcr = zuji.load("cement")
    inventory = pcr.inventory(cases("cement")[0])
    result = pcr.evaluate(inventory)
    found = sensitivity(pcr, inventory, result)
    sizes = [abs(f.elasticity or 0.0) for f in found.parameters]
    assert sizes == sorted(sizes, reverse=True)
    assert math.fsum(c.co2e_kg for c in found.contributions) == pytest.approx(result.total)
    shares = [c.share or 0.0 for c in found.contributions]
    assert shares == sorted(shares, reverse=True) and math.fsum(shares) == pytest.approx(1.0)


def test_a_branch_not_taken_adds_no_symbol() -> None:
    # typical_plant measures CaO and MgO, so the CSI default factor is in the untaken branch.
    pcr = zuji.load("cement")
    inventory = pcr.inventory(pcr.folder / "cases" / "typical_plant.yaml")
    names = {str(s) for s in symbolic_total(pcr, inventory).total.free_symbols}
    assert "cao" in names and "default_calcination" not in names


def test_run_sensitivity_in_the_table_and_only_when_asked_in_the_json() -> None:
    from cli_kit import ROOT
    from cli_kit import zuji as run_zuji

    case = str(ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml")
    table = run_zuji("run", "cement", "-i", case, "--sensitivity")
    assert table.returncode == 0 and "Sensitivity (exact derivatives" in table.stdout
    assert "Contribution by line:" in table.stdout and "calcination" in table.stdout
    asked = json.loads(run_zuji("run", "cement", "-i", case, "-f", "json", "--sensitivity").stdout)
    first = asked["sensitivity"]["parameters"][0]
    assert first["name"] == "cement" and first["elasticity"] == pytest.approx(-1.0)
    plain = json.loads(run_zuji("run", "cement", "-i", case, "-f", "json").stdout)
    assert "sensitivity" not in plain


def test_a_result_with_sensitivities_still_replays() -> None:
    from zuji.exchange.replay import replay
    from zuji.review.sensitivity import with_sensitivity

    pcr = zuji.load("cement")
    inventory = pcr.inventory(pcr.folder / "cases" / "typical_plant.yaml")
    result = with_sensitivity(pcr, inventory, pcr.evaluate(inventory, trace=True))
    outcome = replay(json.loads(result.model_dump_json()))
    assert outcome.matches and outcome.compared > 0, outcome.report()
