"""Spreadsheet inventories for tests: the template of a PCR (xlsx or CSV) filled in from a worked
case's inventory, as a clerk would fill it."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

import zuji
from zuji.runtime.inventory_sheets import FIRST_ITEM_ROW, sheet_title


def _cell_text(value: Any) -> Any:
    """A case's value as a clerk types it in a cell: the figure with its unit, or the option."""
    if isinstance(value, dict) and "pact" in value:
        return f"pact: {value['pact']}"
    if isinstance(value, dict):
        unit = value.get("unit")
        return f"{value['value']} {unit}" if unit else value["value"]
    return value


def _facts(inventory: dict[str, Any]) -> dict[str, Any]:
    period = inventory.get("reference_period") or {}
    facts = {f"inventory.{k}": inventory.get(k) for k in ("pcr", "company", "product", "site")}
    facts["inventory.reference_period.start"] = period.get("start")
    facts["inventory.reference_period.end"] = period.get("end")
    return {k: str(v) for k, v in facts.items() if v is not None}


def fill_xlsx(path: Path, pcr: zuji.PCR, inventory: dict[str, Any], lang: str) -> None:
    book = load_workbook(path)
    main = book.worksheets[0]
    given = {**_facts(inventory), **(inventory.get("inputs") or {})}
    for row in range(2, main.max_row + 1):
        key = main.cell(row, 1).value
        if key in given and not isinstance(given[key], list):
            main.cell(row, 4).value = _cell_text(given[key])
    for inp in pcr.rule.inputs:
        items = given.get(inp.name)
        if inp.kind != "list" or not items:
            continue
        sheet = book[sheet_title(inp, lang)]
        fields = [c.value for c in sheet[2]]
        for n, item in enumerate(items):
            for col, field in enumerate(fields, start=1):
                if field in item:
                    sheet.cell(FIRST_ITEM_ROW + n, col).value = _cell_text(item[field])
    book.save(path)


# A drop-down's list as the template writes it: a range of the options sheet, the sheet's name
# quoted ('选项'!$B$1:$B$9).
_RANGE = re.compile(r"^'((?:[^']|'')+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


def offered(book: Workbook, formula: str) -> list[Any]:
    """What a drop-down offers, read from the sheet and cells its formula names."""
    found = _RANGE.match(formula)
    assert found is not None, formula
    sheet = book[found.group(1).replace("''", "'")]
    column, first, last = found.group(2), int(found.group(3)), int(found.group(5))
    assert found.group(4) == column, formula
    return [sheet[f"{column}{row}"].value for row in range(first, last + 1)]


def drop_downs(book: Workbook) -> dict[tuple[int, str], list[Any]]:
    """Every cell with a drop-down, by its sheet's place in the workbook and its coordinate, and
    what the drop-down offers."""
    cells = {}
    for index, sheet in enumerate(book.worksheets):
        for rule in sheet.data_validations.dataValidation:
            entries = offered(book, rule.formula1)
            for area in rule.sqref.ranges:
                for row, column in area.cells:
                    cells[(index, f"{get_column_letter(column)}{row}")] = entries
    return cells


def choose_from_drop_downs(path: Path, english: Path) -> int:
    """Each option a filled Chinese workbook gives by its identifier chosen instead from the
    cell's drop-down, as a clerk picks it: the entry in the place the identifier has in the same
    cell's drop-down of the English template (`english`), which offers the identifiers in the
    same order. How many cells were chosen so."""
    book, identifiers = load_workbook(path), drop_downs(load_workbook(english))
    chosen = 0
    for (index, coordinate), entries in drop_downs(book).items():
        cell = book.worksheets[index][coordinate]
        if cell.value in identifiers[(index, coordinate)]:
            cell.value = entries[identifiers[(index, coordinate)].index(cell.value)]
            chosen += 1
    book.save(path)
    return chosen


def fill_csv(path: Path, pcr: zuji.PCR, inventory: dict[str, Any]) -> None:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    given = {**_facts(inventory), **(inventory.get("inputs") or {})}
    filled = [rows[0]]
    for row in rows[1:]:
        key = row[0]
        if "[1]." in key:
            name, field = key.split("[1].")
            for n, item in enumerate(given.get(name) or [], start=1):
                if field in item:
                    filled.append(
                        [f"{name}[{n}].{field}", *row[1:3], _cell_text(item[field]), *row[4:]]
                    )
            continue
        if key in given:
            row[3] = str(_cell_text(given[key]))
        filled.append(row)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(filled)
