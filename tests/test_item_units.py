"""A list whose items are in different units (`amount : t or Nm3 as fuel_co2[fuel]`): the units
decided per option when the rule is compiled, and each item read, evaluated, sampled, traced,
templated and published in the unit of its option, on the scalar path and the vectorised one.

The rule is a lime kiln's fuels in the bundled dataset cn_fuels, whose CO2 factors are per t of
raw coal and fuel oil and per Nm3 of natural gas (co2_per_mass.*), and whose net calorific values
are in GJ/t and MJ/Nm3 (ncv.*).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import zuji
from zuji.core.errors import InventoryError
from zuji.data.standards import load as load_standards
from zuji.interfaces.docsite import pcr_page
from zuji.interfaces.template_cli import template_csv
from zuji.lang.build import load_text
from zuji.review.coverage import Probe
from zuji.review.sensitivity import with_sensitivity
from zuji.runtime.batch_table import Batch, arrays, columns_of
from zuji.runtime.inventory import read_inventory
from zuji.runtime.montecarlo import parameters
from zuji.runtime.vector import factors_in_force, inventory_arrays, run_vector
from zuji.semantics.compile import ExpressionCompiler, compile_plan
from zuji.semantics.compile.item_units import plan_item_units
from zuji.semantics.compile.state import Compilation
from zuji.semantics.compile.vector import vector_plan
from zuji.semantics.resolve import resolve

KILN = """\
pcr kiln {
  name en "Lime kiln" zh "石灰窑"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of lime
  boundary cradle_to_gate: burning
  cutoff per_flow 1 %, total 5 %

  input lime : t "Quicklime made" zh "生石灰产量" > 0
  input fuels : list "Kiln fuels" zh "窑用燃料" {
    fuel : one of raw_coal, fuel_oil, natural_gas
    amount : t or Nm3 as fuel_co2[fuel] "Amount burned, in the unit its factor is per" >= 0
  }

  factor fuel_co2 = cn_fuels.co2_per_mass.*
  factor ncv = cn_fuels.ncv.*

  let heat : GJ = sum over fuels (amount * ncv[fuel]) "Heat of the fuels"

  stage burning "Burning" {
    fuel_burned : CO2 = sum over fuels (amount * fuel_co2[fuel]) "Every fuel"
    gas_burned : CO2 = sum over fuels (if fuel is natural_gas then amount * fuel_co2[fuel] else 0)
  }

  assert heat > 0 [GJ] otherwise error "The kiln burned no fuel" zh "窑未燃烧任何燃料"

  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""

FUELS = [
    {"fuel": "raw_coal", "amount": "1.2 kt"},
    {"fuel": "fuel_oil", "amount": {"value": 50, "unit": "t"}},
    {"fuel": "natural_gas", "amount": "80 万Nm3"},
]
INVENTORY = {
    "pcr": "kiln",
    "reference_period": {"start": "2024-01-01", "end": "2024-12-31"},
    "inputs": {"lime": "10000 t", "fuels": FUELS},
}
# By hand, with cn_fuels co2_per_mass raw_coal 1.9003 t CO2/t, fuel_oil 3.1705 t CO2/t and
# natural_gas 2.1622 kg CO2/Nm3; 1.2 kt = 1 200 t, 80 万Nm3 = 800 000 Nm3:
#   fuel_burned = 1 200 x 1.9003 + 50 x 3.1705 + 800 000 x 2.1622 / 1 000
#               = 2 280.36 + 158.525 + 1 729.76 = 4 168.645 t CO2 -> / 10 000 t = 416.8645 kg/t
#   gas_burned  = 1 729.76 t CO2 -> 172.976 kg/t;  total = 589.8405 kg CO2e/t
# and with ncv raw_coal 20.908 GJ/t, fuel_oil 41.816 GJ/t, natural_gas 38.931 MJ/Nm3:
#   heat = 1 200 x 20.908 + 50 x 41.816 + 800 000 x 38.931 / 1 000 = 58 325.2 GJ
TOTAL, FUEL_BURNED, GAS_BURNED, HEAT = 589.8405, 416.8645, 172.976, 58325.2


@pytest.fixture(scope="module")
def kiln() -> zuji.PCR:
    pcr = zuji.load_text(KILN, "kiln.pcr")
    assert pcr.diagnostics == [], [d.render() for d in pcr.diagnostics]
    return pcr


def _inventory(fuels: list[dict[str, Any]], lime: str = "10000 t") -> dict[str, Any]:
    return {**INVENTORY, "inputs": {"lime": lime, "fuels": fuels}}


# ------------------------------------------------------------------------------ the pass


def test_the_pass_alone_decides_each_options_unit_from_its_factor() -> None:
    rule, _ = load_text(KILN, "kiln.pcr")
    compiler = ExpressionCompiler(Compilation(resolve(rule, load_standards())))
    plan_item_units(compiler)
    listed = compiler.compilation.item_units["fuels"]
    assert compiler.compilation.findings.items == []
    assert listed.key == "fuel" and listed.options == ("raw_coal", "fuel_oil", "natural_gas")
    units = {o: str(listed.unit("amount", o)) for o in listed.options}
    assert units == {"raw_coal": "t", "fuel_oil": "t", "natural_gas": "Nm3"}
    assert listed.describe("amount") == "t (raw_coal, fuel_oil), Nm3 (natural_gas)"
    measured = listed.field_in("amount", "natural_gas")
    assert measured is not None and str(measured.unit) == "Nm3" and measured.units is None
    assert measured.bounds == rule.inputs[1].fields[1].bounds


# ------------------------------------------------------------------------------ evaluation


def test_each_item_is_read_and_evaluated_in_its_options_unit(kiln: zuji.PCR) -> None:
    inventory = kiln.inventory(INVENTORY)
    amounts = [item["amount"] for item in inventory.values["fuels"]]
    assert amounts == [1200.0, 50.0, 800000.0]  # t, t, Nm3
    result = kiln.evaluate(inventory, trace=True)
    assert result.total == pytest.approx(TOTAL, rel=1e-12)
    lines = {line.name: line.co2e_kg for line in result.lines}
    assert lines == pytest.approx({"fuel_burned": FUEL_BURNED, "gas_burned": GAS_BURNED})
    assert result.trace is not None
    heat = next(v for v in result.trace.values if v.name == "heat")
    assert heat.value == pytest.approx(HEAT, rel=1e-12)  # MJ/Nm3 folded to GJ when compiled
    fuels = next(i for i in result.trace.inputs if i.name == "fuels")
    assert fuels.unit == "amount: t (raw_coal, fuel_oil), Nm3 (natural_gas)"


def test_an_amount_of_another_kind_is_refused_at_its_item(kiln: zuji.PCR, tmp_path: Path) -> None:
    path = tmp_path / "gas_in_tonnes.yaml"
    path.write_text(
        "pcr: kiln\ninputs:\n  lime: 10000 t\n  fuels:\n"
        "    - {fuel: raw_coal, amount: 1200 t}\n"
        "    - {fuel: natural_gas, amount: 600 t}\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as raised:
        kiln.evaluate(path)
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "E503"
    assert diagnostic.span is not None and (diagnostic.span.line, diagnostic.span.column) == (6, 27)
    assert "fuels[1].amount: '600 t' is mass" in diagnostic.message
    assert "natural_gas are measured in Nm3 (volume)" in diagnostic.message
    assert "fuel_co2[natural_gas] is per Nm3" in diagnostic.message
    assert "give this item's amount in Nm3" in diagnostic.hint


def test_an_item_without_its_option_is_refused_naming_what_decides_its_unit() -> None:
    text = KILN.replace(
        "one of raw_coal, fuel_oil, natural_gas", "one of raw_coal, fuel_oil, natural_gas optional"
    )
    pcr = zuji.load_text(text, "kiln_optional_fuel.pcr")
    with pytest.raises(InventoryError) as raised:
        pcr.evaluate(_inventory([{"amount": "3 t"}]))
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "E503" and "the item gives no fuel" in diagnostic.message
    assert "t (raw_coal, fuel_oil), Nm3 (natural_gas)" in diagnostic.hint


def test_an_amount_without_a_unit_asks_for_its_options_unit(kiln: zuji.PCR) -> None:
    with pytest.raises(InventoryError) as raised:
        kiln.evaluate(_inventory([{"fuel": "natural_gas", "amount": 5}]))
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "E501" and "'5 Nm3'" in diagnostic.hint


def test_a_reader_without_the_plan_compiles_the_units_itself(kiln: zuji.PCR) -> None:
    read = read_inventory(INVENTORY, kiln.rule, kiln.standards, "inventory")
    assert [item["amount"] for item in read.values["fuels"]] == [1200.0, 50.0, 800000.0]


def test_the_vectorised_plan_gives_the_scalar_figures(kiln: zuji.PCR) -> None:
    documents = [
        INVENTORY,
        _inventory([{"fuel": "natural_gas", "amount": {"value": 1e9, "unit": "m3"}}], "2 t"),
        _inventory([], "5 t"),
    ]
    inventories = [kiln.inventory(d) for d in documents]
    vplan = vector_plan(kiln.plan)
    factors = factors_in_force(kiln.plan, inventories[0].period_start)
    figures = run_vector(vplan, inventory_arrays(vplan, inventories), factors, len(documents))
    assert list(figures.suspect) == [False, False, True]  # no fuel: the assertion fails
    for i in (0, 1):
        assert figures.total[i] == pytest.approx(kiln.evaluate(inventories[i]).total, rel=1e-12)
    # 1e9 m3 = 1e9 Nm3 x 2.1622 kg = 2.1622e6 t CO2, counted twice (both lines), per 2 t lime
    assert figures.total[1] == pytest.approx(2 * 2.1622e9 / 2, rel=1e-12)


def test_a_batch_table_reads_each_cell_in_its_items_unit(kiln: zuji.PCR) -> None:
    table = pd.DataFrame(
        {
            "lime [t]": [10000.0, 10000.0, 10000.0, 10000.0],
            "fuels.0.fuel": ["raw_coal", "raw_coal", "raw_coal", "raw_coal"],
            "fuels.0.amount": [1200.0, 1200.0, 1200.0, 1200.0],  # in t, the option's unit
            "fuels.1.fuel": ["fuel_oil", "fuel_oil", "fuel_oil", "fuel_oil"],
            "fuels.1.amount": ["50 t", "50000 kg", "50 t", "50 t"],
            "fuels.2.fuel": ["natural_gas", "natural_gas", "natural_gas", "natural_gas"],
            "fuels.2.amount": ["80 万Nm3", "800000 m3", "600 t", 800000.0],
            "period_start": ["2024-01-01"] * 4,
            "period_end": ["2024-12-31"] * 4,
        }
    )
    # Read on arrays: only the row whose gas is given in t is left to the scalar reader.
    batch = Batch(table, columns_of(list(table.columns), kiln.rule))
    values = arrays(batch, vector_plan(kiln.plan))
    assert list(batch.suspect) == [False, False, True, False]
    gas = values["fuels"].fields["amount"][8:]  # item 2 of each row, in Nm3; NaN where refused
    assert list(gas[[0, 1, 3]]) == [800000.0] * 3 and math.isnan(gas[2])
    out = kiln.evaluate_many(table)
    assert list(out["status"]) == ["ok", "ok", "failed", "ok"]
    assert list(out["total"][[0, 1, 3]]) == pytest.approx([TOTAL] * 3, rel=1e-12)
    assert out["error"][2].startswith("E503: row 3: fuels[2].amount: '600 t' is mass")
    volumes = pd.DataFrame(
        {
            "lime [t]": [10000.0],
            "fuels.0.fuel": ["natural_gas"],
            "fuels.0.amount [L]": [1000.0],  # 1 000 L = 1 Nm3
        }
    )
    assert kiln.evaluate_many(volumes)["total"][0] == pytest.approx(2 * 2.1622 / 10000)


def test_a_header_unit_of_no_kind_of_the_field_is_a_usage_mistake(kiln: zuji.PCR) -> None:
    table = pd.DataFrame(
        {"lime [t]": [1.0], "fuels.0.fuel": ["raw_coal"], "fuels.0.amount [GJ]": [1]}
    )
    with pytest.raises(zuji.ZujiError) as raised:
        kiln.evaluate_many(table)
    assert raised.value.code == "E661" and "t or Nm3 as fuel_co2[fuel]" in str(raised.value)


# ------------------------------------------------------------------------------ analyses


def test_monte_carlo_and_sensitivities_name_each_items_unit(kiln: zuji.PCR) -> None:
    fuels = [dict(item) for item in FUELS]
    fuels[2] = {
        "fuel": "natural_gas",
        "amount": {
            "value": 80,
            "unit": "万Nm3",
            "uncertainty": {"distribution": "normal", "sd": 4},
        },
    }
    inventory = kiln.inventory(_inventory(fuels))
    # The spread is read in the option's unit too: sd 4 万Nm3 = 40 000 Nm3.
    spread = inventory.uncertainty["fuels[2].amount"]
    assert (spread.centre, spread.spread) == pytest.approx((800000, 40000))
    found = {p.name: p.unit for p in parameters(kiln, inventory, pedigree=False)}
    assert found["fuels[2].amount"] == "Nm3"
    sampled = kiln.monte_carlo(inventory, 2000, seed=7)
    assert sampled.mean == pytest.approx(TOTAL, rel=0.01)
    result = with_sensitivity(kiln, inventory, kiln.evaluate(inventory))
    assert result.sensitivity is not None
    figures = {f.name: f for f in result.sensitivity.parameters}
    assert figures["fuels[0].amount"].unit == "t" and figures["fuels[2].amount"].unit == "Nm3"
    # d(total)/d(gas in Nm3): 2.1622 kg CO2 on each of two lines, per 10 000 t lime
    assert figures["fuels[2].amount"].derivative == pytest.approx(2 * 2.1622 / 10000, rel=1e-9)


def test_coverage_records_the_option_tests_of_each_items_body() -> None:
    rule, _ = load_text(KILN, "kiln_covered.pcr")
    probe = Probe()
    plan = compile_plan(resolve(rule, load_standards()), probe=probe)
    pcr = zuji.load_text(KILN, "kiln.pcr")
    from zuji.runtime.evaluate import evaluate

    evaluate(plan, pcr.inventory(INVENTORY))
    outcomes = {outcome for _, outcome in probe.hits}
    assert {"then", "else", "true", "false"} <= outcomes


# ------------------------------------------------------------------------------ publishing


def test_the_schema_gives_each_options_unit(kiln: zuji.PCR) -> None:
    item = kiln.schema()["properties"]["inputs"]["properties"]["fuels"]["items"]
    amount = item["properties"]["amount"]
    assert amount["x-unit"] == "t or Nm3 as fuel_co2[fuel]"
    assert amount["x-unit-by"]["units"] == {"raw_coal": "t", "fuel_oil": "t", "natural_gas": "Nm3"}
    assert "[t or Nm3 as fuel_co2[fuel]]" in amount["description"]
    assert item["properties"]["fuel"]["description"].startswith("One of: ")


def test_the_csv_template_is_read_back_with_the_unit_of_each_row(
    kiln: zuji.PCR, tmp_path: Path
) -> None:
    rows = list(csv.reader(io.StringIO(template_csv(kiln))))
    header, by_id = rows[0], {row[0]: row for row in rows[1:]}
    unit, options, value = header.index("单位 unit"), header.index("选项 options"), 3
    assert by_id["fuels[1].amount"][unit] == ""
    assert (
        by_id["fuels[1].amount"][options] == "单位 units: t (raw_coal, fuel_oil), Nm3 (natural_gas)"
    )
    by_id["lime"][value] = "10000"
    by_id["fuels[1].fuel"][value] = "natural_gas"
    by_id["fuels[1].amount"][value], by_id["fuels[1].amount"][unit] = "800000", "m3"
    path = tmp_path / "kiln.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *by_id.values()])
    result = kiln.evaluate(path)
    # 800 000 Nm3 x 2.1622 kg CO2/Nm3 on both lines, per 10 000 t lime (latest factors)
    assert result.total == pytest.approx(2 * 800000 * 2.1622 / 1000 / 10000 * 1000, rel=1e-12)


def test_the_published_page_lists_each_options_unit(kiln: zuji.PCR) -> None:
    page = pcr_page.render(kiln, {}, "en")
    assert "`t or Nm3 as fuel_co2[fuel]`: t (raw\\_coal, fuel\\_oil), Nm3 (natural\\_gas)" in page


def test_a_default_number_is_read_in_each_items_unit() -> None:
    text = KILN.replace(
        '"Amount burned, in the unit its factor is per" >= 0',
        '"Amount burned, in the unit its factor is per" >= 0 = 0',
    )
    pcr = zuji.load_text(text, "kiln_default.pcr")
    assert pcr.errors == []
    inventory = pcr.inventory(
        _inventory([{"fuel": "natural_gas"}, {"fuel": "raw_coal", "amount": "1 t"}])
    )
    assert [item["amount"] for item in inventory.values["fuels"]] == [0.0, 1.0]
    # 1 t raw coal x 1.9003 t CO2/t = 1 900.3 kg CO2 per 10 000 t lime; the gas counts 0 Nm3
    assert math.isclose(pcr.evaluate(inventory).total, 1900.3 / 10000, rel_tol=1e-12)
    table = pd.DataFrame(
        {
            "lime [t]": [10000.0],
            "fuels.0.fuel": ["natural_gas"],
            "fuels.1.fuel": ["raw_coal"],
            "fuels.1.amount": [1.0],
        }
    )
    assert pcr.evaluate_many(table)["total"][0] == pytest.approx(1900.3 / 10000, rel=1e-12)
