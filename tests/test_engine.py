"""End-to-end evaluation of the cement PCR, checked against hand arithmetic."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import pytest

import zuji
from zuji.core import library
from zuji.data.standards import load as load_standards

# Hand arithmetic for CEMENT_INVENTORY (conftest), per t cement (1000 t cement):
#   calcination factor = 0.65 × 0.785 + 0.015 × 1.092 = 0.52663 t CO2/t clinker
#   calcination        = 800 t × 0.52663 = 421.304 t CO2            -> 421.304 kg/t
#   coal CO2 factor    = 20.908 GJ/t × 26.37 t C/TJ / 1000 × 0.94 × 44/12 = 1.900298849 t CO2/t
#   kiln_fuel_co2      = 100 t × 1.9002988 = 190.02988 t            -> 190.0298849 kg/t
#   kiln heat          = 100 t × 20.908 GJ/t = 2090.8 GJ = 2.0908 TJ
#   kiln_fuel_ch4      = 2.0908 TJ × 10 kg CH4/TJ × 29.8 = 623.0584 kg -> 0.6230584 kg/t
#   kiln_fuel_n2o      = 2.0908 TJ × 1.5 kg N2O/TJ × 273 = 856.1826 kg -> 0.8561826 kg/t
#   kiln_power         = 40 MWh × 0.5366 t/MWh (national, 2022) = 21.464 t -> 21.464 kg/t
#   grinding_power     = 30 MWh × 0.5366 = 16.098 t                 -> 16.098 kg/t
#   quarrying          = 1000 t × 2.18 kg/t = 2180 kg               -> 2.18 kg/t
#   gypsum             = 50 t × 32.8 kg/t = 1640 kg                 -> 1.64 kg/t
#   coal supply        = 100 t × 0.2046 t CO2e/t = 20.46 t          -> 20.46 kg/t
#   transport          = 100 t × 100 km × 0.010 kg/tkm = 100 kg     -> 0.1 kg/t
#   bought clinker     = none bought (default 0 t)                  -> 0 kg/t
HAND = {
    "calcination": 421.304,
    "kiln_fuel_co2": 190.0298849,
    "kiln_fuel_ch4": 0.6230584,
    "kiln_fuel_n2o": 0.8561826,
    "kiln_power": 21.464,
    "grinding_power": 16.098,
    "quarrying": 2.18,
    "gypsum_supply_chain": 1.64,
    "coal_supply_chain": 20.46,
    "deliveries_transport": 0.1,
    "bought_clinker_supply": 0.0,
    # GCCA/CSI kiln-system sources the inventory does not report: each counts 0
    "other_fuel_fossil_co2": 0.0,
    "other_fuel_biogenic_co2": 0.0,
    "biomass_fuel_uptake": 0.0,
    "bypass_dust_co2": 0.0,
    "kiln_dust_co2": 0.0,
    "raw_meal_organic_co2": 0.0,
}


def test_every_line_matches_hand_arithmetic(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    result = cement.evaluate(inventory)
    lines = {line.name: line.co2e_kg for line in result.lines}
    assert set(lines) == set(HAND)
    for name, value in HAND.items():
        assert lines[name] == pytest.approx(value, rel=1e-6), name
    assert result.total == pytest.approx(math.fsum(HAND.values()), rel=1e-8)


def test_stages_gases_and_origins_add_up(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    result = cement.evaluate(inventory)
    assert math.fsum(result.by_stage.values()) == pytest.approx(result.total, rel=1e-12)
    assert math.fsum(g.co2e_kg for g in result.by_gas.values()) == pytest.approx(result.total)
    assert result.by_origin["fossil"] == pytest.approx(result.total)
    assert result.by_gas["CH4_fossil"].mass_kg == pytest.approx(0.020908, rel=1e-9)
    assert result.by_gas["N2O"].gwp == 273
    assert result.credits == 0 and result.removals == 0


def test_result_validates_against_published_schema(
    cement: zuji.PCR, inventory: dict[str, Any]
) -> None:
    result = cement.evaluate(inventory, trace=True)
    schema = json.loads((library.schemas_root() / "result.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(result.model_dump_json()))


def test_published_result_schema_is_current() -> None:
    from zuji.runtime.result import Result

    published = json.loads((library.schemas_root() / "result.schema.json").read_text())
    generated = Result.model_json_schema()
    assert {k: v for k, v in published.items() if k not in ("$schema", "$id")} == generated


def test_trace_lets_the_numbers_be_recomputed(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    result = cement.evaluate(inventory, trace=True)
    assert result.trace is not None
    for line in result.trace.lines:
        assert line.formula and line.where.startswith("pcr/cement/cement.pcr:")
        recomputed = line.mass_kg * line.gwp * line.allocation_share / line.reference_flow
        assert recomputed == pytest.approx(line.co2e_per_declared_unit, rel=1e-12)
    power = next(x for x in result.trace.lines if x.name == "kiln_power")
    grid = next(v for v in power.values if v.name == "electricity.national_grid")
    assert grid.value == 0.5366 and grid.origin == "dataset" and "2022-01-01" in grid.source
    electricity = next(v for v in power.values if v.name == "kiln_electricity")
    assert electricity.origin == "inventory" and electricity.value == 40


def test_a_trace_gives_each_inventorys_own_inputs(
    cement: zuji.PCR, inventory: dict[str, Any]
) -> None:
    """An input's trace read before is reused as it is (runtime.trace): an inventory giving
    another value, or the same value in other words, or as secondary data, traces its own."""
    import copy

    secondary = {"value": 0.051, "unit": "kt", "source": "secondary"}
    traced = {}
    for gypsum in ("50 t", "51 t", "0.051 kt", secondary):
        given = copy.deepcopy(inventory)
        given["inputs"]["gypsum"] = gypsum
        for _ in range(2):  # the second reads what the first kept
            result = cement.evaluate(given, trace=True)
            assert result.trace is not None
            found = next(i for i in result.trace.inputs if i.name == "gypsum")
            traced[str(gypsum)] = (found.value, found.written, found.source)
            read = [v for line in result.trace.lines for v in line.values if v.name == "gypsum"]
            assert read and all(v.value == found.value for v in read)
    assert traced == {
        "50 t": (50, "50 t", "primary"),
        "51 t": (51, "51 t", "primary"),
        "0.051 kt": (pytest.approx(51, rel=1e-12), "0.051 kt", "primary"),
        str(secondary): (pytest.approx(51, rel=1e-12), "0.051 kt", "secondary"),
    }


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2021-06-01", 0.5568),
        ("2022-01-01", 0.5366),
        ("2023-03-01", 0.5306),
        ("2025-01-01", 0.5306),
    ],
)
def test_dated_grid_factor_in_force_for_the_period(
    cement: zuji.PCR, inventory: dict[str, Any], start: str, expected: float
) -> None:
    inventory["reference_period"] = {"start": start, "end": start}
    result = cement.evaluate(inventory)
    power = next(x for x in result.lines if x.name == "grinding_power")
    assert power.co2e_kg == pytest.approx(30 * expected, rel=1e-9)


def test_no_period_takes_latest_value_and_says_so(
    cement: zuji.PCR, inventory: dict[str, Any]
) -> None:
    del inventory["reference_period"]
    result = cement.evaluate(inventory)
    assert "W601" in {w.code for w in result.warnings}


def test_period_before_any_value_is_an_error(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    inventory["reference_period"] = {"start": "2015-01-01", "end": "2015-12-31"}
    with pytest.raises(zuji.EvaluationError) as info:
        cement.evaluate(inventory)
    assert info.value.code == "E610" and "cn_grid.national" in str(info.value)


def test_regional_grid_member_is_used(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    inventory["inputs"]["grid_region"] = "north"
    result = cement.evaluate(inventory)
    power = next(x for x in result.lines if x.name == "grinding_power")
    assert power.co2e_kg == pytest.approx(30 * 0.6776, rel=1e-9)


def test_default_calcination_when_not_measured(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    del inventory["inputs"]["cao"], inventory["inputs"]["mgo"]
    result = cement.evaluate(inventory)
    line = next(x for x in result.lines if x.name == "calcination")
    assert line.co2e_kg == pytest.approx(800 * 0.525, rel=1e-9)


def test_assertion_error_stops_evaluation(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    del inventory["inputs"]["mgo"]
    with pytest.raises(zuji.EvaluationError) as info:
        cement.evaluate(inventory)
    assert "CaO and the MgO" in str(info.value) and "cement.pcr:" in str(info.value)


def test_assertion_warning_is_reported(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    inventory["inputs"]["gypsum"] = "400 t"
    result = cement.evaluate(inventory)
    assert any(w.code == "W650" and "add up" in w.message for w in result.warnings)


def test_gwp_set_switch_changes_only_non_co2(inventory: dict[str, Any]) -> None:
    text = (library.pcr_root() / "cement" / "cement.pcr").read_text(encoding="utf-8")
    ar6 = zuji.load_text(text, "pcr/cement/cement.pcr").evaluate(inventory)
    ar5 = zuji.load_text(
        text.replace("gwp       AR6", "gwp       AR5"), "pcr/cement/cement.pcr"
    ).evaluate(inventory)
    assert ar5.by_gas["CO2"].co2e_kg == ar6.by_gas["CO2"].co2e_kg
    assert ar5.by_gas["N2O"].co2e_kg == pytest.approx(0.0031362 * 265, rel=1e-9)
    assert ar5.by_gas["CH4_fossil"].gwp == 30 and ar6.by_gas["CH4_fossil"].gwp == 29.8


def test_data_quality_rating_and_primary_share(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    scores = {"ter": 1, "ger": 1, "tir": 1, "p": 1}
    inventory["inputs"]["kiln_electricity"] = {"value": 40, "unit": "MWh", "dq": scores}
    result = cement.evaluate(inventory)
    quality = result.data_quality
    assert quality.dqr is not None and 1 <= quality.dqr <= 5
    assert quality.rating in {"excellent", "very good", "good", "fair", "poor"}
    # quarrying rests on clay and sand left to their defaults: not primary, so the share is < 100.
    assert 0 < quality.primary_data_share <= 100
    inventory["inputs"]["gypsum"] = {"value": 50, "unit": "t", "source": "secondary"}
    lower = cement.evaluate(inventory).data_quality.primary_data_share
    assert lower < quality.primary_data_share


def test_every_bundled_dataset_and_gwp_set_loads() -> None:
    standards = load_standards()
    assert {"cn_grid", "cn_fuels", "cement_process"} <= set(standards.datasets)
    assert {"AR5", "AR6"} <= set(standards.gwp_sets)
    for dataset in standards.datasets.values():
        for entry in dataset.entries.values():
            assert entry.source, entry.reference


def test_malformed_dataset_stops_at_load_time(tmp_path: Any) -> None:
    import shutil

    root = tmp_path / "standards"
    shutil.copytree(library.standards_root(), root)
    broken = root / "factors" / "cn_grid.yaml"
    broken.write_text(broken.read_text().replace('unit: "kg CO2/kWh"', 'unit: "kg CO2/furlong"', 1))
    with pytest.raises(zuji.DatasetError) as info:
        load_standards(root)
    assert "cn_grid.yaml" in str(info.value)


def test_compile_is_cached_by_source(cement: zuji.PCR) -> None:
    again = zuji.load("cement")
    assert again.plan is cement.plan


def test_bad_input_never_reaches_python_code(cement: zuji.PCR, inventory: dict[str, Any]) -> None:
    inventory["inputs"]["cement"] = "__import__('os').system('true') t"
    with pytest.raises(zuji.InventoryError):
        cement.evaluate(inventory)
