"""The rule library agrees with itself and with the standards: CO2 sent from one product system to
another is counted exactly once, the end-of-life balance of steel is reported with one sign
convention, no input has a default that can never be used, and a reference period past the
newest value of a dated factor is said."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

import zuji
from zuji.core import library
from zuji.core.errors import EvaluationError
from zuji.runtime.cases import load_case


def case_inventory(pcr: str, case: str) -> dict[str, Any]:
    path = library.pcr_root() / pcr / "cases" / f"{case}.yaml"
    return copy.deepcopy(load_case(path)["inventory"])


def line(result: zuji.Result, name: str) -> float:
    return next(f.co2e_kg for f in result.lines if f.name == name)


def refused(pcr: zuji.PCR, inventory: dict[str, Any]) -> zuji.Diagnostic:
    with pytest.raises(EvaluationError) as info:
        pcr.evaluate(inventory)
    return info.value.diagnostics[0]


# ---------------------------------------------------------------- defect 1: CO2 sent on


def test_co2_a_methanol_plant_sends_on_stays_in_its_footprint() -> None:
    # The urea PCR takes CO2 burden-free because the plant that formed it counts it as emitted;
    # a methanol plant that deducted the CO2 it sends to urea would make it vanish from both.
    methanol = zuji.load("methanol")
    kept = case_inventory("methanol", "typical_coal_plant")
    sent = copy.deepcopy(kept)
    sent["inputs"]["co2_transferred"] = "100000 t CO2"  # sent on by a plant making 600 000 t
    before, after = methanol.evaluate(kept), methanol.evaluate(sent)
    assert after.total == pytest.approx(before.total, rel=1e-12)
    # ... and the amount sent on is reported apart: 100 000 t / 600 000 t = 166.667 kg per t.
    assert line(after, "co2_sent_on") == pytest.approx(100_000 / 600_000 * 1000, rel=1e-9)


@pytest.mark.parametrize(
    ("pcr", "case", "convention_input"),
    [
        ("methanol", "typical_coal_plant", "co2_receiver_convention"),
        ("ammonia", "typical_coal", "co2_receiver_convention"),
        ("hydrogen", "coal_gasification", "co2_receiver_convention"),
        ("urea", "typical_coal", "co2_source_convention"),
    ],
)
def test_each_pcr_refuses_the_other_convention(pcr: str, case: str, convention_input: str) -> None:
    rule = zuji.load(pcr)
    inventory = case_inventory(pcr, case)
    inventory["inputs"][convention_input] = "emitted_where_formed"
    rule.evaluate(inventory)  # the library's own convention is accepted
    inventory["inputs"][convention_input] = "transferred_with_burden"
    diagnostic = refused(rule, inventory)
    assert diagnostic.code == "E650" and "co2_transfer" in diagnostic.message


def test_every_pcr_that_sends_or_takes_co2_uses_the_shared_convention() -> None:
    # A PCR that names CO2 sent to or received from another product system (an input in t CO2
    # whose description speaks of it) must use common.co2_transfer and assert its convention.
    talks_of_transfer = re.compile(
        r"CO2 (captured and )?(fed|sent|delivered|recovered)", re.IGNORECASE
    )
    found = []
    for path in library.rule_files():
        rule = zuji.load(path).rule
        if rule.kind != "pcr":
            continue
        transfers = [
            i
            for i in rule.inputs
            if i.kind == "quantity" and talks_of_transfer.search(str(i.description))
        ]
        if not transfers:
            continue
        found.append(rule.id)
        text = Path(rule.path).read_text(encoding="utf-8")
        assert "use common.co2_transfer" in text, rule.id
        assert re.search(r"assert .*is emitted_where_formed", text), rule.id
    assert {"ammonia", "hydrogen", "methanol", "urea"} <= set(found)


# ---------------------------------------------------------------- defect 2: end of life of steel


def test_eaf_scrap_burden_is_reported_beside_the_bf_bof_credit_with_one_sign() -> None:
    steel = zuji.load("steel")
    eaf = steel.evaluate(case_inventory("steel", "eaf_rebar"))
    bof = steel.evaluate(case_inventory("steel", "typical_bf_bof"))
    # worldsteel: credit = (RR - S) x value of scrap. EAF rebar: RR 0.85, S = 840 000 / 776 000,
    # value 1.5 t CO2e/t, so (0.85 - 1.082474) x 1 500 = -348.711 kg CO2e per t: a burden.
    assert line(eaf, "end_of_life_recycling") == pytest.approx((0.85 - 840 / 776) * 1500, rel=1e-6)
    assert line(bof, "end_of_life_recycling") > 0
    # the burden is in the credits figure, apart from the footprint, as the BF-BOF benefit is
    assert eaf.credits == pytest.approx(line(eaf, "end_of_life_recycling"), rel=1e-9)
    assert eaf.total == pytest.approx(sum(eaf.by_stage.values()), rel=1e-12)


def test_a_negative_emission_line_is_still_refused() -> None:
    rule = zuji.load_text(
        """
