"""Inventories read against the real cement PCR: every way an inventory can be wrong.

Each error names the input it is about, so an enterprise can find the line to fix.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import zuji
from zuji.core import library

# Only the required inputs of pcr/cement/cement.pcr; everything else takes its default.
# 1000 t cement from 750 t own clinker; the calcination line by hand, with CaO 65 % and MgO 1.5 %:
# 750 t x (0.65 x 0.785 + 0.015 x 1.092) t CO2/t = 394.9725 t CO2 -> 394.9725 kg CO2 per t cement.
REQUIRED: dict[str, Any] = {
    "cement": "1000 t",
    "clinker_produced": "750 t",
    "clinker_used": "750 t",
    "kiln_fuels": [{"fuel": "raw_coal", "amount": "110 t"}],
    "kiln_electricity": "41 250 MWh",
    "grinding_electricity": "35 MWh",
    "limestone": "930 t",
    "gypsum": "50 t",
    "deliveries": [{"mass": "110 t", "distance": "500 km", "mode": "rail"}],
}
CALCINATION_KG_PER_T = 394.9725

YAML_INVENTORY = """\
pcr: cement
reference_period: {start: 2022-01-01, end: 2022-12-31}
inputs:
  cement: 1000 t
  clinker_produced: 750 t
  clinker_used: 750 t
  kiln_fuels:
    - {fuel: raw_coal, amount: 110 t}
  kiln_electricity: 41 250 MWh
  grinding_electricity: 35 MWh
  limestone: 930 t
  gypsum: 50 t
  deliveries:
    - {mass: 110 t, distance: 500 km, mode: rail}
