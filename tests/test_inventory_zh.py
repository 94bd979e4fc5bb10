"""Inventories written in Chinese: input names, Chinese units and magnitudes, full-width figures.

Every worked case of the library is rewritten by its Chinese twin (each input by its Chinese
name, each unit by its Chinese name, each digit full-width) and must give the same result to the
last digit. The mistakes a clerk makes with full-width characters each get a positioned hint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import zuji
from zuji.core.errors import InventoryError
from zuji.core.library import rule_files
from zuji.lang import units as u
from zuji.runtime.cases import case_files, load_case

CASES = [
    (rule, case)
    for rule in rule_files()
    if rule.parent.name != "common"
    for case in case_files(zuji.load(rule))
]
_FULL_WIDTH = str.maketrans("0123456789%", "０１２３４５６７８９％")
# Our unit spelling -> its Chinese name (the first name the registry gives for it).
_ZH_UNIT: dict[str, str] = {}
for _zh, _ours in u.chinese_unit_names().items():
    _ZH_UNIT.setdefault(_ours, _zh)


def _zh_amount(text: str) -> str:
    """'41 250 MWh' -> '４１２５０ 兆瓦时': full-width digits, the unit by its Chinese name when
    the unit is a single name the registry has one for."""
    match = re.fullmatch(r"([-+]?[\d .eE+-]*\d)\s*(\S.*)?", text.strip())
    if not match:
        return text
    number, unit = match.group(1).replace(" ", ""), (match.group(2) or "").strip()
    if "e" in number.lower():
        return text  # 1.5e6 stays as written: full-width letters are not read
    return f"{number.translate(_FULL_WIDTH)} {_ZH_UNIT.get(unit, unit)}".strip()


def _zh_value(value: Any, inp: Any, labels: dict[str, dict[str, str]]) -> Any:
    if isinstance(value, str) and inp is not None and inp.kind == "quantity":
        return _zh_amount(value)
    if isinstance(value, str) and inp is not None and inp.kind == "choice":
        # The option by its Chinese label, where the rule gives it one.
        return labels.get(inp.choice_type or "", {}).get(value, value)
    if isinstance(value, list) and inp is not None and inp.kind == "list":
        fields = {f.name: f for f in inp.fields}
        return [
            {
                (fields[k].description.zh or k) if k in fields else k: _zh_value(
                    v, fields.get(k), labels
                )
                for k, v in item.items()
            }
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return value


def chinese_twin(inventory: dict[str, Any], pcr: zuji.PCR) -> dict[str, Any]:
    """The inventory as a clerk writes it in Chinese: inputs by their Chinese names, options by
    their Chinese labels, units by their Chinese names, digits full width."""
    inputs = {i.name: i for i in pcr.rule.inputs}
    labels = pcr.choices.chinese
    twin = {
        (inputs[k].description.zh or k) if k in inputs else k: _zh_value(v, inputs.get(k), labels)
        for k, v in (inventory.get("inputs") or {}).items()
    }
    return {**inventory, "inputs": twin}


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
def test_a_chinese_twin_gives_the_same_result_to_the_last_digit(rule: Path, case: Path) -> None:
    pcr = zuji.load(rule)
    english = load_case(case)["inventory"]
    chinese = chinese_twin(english, pcr)
    assert chinese != english
    a = pcr.evaluate(pcr.inventory(english, "en.yaml", case.parent))
    b = pcr.evaluate(pcr.inventory(chinese, "zh.yaml", case.parent))
    assert b.total == a.total
    assert b.by_stage == a.by_stage
    assert [line.co2e_kg for line in b.lines] == [line.co2e_kg for line in a.lines]
    assert b.inventory.read_as  # what was read other than as written is recorded


TYPICAL = Path(__file__).parent / "fixtures" / "zh" / "cement_typical_plant_zh.yaml"


def test_the_hand_written_chinese_cement_inventory_matches_its_case() -> None:
    pcr = zuji.load("cement")
    result = pcr.evaluate(pcr.inventory(TYPICAL))
    english = load_case(pcr.folder / "cases" / "typical_plant.yaml")
    twin = pcr.evaluate(pcr.inventory(english["inventory"], "en.yaml"))
    assert result.total == twin.total
    read = {(r.where, r.given, r.read_as) for r in result.inventory.read_as}
    assert ("水泥产量", "水泥产量", "cement") in read
    assert ("水泥产量", "１００ 万吨", "100 万吨") in read
    assert ("水泥中熟料消耗量", "750，000 吨", "750000 吨") in read
    # Options by their Chinese labels, one written with ASCII brackets and no space.
    assert ("grid_region", "全国", "national") in read
    assert ("窑用化石燃料[0].fuel", "原煤", "raw_coal") in read
    assert ("原燃料进厂运输[0].mode", "铁路", "rail") in read
    assert ("原燃料进厂运输[2].mode", "公路货车(30吨)", "road_truck_30t") in read


@pytest.mark.parametrize(
    ("written", "unit", "expected"),
    [
        ("120 万吨", "t", 1_200_000),
        ("5200 万kWh", "MWh", 52_000),
        ("5200 万 千瓦时", "kWh", 52_000_000),
        ("3 兆瓦时", "MWh", 3),
        ("2 千克", "kg", 2),
        ("10 吨标准煤", "GJ", 293.07),  # 1 kgce = 29.307 MJ, GB/T 2589-2020
        ("8 吉焦", "GJ", 8),
        ("1.5 万立方米", "m3", 15_000),
        ("7 标准立方米", "Nm3", 7),
        ("500 公里", "km", 500),
        ("40 吨公里", "tkm", 40),
        ("1 亿千瓦时", "GWh", 100),
    ],
)
def test_chinese_units_and_magnitudes(written: str, unit: str, expected: float) -> None:
    number, text = written.split(" ", 1)
    source = u.to_pint(u.unit_from_text(text))
    target = u.to_pint(u.unit_from_text(unit))
    assert float(number) * u.conversion(source, target) == pytest.approx(expected, rel=1e-12)


def test_an_unknown_chinese_unit_lists_the_ones_read() -> None:
    with pytest.raises(ValueError, match=r"unknown unit '斤'.*吨"):
        u.to_pint(u.unit_from_text("斤"))


def _error(pcr: zuji.PCR, path: Path) -> Any:
    with pytest.raises(InventoryError) as caught:
        pcr.inventory(path)
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = TYPICAL.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "zh.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "code", "line", "column", "names"),
    [
        # A full-width colon after a key: YAML alone would complain about the next line.
        ("  cao: 65％", "  cao：65 %", "E502", 10, 6, "ASCII colon ':'"),
        (
            "  - {fuel: 原煤",
            "  - fuel：原煤\n    amount: 1 t\n  - {fuel: 原煤",
            "E502",
            13,
            11,
            "ASCII colon ':'",
        ),
        # A full-width comma that does not group thousands.
        ("750，000 吨", "75，00 吨", "E502", 9, 3, "ASCII '.'"),
        # A Chinese name and its identifier both given.
        (
            "  cao: 65％",
            "  cao: 65％\n  熟料中碳酸盐来源氧化钙含量: 65 %",
            "E501",
            11,
            3,
            "give it once",
        ),
        # A value out of range is named as the clerk wrote it.
        ("水泥产量: １００ 万吨", "水泥产量: -１００ 万吨", "E501", 7, 3, "水泥产量"),
    ],
)
def test_full_width_and_name_mistakes_get_a_positioned_hint(
    tmp_path: Path, old: str, new: str, code: str, line: int, column: int, names: str
) -> None:
    diagnostic = _error(zuji.load("cement"), _write(tmp_path, old, new))
    assert diagnostic.code == code
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (line, column)
    assert names in diagnostic.message + diagnostic.hint


WIDGET = """\
pcr widget {
  name en "Widget" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of widget
  boundary cradle_to_gate: making
  cutoff per_flow 1 %, total 5 %

  input widget : t "Widgets made" zh "产量" > 0
  input power : MWh "Electricity used" zh "产量" >= 0

  factor grid = cn_grid.national

  stage making "Making" {
    electricity : CO2 = power * grid
  }

  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""


def test_a_chinese_name_two_inputs_share_is_an_error_naming_both() -> None:
    pcr = zuji.load_text(WIDGET, "widget.pcr")
    inventory = {"pcr": "widget", "inputs": {"产量": "5 吨", "power": "1 MWh"}}
    with pytest.raises(InventoryError) as caught:
        pcr.inventory(inventory, "widget.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E501"
    assert "'widget' and 'power'" in diagnostic.message
    assert "widget or power" in diagnostic.hint


def test_an_ascii_inventory_is_read_as_given() -> None:
    pcr = zuji.load_text(WIDGET, "widget.pcr")
    inventory = pcr.inventory({"pcr": "widget", "inputs": {"widget": "5 t", "power": "1 MWh"}})
    assert inventory.readings == ()
    assert inventory.values["widget"] == 5


# ------------------------------------------------------------------------ the published schema


def _published(pcr: zuji.PCR) -> Any:
    import jsonschema

    schema = pcr.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema, jsonschema.Draft202012Validator(schema)


def test_the_published_schema_titles_inputs_in_both_languages_with_units_ranges_defaults() -> None:
    schema, _ = _published(zuji.load("cement"))
    inputs = schema["properties"]["inputs"]["properties"]
    cao = inputs["cao"]
    assert (
        cao["title"]
        == "熟料中碳酸盐来源氧化钙含量 · CaO content of the clinker from carbonates, measured"
    )
    assert cao["x-i18n"]["zh"]["title"] == "熟料中碳酸盐来源氧化钙含量"
    assert (cao["x-unit"], cao["x-range"]) == ("%", ">= 0 <= 100")
    assert inputs["whr_electricity"]["default"] == "0 MWh"
    assert inputs["cement"]["x-primary"] is True
    region = inputs["grid_region"]
    assert region["default"] == "national"
    assert "east" in region["anyOf"][0]["enum"]
    assert "华东" in region["anyOf"][0]["enum"]  # an option by its Chinese label too
    assert region["x-enum-labels"]["east"] == {"en": "east", "zh": "华东"}
    fuel = inputs["kiln_fuels"]["items"]["properties"]["fuel"]
    assert "raw_coal" in fuel["anyOf"][0]["enum"]


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
def test_every_case_and_its_chinese_twin_fit_the_published_schema(rule: Path, case: Path) -> None:
    from zuji.core.documents import plain

    pcr = zuji.load(rule)
    _, validator = _published(pcr)
    english = plain(load_case(case)["inventory"])
    assert list(validator.iter_errors(english)) == []
    assert list(validator.iter_errors(chinese_twin(english, pcr))) == []


def test_the_published_schema_refuses_a_missing_input_under_either_name() -> None:
    from zuji.core.documents import plain

    pcr = zuji.load("cement")
    _, validator = _published(pcr)
    inventory = plain(load_case(pcr.folder / "cases" / "typical_plant.yaml")["inventory"])
    twin = chinese_twin(inventory, pcr)
    del twin["inputs"]["水泥产量"]
    assert not validator.is_valid(twin)
    twin["inputs"]["cement"] = "1000000 t"
    assert validator.is_valid(twin)
    twin["inputs"]["grid_region"] = "atlantis"
    assert not validator.is_valid(twin)


class _Findings:
    def __init__(self) -> None:
        self.said: list[tuple[str, str, str, str]] = []

    def error(self, where: str, message: str, hint: str = "", code: str = "E501") -> None:
        self.said.append((where, message, hint, code))


def test_option_labels_are_read_as_their_options() -> None:
    from zuji.runtime.inventory_zh import normalised

    pcr = zuji.load("cement")
    findings = _Findings()
    document = {"pcr": "cement", "inputs": {"grid_region": "华东", "水泥产量": "1 万吨"}}
    read, readings = normalised(document, pcr.rule, findings, pcr.choices.labels)
    assert findings.said == []
    assert read["inputs"] == {"grid_region": "east", "cement": "1 万吨"}
    assert ("grid_region", "华东", "east") in {(r.where, r.given, r.read_as) for r in readings}
