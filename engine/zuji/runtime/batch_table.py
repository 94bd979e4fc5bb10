"""A batch of inventories as a flat table, read into the arrays the vectorised plan takes.

How a flat table carries inventories (docs/batches.md):

- one row per inventory; a column per input, headed by the input's name: `cement`, `grid_region`;
- a column's unit in brackets after the name, `kiln_electricity [kWh]`; without one, the unit the
  PCR declares for the input; a cell may also be text with its own unit ("62 000 MWh") when the
  header gives none;
- the items of a list input as `list.index.field`: `kiln_fuels.0.fuel`, `kiln_fuels.0.amount [t]`,
  `kiln_fuels.1.fuel` ...; an item whose cells are all blank is not there;
- a blank cell is an input left out (its default applies, or it is not given);
- optional columns `period_start` and `period_end` (ISO dates) give the reference period, whose
  factor values apply; `id`, `company`, `product` and `site` are carried to the output.

Inventory documents (a list of mappings, or JSON Lines rows that have `inputs`) are flattened to
the same columns (zuji.runtime.batch_documents); each keeps its document, which the scalar path
reads when the row is suspect.

Checks are vectorised where they can be (a required input blank, a value out of bounds or not
finite, an option not among the input's options, a primary input left to its default, a list past
the item limit, a period that is not a date): a row failing one is not refused here but marked
suspect, and the scalar path reads its document and reports the mistake in the same words as for
one inventory file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from zuji.core import limits
from zuji.core.errors import Diagnostic, UsageError
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime.amounts import parse_amount
from zuji.runtime.batch_units import accepts_unit, mixed_numbers
from zuji.runtime.item_amounts import key_first
from zuji.semantics.compile.plan import ListUnits
from zuji.semantics.compile.vector import NOT_GIVEN, Array, ListColumn, VectorPlan

_HEADER = re.compile(r"^\s*(?P<name>[^\[\]]+?)\s*(?:\[\s*(?P<unit>[^\]]*?)\s*\])?\s*$")
META = ("id", "company", "product", "site", "period_start", "period_end")


@dataclass(frozen=True)
class Column:
    """What one column of a flat table holds: an input, or a field of one item of a list."""

    header: str
    input: m.Input  # the input, or the list's field
    unit: str  # as the header writes it; "" for the PCR's own
    list_name: str = ""
    index: int = -1


@dataclass
class Batch:
    """A chunk of inventories: their cells by column, and their documents if they came as such."""

    frame: pd.DataFrame
    columns: dict[str, Column]
    documents: Sequence[dict[str, Any]] | None = None
    first_row: int = 0  # the row number of the chunk's first row in the whole batch
    suspect: Array = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        return len(self.frame)

    def document(
        self, i: int, rule: m.RuleFile, item_units: Mapping[str, ListUnits] | None = None
    ) -> dict[str, Any]:
        """Row i as an inventory document, for the scalar path."""
        if self.documents is not None:
            return self.documents[i]
        return row_document(self.frame.iloc[i], self.columns, rule, item_units)


def columns_of(headers: Sequence[str], rule: m.RuleFile) -> dict[str, Column]:
    """What each header of a flat table names; a header naming nothing is a usage mistake."""
    out: dict[str, Column] = {}
    for header in headers:
        if header in META:
            continue
        match = _HEADER.match(str(header))
        name, unit = (match["name"], match["unit"] or "") if match else (str(header), "")
        column = _column(str(header), name, unit, rule)
        if unit:
            _check_unit(column)
        out[str(header)] = column
    return out


def _column(header: str, name: str, unit: str, rule: m.RuleFile) -> Column:
    parts = name.split(".")
    inp = rule.input(parts[0])
    if inp is not None and inp.kind == "list" and len(parts) == 3 and parts[1].isdigit():
        fld = next((f for f in inp.fields if f.name == parts[2]), None)
        if fld is not None:
            return Column(header, fld, unit, inp.name, int(parts[1]))
    if inp is not None and inp.kind != "list" and len(parts) == 1:
        return Column(header, inp, unit)
    lists = [i.name for i in rule.inputs if i.kind == "list"]
    raise UsageError(
        Diagnostic(
            "E660",
            f"column '{header}' names no input of PCR '{rule.id}'",
            hint="columns are input names ("
            + ", ".join(i.name for i in rule.inputs if i.kind != "list")[:200]
            + ")"
            + (f", list items as {lists[0]}.0.field" if lists else "")
            + ", or "
            + ", ".join(META),
        )
    )


def _check_unit(column: Column) -> None:
    inp = column.input
    try:
        source = u.to_pint(u.unit_from_text(column.unit))
    except ValueError as exc:
        raise UsageError(
            Diagnostic(
                "E661", f"column '{column.header}': {exc}", hint=f"write it in {inp.unit_text}"
            )
        ) from None
    if inp.units is not None and accepts_unit(inp, source):
        return  # a field in several units: each cell is converted to its item's own
    if inp.kind != "quantity" or inp.units or not u.same_dimension(source, u.to_pint(inp.unit)):
        wanted = "a choice" if inp.kind != "quantity" else f"in {inp.unit_text}"
        if inp.kind == "quantity" and inp.units is None:
            wanted = u.describe_dimension(u.to_pint(inp.unit))
        raise UsageError(
            Diagnostic(
                "E661",
                f"column '{column.header}': '{column.unit}' is {u.describe_dimension(source)}, "
                f"but '{inp.name}' is {wanted}",
                hint=f"give it in {inp.unit_text} or a unit convertible to it",
            )
        )


def row_document(
    row: pd.Series,
    columns: Mapping[str, Column],
    rule: m.RuleFile,
    item_units: Mapping[str, ListUnits] | None = None,
) -> dict[str, Any]:
    """One table row as the inventory document the scalar reader takes."""
    inputs: dict[str, Any] = {}
    items: dict[str, dict[int, dict[str, Any]]] = {}
    for header, column in columns.items():
        cell = _cell(row[header])
        if cell is None:
            continue
        value = _written(cell, column)
        if column.list_name:
            items.setdefault(column.list_name, {}).setdefault(column.index, {})[
                column.input.name
            ] = value
        else:
            inputs[column.input.name] = value
    for name, by_index in items.items():
        inputs[name] = [by_index[i] for i in sorted(by_index)]
        listed = (item_units or {}).get(name)
        if listed is not None:
            for item in inputs[name]:
                _in_item_unit(item, listed)
    document: dict[str, Any] = {"pcr": rule.id, "inputs": inputs}
    start, end = _cell(row.get("period_start")), _cell(row.get("period_end"))
    if start is not None or end is not None:
        document["reference_period"] = {"start": iso_text(start), "end": iso_text(end)}
    for key in ("company", "product", "site"):
        if _cell(row.get(key)) is not None:
            document[key] = str(row[key])
    return document


def _in_item_unit(item: dict[str, Any], listed: ListUnits) -> None:
    """A table's number without a unit, of a field in several units, is in the unit of its
    item's option (as the vectorised reading takes it)."""
    option = item.get(listed.key)
    for name in listed.fields:
        unit = listed.unit(name, option) if isinstance(option, str) else None
        if unit is not None and isinstance(item.get(name), (int, float)):
            item[name] = {"value": item[name], "unit": str(unit)}