"""


@pytest.fixture(scope="module")
def pcr() -> zuji.PCR:
    loaded = zuji.load("cement")
    assert loaded.errors == []
    return loaded


def inventory(**inputs: Any) -> dict[str, Any]:
    """A valid cement inventory with some inputs changed (None removes one)."""
    values = copy.deepcopy(REQUIRED)
    for name, value in inputs.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return {
        "pcr": "cement",
        "company": "Test plant",
        "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
        "inputs": values,
    }


def refused(pcr: zuji.PCR, document: dict[str, Any] | Path) -> zuji.InventoryError:
    with pytest.raises(zuji.InventoryError) as info:
        pcr.inventory(document)
    return info.value


def line(result: zuji.Result, name: str) -> float:
    return next(f.co2e_kg for f in result.lines if f.name == name)


def cement_text(old: str, new: str) -> str:
    text = (library.pcr_root() / "cement" / "cement.pcr").read_text(encoding="utf-8")
    assert text.count(old) == 1
    return text.replace(old, new)


# ------------------------------------------------------------------------------------ baseline


def test_required_inputs_alone_make_a_valid_inventory(pcr: zuji.PCR) -> None:
    inv = pcr.inventory(inventory())
    assert inv.values["cement"] == 1000
    assert inv.values["whr_electricity"] == 0  # default
    assert inv.values["cao"] is None  # optional, not given
    result = pcr.evaluate(inv)
    assert math.isfinite(result.total) and result.total > 0


def test_the_required_inputs_are_those_of_the_pcr(pcr: zuji.PCR) -> None:
    assert {i.name for i in pcr.rule.inputs if i.required} == set(REQUIRED)


# ------------------------------------------------------------------------------ missing, unknown


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_missing_required_input(pcr: zuji.PCR, name: str) -> None:
    exc = refused(pcr, inventory(**{name: None}))
    assert exc.code == "E501"
    assert f"missing required input '{name}'" in str(exc)


def test_missing_required_input_says_its_unit(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(kiln_electricity=None))
    assert "'kiln_electricity' [MWh]" in str(exc)


def test_unknown_input(pcr: zuji.PCR) -> None:
    doc = inventory()
    doc["inputs"]["gypsm"] = "50 t"
    exc = refused(pcr, doc)
    assert exc.code == "E501"
    assert "unknown input 'gypsm'" in str(exc)
    assert "gypsum" in str(exc)  # the known inputs are listed


def test_missing_field_of_a_list_item(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(deliveries=[{"mass": "110 t", "distance": "500 km"}]))
    assert exc.code == "E501"
    assert "deliveries" in str(exc) and "'mode'" in str(exc)


# ------------------------------------------------------------------------------------ units


def test_wrong_dimension(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(kiln_electricity="62 000 kg"))
    assert exc.code == "E501"
    message = str(exc)
    assert "kiln_electricity" in message
    assert "'kg'" in message and "mass" in message and "energy" in message
    assert "MWh" in exc.diagnostics[0].hint


def test_wrong_dimension_in_a_list_item(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(deliveries=[{"mass": "110 t", "distance": "5 t", "mode": "rail"}]))
    assert "deliveries[0].distance" in str(exc)
    assert "length" in str(exc)


def test_quantity_without_unit(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(cement=1000))
    assert "cement" in str(exc) and "no unit" in str(exc)
    assert "1000 t" in exc.diagnostics[0].hint


def test_unknown_unit(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(gypsum="50 tonnnes"))
    assert "gypsum" in str(exc) and "tonnnes" in str(exc)


def test_unit_written_twice(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(gypsum={"value": "50 t", "unit": "kg"}))
    assert "gypsum" in str(exc) and "twice" in str(exc)


@pytest.mark.parametrize(
    "written",
    [
        "41.25 GWh",
        "41 250 MWh",
        "41250 MWh",
        {"value": 41.25, "unit": "GWh"},
        {"value": "41 250", "unit": "MWh"},
        "41250000 kWh",
        "148500 GJ",
    ],
)
def test_unit_conversion(pcr: zuji.PCR, written: Any) -> None:
    inv = pcr.inventory(inventory(kiln_electricity=written))
    assert inv.values["kiln_electricity"] == pytest.approx(41250, rel=1e-12)


def test_unit_conversion_gives_the_same_footprint(pcr: zuji.PCR) -> None:
    gwh = pcr.evaluate(inventory(kiln_electricity="41.25 GWh"))
    mwh = pcr.evaluate(inventory(kiln_electricity="41 250 MWh"))
    assert gwh.total == pytest.approx(mwh.total, rel=1e-12)
    assert gwh.by_stage == pytest.approx(mwh.by_stage, rel=1e-12)


def test_mass_in_kilograms_converts_to_tonnes(pcr: zuji.PCR) -> None:
    inv = pcr.inventory(inventory(gypsum="50 000 kg"))
    assert inv.values["gypsum"] == pytest.approx(50)


@pytest.mark.parametrize(
    "cao, mgo",
    [
        ("65 %", "1.5 %"),
        ({"value": 65, "unit": "%"}, {"value": 1.5, "unit": "%"}),
        ({"value": "65", "unit": "%"}, "1.5%"),
    ],
)
def test_percentages(pcr: zuji.PCR, cao: Any, mgo: Any) -> None:
    result = pcr.evaluate(inventory(cao=cao, mgo=mgo))
    assert line(result, "calcination") == pytest.approx(CALCINATION_KG_PER_T, rel=1e-9)


def test_plain_fraction_for_a_percentage_is_not_read_as_hundredths(pcr: zuji.PCR) -> None:
    """docs/language.md: '% is a pure number: 65 % equals 0.65', and a number written without a
    unit is a pure number. So cao: 0.65 means 65 % (or, if the engine insists on a unit, it is
    refused naming cao) -- never 0.65 %, which would cut calcination a hundredfold in silence."""
    document = inventory(cao=0.65, mgo=0.015)
    try:
        result = pcr.evaluate(document)
    except zuji.InventoryError as exc:
        assert "cao" in str(exc)
        return
    assert line(result, "calcination") == pytest.approx(CALCINATION_KG_PER_T, rel=1e-9)


# ------------------------------------------------------------------------------------ values


def test_out_of_range_percentage(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(cao="120 %", mgo="1.5 %"))
    assert exc.code == "E501"
    assert "cao" in str(exc)
    assert "out of range" in str(exc) and "<= 100" in str(exc)


def test_negative_amount_out_of_range(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(gypsum="-5 t"))
    assert "gypsum" in str(exc) and "out of range" in str(exc) and ">= 0" in str(exc)


def test_zero_reference_product_is_out_of_range(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(cement="0 t"))
    assert "cement" in str(exc) and "out of range" in str(exc) and "> 0" in str(exc)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        {"value": float("nan"), "unit": "t"},
        {"value": float("inf"), "unit": "t"},
        "nan t",
        "inf t",
    ],
    ids=["nan", "inf", "-inf", "nan-with-unit", "inf-with-unit", "nan-text", "inf-text"],
)
def test_not_a_finite_number(pcr: zuji.PCR, value: Any) -> None:
    exc = refused(pcr, inventory(gypsum=value))
    assert exc.code == "E501"
    assert "gypsum" in str(exc)


def test_yaml_nan_and_infinity(pcr: zuji.PCR, tmp_path: Path) -> None:
    for written in (".nan", ".inf", "-.inf", "{value: .nan, unit: t}"):
        path = tmp_path / "plant.yaml"
        path.write_text(
            YAML_INVENTORY.replace("gypsum: 50 t", f"gypsum: {written}"), encoding="utf-8"
        )
        exc = refused(pcr, path)
        assert "gypsum" in str(exc), written
        assert "finite" in str(exc), written


def test_json_nan_names_the_input(pcr: zuji.PCR, tmp_path: Path) -> None:
    path = tmp_path / "plant.json"
    document = inventory()
    document["inputs"]["gypsum"] = "@NAN@"
    path.write_text(json.dumps(document, indent=1).replace('"@NAN@"', "NaN"), encoding="utf-8")
    exc = refused(pcr, path)
    assert "NaN" in str(exc)
    assert "gypsum" in str(exc), str(exc)


def test_bool_is_not_an_amount(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(cement=True))
    assert "cement" in str(exc)


def test_thousands_separator_comma(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(cement="1,200 t"))
    assert exc.code == "E501"
    message = str(exc)
    assert "cement" in message and "'1,200 t'" in message
    assert "comma" in message and "thousands" in message


def test_decimal_comma(pcr: zuji.PCR) -> None:
    exc = refused(pcr, inventory(gypsum="50,5 t"))
    assert "gypsum" in str(exc) and "comma" in str(exc)


# ------------------------------------------------------------------------------------ choices


@pytest.mark.parametrize(
    ("inputs", "name", "value"),
    [
        ({"grid_region": "mars"}, "grid_region", "mars"),
        ({"kiln_fuels": [{"fuel": "wood", "amount": "110 t"}]}, "fuel", "wood"),
        (
            {"deliveries": [{"mass": "110 t", "distance": "500 km", "mode": "rocket"}]},
            "mode",
            "rocket",
        ),
    ],
    ids=["grid_region", "kiln_fuels.fuel", "deliveries.mode"],
)
def test_choice_value_not_among_the_options(
    pcr: zuji.PCR, inputs: dict[str, Any], name: str, value: str
) -> None:
    """A choice typed by a module's choice (one of electricity.grid_region) takes only that
    choice's options; anything else is an inventory error naming the input."""
    with pytest.raises(zuji.InventoryError) as info:
        pcr.evaluate(inventory(**inputs))
    assert name in str(info.value)
    assert value in str(info.value)


