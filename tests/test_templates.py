"""`zuji template` written and read back: for every worked case of the library, the template of
its PCR (xlsx and CSV) filled in from the case's inventory gives the case's result; a bad cell's
error names its sheet, row and column."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sheet_kit import choose_from_drop_downs, fill_csv, fill_xlsx, offered
from typer.testing import CliRunner

import zuji
from zuji.core.errors import InventoryError
from zuji.core.i18n import use_language
from zuji.core.library import rule_files
from zuji.interfaces.cli import app
from zuji.interfaces.template_cli import template_csv, write_xlsx
from zuji.lang import model as m
from zuji.runtime.cases import case_files, load_case, run_case
from zuji.runtime.inventory_sheets import FIRST_ITEM_ROW, MAIN_SHEET, OPTIONS_SHEET, sheet_title
from zuji.runtime.pcr import PCR

CASES = [
    (rule, case)
    for rule in rule_files()
    if rule.parent.name != "common"
    for case in case_files(zuji.load(rule))
]


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_template_filled_from_a_case_gives_its_result(
    rule: Path, case: Path, fmt: str, tmp_path: Path
) -> None:
    pcr = zuji.load(rule)
    inventory = load_case(case)["inventory"]
    for supplied in case.parent.glob("*.json"):  # supplier PACT documents the case names
        shutil.copy(supplied, tmp_path / supplied.name)
    sheet = tmp_path / f"filled.{fmt}"
    if fmt == "xlsx":
        lang = "zh" if len(case.stem) % 2 else "en"  # both languages across the library
        write_xlsx(pcr, lang, sheet)
        _assert_drop_downs_list_from_the_options_sheet(sheet, lang)
        fill_xlsx(sheet, pcr, inventory, lang)
        if lang == "zh":  # the options picked from the drop-downs, by their Chinese labels
            write_xlsx(pcr, "en", tmp_path / "english.xlsx")
            chosen = choose_from_drop_downs(sheet, tmp_path / "english.xlsx")
            given = [
                i for i in pcr.rule.inputs if i.kind == "choice" and i.name in inventory["inputs"]
            ]
            assert chosen >= len(given)
    else:
        sheet.write_text(template_csv(pcr), encoding="utf-8-sig")
        fill_csv(sheet, pcr, inventory)
    from_sheet = pcr.evaluate(pcr.inventory(sheet))
    expected = run_case(pcr, case)
    assert expected.failures == [] and expected.result is not None
    assert from_sheet.total == expected.result.total
    assert from_sheet.by_stage == expected.result.by_stage
    case_total = float(load_case(case)["expected"]["total"])
    assert from_sheet.total == pytest.approx(case_total, rel=2e-3)


def _assert_drop_downs_list_from_the_options_sheet(path: Path, lang: str) -> None:
    """The hidden options sheet is named in the template's language (选项, options), and every
    drop-down lists its entries there, the sheet's name quoted as a Chinese one must be."""
    book = load_workbook(path)
    options = book[OPTIONS_SHEET[lang]]
    assert options.sheet_state == "hidden"
    assert OPTIONS_SHEET["en" if lang == "zh" else "zh"] not in book.sheetnames
    for sheet in book.worksheets:
        for rule in sheet.data_validations.dataValidation:
            assert rule.formula1.startswith(f"'{options.title}'!$"), rule.formula1
            assert all(entry is not None for entry in offered(book, rule.formula1))


def _cement_xlsx(tmp_path: Path) -> Path:
    pcr = zuji.load("cement")
    path = tmp_path / "cement.xlsx"
    write_xlsx(pcr, "zh", path)
    inventory = load_case(pcr.folder / "cases" / "typical_plant.yaml")["inventory"]
    fill_xlsx(path, pcr, inventory, "zh")
    return path


def test_a_bad_cell_in_a_list_sheet_is_named_by_sheet_row_and_column(tmp_path: Path) -> None:
    path = _cement_xlsx(tmp_path)
    book = load_workbook(path)
    sheet = book["窑用化石燃料"]
    assert sheet["B4"].value == "110250 t"
    sheet["B4"].value = "110250 MWh"
    book.save(path)
    with pytest.raises(InventoryError) as caught:
        zuji.load("cement").inventory(path)
    (diagnostic,) = caught.value.diagnostics
    assert "窑用化石燃料!B4" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 2)
    # the place joined to the file and to the message as each language joins them
    file = diagnostic.span.file
    with use_language("en"):
        said = f"{file}: 窑用化石燃料!B4: kiln_fuels[0].amount: 'MWh' is energy, but"
        assert diagnostic.text.startswith(said)
    with use_language("zh"):
        said = f"{file}：窑用化石燃料!B4：kiln_fuels[0].amount：'MWh' 的量纲是能量，但"
        assert diagnostic.text.startswith(said)
        assert said in diagnostic.render()