def iso_text(cell: Any) -> str:
    """A date cell as text: a date, or a timestamp read from Parquet or xlsx, as YYYY-MM-DD."""
    if isinstance(cell, (pd.Timestamp, datetime)):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return "" if cell is None else str(cell).strip()


def factorized(column: pd.Series) -> tuple[Array, Any]:
    """Each row's code into the column's distinct values (-1 for a blank), and those values: a
    categorical column (Parquet's dictionary-encoded text) gives its own, with no pass over its
    rows."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), column.cat.categories
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, uniques


def _cell(value: Any) -> Any:
    """A cell's value, or None where it is blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _written(cell: Any, column: Column) -> Any:
    """A cell as an inventory would write it: with the header's unit, or the PCR's; an option
    without the spaces around it, as the table's own reading takes it (_choices)."""
    inp = column.input
    if inp.kind != "quantity":
        return str(cell).strip()
    if column.unit:
        return {"value": cell, "unit": column.unit}
    if isinstance(cell, (int, float)) and inp.unit is not None:
        return {"value": cell, "unit": str(inp.unit)}
    return cell


# ---------------------------------------------------------------------- into arrays


def arrays(batch: Batch, vplan: VectorPlan) -> dict[str, Any]:
    """The batch's inputs as the vectorised plan reads them; rows failing a check marked suspect."""
    rule = vplan.plan.pcr
    n = batch.n
    if len(batch.suspect) != n:
        batch.suspect = np.zeros(n, dtype=bool)
    by_input = {c.input.name: c for c in batch.columns.values() if not c.list_name}
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        if inp.kind == "list":
            values[inp.name] = _list(batch, vplan, inp)
        else:
            column = by_input.get(inp.name)
            raw = batch.frame[column.header] if column is not None else None
            values[inp.name] = _values(batch, vplan, inp, column, raw, batch.suspect)
    return values


