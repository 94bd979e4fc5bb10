"""Inventories as spreadsheets: the layout `zuji template` writes and `zuji run` reads back.

Clerks work in Excel. A template has one main sheet (清单 / inventory) with a row per input and
the inventory's own facts (pcr, company, reference period): its identifier, Chinese and English
name, the value to fill in, the unit, allowed range, default, whether it is primary data and its
options. Each list input (fuels, deliveries) has a sheet of its own: its fields' names on row 1,
their identifiers on row 2, their units on row 3, one item per row from row 4; a field in several
units (coal in t, natural gas in Nm3) is followed by a column `<field>.unit` where each item's
unit is written. A CSV template is
the main sheet alone, each list item's field on a row of its own (`kiln_fuels[1].amount`,
counted from 1).

What is read back goes through the same checks as a YAML inventory; every finding names the
sheet, row and column of the cell at fault (`窑用化石燃料!C4`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO
from itertools import islice
from pathlib import Path
from typing import Any

from zuji.core import limits
from zuji.core.documents import decode_utf8, read_utf8, within_size
from zuji.core.errors import Diagnostic, InventoryError, Span, file_label, read_as
from zuji.data.standards import Standards
from zuji.lang import model as m
from zuji.runtime.amounts import parse_amount
from zuji.runtime.inventory import Inventory, read_inventory
from zuji.semantics.compile.plan import ListUnits

SHEET_SUFFIXES = (".xlsx", ".csv")
# The main sheet's columns, in order: (key, header as a clerk reads it).
COLUMNS = (
    ("id", "标识 id"),
    ("zh", "中文名称"),
    ("en", "English name"),
    ("value", "数值 value"),
    ("unit", "单位 unit"),
    ("range", "允许范围 range"),
    ("default", "默认值 default"),
    ("primary", "初级数据 primary"),
    ("options", "选项 options"),
)
_COLUMN = {key: index for index, (key, _) in enumerate(COLUMNS)}
MAIN_SHEET = {"zh": "清单", "en": "inventory"}
# The hidden sheet the drop-downs take their options from; it holds no input, and a workbook
# written in either language is read whichever name it has.
OPTIONS_SHEET = {"zh": "选项", "en": "options"}
_NOT_LISTS = frozenset((*MAIN_SHEET.values(), *OPTIONS_SHEET.values()))
# The inventory's own facts, as rows of the main sheet before the inputs; named with a dot, which
# no input's identifier has (a PCR may have an input called product).
FACTS = tuple(
    f"inventory.{fact}"
    for fact in (
        "pcr",
        "company",
        "product",
        "site",
        "reference_period.start",
        "reference_period.end",
    )
)
FIRST_ITEM_ROW = 4  # list sheets: names, identifiers, units, then items
UNIT_SUFFIX = ".unit"  # the identifier of the unit column of a field in several units
_ITEM = re.compile(r"^([A-Za-z_]\w*)\[(\d+)\]\.([A-Za-z_]\w*)$")
# A required input left blank is found as missing from the document's inputs (its `where` is
# the inputs as a whole): its name, quoted in the finding, leads to its blank cell.
_MISSING = re.compile(r"missing required input '([A-Za-z_]\w*)'")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

Rows = list[list[Any]]


def sheet_title(inp: m.Input, lang: str) -> str:
    """The sheet of a list input: its Chinese name (lang zh) or identifier, as Excel allows;
    never the name of the main or the options sheet (a list called `options`), which is then
    followed by the identifier."""
    name = inp.description.zh if lang == "zh" and inp.description.zh else inp.name
    if name in _NOT_LISTS:
        name = f"{name} ({inp.name})"
    return _SHEET_FORBIDDEN.sub("_", name)[:31]


def cell_name(sheet: str, row: int, column: int) -> str:
    """'燃料!C4' (row and column counted from 1); a CSV has no sheet name: 'C4'."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{sheet}!{letters}{row}" if sheet else f"{letters}{row}"


