"""What an evaluation reads: data quality, factor warnings, values that are not given, and error
assertions that refuse an inventory before its lines are computed. Also the sea freight mode of
common.transport and the time units."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

import zuji
from zuji.lang import units as u
from zuji.lang.units import unit_from_text
from zuji.runtime.cases import load_case

RULE = """
pcr reads_test {
  name en "Reads (test)" zh "读取（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  use common.combustion
  input product : t "Product" > 0
  input power : MWh "Electricity" >= 0
  input route : one of own, bought = own "Where the material comes from"
  input material : t "Material made on site" >= 0
  input bought : t "Material bought" >= 0 = 0
  input bought_footprint : t CO2e/t "Footprint of the material bought" >= 0 = factor plastics.supply.chlorine_cn_membrane
  input purity : % "Measured purity of the material" > 0 <= 100 optional
  input gas : Nm3 "Gas burned" >= 0
  input gas_kind : one of combustion.gas = natural_gas
  input extras : list "Other fuels" {
    fuel : one of combustion.fuel
    amount : t "Burned" >= 0
  } optional
  input waste : t "Waste burned" >= 0 = 2
  let pure : t = if given(purity) then material * purity else material "Pure material"
  let purity_ratio = purity / 100 [%] "Purity as a fraction: not given when purity is not"
  stage making {
    electricity : CO2 = power * factor cn_grid.national
    material_supply : CO2e = if route is own then pure * 0.2 [t CO2e/t] else bought * bought_footprint + bought * factor plastics.supply.naphtha
    burning : CO2 = combustion.gas_co2(gas, gas_kind) + sum over extras (combustion.co2(amount, fuel))
    waste_burning : CO2e = waste * 0.5 [t CO2e/t]
  }
  assert not given(purity) or purity_ratio >= 0.9 otherwise warning "Purity below 90 %"
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""  # noqa: E501 - a rule's long lines are what the reader must handle

INVENTORY: dict[str, Any] = {
    "pcr": "reads_test",
    "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
    "inputs": {
        "product": "10 t",
        "power": "100 MWh",
        "route": "own",
        "material": {"value": "100 t", "dq": {"ter": 1, "ger": 1, "tir": 1, "p": 1}},
        # read only on the bought route: its poor scores must not touch the own route's rating
        "bought": {
            "value": "50 t",
            "source": "secondary",
            "dq": {"ter": 5, "ger": 5, "tir": 5, "p": 5},
        },
        "gas": "1000 Nm3",
        "gas_kind": "natural_gas",
    },
}

# Per t of product (10 t made), own route, purity and extras left out, waste at its default 2 t:
#   electricity     100 MWh × 0.5366 t CO2/MWh (national grid 2022) = 53.66 t     -> 5366 kg/t
#   material_supply pure = material = 100 t; 100 t × 0.2 t CO2e/t = 20 t          -> 2000 kg/t
#   burning         1000 Nm3 × 38.931 MJ/Nm3 × 15.3 t C/TJ × 0.99 × 44/12         -> 216.2216 kg/t
#   waste_burning   2 t (default) × 0.5 t CO2e/t = 1 t                            -> 100 kg/t
ELECTRICITY, MATERIAL, WASTE = 5366.0, 2000.0, 100.0
BURNING = 1000 * 38.931e-3 * 15.3e-3 * 0.99 * 44 / 12 * 1000 / 10


def rule(text: str = RULE) -> zuji.PCR:
    pcr = zuji.load_text(text, "reads_test.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    return pcr


def inventory(**inputs: Any) -> dict[str, Any]:
    inv = copy.deepcopy(INVENTORY)
    inv["inputs"].update(inputs)
    return inv


def warnings(result: zuji.Result, code: str) -> list[str]:
    return [w.message for w in result.warnings if w.code == code]


# ------------------------------------------------------------------ primary share and rating


def test_primary_share_counts_only_the_inputs_a_line_read() -> None:
    result = rule().evaluate(inventory())
    lines = {line.name: line.co2e_kg for line in result.lines}
    assert lines["electricity"] == pytest.approx(ELECTRICITY, rel=1e-9)
    assert lines["material_supply"] == pytest.approx(MATERIAL, rel=1e-9)
    assert lines["burning"] == pytest.approx(BURNING, rel=1e-9)
    # material_supply tested given(purity) and read neither purity nor the bought route's
    # inputs; burning summed over no extras: both rest on primary data. Only waste_burning reads
    # a default: (5366 + 2000 + 216.2216) / (5366 + 2000 + 216.2216 + 100) = 98.698 %.
    primary = ELECTRICITY + MATERIAL + BURNING
    assert result.data_quality.primary_data_share == pytest.approx(
        100 * primary / (primary + WASTE), rel=1e-9
    )
    assert result.data_quality.primary_data_share == pytest.approx(98.698, abs=1e-3)


def test_the_taken_branch_decides_the_primary_share() -> None:
    result = rule().evaluate(inventory(route="bought"))
    # bought route: 50 t × (0.693 + 0.40) t CO2e/t = 54.65 t -> 5465 kg/t, read from 'bought',
    # which the inventory marks secondary, and from a default: the line is not primary.
    material = 50 * (0.693 + 0.40) * 1000 / 10
    assert {x.name: x.co2e_kg for x in result.lines}["material_supply"] == pytest.approx(material)
    primary = ELECTRICITY + BURNING
    assert result.data_quality.primary_data_share == pytest.approx(
        100 * primary / (primary + material + WASTE), rel=1e-9
    )


def test_data_quality_rating_rests_on_what_was_read() -> None:
    result = rule().evaluate(inventory())
    # electricity: the grid factor's scores (1, 2, 1, 2) -> 1.5; material_supply: material's
    # (1, 1, 1, 1) -> 1, not averaged with the bought route's 5s; the other lines have no scores.
    # dqr = (5366 × 1.5 + 2000 × 1) / (5366 + 2000) = 1.364241
    assert result.data_quality.dqr == pytest.approx(
        (ELECTRICITY * 1.5 + MATERIAL) / (ELECTRICITY + MATERIAL), rel=1e-9
    )


# ------------------------------------------------------------------ unconfirmed factors (W602)


def test_unconfirmed_family_members_not_picked_give_no_warning() -> None:
    # cn_fuels' coke-oven-gas entries are unconfirmed members of the gas families.
    result = rule().evaluate(inventory())
    assert not any("coke_oven_gas" in m for m in warnings(result, "W602"))
    picked = rule().evaluate(inventory(gas_kind="coke_oven_gas"))
    named = " ".join(warnings(picked, "W602"))
    assert "cn_fuels.ncv.coke_oven_gas" in named
    assert "cn_fuels.carbon_content.coke_oven_gas" in named


def test_unconfirmed_factor_in_an_untaken_branch_gives_no_warning() -> None:
    own = rule().evaluate(inventory())
    assert not any("plastics.supply.naphtha" in m for m in warnings(own, "W602"))
    bought = rule().evaluate(inventory(route="bought"))
    assert any("plastics.supply.naphtha" in m for m in warnings(bought, "W602"))


def test_default_taken_from_an_unconfirmed_factor_warns_W602() -> None:
    result = rule().evaluate(inventory())
    assert any("'bought_footprint'" in m for m in warnings(result, "W603"))
    assert any(
        "'bought_footprint'" in m and "plastics.supply.chlorine_cn_membrane" in m
        for m in warnings(result, "W602")
    )
    given = rule().evaluate(inventory(bought_footprint="0.6 t CO2e/t"))
    assert not any("bought_footprint" in m for m in warnings(given, "W602"))


def test_check_alone_gives_no_factor_warnings() -> None:
    assert [d.code for d in rule().diagnostics] == []


# ------------------------------------------------------------------ values that are not given


def test_value_reading_a_missing_optional_input_is_not_given_until_used() -> None:
    # purity_ratio reads purity, which is left out: the assertion reads it only when
    # given(purity), so the evaluation goes on, and the trace leaves the value out.
    result = rule().evaluate(inventory(), trace=True)
    assert result.assertions[0].level == "passed"
    assert result.trace is not None
    assert "purity_ratio" not in {v.name for v in result.trace.values}
    json.loads(result.model_dump_json())
    # given, the value is computed and checked: 80 % / 100 % = 0.8 < 0.9
    low = rule().evaluate(inventory(purity="80 %"))
    assert warnings(low, "W650") == ["assertion: Purity below 90 %"]
    # pure = 100 t × 80 % = 80 t -> material_supply 80 × 0.2 = 16 t -> 1600 kg/t
    assert {x.name: x.co2e_kg for x in low.lines}["material_supply"] == pytest.approx(1600)


def test_guarded_use_in_a_line_traces_the_value_as_not_given() -> None:
    text = RULE.replace(
        "    waste_burning : CO2e = waste * 0.5 [t CO2e/t]\n",
        "    waste_burning : CO2e = waste * 0.5 [t CO2e/t] * (if given(purity) then "
        "purity_ratio else 1)\n",
    )
    result = rule(text).evaluate(inventory(), trace=True)
    assert result.trace is not None
    line = next(x for x in result.trace.lines if x.name == "waste_burning")
    ratio = next(v for v in line.values if v.name == "purity_ratio")
    assert ratio.value is None and ratio.origin == "not-given" and "'purity'" in ratio.source
    assert line.co2e_per_declared_unit == pytest.approx(WASTE)  # 2 t × 0.5 × 1 per 10 t
    json.loads(result.model_dump_json())


def test_unguarded_use_of_a_value_that_is_not_given_is_found_at_check_time() -> None:
    # The line reads purity_ratio, which reads the optional input purity: an inventory leaving
    # purity out could not be evaluated, so the rule itself is refused, naming line and input.
    text = RULE.replace(
        "    waste_burning : CO2e = waste * 0.5 [t CO2e/t]\n",
        "    waste_burning : CO2e = waste * 0.5 [t CO2e/t] * purity_ratio\n",
    )
    pcr = zuji.load_text(text, "reads_test.pcr")
    [diag] = pcr.errors
    assert diag.code == "E225"
    assert "line 'waste_burning'" in diag.message and "'purity'" in diag.message
    assert (
        diag.span is not None
        and diag.span.line == text[: text.index("waste_burning")].count("\n") + 1
    )


# ------------------------------------------------------------------ error assertions first


BALANCE = """
pcr balance_test {
  name en "Balance (test)" zh "平衡（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input carbon_fed : t C "Carbon fed" >= 0
  input co2_captured : t CO2 "CO2 captured and sold" >= 0
  let co2_formed : t CO2 = carbon_fed * 44 [t CO2] / 12 [t C]
  stage making {
    vented : CO2 = co2_formed - co2_captured
  }
  assert total <= 5000 [kg CO2e] otherwise error "More than 5 t CO2 per t product"
  assert co2_formed >= co2_captured otherwise error "More CO2 captured than the carbon fed can form"
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


def balance(carbon: str, captured: str) -> zuji.Result:
    pcr = zuji.load_text(BALANCE, "balance_test.pcr")
    assert pcr.errors == []
    return pcr.evaluate(
        {
            "pcr": "balance_test",
            "inputs": {"product": "1 t", "carbon_fed": carbon, "co2_captured": captured},
        }
    )


def test_error_assertion_refuses_an_impossible_inventory_before_the_lines() -> None:
    # 1 t C forms 3.667 t CO2; capturing 5 t would make the line negative (E625), but the rule's
    # own assertion, which needs no result, runs first.
    with pytest.raises(zuji.EvaluationError) as info:
        balance("1 t C", "5 t CO2")
    assert info.value.diagnostics[0].code == "E650"
    assert "More CO2 captured" in info.value.diagnostics[0].message


def test_error_assertion_on_the_total_still_runs_after_the_lines() -> None:
    # 2 t C -> 7.333 t CO2 vented per t: the total assertion fails, once the lines are known.
    with pytest.raises(zuji.EvaluationError) as info:
        balance("2 t C", "0 t CO2")
    assert "More than 5 t CO2" in info.value.diagnostics[0].message
    result = balance("1 t C", "1 t CO2")
    assert result.total == pytest.approx((44 / 12 - 1) * 1000, rel=1e-12)
    assert [a.level for a in result.assertions] == ["passed", "passed"]


def test_methanol_refuses_more_carbon_out_than_in_in_its_own_words() -> None:
    methanol = zuji.load("methanol")
    path = Path(methanol.rule.path).parent / "cases" / "typical_coal_plant.yaml"
    case = load_case(path)
    inputs = case["inventory"]["inputs"]
    # Far more CO2 delivered than the feed carbon can form: process_co2 would be negative.
    inputs["co2_transferred"] = "100000000 t CO2"
    with pytest.raises(zuji.EvaluationError) as info:
        methanol.evaluate(methanol.inventory(case["inventory"], str(path), path.parent))
    assert info.value.diagnostics[0].code == "E650"
    assert "More carbon leaves" in info.value.diagnostics[0].message


# ------------------------------------------------------------------ sea freight, time units


SEA = """
pcr sea_test {
  name en "Sea (test)" zh "海运（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: transport_in
  use common.transport
  input product : t "Product" > 0
  input legs : list "Deliveries" {
    mass : t "Mass" >= 0
    distance : km "Distance" >= 0
    mode : one of transport.mode
  }
  stage transport_in {
    freight : CO2e = sum over legs (transport.co2e(mass, distance, mode))
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


def test_sea_freight_uses_the_glec_bulk_carrier_factor() -> None:
    pcr = zuji.load_text(SEA, "sea_test.pcr")
    assert pcr.errors == []
    result = pcr.evaluate(
        {
            "pcr": "sea_test",
            "inputs": {
                "product": "1600 t",
                "legs": [
                    {"mass": "1600 t", "distance": "3500 km", "mode": "sea"},
                    {"mass": "1600 t", "distance": "200 km", "mode": "road_truck_30t"},
                ],
            },
        }
    )
    # 1600 t × 3500 km × 0.0054 kg CO2e/tkm (GLEC v3.0) = 30 240 kg
    # 1600 t × 200 km × 0.078 kg CO2e/tkm (GB/T 51366) = 24 960 kg; per t: 55 200 / 1600 = 34.5
    assert result.total == pytest.approx(
        (1600 * 3500 * 0.0054 + 1600 * 200 * 0.078) / 1600, rel=1e-12
    )


@pytest.mark.parametrize(
    ("written", "shown", "to", "k"),
    [
        ("min", "min", "s", 60.0),
        ("h", "h", "min", 60.0),
        ("d", "d", "h", 24.0),
        ("day", "d", "h", 24.0),
        ("a", "yr", "d", 365.25),
        ("year", "yr", "d", 365.25),
        ("min/d", "min/d", "s/h", 60 / 24),
    ],
)
def test_time_units(written: str, shown: str, to: str, k: float) -> None:
    unit = u.to_pint(unit_from_text(written))
    assert u.format_unit(unit) == shown
    assert u.conversion(unit, u.to_pint(unit_from_text(to))) == pytest.approx(k, rel=1e-12)
    assert u.describe_dimension(u.to_pint(unit_from_text("h"))) == "time"
    assert math.isfinite(k)