def _values(
    batch: Batch,
    vplan: VectorPlan,
    inp: m.Input,
    column: Column | None,
    raw: pd.Series | None,
    suspect: Array,
    numbers: Array | None = None,
) -> Array:
    """One input's values for the rows of `raw` (None: a column the table does not have);
    `numbers`, the quantities already read (a field in several units: batch_units)."""
    if raw is None:
        return _absent(inp, vplan, suspect)
    if inp.kind == "choice":
        return _choices(vplan, inp, raw, suspect)
    values = _numbers(raw, inp, column, suspect) if numbers is None else numbers
    # Each check costs a pass over the rows and marks rows only where one fails: the usual
    # column, every cell a number within bounds, gets one test per check and no more.
    finite = np.isfinite(values)
    blank = None
    if not finite.all():
        blank = np.isnan(values)
        suspect |= ~(finite | blank)  # infinite
    for bound in inp.bounds:
        outside = _outside(values, bound)
        if outside.any():
            suspect |= outside
    return _fill(values, blank, inp, vplan, suspect)


# The comparison true where a number fails a bound (numpy's comparisons are false for NaN,
# a blank cell, which the bound does not judge).
_FAILS = {">=": np.less, "<=": np.greater, ">": np.less_equal, "<": np.greater_equal}


def _outside(values: Array, bound: m.Bound) -> Array:
    fails = _FAILS.get(bound.op)
    if fails is not None:
        return np.asarray(fails(values, bound.value))
    with np.errstate(invalid="ignore"):
        return np.asarray(~(m.COMPARISONS[bound.op](values, bound.value) | np.isnan(values)))


def _choices(vplan: VectorPlan, inp: m.Input, raw: pd.Series, suspect: Array) -> Array:
    """A choice column as codes: each distinct option name looked up and judged once, then
    given to its rows in one look-up (-1, a blank cell, takes the table's last slot)."""
    codes, uniques = factorized(raw)
    table = vplan.code_of([str(x).strip() for x in uniques])
    # Which codes this input takes, as a table indexed by code + 2 (for -2 unknown, -1 blank).
    allowed = np.zeros(len(vplan.codes) + 2, dtype=bool)
    allowed[[vplan.codes[o] + 2 for o in _options(vplan, inp) if o in vplan.codes]] = True
    allowed[NOT_GIVEN + 2] = True
    taken = allowed[table + 2]
    if not taken.all():
        suspect |= ~np.append(taken, True)[codes]
    values = np.append(table, NOT_GIVEN)[codes]
    maybe_blank = (table == NOT_GIVEN).any() or (codes < 0).any()
    return _fill(values, values == NOT_GIVEN if maybe_blank else None, inp, vplan, suspect)