pcr signs {
  name en "Signs" zh "符号"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input amount : t "An amount" >= 0
  stage making {
    saving : CO2 = (1 [t] - amount) * 1 [t CO2/t]
    credit balance : CO2e = (1 [t] - amount) * 1 [t CO2e/t]
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
""",
        "signs.pcr",
    )
    inventory = {"pcr": "signs", "inputs": {"product": "1 t", "amount": "0.5 t"}}
    assert rule.evaluate(inventory).credits == pytest.approx(500)
    inventory["inputs"]["amount"] = "3 t"
    diagnostic = refused(rule, inventory)
    assert diagnostic.code == "E625" and "line 'saving'" in diagnostic.message


# ---------------------------------------------------------------- defect 3: dead defaults

DEAD_DEFAULT = """
pcr dead {
  name en "Dead default" zh "无效默认值"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input coal : t "Coal burned" >= 0 = 0 primary
  stage making {
    burning : CO2 = coal * 2 [t CO2/t]
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


def test_a_primary_input_with_a_default_is_found_by_check() -> None:
    rule = zuji.load_text(DEAD_DEFAULT, "dead.pcr")
    codes = [d.code for d in rule.warnings]
    assert "W268" in codes
    message = next(d.message for d in rule.warnings if d.code == "W268")
    assert "'coal'" in message


def test_no_rule_of_the_library_has_a_default_it_cannot_use() -> None:
    for path in library.rule_files():
        rule = zuji.load(path)
        assert [d for d in rule.warnings if d.code == "W268"] == [], path


def test_a_coal_methanol_plant_may_leave_out_the_feeds_it_does_not_use() -> None:
    methanol = zuji.load("methanol")
    inventory = case_inventory("methanol", "typical_coal_plant")
    full = methanol.evaluate(inventory)
    for name in ("feed_gas", "cog", "fuel_gas"):
        del inventory["inputs"][name]
    short = methanol.evaluate(inventory)  # no E611: the zero defaults apply
    assert short.total == pytest.approx(full.total, rel=1e-12)
    assert "W603" in {w.code for w in short.warnings}


# ---------------------------------------------------------------- defect 4: a period past the data


def period(inventory: dict[str, Any], year: int) -> dict[str, Any]:
    inventory["reference_period"] = {"start": f"{year}-01-01", "end": f"{year}-12-31"}
    return inventory


def test_a_period_past_the_newest_grid_value_warns_naming_it() -> None:
    cement = zuji.load("cement")
    result = cement.evaluate(period(case_inventory("cement", "typical_plant"), 2024))
    stale = [w.message for w in result.warnings if w.code == "W604"]
    assert any("cn_grid.national" in m and "2023-01-01" in m for m in stale), stale


def test_a_period_the_newest_value_covers_gives_no_such_warning() -> None:
    cement = zuji.load("cement")
    result = cement.evaluate(period(case_inventory("cement", "typical_plant"), 2023))
    assert "W604" not in {w.code for w in result.warnings}


# ---------------------------------------------------------------- electricity: methods and Shandong


@pytest.mark.parametrize("pcr", ["aluminium", "caustic_soda"])
@pytest.mark.parametrize(
    ("criterion", "number"),
    [("cancelled", "3"), ("sole_claim", "2"), ("vintage", "4"), ("same_market", "5")],
)
def test_an_instrument_failing_a_scope2_quality_criterion_is_refused(
    pcr: str, criterion: str, number: str
) -> None:
    rule = zuji.load(pcr)
    inventory = case_inventory(pcr, "shandong_green_power")
    inventory["inputs"]["green_power"][1][criterion] = "not_met"
    diagnostic = refused(rule, inventory)
    assert diagnostic.code == "E650" and f"criterion {number}" in diagnostic.message


def test_market_based_electricity_keeps_the_location_based_figure_beside_it() -> None:
    aluminium = zuji.load("aluminium")
    market = aluminium.evaluate(case_inventory("aluminium", "shandong_green_power"))
    location_inventory = case_inventory("aluminium", "shandong_green_power")
    location_inventory["inputs"]["electricity_method"] = "location_based"
    location = aluminium.evaluate(location_inventory)
    beside = line(market, "grid_power_location_based")
    # the memo line is in no total: the market-based total is the sum of its stages ...
    assert market.total == pytest.approx(sum(market.by_stage.values()), rel=1e-12)
    # ... and the memo is what the location-based method puts in the total
    assert beside == pytest.approx(line(location, "grid_power_co2"), rel=1e-12)
    assert location.total - market.total == pytest.approx(
        beside - line(market, "grid_power_co2"), rel=1e-9
    )
    assert market.credits == 0


def test_shandong_is_a_grid_region_of_every_pcr_that_asks_for_one() -> None:
    for path in library.rule_files():
        rule = zuji.load(path)
        if rule.rule.kind != "pcr" or rule.rule.input("grid_region") is None:
            continue
        assert "shandong" in rule.choices["electricity.grid_region"], path


PINNED = """
pcr pinned_grid {
  name en "Pinned grid" zh "固定电网因子"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input power : MWh "Electricity" >= 0
  factor grid = cn_grid.national AT
  stage making {
    electricity : CO2 = power * grid
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


@pytest.mark.parametrize(("pin", "warned"), [("", True), ("at 2023-01-01", False)])
def test_a_factor_pinned_to_a_date_is_not_warned_as_past_its_newest_value(
    pin: str, warned: bool
) -> None:
    rule = zuji.load_text(PINNED.replace("AT", pin), f"pinned_{warned}.pcr")
    inventory = period({"pcr": "pinned_grid", "inputs": {"product": "1 t", "power": "1 MWh"}}, 2025)
    result = rule.evaluate(inventory)
    assert result.total == pytest.approx(530.6)  # 1 MWh × 0.5306 t/MWh, the 2023 value
    assert ("W604" in {w.code for w in result.warnings}) is warned


# ---------------------------------------------------------------- tyres: use-phase method


def test_the_fuel_elasticity_method_needs_a_combustion_car_and_its_fuel_use() -> None:
    tyre = zuji.load("tyre")
    inventory = case_inventory("tyre", "typical_tyre_fuel_elasticity")
    del inventory["inputs"]["vehicle_energy_use"]
    assert "vehicle_energy_use" in refused(tyre, inventory).message
    inventory = case_inventory("tyre", "typical_tyre_fuel_elasticity")
    inventory["inputs"]["powertrain"] = "electric"
    diagnostic = refused(tyre, inventory)
    assert diagnostic.code == "E650" and "electric" in diagnostic.message
