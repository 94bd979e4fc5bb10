"""Inventory documents and flat rows (a list of mappings, or JSON Lines) as a batch's flat table.

Each document is kept for the scalar path; the cells the vectorised path can take are spread to
the columns of a flat table (zuji.runtime.batch_table), and a document holding anything only the
scalar reader judges (cut-off flows, data-quality scores, a supplier's PACT document, a value
marked secondary, a bare number for an input with a unit) is marked suspect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from zuji.core.errors import Diagnostic, UsageError
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.vector import Array

# What an inventory document may hold besides its inputs without the row leaving the vectorised
# path; anything else (cut-off flows, data-quality scores, a supplier's PACT document, a value
# marked secondary) only the scalar reader judges.
_PLAIN_KEYS = {"pcr", "company", "product", "site", "description", "reference_period", "inputs"}


def documents_frame(
    documents: Sequence[Any], rule: m.RuleFile
) -> tuple[pd.DataFrame, list[dict[str, Any]], Array]:
    """Inventory documents as a flat table, each kept for the scalar path, and the rows only
    the scalar path can read."""
    rows: list[dict[str, Any]] = []
    suspect = np.zeros(len(documents), dtype=bool)
    for i, document in enumerate(documents):
        cells, plain = _flatten(document, rule)
        rows.append(cells)
        suspect[i] = not plain
    return pd.DataFrame(rows), list(documents), suspect


def flat_rows_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """Flat rows (JSON Lines of a table: {"cement [t]": 1000, "kiln_fuels": [{"fuel": ...}]})
    as a flat table, nested list items spread to the columns list.index.field."""
    flat: list[dict[str, Any]] = []
    for row in rows:
        if not isinstance(row, dict):
            raise UsageError(Diagnostic("E662", f"a batch row is a mapping, not {row!r:.60}"))
        cells: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, list):
                for index, item in enumerate(value):
                    for name, cell in item.items() if isinstance(item, dict) else ():
                        cells[f"{key}.{index}.{name}"] = cell
            else:
                cells[str(key)] = value
        flat.append(cells)
    return pd.DataFrame(flat)


def _flatten(document: dict[str, Any], rule: m.RuleFile) -> tuple[dict[str, Any], bool]:
    """A document's cells under flat column names, and whether the vectorised path can take it."""
    cells: dict[str, Any] = {}
    plain = set(document) <= _PLAIN_KEYS and document.get("pcr") == rule.id
    plain = plain and isinstance(document.get("inputs"), dict)
    plain = plain and all(
        isinstance(document.get(k, ""), str) for k in ("company", "product", "site", "description")
    )
    period = document.get("reference_period")
    if isinstance(period, dict) and set(period) == {"start", "end"}:
        cells["period_start"], cells["period_end"] = period["start"], period["end"]
        plain = plain and all(isinstance(v, str) for v in period.values())
    elif period is not None:
        plain = False
    for key in ("company", "product", "site"):
        if key in document:
            cells[key] = document[key]
    for name, value in (document.get("inputs") or {}).items() if plain else ():
        inp = rule.input(str(name))
        if inp is None:
            plain = False
        elif inp.kind == "list":
            plain &= _items(name, value, inp, cells)
        else:
            plain &= _put(str(name), value, inp, cells)
    return cells, plain


def _items(name: str, value: Any, inp: m.Input, cells: dict[str, Any]) -> bool:
    if not isinstance(value, list):
        return False
    plain = True
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not set(item) <= {f.name for f in inp.fields}:
            return False
        if not any(_written(v) for v in item.values()):
            # A table's item of blank cells is not there; a document's is an item that leaves
            # out every field, which the one-inventory reader refuses if one is required.
            return False
        for fld in inp.fields:
            if fld.name in item:
                plain &= _put(f"{name}.{index}.{fld.name}", item[fld.name], fld, cells)
    return plain


def _put(header: str, value: Any, inp: m.Input, cells: dict[str, Any]) -> bool:
    """One value as a cell; False where only the scalar reader can read it."""
    if isinstance(value, dict):
        if not set(value) <= {"value", "unit"} or "value" not in value:
            return False
        unit = value.get("unit")
        value = f"{value['value']} {unit}" if unit else value["value"]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False  # a list, a mapping or null: only the one-inventory reader words it
    if inp.kind == "quantity" and isinstance(value, (int, float)):
        cells[header] = value
        # A bare number for an input with a unit is an error for one inventory (E501, "has no
        # unit"); a flat table's bare number is in the PCR's unit, but not a document's.
        return inp.units is None and (inp.unit is None or not u.to_pint(inp.unit)._units)
    cells[header] = value if inp.kind == "quantity" else str(value)
    return inp.kind == "quantity" or isinstance(value, str)


def _written(value: Any) -> bool:
    """Whether a value makes a cell that is not blank (as batch_table reads cells)."""
    return value is not None and not (isinstance(value, str) and not value.strip())
