"""Allocation among co-products, credits and removals, evaluated on a small chlor-alkali rule."""

from __future__ import annotations

from typing import Any

import pytest

import zuji

RULE = """
pcr chlor_alkali_test {
  name en "Caustic soda (test)" zh "烧碱（测试）"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of naoh "NaOH, 100 % basis"
  boundary cradle_to_gate: manufacturing
  input naoh : t "NaOH" > 0
  input chlorine : t "Cl2" >= 0
  input hydrogen : t "H2" >= 0
  input electricity : MWh "Electrolysis" >= 0
  input stored : t "Biogenic CO2 taken up" >= 0 = 0
  stage manufacturing {
    power : CO2 = electricity * factor cn_grid.national
    credit hydrogen_sold : CO2e = hydrogen * 9 [t CO2e/t]
    removal uptake : CO2 biogenic = stored * 1 [t CO2/t]
  }
  allocate manufacturing by METHOD {
    PRODUCTS
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""

INVENTORY: dict[str, Any] = {
    "pcr": "chlor_alkali_test",
    "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
    # The electrochemical unit of the domain fact sheet (fixture T7): 1 t NaOH : 1.128 t Cl2 :
    # 0.0284 t H2, scaled to 1000 t NaOH; its mass shares are 46.37 / 52.31 / 1.32 %.
    "inputs": {
        "naoh": "1000 t",
        "chlorine": "1128 t",
        "hydrogen": "28.4 t",
        "electricity": "2500 MWh",
        "stored": "10 t",
    },
}


def rule_text(method: str, products: str) -> zuji.PCR:
    """The test rule allocating by `method` among `products`, checked but not required clean."""
    return zuji.load_text(RULE.replace("METHOD", method).replace("PRODUCTS", products), "t.pcr")


def rule(method: str, products: str) -> zuji.PCR:
    pcr = rule_text(method, products)
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    return pcr


def test_mass_allocation_matches_the_published_shares() -> None:
    pcr = rule("mass", "product naoh\n    product chlorine\n    product hydrogen")
    result = pcr.evaluate(INVENTORY)
    shares = result.allocation[0].shares
    # facts.md T7: 46.37 / 52.31 / 1.32 % = 1000, 1128, 28.4 over their sum 2156.4
    assert shares["naoh"] == pytest.approx(1000 / 2156.4, rel=1e-12)
    assert shares["naoh"] == pytest.approx(0.4637, abs=5e-5)
    assert shares["chlorine"] == pytest.approx(0.5231, abs=5e-5)
    assert sum(shares.values()) == pytest.approx(1.0, rel=1e-12)
    # 2500 MWh × 0.5366 t/MWh = 1341.5 t CO2; NaOH's share per t: 1341.5 × 1000/2156.4 / 1000 t
    assert result.total == pytest.approx(1341500 * (1000 / 2156.4) / 1000, rel=1e-9)


def test_credits_and_removals_are_reported_apart() -> None:
    pcr = rule("mass", "product naoh\n    product chlorine\n    product hydrogen")
    result = pcr.evaluate(INVENTORY)
    share = 1000 / 2156.4
    assert result.credits == pytest.approx(28.4 * 9000 * share / 1000, rel=1e-9)
    assert result.removals == pytest.approx(10_000 * share / 1000, rel=1e-9)
    assert result.total_including_removals == pytest.approx(result.total - result.removals)
    assert result.total == pytest.approx(1341500 * share / 1000, rel=1e-9)  # not netted


def test_economic_allocation_uses_prices() -> None:
    pcr = rule(
        "economic",
        "product naoh price 3000 [CNY/t]\n    product chlorine price 500 "
        "[CNY/t]\n    product hydrogen price 20000 [CNY/t]",
    )
    result = pcr.evaluate(INVENTORY)
    values = {"naoh": 1000 * 3000, "chlorine": 1128 * 500, "hydrogen": 28.4 * 20000}
    assert result.allocation[0].reference_share == pytest.approx(
        values["naoh"] / sum(values.values()), rel=1e-12
    )


def test_fixed_shares() -> None:
    pcr = rule(
        "fixed",
        "product naoh share 0.5\n    product chlorine share 0.45\n    product hydrogen share 0.05",
    )
    result = pcr.evaluate(INVENTORY)
    assert result.allocation[0].reference_share == pytest.approx(0.5)
    assert result.total == pytest.approx(1341500 * 0.5 / 1000, rel=1e-9)


def test_energy_allocation_needs_an_energy() -> None:
    pcr = rule_text(
        "energy",
        "product naoh lhv 1 [t]\n    product chlorine lhv 1 [t]\n    "
        "product hydrogen lhv 120 [GJ/t]",
    )
    assert "E342" in {d.code for d in pcr.errors}


def test_mass_allocation_with_a_stated_mass() -> None:
    # The mass that enters the allocated stage is not the declared product's: here NaOH leaves
    # the cells as 50 % lye, so its mass in the stage is 1000 t / 50 % = 2000 t.
    pcr = rule(
        "mass", "product naoh mass naoh / 50 [%]\n    product chlorine\n    product hydrogen"
    )
    result = pcr.evaluate(INVENTORY)
    figure = result.allocation[0]
    assert figure.method == "mass"
    # weights 2000, 1128 and 28.4 t: NaOH's share is 2000 / 3156.4
    assert figure.reference_share == pytest.approx(2000 / 3156.4, rel=1e-12)
    assert figure.shares["chlorine"] == pytest.approx(1128 / 3156.4, rel=1e-12)
    assert result.total == pytest.approx(1341500 * (2000 / 3156.4) / 1000, rel=1e-9)


def test_stated_mass_in_another_mass_unit_is_converted() -> None:
    pcr = rule(
        "mass", "product naoh mass naoh * 1000 [kg/t]\n    product chlorine\n    product hydrogen"
    )
    # 1000 t × 1000 kg/t = 1 000 000 kg, weighed against the others' tonnes as the same 1000 t
    assert pcr.evaluate(INVENTORY).allocation[0].reference_share == pytest.approx(
        1000 / 2156.4, rel=1e-12
    )


def test_optional_co_product_left_out_is_E620_naming_it() -> None:
    text = RULE.replace("METHOD", "mass").replace(
        "PRODUCTS", "product naoh\n    product chlorine\n    product hydrogen"
    )
    text = text.replace('input hydrogen : t "H2" >= 0', 'input hydrogen : t "H2" >= 0 optional')
    text = text.replace(
        "credit hydrogen_sold : CO2e = hydrogen * 9 [t CO2e/t]",
        "credit hydrogen_sold : CO2e = if given(hydrogen) then hydrogen * 9 [t CO2e/t] "
        "else 0 [t CO2e]",
    )
    pcr = zuji.load_text(text, "t.pcr")
    assert pcr.errors == []
    inputs = {k: v for k, v in INVENTORY["inputs"].items() if k != "hydrogen"}
    with pytest.raises(zuji.EvaluationError) as info:
        pcr.evaluate({**INVENTORY, "inputs": inputs})
    assert info.value.code == "E620"
    assert "co-product 'hydrogen'" in str(info.value)
    assert info.value.span is not None and info.value.span.line == 19  # the allocate block


def test_condition_as_co_product_weight_is_E303() -> None:
    pcr = rule_text(
        "economic",
        "product naoh price (chlorine > 1 [t])\n    product chlorine price 100 [CNY/t]\n"
        "    product hydrogen price 10 [CNY/t]",
    )
    assert [d.code for d in pcr.errors] == ["E303"]
    assert "price of co-product 'naoh' must be a number, not a condition" in pcr.errors[0].message