def test_a_bad_option_on_the_main_sheet_is_named_by_its_cell(tmp_path: Path) -> None:
    path = _cement_xlsx(tmp_path)
    book = load_workbook(path)
    main = book["清单"]
    row = next(r for r in range(2, main.max_row + 1) if main.cell(r, 1).value == "grid_region")
    main.cell(row, 4).value = "atlantis"
    book.save(path)
    with pytest.raises(InventoryError) as caught:
        zuji.load("cement").inventory(path)
    (diagnostic,) = caught.value.diagnostics
    assert f"清单!D{row}" in diagnostic.message
    assert "not one of the options" in diagnostic.message
    with use_language("zh"):
        said = f"{diagnostic.span.file}：清单!D{row}：grid_region：'atlantis' 不是可选项之一"
        assert diagnostic.text == said


def test_a_required_input_left_blank_is_named_by_its_empty_cell(tmp_path: Path) -> None:
    path = _cement_xlsx(tmp_path)
    book = load_workbook(path)
    sheet = book["清单"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "cement")
    sheet.cell(row, 4).value = None
    book.save(path)
    with pytest.raises(InventoryError) as caught:
        zuji.load("cement").inventory(path)
    (diagnostic,) = caught.value.diagnostics
    assert "missing required input 'cement'" in diagnostic.message
    assert f"清单!D{row}" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (row, 4)
    with use_language("zh"):
        assert f"：清单!D{row}：inputs：缺少必填输入 'cement' [t]：" in diagnostic.text


def test_a_bad_csv_cell_is_named_by_row_and_column(tmp_path: Path) -> None:
    pcr = zuji.load("cement")
    path = tmp_path / "cement.csv"
    path.write_text(template_csv(pcr), encoding="utf-8-sig")
    inventory = load_case(pcr.folder / "cases" / "typical_plant.yaml")["inventory"]
    fill_csv(path, pcr, inventory)
    text = path.read_text(encoding="utf-8-sig").replace("-5 t", "x")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("cement,"))
    lines[row - 1] = lines[row - 1].replace("1000000 t", "-5 t")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    with pytest.raises(InventoryError) as caught:
        pcr.inventory(path)
    (diagnostic,) = caught.value.diagnostics
    assert f"cement.csv: D{row}: cement: -5 t is out of range" in diagnostic.message
    with use_language("en"):
        assert f"cement.csv: D{row}: cement: -5 t is out of range" in diagnostic.text
    with use_language("zh"):
        assert f"cement.csv：D{row}：cement：-5 t 超出范围" in diagnostic.text


def test_the_template_command_writes_each_format(tmp_path: Path) -> None:
    runner = CliRunner()
    for fmt in ("xlsx", "csv", "yaml"):
        target = tmp_path / f"t.{fmt}"
        outcome = runner.invoke(app, ["template", "cement", "-f", fmt, "-o", str(target)])
        assert outcome.exit_code == 0, outcome.output
        assert target.stat().st_size > 0
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames[:2] == ["清单", "选项"]
    assert "窑用化石燃料" in book.sheetnames and "原燃料进厂运输" in book.sheetnames
    validations = book["清单"].data_validations.dataValidation
    assert any(v.formula1.startswith("'选项'!$") for v in validations)
    assert "水泥产量" in (tmp_path / "t.yaml").read_text(encoding="utf-8")


def test_a_number_takes_its_column_unit_and_a_cell_may_write_its_own(tmp_path: Path) -> None:
    path = _cement_xlsx(tmp_path)
    pcr = zuji.load("cement")
    before = pcr.evaluate(pcr.inventory(path)).total
    book = load_workbook(path)
    main = book["清单"]
    rows = {main.cell(r, 1).value: r for r in range(2, main.max_row + 1)}
    main.cell(rows["cement"], 4).value = 1_000_000  # a number, in the unit column's t
    main.cell(rows["clinker_produced"], 4).value = "75 万吨"  # a unit of its own
    main.cell(rows["kiln_electricity"], 4).value = "4125 万千瓦时"
    book.save(path)
    read = pcr.inventory(path)
    assert read.values["cement"] == 1_000_000
    assert read.values["clinker_produced"] == 750_000
    assert pcr.evaluate(read).total == before


def test_a_chinese_template_offers_the_options_by_their_labels_and_reads_them_back(
    tmp_path: Path,
) -> None:
    path = _cement_xlsx(tmp_path)
    pcr = zuji.load("cement")
    before = pcr.evaluate(pcr.inventory(path)).total
    book = load_workbook(path)
    listed = {cell.value for column in book["选项"].iter_cols() for cell in column if cell.value}
    assert {"全国", "华东", "原煤", "铁路", "公路货车（30 吨）"} <= listed
    main = book["清单"]
    rows = {main.cell(r, 1).value: r for r in range(2, main.max_row + 1)}
    listed = main.cell(rows["grid_region"], 9).value
    assert "national (全国)" in listed and "east (华东)" in listed
    main.cell(rows["grid_region"], 4).value = "全国"  # national, by its Chinese label
    book["窑用化石燃料"].cell(FIRST_ITEM_ROW, 1).value = "原煤"
    book.save(path)
    read = pcr.inventory(path)
    assert read.values["grid_region"] == "national"
    assert read.values["kiln_fuels"][0]["fuel"] == "raw_coal"
    assert pcr.evaluate(read).total == before


