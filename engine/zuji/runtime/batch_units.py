"""A flat table's cells of a list's field in several units, read on arrays.

`kiln_fuels.0.amount` of a field declared `t or Nm3 or GJ as fuel_co2[fuel]` holds, row by row,
amounts of different kinds: each is read into the unit of its own item's option (coal in t,
natural gas in Nm3), as the inventory reader does for one document. A number without a unit,
in a column whose header gives none, is in that unit, as a flat table's numbers are in the unit
the PCR declares; a cell of another kind than its option's unit, or of an option not known, is
NaN, and its row goes to the scalar reader, which names the mistake (E503).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime.amounts import parse_amount
from zuji.semantics.compile.plan import ListUnits
from zuji.semantics.compile.vector import Array

_Unit = Any  # a pint unit


def mixed_numbers(
    raw: pd.Series,
    header_unit: str,
    field: m.Input,
    listed: ListUnits,
    codes: Array,
    code_of: Mapping[str, int],
) -> Array:
    """The cells of one item's field, each in the unit of its item's option (by choice code)."""
    numbers, written = _cells(raw, header_unit)
    out = np.full(len(numbers), np.nan)
    for option in listed.options:
        unit = listed.unit(field.name, option)
        chosen = np.flatnonzero(codes == code_of.get(option, -3))
        if unit is None or not len(chosen):
            continue
        target = u.to_pint(unit)
        factors = np.array([_factor(source, target) for source in written[1]], dtype=float)
        out[chosen] = numbers[chosen] * factors[written[0][chosen]]
    return out


def _cells(raw: pd.Series, header_unit: str) -> tuple[Array, tuple[Array, list[_Unit | None]]]:
    """Each cell's number, and the index of its unit among the distinct units written (None: the
    item's own, for a number without a unit under a header without one)."""
    header = u.to_pint(u.unit_from_text(header_unit)) if header_unit else None
    if raw.dtype.kind in "fiu":
        numbers = raw.to_numpy(dtype=float, na_value=np.nan)
        return numbers, (np.zeros(len(numbers), dtype=np.intp), [header])
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    parsed = [_parsed(cell, header) for cell in uniques]
    units: list[_Unit | None] = []
    index_of: dict[int, int] = {}
    for i, (_, unit) in enumerate(parsed):
        position = next((k for k, x in enumerate(units) if x == unit), None)
        if position is None:
            units.append(unit)
            position = len(units) - 1
        index_of[i] = position
    per_cell = np.array([p[0] for p in parsed] + [np.nan], dtype=float)
    unit_of = np.array([index_of[i] for i in range(len(parsed))] + [0], dtype=np.intp)
    if not units:
        units.append(header)
    return per_cell[codes], (unit_of[codes], units)


def _parsed(cell: Any, header: _Unit | None) -> tuple[float, _Unit | None]:
    """A cell as (number, unit); NaN for what only the scalar reader can judge."""
    if isinstance(cell, bool):
        return math.nan, header
    if isinstance(cell, (int, float)):
        return float(cell), header
    text = str(cell).strip()
    if not text:
        return math.nan, header
    try:
        number, written = parse_amount(text)
        if written and header is not None:
            return math.nan, header  # the unit written twice: E501 from the scalar reader
        return number, (u.to_pint(u.unit_from_text(written)) if written else header)
    except ValueError:
        return math.nan, header


def _factor(source: _Unit | None, target: _Unit) -> float:
    """What a cell in `source` (None: already in the option's unit) is multiplied by."""
    if source is None:
        return 1.0
    if not u.same_dimension(source, target):
        return math.nan
    return u.conversion(source, target)


def accepts_unit(field: m.Input, unit: _Unit) -> bool:
    """Whether a column's unit is of a kind one of the field's units measures."""
    written: Sequence[m.UnitExpr] = field.units.units if field.units is not None else ()
    return any(u.same_dimension(unit, u.to_pint(x)) for x in written)