def test_choice_value_among_the_options(pcr: zuji.PCR) -> None:
    national = pcr.evaluate(inventory(grid_region="national"))
    east = pcr.evaluate(inventory(grid_region={"value": "east", "source": "primary"}))
    assert national.by_stage["cement_grinding"] != east.by_stage["cement_grinding"]


# ------------------------------------------------------------------------------------ documents


def test_duplicate_yaml_keys(pcr: zuji.PCR, tmp_path: Path) -> None:
    text = YAML_INVENTORY.replace("  gypsum: 50 t\n", "  gypsum: 50 t\n  gypsum: 60 t\n")
    path = tmp_path / "plant.yaml"
    path.write_text(text, encoding="utf-8")
    exc = refused(pcr, path)
    diag = exc.diagnostics[0]
    assert "duplicate key 'gypsum'" in diag.message
    second = text.split("\n").index("  gypsum: 60 t") + 1
    assert diag.span is not None and diag.span.line == second
    assert f"line {second - 1}" in diag.message  # where the first one is


def test_duplicate_json_keys(pcr: zuji.PCR, tmp_path: Path) -> None:
    text = json.dumps(inventory(), indent=1).replace(
        '"gypsum": "50 t"', '"gypsum": "50 t", "gypsum": "60 t"'
    )
    path = tmp_path / "plant.json"
    path.write_text(text, encoding="utf-8")
    exc = refused(pcr, path)
    assert "duplicate key 'gypsum'" in str(exc)