def test_a_list_sheet_heads_a_choice_by_its_choice_types_words(tmp_path: Path) -> None:
    """`fuel : one of combustion.fuel` has no words of its own: its column is headed by the
    choice type's, in both languages, rather than by the bare identifier."""
    book = load_workbook(_cement_xlsx(tmp_path))
    fuels = [cell.value for cell in book["窑用化石燃料"][1]]
    assert fuels[0] == "按质量计量的燃料 Fuels measured by mass"
    transport = [cell.value for cell in book["原燃料进厂运输"][1]]
    assert transport[-1] == "运输方式 Transport modes"
    # the identifiers the reader goes by stay on the second row
    assert [cell.value for cell in book["窑用化石燃料"][2]] == ["fuel", "amount"]


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _chinese_text(pcr: PCR, field: m.Input) -> str:
    """The Chinese words a list field's column is headed by: its own; a choice with no words of
    its own goes by its choice type's (as `fuel : one of combustion.fuel` does)."""
    if field.description.zh or field.description.en or field.choice_type is None:
        return field.description.zh
    decl = pcr.resolved.symbols[field.choice_type].decl
    assert isinstance(decl, m.ChoiceType), field.choice_type
    return decl.description.zh


def test_every_field_of_every_list_input_of_the_library_has_its_chinese_text() -> None:
    """A Chinese template heads each column of a list's sheet with the field's Chinese text; a
    field with English words only would head it in English. Walked through the loaded rules of
    every PCR and shared module of the bundled library."""
    walked = 0
    lacking = []
    for rule in rule_files():
        pcr = zuji.load(rule)
        for inp in pcr.rule.inputs:
            for field in inp.fields if inp.kind == "list" else ():
                walked += 1
                if not _HAN.search(_chinese_text(pcr, field)):
                    lacking.append(f"{rule.parent.name}/{rule.name}: {inp.name}.{field.name}")
    assert walked >= 124  # the library's list fields when every one was given its Chinese text
    assert lacking == []


def test_a_chinese_template_heads_a_list_sheets_columns_in_chinese(tmp_path: Path) -> None:
    target = tmp_path / "cement.xlsx"
    outcome = CliRunner().invoke(
        app, ["template", "cement", "-f", "xlsx", "--lang", "zh", "-o", str(target)]
    )
    assert outcome.exit_code == 0, outcome.output
    book = load_workbook(target)
    fuels = [cell.value for cell in book["窑用化石燃料"][1]]
    assert fuels == ["按质量计量的燃料 Fuels measured by mass", "燃料消耗量 Fuel burned"]
    transport = [cell.value for cell in book["原燃料进厂运输"][1]]
    assert transport[:2] == ["运输货物质量 Mass carried", "单程运输距离 Distance, one way"]
    # every column of every list sheet, in every PCR's Chinese template, starts in Chinese
    for rule in rule_files():
        pcr = zuji.load(rule)
        lists = [inp for inp in pcr.rule.inputs if inp.kind == "list"]
        if not lists:
            continue
        path = tmp_path / f"{pcr.id}.xlsx"
        write_xlsx(pcr, "zh", path)
        sheets = load_workbook(path)
        for inp in lists:
            headings = [str(cell.value) for cell in sheets[sheet_title(inp, "zh")][1]]
            assert all(_HAN.match(h) for h in headings), (pcr.id, inp.name, headings)


# A list input whose sheet would take the options sheet's name in either language: its
# identifier (`options`, an English template) and its Chinese name (选项).
PARTS = """pcr widget {
  name en "Widget" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of widget
  boundary cradle_to_gate: making
  cutoff per_flow 1 %, total 5 %
  input widget : t "Widgets made" zh "小部件产量" > 0
  input options : list "Optional parts bought" zh "选项" {
    mass : t "Mass bought" zh "采购质量" >= 0
  }
  stage making "Making" {
    parts : CO2e = sum over options (mass * 2 [t CO2e/t])
  }
  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_list_named_as_the_options_sheet_keeps_a_sheet_of_its_own(
    tmp_path: Path, lang: str
) -> None:
    pcr = zuji.load_text(PARTS, "widget.pcr")
    assert [d.render() for d in pcr.diagnostics if d.is_error] == []
    parts = pcr.rule.input("options")
    assert parts is not None
    path = tmp_path / "widget.xlsx"
    write_xlsx(pcr, lang, path)
    titles = load_workbook(path).sheetnames
    assert titles == [MAIN_SHEET[lang], OPTIONS_SHEET[lang], f"{OPTIONS_SHEET[lang]} (options)"]
    assert sheet_title(parts, lang) == titles[2]
    inventory = {"pcr": "widget", "inputs": {"widget": "10 t", "options": [{"mass": "1 t"}]}}
    inventory["inputs"]["options"].append({"mass": "2 t"})
    fill_xlsx(path, pcr, inventory, lang)
    read = pcr.inventory(path)
    assert [item["mass"] for item in read.values["options"]] == [1, 2]
    # (1 t + 2 t) x 2 t CO2e/t = 6 t CO2e over 10 t of widgets: 600 kg CO2e per t
    assert pcr.evaluate(read).total == pytest.approx(600)
