"""What the portals' pages share: the library's PCRs (loaded once per process, never per
request), their fill-in templates, an uploaded file's name as the engine reads it, and the
engine's findings laid out for a table (code, the cell at fault, message, hint)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, UsageError
from zuji.interfaces.template_cli import write_xlsx
from zuji.runtime.pcr import PCR, load

# The files an inventory may be uploaded as, by suffix (`.yml` is read as YAML).
SUFFIXES = (".xlsx", ".csv", ".yaml", ".yml", ".json")
# 'Sheet!C4' as the sheet reader names a cell (runtime.inventory_sheets.cell_name); a sheet's
# name never holds ':' or '!' (Excel forbids the one, the template never writes the other).
_CELL = re.compile(r"(?:^|: )([^:!]+)!([A-Z]{1,3})([0-9]+): ")


@dataclass(frozen=True)
class Choice:
    id: str
    version: str
    name_zh: str
    name_en: str


@lru_cache(maxsize=1)
def choices() -> tuple[Choice, ...]:
    """The PCRs of the library, by id."""
    found = sorted(p.stem for p in lib.rule_files() if p.parent.name == p.stem)
    return tuple(
        Choice(i, rule.version, rule.rule.name.zh or "", rule.rule.name.en or i)
        for i in found
        for rule in [library_pcr(i)]
    )


@lru_cache(maxsize=64)
def _loaded(pcr_id: str) -> PCR:
    return load(pcr_id)


def library_pcr(pcr_id: str) -> PCR:
    """A PCR of the library by id, compiled once per process (E975 for one not there)."""
    known = {p.stem for p in lib.rule_files() if p.parent.name == p.stem}
    if pcr_id not in known:
        raise UsageError(
            Diagnostic(
                "E975",
                f"no PCR '{pcr_id}' in the programme's library",
                hint="choose the product's PCR from the list",
            )
        )
    return _loaded(pcr_id)


@lru_cache(maxsize=64)
def template_xlsx(pcr_id: str, lang: str) -> bytes:
    """The PCR's fill-in workbook (`zuji template PCR --format xlsx --lang LANG`)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "template.xlsx"
        write_xlsx(library_pcr(pcr_id), lang, target)
        return target.read_bytes()


def inventory_label(filename: str) -> str:
    """The name the engine gives an uploaded inventory in its findings: the file's own name
    (never a path of the clerk's machine), whose suffix decides how it is read."""
    stem = os.path.basename(filename.replace("\\", "/")).strip()
    suffix = os.path.splitext(stem)[1].lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            Diagnostic(
                "E975",
                f"'{stem[:100]}' is not an inventory file: upload the filled template as xlsx, "
                f"csv, yaml or json",
                hint="download the PCR's xlsx template above, fill it in and upload it",
            )
        )
    suffix = ".yaml" if suffix == ".yml" else suffix
    return os.path.splitext(stem)[0][:90] + suffix


@dataclass(frozen=True)
class Finding:
    """One of the engine's findings as a row: the cell at fault (`燃料!C4`, its sheet, row and
    column) when the inventory was a workbook, the message and hint in the reader's language."""

    code: str
    place: str
    sheet: str
    row: int | None
    column: str
    message: str
    hint: str


def findings(diagnostics: list[Diagnostic]) -> list[Finding]:
    """The findings in the language in use (call it inside i18n.use_language)."""
    rows = []
    for diagnostic in diagnostics:
        text = diagnostic.text
        cell = _CELL.search(diagnostic.message)
        sheet, column, row = cell.groups() if cell else ("", "", "")
        place = f"{sheet}!{column}{row}" if cell else ""
        if place and place in text:  # the place has a column of its own
            text = text.split(place, 1)[1].lstrip(":： ")
        elif not place and diagnostic.span is not None:
            place = f"{diagnostic.span.line}:{diagnostic.span.column}"
        rows.append(
            Finding(
                diagnostic.code,
                place,
                sheet,
                int(row) if row else None,
                column,
                text,
                diagnostic.hint_text,
            )
        )
    return rows