def test_valid_yaml_file(pcr: zuji.PCR, tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(YAML_INVENTORY, encoding="utf-8")
    assert pcr.inventory(path).values["kiln_electricity"] == 41250


def test_many_aliases_are_refused(pcr: zuji.PCR, tmp_path: Path) -> None:
    lines = ["pcr: cement", 'a: &a ["lol"]', *(f"k{i}: *a" for i in range(150))]
    path = tmp_path / "aliases.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exc = refused(pcr, path)
    assert "aliases" in str(exc)


BILLION_LAUGHS = """\
pcr: cement
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
inputs: {}
"""

_BOMB_RUNNER = textwrap.dedent("""\
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))
    import zuji
    pcr = zuji.load("cement")
    try:
        pcr.inventory(sys.argv[1])
    except zuji.InventoryError as exc:
        print("REFUSED", exc.code, str(exc).splitlines()[0])
    else:
        print("ACCEPTED")
""")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    """80 aliases, 10^9 strings once expanded: refused at once, in bounded memory.

    Run in a child process with a memory cap and a time limit so a failure cannot take the
    test session down with it."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BOMB_RUNNER, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loading a billion-laughs YAML inventory did not finish in 30 s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("REFUSED"), done.stdout


# ------------------------------------------------------------------------------ document frame


def test_inventory_for_another_pcr(pcr: zuji.PCR) -> None:
    doc = inventory()
    doc["pcr"] = "steel"
    exc = refused(pcr, doc)
    assert "'steel'" in str(exc) and "'cement'" in str(exc)


def test_inventory_for_another_version(pcr: zuji.PCR) -> None:
    doc = inventory()
    doc["pcr_version"] = ">=2.0.0"
    exc = refused(pcr, doc)
    assert "pcr_version" in str(exc) and ">=2.0.0" in str(exc)


def test_reference_period_ending_before_it_starts(pcr: zuji.PCR) -> None:
    doc = inventory()
    doc["reference_period"] = {"start": "2022-12-31", "end": "2022-01-01"}
    exc = refused(pcr, doc)
    assert "reference_period" in str(exc) and "before it starts" in str(exc)


def test_inventory_that_is_not_a_mapping(pcr: zuji.PCR, tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text("- cement\n- 1000 t\n", encoding="utf-8")
    exc = refused(pcr, path)
    assert exc.code == "E500"


# ------------------------------------------------------------------------------------ evaluation


def test_primary_input_given_as_secondary(pcr: zuji.PCR) -> None:
    document = inventory(kiln_electricity={"value": "41 250 MWh", "source": "secondary"})
    inv = pcr.inventory(document)  # the inventory itself is well-formed
    with pytest.raises(zuji.EvaluationError) as info:
        pcr.evaluate(inv)
    assert info.value.code == "E612"
    assert "'kiln_electricity'" in str(info.value)
    assert "primary" in str(info.value) and "secondary" in str(info.value)


def test_secondary_data_where_allowed(pcr: zuji.PCR) -> None:
    result = pcr.evaluate(inventory(limestone={"value": "930 t", "source": "secondary"}))
    assert result.data_quality.primary_data_share < 100


@pytest.fixture(scope="module")
def unbounded() -> zuji.PCR:
    """The cement PCR with the '> 0' bounds of cement and clinker_produced relaxed to '>= 0', so
    a zero gets past the inventory and reaches evaluation."""
    text = cement_text('zh "水泥产量" > 0', 'zh "水泥产量" >= 0')
    text = text.replace('zh "熟料产量" > 0', 'zh "熟料产量" >= 0')
    relaxed = zuji.load_text(text, "cement.pcr")
    assert relaxed.errors == []
    return relaxed


def test_zero_reference_product(unbounded: zuji.PCR) -> None:
    """cement is the declared unit's product and also divides clinker_used in clinker_ratio:
    either report names cement (E624, or E621 from the division that meets it first)."""
    with pytest.raises(zuji.EvaluationError) as info:
        unbounded.evaluate(inventory(cement="0 t"))
    assert info.value.code in ("E621", "E624")
    assert "'cement'" in str(info.value)


def cement_guarded(bound: str) -> zuji.PCR:
    """Cement with its amount bounded by `bound` ("" for none) and the one division by it
    guarded, so whatever amount is given reaches the reference flow."""
    text = cement_text('zh "水泥产量" > 0', f'zh "水泥产量" {bound}'.rstrip())
    text = text.replace(
        "let clinker_ratio = (clinker_used + bought_clinker) / cement",
        "let clinker_ratio = if cement > 0 [t] then clinker_used / cement else 1",
    )
    guarded = zuji.load_text(text, "cement.pcr")
    assert guarded.errors == []
    return guarded


@pytest.mark.parametrize(
    ("bound", "amount", "said"),
    [
        (">= 0", "0 t", "'cement' is 0.0"),
        # An unbounded reference product still refuses a negative amount: the footprint per
        # declared unit would have the right size and the wrong sign.
        ("", "-1000 t", "'cement' is -1000.0"),
    ],
)
def test_zero_or_negative_reference_product_E624(bound: str, amount: str, said: str) -> None:
    with pytest.raises(zuji.EvaluationError) as info:
        cement_guarded(bound).evaluate(inventory(cement=amount))
    assert info.value.code == "E624"
    assert said in str(info.value)


def test_division_by_zero_names_the_input(unbounded: zuji.PCR) -> None:
    with pytest.raises(zuji.EvaluationError) as info:
        unbounded.evaluate(inventory(clinker_produced="0 t", clinker_used="0 t"))
    assert info.value.code == "E621"
    assert "clinker_produced" in str(info.value)


def test_cutoff_flow_above_per_flow_limit(pcr: zuji.PCR) -> None:
    document = inventory()
    document["cutoff"] = [{"flow": "kiln_refractories", "share": "2 %", "reason": "No data"}]
    inv = pcr.inventory(document)
    with pytest.raises(zuji.EvaluationError) as info:
        pcr.evaluate(inv)
    assert info.value.code == "E641"
    assert "'kiln_refractories'" in str(info.value)
    assert "2 %" in str(info.value) and "1 %" in str(info.value)


def test_cutoff_flow_within_limit_is_a_warning(pcr: zuji.PCR) -> None:
    document = inventory()
    document["cutoff"] = [{"flow": "kiln_refractories", "share": "0.5 %", "reason": "No data"}]
    result = pcr.evaluate(document)
    assert any(w.code == "W640" and "kiln_refractories" in w.message for w in result.warnings)
    assert result.cutoff_total_percent == pytest.approx(0.5)


def test_cutoff_flows_above_total_limit(pcr: zuji.PCR) -> None:
    document = inventory()
    document["cutoff"] = [
        {"flow": f"flow_{i}", "share": "0.9 %", "reason": "No data"} for i in range(6)
    ]
    with pytest.raises(zuji.EvaluationError) as info:
        pcr.evaluate(document)
    assert info.value.code == "E642"
    assert "5.4 %" in str(info.value) and "5 %" in str(info.value)


def test_cutoff_share_that_is_not_a_percentage(pcr: zuji.PCR) -> None:
    document = inventory()
    document["cutoff"] = [{"flow": "kiln_refractories", "share": "2 t", "reason": "No data"}]
    exc = refused(pcr, document)
    assert "cutoff[0]" in str(exc) and "percentage" in str(exc)


def test_error_assertion_fails(pcr: zuji.PCR) -> None:
    with pytest.raises(zuji.EvaluationError) as info:
        pcr.evaluate(inventory(clinker_used="800 t"))
    assert info.value.code == "E650"
    assert "Own clinker used cannot exceed clinker produced" in str(info.value)
