"""Shared modules called from a PCR: gaseous fuels and options written as formula arguments."""

from __future__ import annotations

import pytest

import zuji

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
