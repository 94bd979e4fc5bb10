"""Shared modules called from a PCR: gaseous fuels and options written as formula arguments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import zuji
from zuji.review.sensitivity import sensitivity

RULE = """
pcr gas_test {
  name en "Gas-fired product (test)" zh "燃气产品（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: manufacturing
  use common.combustion
  input product : t "Product" > 0
  input gas : Nm3 "Natural gas burned" >= 0
  input carbon_lost : t C "Carbon leaving as CO2 by mass balance" >= 0
  stage manufacturing {
    gas_burned : CO2 fossil = combustion.gas_co2(gas, ARGUMENT)
    balance : CO2 fossil = combustion.co2_of_carbon(carbon_lost)
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""

INVENTORY = {
    "pcr": "gas_test",
    "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
    "inputs": {"product": "1 t", "gas": "1000 Nm3", "carbon_lost": "12 t C"},
}


def test_option_written_as_argument_selects_the_family_member() -> None:
    pcr = zuji.load_text(RULE.replace("ARGUMENT", "natural_gas"), "gas.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    result = pcr.evaluate(INVENTORY)
    lines = {line.name: line.co2e_kg for line in result.lines}
    # cn_fuels: 1000 Nm3 × 38.931 MJ/Nm3 = 38.931 GJ; × 15.3 t C/TJ = 0.59564 t C; × 0.99 × 44/12
    assert lines["gas_burned"] == pytest.approx(
        1000 * 38.931e-3 * 15.3e-3 * 0.99 * 44 / 12 * 1000, rel=1e-9
    )
    assert lines["gas_burned"] == pytest.approx(
        2162.2, abs=0.1
    )  # cn_fuels co2_per_mass 2.1622 kg/m3
    assert lines["balance"] == pytest.approx(12 * 44 / 12 * 1000, rel=1e-12)


def test_an_option_that_is_not_in_the_choice_is_named_with_the_close_options() -> None:
    pcr = zuji.load_text(RULE.replace("ARGUMENT", "natural_gass"), "gas.pcr")
    assert [d.code for d in pcr.errors] == ["E218"]
    assert "natural_gass" in pcr.errors[0].message
    assert "'natural_gas'" in pcr.errors[0].hint


LIST_RULE = """
pcr list_test {
  name en "Lists (test)" zh "列表（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input extras : list "Other fuels" {
    amount : t "Burned" >= 0
  } optional
  stage making {
    burning : CO2 = if given(extras) then sum over extras (amount) * 2 [t CO2/t] else 7 [t CO2]
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


@pytest.mark.parametrize("extras, kg", [(None, 7000), ([], 7000), ([{"amount": "1 t"}], 2000)])
def test_given_of_a_list_means_it_has_items(extras: object, kg: float) -> None:
    pcr = zuji.load_text(LIST_RULE, "list.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    inputs: dict[str, object] = {"product": "1 t"}
    if extras is not None:
        inputs["extras"] = extras
    result = pcr.evaluate({"pcr": "list_test", "inputs": inputs})
    assert result.total == pytest.approx(kg)  # 7 t when left out or empty; 1 t × 2 otherwise


# A module formula whose parameter is a choice of the module (transport.mode, not a factor
# family): the body tests the parameter with `is`, so every option of the type must stay nameable
# there while the argument is one written option.
TRANSPORT_RULE = """
pcr haul_test {
  name en "Hauled product (test)" zh "运输产品（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of output "Product"
  boundary cradle_to_gate: transport_in
  use common.transport
  input output : t "Product made" > 0
  input mass : t "Mass carried" >= 0
  input distance : km "Distance, one way" >= 0
  input deliveries : list "Other deliveries" {
    mass : t "Mass carried" >= 0
    distance : km "Distance, one way" >= 0 optional
  } optional
  stage transport_in {
    by_road : CO2e = transport.co2e(mass, distance, ROAD)
    by_rail : CO2e = transport.co2e(mass, distance, rail)
    others : CO2e = sum over deliveries (if given(distance)
      then transport.co2e(mass, distance, road_truck_30t) else 0 [t CO2e])
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""

HAULED = {
    "pcr": "haul_test",
    "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
    "inputs": {
        "output": "10 t",
        "mass": "100 t",
        "distance": "50 km",
        "deliveries": [{"mass": "20 t", "distance": "200 km"}, {"mass": "5 t"}],
    },
}
# standards/factors/transport.yaml (GB/T 51366-2019 Annex E): 30 t diesel truck 0.078,
# rail 0.010 kg CO2e/tkm. Per t of product (10 t):
#   by_road = 100 t × 50 km × 0.078 / 10 = 39.0 kg;  by_rail = 100 × 50 × 0.010 / 10 = 5.0 kg;
#   others = 20 t × 200 km × 0.078 / 10 = 31.2 kg (the second delivery gives no distance: 0).
HAULED_LINES = {"by_road": 39.0, "by_rail": 5.0, "others": 31.2}


TRANSPORT_OPTIONS = "options: rail, road_truck_10t, road_truck_18t, road_truck_30t, sea, waterway"


def _haul(road: str = "road_truck_30t") -> zuji.PCR:
    return zuji.load_text(TRANSPORT_RULE.replace("ROAD", road), "haul.pcr")


def test_an_option_of_a_module_choice_written_as_argument_is_accepted() -> None:
    pcr = _haul()
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    lines = {line.name: line.co2e_kg for line in pcr.evaluate(HAULED).lines}
    assert lines == pytest.approx(HAULED_LINES, rel=1e-12)


def test_an_option_written_as_argument_gives_the_same_rows_in_a_batch() -> None:
    table = pd.DataFrame(
        {
            "output": [10.0, 20.0],
            "mass": [100.0, 100.0],
            "distance": [50.0, 100.0],
            "deliveries.0.mass": [20.0, 20.0],
            "deliveries.0.distance": [200.0, np.nan],
            "period_start": ["2022-01-01"] * 2,
            "period_end": ["2022-12-31"] * 2,
        }
    )
    out = _haul().evaluate_many(table)
    assert out["status"].tolist() == ["ok", "ok"]
    # Row 1 is HAULED without its second delivery: 39.0 + 5.0 + 31.2 = 75.2 kg per t.
    # Row 2: 100 t × 100 km × (0.078 + 0.010) / 20 t = 44.0 kg; its delivery gives no distance.
    assert out["total"].tolist() == pytest.approx([75.2, 44.0], rel=1e-12)


def test_an_option_written_as_argument_is_sampled_and_differentiated() -> None:
    pcr = _haul()
    uncertain = {"value": 100, "unit": "t", "uncertainty": {"distribution": "normal", "sd": 5}}
    inventory = {**HAULED, "inputs": {**HAULED["inputs"], "mass": uncertain}}
    found = pcr.monte_carlo(inventory, 2000, seed=3)
    assert found.refused == 0
    assert found.deterministic == pytest.approx(sum(HAULED_LINES.values()), rel=1e-12)
    # The total is linear in the mass: d total / d mass = 50 km × (0.078 + 0.010) / 10 t
    # = 0.44 kg per t of product and t carried, so the sample sd is 5 × 0.44 = 2.2 kg.
    assert found.sd == pytest.approx(2.2, rel=0.1)
    loaded = pcr.inventory(HAULED)
    figures = sensitivity(pcr, loaded, pcr.evaluate(loaded)).parameters
    mass = next(f for f in figures if f.name == "mass")
    assert mass.derivative == pytest.approx(0.44, rel=1e-12)


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        (
            "road_truck_40t",
            "did you mean 'road_truck_30t' or 'road_truck_10t' or 'road_truck_18t'? "
            + TRANSPORT_OPTIONS,
        ),
        ("lorry", TRANSPORT_OPTIONS),
    ],
)
def test_an_option_the_module_choice_lacks_is_refused_with_its_options(
    written: str, hint: str
) -> None:
    [error] = _haul(written).errors
    assert error.code == "E218"
    assert error.message == f"'{written}' is not one of the options of 'mode' of transport.co2e"
    assert error.hint == hint
