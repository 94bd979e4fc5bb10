"""The PCRs of the programme's next products (hydrogen, nitric acid, ammonium nitrate, clinker,
secondary aluminium, DRI steel): each refuses what cannot be, with its own message, and each
precursor's footprint carries into the product that takes it.

The worked cases beside each PCR show the arithmetic on good inventories; these tests turn one
figure of such an inventory wrong and check that the rule, not a line, refuses it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import zuji
from zuji.core import library
from zuji.core.documents import load_path

# (pcr, case, inputs changed (None removes one), code, words of the message)
REFUSED: list[tuple[str, str, dict[str, Any], str, str]] = [
    (
        "hydrogen",
        "gas_reforming",
        {"feed_coal": "10 t", "feed_coal_carbon": "60 %"},
        "E650",
        "Report feed coal exactly",
    ),
    (
        "hydrogen",
        "electrolysis_wind",
        {"electricity_used": "100000 MWh", "direct_power": None},
        "E650",
        "thermodynamic minimum",
    ),
    ("hydrogen", "coal_gasification", {"co2_sent_on": "2000000 t CO2"}, "E650", "More CO2 sent on"),
    (
        "hydrogen",
        "gas_reforming",
        {"direct_power": [{"source": "wind_onshore", "energy": "10 MWh"}]},
        "E650",
        "electrolysis route only",
    ),
    (
        "nitric_acid",
        "nscr_measured",
        {"abatement": "50 %", "n2o_measured": None},
        "E650",
        "already include their abatement",
    ),
    (
        "nitric_acid",
        "tertiary_abatement",
        {"n2o_measured": "300 t N2O"},
        "E650",
        "no abatement share with it",
    ),
    (
        "nitric_acid",
        "typical_unabated",
        {"ammonia_used": "70000 t"},
        "E650",
        "stoichiometry of the nitric acid",
    ),
    (
        "ammonium_nitrate",
        "typical_integrated",
        {"nitric_acid_used": "250000 t"},
        "E650",
        "Less nitric acid",
    ),
    ("ammonium_nitrate", "solution_sold", {"ammonia_used": "50000 t"}, "E650", "Less ammonia"),
    ("clinker", "typical_kiln", {"mgo": None}, "E650", "CaO and the MgO"),
    ("clinker", "bypass_dust", {"dust_calcination": None}, "E650", "degree of calcination"),
    (
        "clinker",
        "typical_kiln",
        {"limestone": "1000000 t", "clay": "0 t", "sand": "0 t"},
        "E650",
        "Less raw meal than clinker",
    ),
    (
        "secondary_aluminium",
        "induction_with_primary",
        {"primary_metal_footprint": None},
        "E650",
        "supplier's footprint",
    ),
    (
        "secondary_aluminium",
        "induction_with_primary",
        {"primary_metal": "60000 t"},
        "E650",
        "not more than half",
    ),
    (
        "secondary_aluminium",
        "typical_reverberatory",
        {"aluminium": "120000 t"},
        "E650",
        "More metal cast",
    ),
    ("dri_steel", "gas_shaft_typical", {"route": "coal_kiln"}, "E650", "reducing gas exactly"),
    ("dri_steel", "coal_kiln", {"char_carbon": None}, "E650", "kiln char together"),
    (
        "dri_steel",
        "gas_shaft_hydro",
        {"dri_carbon": "6 %", "reducing_gas": "20000000 Nm3"},
        "E650",
        "cannot carry more carbon",
    ),
    ("dri_steel", "gas_shaft_typical", {"crude_steel": "1200000 t"}, "E650", "More steel cast"),
]

# (pcr, case, inputs changed, words of the warning)
WARNED: list[tuple[str, str, dict[str, Any], str]] = [
    ("hydrogen", "electrolysis_wind", {"electricity_used": "200000 MWh"}, "More than 70 MWh"),
    ("nitric_acid", "typical_unabated", {"ammonia_used": "85000 t"}, "More than 0.300 t NH3"),
    ("nitric_acid", "nscr_measured", {"n2o_measured": "2000 t N2O"}, "above 12 kg"),
    ("ammonium_nitrate", "bought_acid", {"ammonia_used": "23000 t"}, "Ammonia more than 5 %"),
    (
        "clinker",
        "typical_kiln",
        {"kiln_fuels": [{"fuel": "raw_coal", "amount": "150000 t"}]},
        "below 2.5 GJ",
    ),
    ("secondary_aluminium", "rotary_fuel_oil", {"aluminium": "25000 t"}, "yield below 70 %"),
    ("dri_steel", "gas_shaft_hydro", {"pellets": "300000 t"}, "1.2 t of pellets"),
]


def rule(pcr: str) -> zuji.PCR:
    return zuji.load(library.pcr_root() / pcr / f"{pcr}.pcr")


def case_inventory(pcr: str, case: str) -> dict[str, Any]:
    document = load_path(library.pcr_root() / pcr / "cases" / f"{case}.yaml")
    inventory: dict[str, Any] = copy.deepcopy(document["inventory"])
    return inventory


def changed(pcr: str, case: str, changes: dict[str, Any]) -> dict[str, Any]:
    inventory = case_inventory(pcr, case)
    for name, value in changes.items():
        if value is None:
            inventory["inputs"].pop(name)
        else:
            inventory["inputs"][name] = value
    return inventory


@pytest.mark.parametrize(
    ("pcr", "case", "changes", "code", "words"),
    REFUSED,
    ids=[f"{p}-{w}" for p, _, _, _, w in REFUSED],
)
def test_the_rule_refuses_an_impossible_inventory(
    pcr: str, case: str, changes: dict[str, Any], code: str, words: str
) -> None:
    assert rule(pcr).evaluate(case_inventory(pcr, case)).total > 0  # the case itself is accepted
    with pytest.raises(zuji.EvaluationError) as info:
        rule(pcr).evaluate(changed(pcr, case, changes))
    assert info.value.code == code
    assert words in str(info.value) and f"{pcr}.pcr:" in str(info.value)


@pytest.mark.parametrize(
    ("pcr", "case", "changes", "words"), WARNED, ids=[f"{p}-{w}" for p, _, _, w in WARNED]
)
def test_the_rule_warns_about_an_unusual_inventory(
    pcr: str, case: str, changes: dict[str, Any], words: str
) -> None:
    before = rule(pcr).evaluate(case_inventory(pcr, case))
    assert not any(w.code == "W650" and words in w.message for w in before.warnings)
    after = rule(pcr).evaluate(changed(pcr, case, changes))
    assert any(w.code == "W650" and words in w.message for w in after.warnings)


def test_nitric_acid_footprint_carries_into_ammonium_nitrate() -> None:
    # The ammonium nitrate case takes the nitric acid case's footprint rounded to 3.349 t; with the
    # unrounded figure its nitric acid line moves by exactly 276 000 t x the difference / 350 000 t.
    acid = rule("nitric_acid").evaluate(case_inventory("nitric_acid", "typical_unabated")).total
    inventory = case_inventory("ammonium_nitrate", "typical_integrated")
    inventory["inputs"]["nitric_acid_footprint"] = f"{acid} kg CO2e/t"
    result = rule("ammonium_nitrate").evaluate(inventory)
    line = next(x for x in result.lines if x.name == "nitric_acid_supply")
    assert line.co2e_kg == pytest.approx(276_000 * acid / 350_000, rel=1e-9)
    assert line.co2e_kg == pytest.approx(2640.926 + 276_000 * (acid - 3349.0) / 350_000, rel=1e-6)


def test_clinker_footprint_is_what_a_cement_plant_buying_it_carries() -> None:
    # The cement case buys 150 000 t of clinker for 1 000 000 t of cement; given the clinker
    # PCR's typical footprint instead of its supplier's PACT file, the line is 0.15 x that figure.
    clinker = rule("clinker").evaluate(case_inventory("clinker", "typical_kiln")).total
    inventory = case_inventory("cement", "purchased_clinker")
    assert (inventory["inputs"]["bought_clinker"], inventory["inputs"]["cement"]) == (
        "150000 t",
        "1000000 t",
    )
    inventory["inputs"]["bought_clinker_footprint"] = f"{clinker} kg CO2e/t"
    result = rule("cement").evaluate(inventory)
    line = next(x for x in result.lines if x.name == "bought_clinker_supply")
    assert line.co2e_kg == pytest.approx(150_000 * clinker / 1_000_000, rel=1e-9)