def _absent(inp: m.Input, vplan: VectorPlan, suspect: Array) -> Array:
    """An input without a column: its default (or not given) in every row, as one value seen
    n times over (the closures only read it)."""
    default = inp.default
    plain_default = default is not None and default.factor is None and inp.quality != "primary"
    if not plain_default and (default is not None or not inp.optional):
        suspect[:] = True  # missing, E611, or a factor default: the scalar reader's
    value: float = math.nan if inp.kind != "choice" else NOT_GIVEN
    if default is not None and plain_default:
        value = vplan.codes[default.choice] if default.choice is not None else default.number or 0.0
    kind = np.int64 if inp.kind == "choice" else float
    return np.broadcast_to(np.asarray(value, dtype=kind), suspect.shape)


def _fill(
    values: Array, blank: Array | None, inp: m.Input, vplan: VectorPlan, suspect: Array
) -> Array:
    """Blanks (None: none) take the input's default; a required input left blank is a suspect
    row."""
    if blank is None or not blank.any():
        return values
    default = inp.default
    if default is None:
        if not inp.optional:
            suspect |= blank  # E501: missing
        return values
    if inp.quality == "primary" or default.factor is not None:
        suspect |= blank  # E611, or a default factor's value in force: the scalar path's
        return values
    fill = vplan.codes[default.choice] if default.choice is not None else default.number or 0.0
    values = values.copy()
    values[blank] = fill
    return values


def _options(vplan: VectorPlan, inp: m.Input) -> tuple[str, ...]:
    if inp.options:
        return inp.options
    symbol = vplan.plan.resolved.symbols.get(inp.choice_type or "")
    decl = symbol.decl if symbol else None
    return decl.options if isinstance(decl, m.ChoiceType) else ()


def _numbers(raw: pd.Series, inp: m.Input, column: Column | None, suspect: Array) -> Array:
    """A quantity column in the PCR's unit: numbers as they are, text read as amounts."""
    target = u.to_pint(inp.unit)
    k = 1.0
    if column is not None and column.unit:
        k = u.conversion(u.to_pint(u.unit_from_text(column.unit)), target)
    if raw.dtype.kind in "fiu":
        numbers = raw.to_numpy(dtype=float, na_value=np.nan)
        return numbers * k if k != 1.0 else numbers
    if raw.dtype.kind == "b":
        suspect |= raw.notna().to_numpy()
        return np.full(len(raw), np.nan)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan) * k
    text = np.flatnonzero(np.isnan(numbers) & raw.notna().to_numpy())
    # The cells as plain objects (indexing a pandas Series cell by cell costs more than reading
    # the amount), and each unit's conversion worked out once per column.
    cells = raw.to_numpy(dtype=object)
    factors: dict[str, float] = {}
    for i in text:
        numbers[i] = _amount(cells[i], target, bool(column and column.unit), factors)
    suspect[text[np.isnan(numbers[text])]] = True
    blank_text = [i for i in text if isinstance(cells[i], str) and not cells[i].strip()]
    suspect[blank_text] = False
    return numbers


def _amount(cell: Any, target: Any, header_unit: bool, factors: dict[str, float]) -> float:
    """A cell written as text ("62 000 MWh"); NaN for anything the scalar reader must judge.
    `factors` remembers each unit's conversion to the target (NaN: another dimension)."""
    if not isinstance(cell, str) or not cell.strip():
        return math.nan
    try:
        number, unit = parse_amount(cell)
        if not unit:
            return math.nan if header_unit else number
        if header_unit:
            return math.nan  # the unit written twice: E501 from the scalar reader
        if unit not in factors:
            factors[unit] = _factor(unit, target)
        return number * factors[unit]
    except ValueError:
        return math.nan