def load_sheet_inventory(
    path: Path,
    pcr: m.RuleFile,
    standards: Standards,
    choices: dict[str, tuple[str, ...]] | None = None,
    root: Path | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> Inventory:
    """Read an inventory from an xlsx workbook or a CSV file laid out as `zuji template` writes
    them; its findings name the cell at fault."""
    label = file_label(path)
    document, cells = document_from_sheets(read_sheets(path), pcr)
    try:
        return read_inventory(
            document, pcr, standards, label, choices, path.parent, root, None, item_units
        )
    except InventoryError as exc:
        raise at_cells(exc, label, cells) from None


def sheet_inventory_from_bytes(
    raw: bytes,
    label: str,
    pcr: m.RuleFile,
    standards: Standards,
    choices: dict[str, tuple[str, ...]] | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> Inventory:
    """An inventory from the bytes of a workbook or CSV file named `label` (its suffix tells
    which), as received rather than read from a file: a catalogue keeps the bytes an enterprise
    submitted, and the result pins exactly those. Supplier documents must come inline;
    `item_units` as read_inventory's."""
    document, cells = document_from_sheets(sheets_from_bytes(raw, label), pcr)
    try:
        return read_inventory(
            document, pcr, standards, label, choices, received=raw, item_units=item_units
        )
    except InventoryError as exc:
        raise at_cells(exc, label, cells) from None


def read_sheets(path: Path) -> dict[str, Rows]:
    """The rows of every sheet of an xlsx workbook, or of a CSV file (one sheet named '')."""
    label = file_label(path)
    with read_as(InventoryError):
        if path.suffix.lower() == ".csv":
            return _csv_rows(read_utf8(path))
        within_size(path.stat().st_size, label, "document_bytes")
    return _workbook_rows(path, label)


def sheets_from_bytes(raw: bytes, label: str) -> dict[str, Rows]:
    """The rows of the sheets of a workbook's or CSV file's bytes (one sheet named '' for CSV)."""
    with read_as(InventoryError):
        within_size(len(raw), label, "document_bytes")
        if label.lower().endswith(".csv"):
            return _csv_rows(decode_utf8(raw, label))
    return _workbook_rows(BytesIO(raw), label)


def _csv_rows(text: str) -> dict[str, Rows]:
    text = text.lstrip("\ufeff")  # Excel's "CSV UTF-8" starts with a BOM
    return {"": [list(row) for row in csv.reader(text.splitlines())]}


def _workbook_rows(source: Path | BytesIO, label: str) -> dict[str, Rows]:
    from openpyxl import load_workbook  # only when a workbook is read

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl's own errors: a file that is no workbook
        raise InventoryError(
            Diagnostic(
                "E500",
                f"{label}: not an Excel workbook ({type(exc).__name__})",
                Span(label, 1, 1),
                hint="save it as .xlsx from Excel or WPS, or write a YAML inventory",
            )
        ) from None
    try:
        # A workbook's rows are read only as far as a list may go: a sheet of a million rows
        # (or a compressed bomb of them) is cut there, and the list limit then reports it.
        most = limits.current().list_items + FIRST_ITEM_ROW + 1
        return {
            ws.title: [list(r) for r in islice(ws.iter_rows(values_only=True), most)] for ws in book
        }
    finally:
        book.close()


def document_from_sheets(
    sheets: dict[str, Rows], pcr: m.RuleFile
) -> tuple[dict[str, Any], dict[str, tuple[str, int, int]]]:
    """The inventory document the sheets hold, and the cell each value was read from, by the
    name findings give it (cement, kiln_fuels[0].amount)."""
    main = next((t for t in (*MAIN_SHEET.values(), "") if t in sheets), None)
    document: dict[str, Any] = {"inputs": {}}
    cells: dict[str, tuple[str, int, int]] = {}
    if main is not None:
        _read_main(main, sheets[main], document, cells)
    by_title = {sheet_title(i, lang): i for i in pcr.inputs for lang in ("zh", "en")}
    for title, rows in sheets.items():
        inp = by_title.get(title)
        if inp is not None and inp.kind == "list" and title not in _NOT_LISTS:
            _read_list(title, rows, inp, document, cells)
    return document, cells


def _read_main(
    sheet: str, rows: Rows, document: dict[str, Any], cells: dict[str, tuple[str, int, int]]
) -> None:
    inputs = document["inputs"]
    for number, row in enumerate(rows[1:], start=2):
        key, value, unit = (_cell(row, _COLUMN[k]) for k in ("id", "value", "unit"))
        name = str(key or "").strip()
        if not name:
            continue
        # A blank value's cell is kept too: a required input left blank is placed on it.
        cells[name] = (sheet, number, _COLUMN["value"] + 1)
        if _blank(value):
            continue
        if name in FACTS:
            _set_fact(document, name, value)
            continue
        item = _ITEM.match(name)
        if item is None:
            inputs[name] = _amount(value, unit)
            continue
        items = inputs.setdefault(item.group(1), [])
        index = int(item.group(2)) - 1
        while len(items) <= index:
            items.append({})
        items[index][item.group(3)] = _amount(value, unit)
        cells[f"{item.group(1)}[{index}].{item.group(3)}"] = cells.pop(name)


def _read_list(
    sheet: str,
    rows: Rows,
    inp: m.Input,
    document: dict[str, Any],
    cells: dict[str, tuple[str, int, int]],
) -> None:
    if len(rows) < FIRST_ITEM_ROW - 1:
        return
    fields = [str(f or "").strip() for f in rows[1]]
    units = rows[2]
    # A field in several units has a column of its own for each item's unit (amount.unit).
    unit_columns = {f.removesuffix(UNIT_SUFFIX): c for c, f in enumerate(fields) if _is_unit(f)}
    items: list[dict[str, Any]] = []
    for number, row in enumerate(rows[FIRST_ITEM_ROW - 1 :], start=FIRST_ITEM_ROW):
        item = {
            field: _amount(row[col], _item_unit(row, units, col, unit_columns.get(field)))
            for col, field in enumerate(fields)
            if field and not _is_unit(field) and not _blank(_cell(row, col))
        }
        if not item:
            continue  # an empty row between items, or the template's spare rows
        for col, field in enumerate(fields):
            cells[f"{inp.name}[{len(items)}].{field}"] = (sheet, number, col + 1)
        cells.setdefault(f"{inp.name}[{len(items)}]", (sheet, number, 1))
        items.append(item)
    document["inputs"][inp.name] = items
    cells.setdefault(inp.name, (sheet, FIRST_ITEM_ROW, 1))


def _is_unit(identifier: str) -> bool:
    return identifier.endswith(UNIT_SUFFIX)


def _item_unit(row: list[Any], units: list[Any], column: int, unit_column: int | None) -> Any:
    """The unit of an item's cell: from its row's unit column, if its field has one, else
    the sheet's units row."""
    written = _cell(row, unit_column) if unit_column is not None else None
    return _cell(units, column) if _blank(written) else written


def _cell(row: list[Any], column: int) -> Any:
    return row[column] if column < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _set_fact(document: dict[str, Any], name: str, value: Any) -> None:
    name = name.removeprefix("inventory.")
    if isinstance(value, datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    if name.startswith("reference_period."):
        document.setdefault("reference_period", {})[name.split(".", 1)[1]] = text
    else:
        document[name] = text


def _amount(value: Any, unit: Any) -> Any:
    """A cell's value with the unit of its column, unless the cell writes its own ('120 万吨'); a
    whole number keeps its digits (Excel gives 110250.0 for 110250)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("pact:"):  # a supplier's PACT document beside the workbook
            return {"pact": value[len("pact:") :].strip()}
        try:
            _, written_unit = parse_amount(value)
        except ValueError:
            return value  # an option, or a mistake the checks report at this cell
        if written_unit:
            return value
    unit_text = str(unit or "").strip()
    if isinstance(value, bool) or not unit_text:
        return value
    return f"{value} {unit_text}"


def at_cells(
    error: InventoryError, label: str, cells: dict[str, tuple[str, int, int]]
) -> InventoryError:
    """The findings of a spreadsheet inventory, each placed on the cell it is about."""
    return InventoryError([_at_cell(d, label, cells) for d in error.diagnostics])


def _at_cell(
    diagnostic: Diagnostic, label: str, cells: dict[str, tuple[str, int, int]]
) -> Diagnostic:
    where = diagnostic.where.removeprefix("inputs/").replace("/", ".")
    missing = _MISSING.search(diagnostic.message) if where == "inputs" else None
    found = cells.get(missing.group(1) if missing else where)
    while found is None and where:
        shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", where)
        if shorter == where:
            break
        where = shorter
        found = cells.get(where)
    if found is None:
        return diagnostic
    sheet, row, column = found
    place = cell_name(sheet, row, column)
    message = diagnostic.message.replace(f"{label}: ", f"{label}: {place}: ", 1)
    # The place is kept apart as well: each language joins it to the message its own way
    # (core.errors._placed); the English message keeps it as it always has.
    return replace(
        diagnostic,
        message=message,
        span=Span(label, row, column),
        source_line="",
        place=place if message != diagnostic.message else "",
    )