def _factor(unit: str, target: Any) -> float:
    """The conversion of a unit written in a cell to the target; NaN for another dimension.
    Raises ValueError for a unit that cannot be read."""
    source = u.to_pint(u.unit_from_text(unit))
    if not u.same_dimension(source, target):
        return math.nan
    return float(u.conversion(source, target))


def _list(batch: Batch, vplan: VectorPlan, inp: m.Input) -> ListColumn:
    """A list input's items, flat, from the columns list.index.field."""
    n, suspect = batch.n, batch.suspect
    by_index: dict[int, dict[str, Column]] = {}
    for column in batch.columns.values():
        if column.list_name == inp.name:
            by_index.setdefault(column.index, {})[column.input.name] = column
    rows: list[Array] = []
    fields: dict[str, list[Array]] = {f.name: [] for f in inp.fields}
    whole = True  # every item column filled in every row: whole blocks (ListColumn.blocks)
    for index in sorted(by_index):
        present = np.zeros(n, dtype=bool)
        for header in (c.header for c in by_index[index].values()):
            present |= _present(batch.frame[header])
        every = present.all()
        where = np.arange(n, dtype=np.intp) if every else np.flatnonzero(present)
        whole = whole and bool(every)
        rows.append(where)
        _item_fields(batch, vplan, inp, by_index[index], where, fields)
    flat_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
    flat = {name: _joined(parts) for name, parts in fields.items()}
    blocks = len(rows) if whole else 0
    column_of = ListColumn(flat_rows.astype(np.intp, copy=False), flat, n, blocks)
    most = limits.current().list_items
    if not blocks:
        suspect |= column_of.counts > most
    elif blocks > most:
        suspect[:] = True
    return column_of


def _item_fields(
    batch: Batch,
    vplan: VectorPlan,
    inp: m.Input,
    named_by: dict[str, Column],
    where: Array,
    fields: dict[str, list[Array]],
) -> None:
    """The fields of one item (list.index.*) in the rows `where` that have it, appended to
    `fields`; a row whose item fails a check is marked suspect."""
    item_suspect = np.zeros(len(where), dtype=bool)
    listed = vplan.plan.item_units.get(inp.name)
    for fld in key_first(inp, listed):
        named = named_by.get(fld.name)
        raw = None
        if named is not None:
            raw = batch.frame[named.header]
            raw = raw if len(where) == batch.n else raw.iloc[where]
        numbers = None
        if fld.units is not None and listed is not None and raw is not None:
            # each cell in the unit of its item's option; unreadable ones are NaN
            codes, unit = fields[listed.key][-1], named.unit if named else ""
            numbers = mixed_numbers(raw, unit, fld, listed, codes, vplan.codes)
            item_suspect |= np.isnan(numbers) & _present(raw)
        elif fld.units is not None and raw is not None:
            item_suspect[:] = True  # its units undecided: a rule with errors
        fields[fld.name].append(_values(batch, vplan, fld, named, raw, item_suspect, numbers))
    if item_suspect.any():
        batch.suspect[where[item_suspect]] = True


def _joined(parts: list[Array]) -> Array:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([np.asarray(p) for p in parts]) if parts else np.zeros(0)


def _present(raw: pd.Series) -> Array:
    """Cells that are not blank (each distinct text looked at once)."""
    if raw.dtype.kind == "f":
        return np.asarray(~np.isnan(raw.to_numpy()))
    if raw.dtype.kind in "iub":
        return np.asarray(raw.notna().to_numpy(), dtype=bool)
    codes, uniques = factorized(raw)
    written = np.array([not (isinstance(u, str) and not u.strip()) for u in uniques] + [False])
    if written[:-1].all():  # no text of blanks: a cell is blank only where it has no value
        return np.asarray(codes >= 0)
    return np.asarray(written[codes], dtype=bool)
