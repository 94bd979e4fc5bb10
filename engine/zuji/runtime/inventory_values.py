"""The values of an inventory's inputs, each in the unit the PCR declares, and where each came
from (its Origin): given in the inventory, a default of the rule, a factor's value, a supplier's
PACT document, or not given. A value written as a plain number or text reads the same for every
inventory, so each input keeps those it read (runtime.inventory reads the rest of a document).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from zuji.core.errors import DiagnosticSink
from zuji.core.identity import by_identity
from zuji.data.standards import Standards
from zuji.data.uncertainty import Distribution
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime.amounts import check_bounds, quantity, written
from zuji.runtime.inventory_zh import Choices
from zuji.runtime.item_amounts import key_first, measured
from zuji.runtime.result import DQ_KEYS
from zuji.runtime.supplier import DocumentReader, supplier_value
from zuji.runtime.uncertain_inputs import uncertainty
from zuji.semantics.compile.plan import ListUnits


class ValueReader(DocumentReader, Protocol):
    """What reading values needs of the inventory reader (runtime.inventory): the rule's
    datasets and named choices, the findings so far, and where declared distributions go."""

    standards: Standards
    choices: dict[str, tuple[str, ...]]
    findings: DiagnosticSink
    # The unit of each option of a list's field in several units, by list (runtime.item_amounts)
    item_units: Mapping[str, ListUnits]
    uncertain: dict[str, Distribution | None]

    # A code of its own where an amount is of another kind than its option's unit (E503).
    def error(self, where: str, message: str, hint: str = "", code: str = "E501") -> None: ...


@dataclass(frozen=True)
class Origin:
    """Where an input's value came from, for the trace and the data-quality rating."""

    kind: str  # inventory, default, factor-default, not-given
    written: str = ""  # the value as the inventory wrote it
    source: str = "primary"  # primary / secondary data
    dq: dict[str, int] = field(default_factory=dict)
    note: str = ""
    # A value fed from a supplier's PACT ProductFootprint: its id, company and spec version.
    supplier: dict[str, Any] = field(default_factory=dict)

    # The data-quality rating of the value, from its four scores (None without all four): read
    # for every line that rests on the input, so worked out when the origin is made.
    dqr: float | None = field(init=False, compare=False, repr=False)
    # What the data-quality figures read of it, as a number: two evaluations taking the same
    # branches with origins of equal keys have the same data quality line by line
    # (runtime.generated), and numbers are the quickest to compare.
    quality_key: int = field(init=False, compare=False, repr=False)
    # Given in the inventory and not marked secondary, or an optional input not given: nothing
    # about it warrants a word from the evaluation (factors.defaults_used looks at the others).
    routine: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        scores = [self.dq[k] for k in DQ_KEYS if k in self.dq]
        rating = sum(scores) / len(scores) if len(scores) == len(DQ_KEYS) else None
        object.__setattr__(self, "dqr", rating)
        key = (self.kind, self.source, tuple(sorted(self.dq.items())))
        try:
            number = _QUALITY_KEYS.setdefault(key, len(_QUALITY_KEYS))
        except TypeError:  # a score that is no number (not from a checked document): its own
            number = next(_OWN_KEYS)
        object.__setattr__(self, "quality_key", number)
        routine = (self.kind == "inventory" and self.source != "secondary") or (
            self.kind == "not-given"
        )
        object.__setattr__(self, "routine", routine)


# Each kind of origin the data quality tells apart, by number. Scores are 1 to 5 on four
# indicators: with the kinds and sources, a few thousand at most.
_QUALITY_KEYS: dict[tuple[Any, ...], int] = {}
_OWN_KEYS = itertools.count(-1, -1)


def read_values(
    pcr: m.RuleFile, supplied: dict[str, Any], start: date | None, reader: ValueReader
) -> tuple[dict[str, Any], dict[str, Origin]]:
    values, origins = {}, {}
    for name, inp, known in _readers(pcr):
        raw = supplied.get(name)
        # The look-up _value() starts with, written out: most values were read before.
        read = known.get(raw.__class__)
        found = None if read is None else read.get(raw if raw is not None else start)
        if found is None:
            found = _value(inp, raw, start, reader, name, known)
        values[name], origins[name] = found
    return values, origins


# A value written as a plain number or text ("41 250 MWh", "rail"), or left out, reads the same
# for every inventory of a period: each input keeps the values and origins it read without a
# finding, for the next. Bounded so that a service sent hostile documents keeps a few megabytes
# at most: a thousand values of each kind per input, each written in at most 64 characters (a
# longer one is read every time). Kept apart by their class, as True, 1 and 1.0 are equal keys.
_CACHED = (str, int, float, type(None))
_VALUES_MOST = 1_000
_WRITTEN_MOST = 64

Known = dict[type, dict[Any, tuple[Any, "Origin"]]]


@by_identity(most=4096)
def _values_read(inp: m.Input) -> Known:
    return {kind: {} for kind in _CACHED}


@by_identity(most=256)  # each input of a rule with the values it read: looked up once per read
def _readers(pcr: m.RuleFile) -> tuple[tuple[str, m.Input, Known], ...]:
    return tuple((inp.name, inp, _values_read(inp)) for inp in pcr.inputs)


class _Place:
    """Where an item's field is in the inventory (kiln_fuels[0].amount), written out only for
    a value read afresh: most are found among those read before."""

    __slots__ = ("field", "index", "name")

    def __init__(self, name: str, index: int, field: str) -> None:
        self.name, self.index, self.field = name, index, field

    def __str__(self) -> str:
        return f"{self.name}[{self.index}].{self.field}"


def _value(
    inp: m.Input,
    raw: Any,
    on: date | None,
    reader: ValueReader,
    where: str | _Place,
    known: Known | None = None,
) -> tuple[Any, Origin]:
    """An input's value in the PCR's unit and where it came from; a problem is reported to the
    reader, naming the input (kiln_fuels[0].amount), and the value is then None."""
    kind = raw.__class__
    if (
        kind not in _CACHED
        or (kind is str and len(raw) > _WRITTEN_MOST)
        or (raw is None and inp.kind == "list")  # its value is a list of its own
    ):
        return _read_value(inp, raw, on, reader, str(where))
    read = (known if known is not None else _values_read(inp))[kind]
    key = raw if raw is not None else on  # a default may be a factor's value in force on a day
    found = read.get(key)
    if found is None:
        findings = len(reader.findings.items)
        found = _read_value(inp, raw, on, reader, str(where))
        if len(reader.findings.items) == findings:
            if len(read) >= _VALUES_MOST:
                read.clear()
            read[key] = found
    return found


def _read_value(
    inp: m.Input, raw: Any, on: date | None, reader: ValueReader, where: str
) -> tuple[Any, Origin]:
    if raw is None:
        return _default(inp, on, reader, where)
    if inp.kind == "list":
        return _items(inp, raw, on, reader, where)
    if isinstance(raw, dict) and "pact" in raw and inp.kind == "quantity":
        return _supplied(inp, raw, reader, where)
    meta = raw if isinstance(raw, dict) else {"value": raw}
    origin = Origin(
        "inventory",
        written(meta),
        meta.get("source", "primary"),
        dict(meta.get("dq") or {}),
        meta.get("note", ""),
    )
    if inp.kind == "choice":
        return _choice(inp, meta, reader, where), origin
    value = quantity(meta, inp, reader, where)
    if value is not None:
        check_bounds(value, inp, reader, where)
        if "uncertainty" in meta:
            reader.uncertain[where] = uncertainty(meta, inp, reader, where)
    return value, origin


def _items(
    inp: m.Input, raw: list[dict[str, Any]], on: date | None, reader: ValueReader, where: str
) -> tuple[list[dict[str, Any]], Origin]:
    listed = reader.item_units.get(inp.name)
    if listed is not None:
        return _items_in_units(inp, listed, raw, on, reader, where)
    fields = _fields_read(inp)
    items = []
    for i, item in enumerate(raw):
        row = {}
        for name, f, known in fields:
            value = item.get(name)
            # As in read_values: the look-up _value() starts with, written out.
            read = known.get(value.__class__)
            found = None if read is None else read.get(value if value is not None else on)
            if found is None:
                found = _value(f, value, on, reader, _Place(where, i, name), known)
            row[name] = found[0]
        items.append(row)
    return items, _items_origin(len(items))


def _items_in_units(
    inp: m.Input,
    listed: ListUnits,
    raw: list[dict[str, Any]],
    on: date | None,
    reader: ValueReader,
    where: str,
) -> tuple[list[dict[str, Any]], Origin]:
    """The items of a list with a field in several units: the choice field that decides each
    item's unit is read first, then the amount in that option's unit. Read afresh each time (no
    values kept): the field read depends on the item's option."""
    fields = key_first(inp, listed)
    items = []
    for i, item in enumerate(raw):
        read: dict[str, Any] = {}
        for f in fields:
            place, given = f"{where}[{i}].{f.name}", item.get(f.name)
            if f.units is not None:  # in the unit of the item's option, read before it
                f = measured(f, listed, read.get(listed.key), given, reader, place) or f
                if f.units is not None:
                    read[f.name] = None
                    continue
            read[f.name] = _read_value(f, given, on, reader, place)[0]
        items.append({f.name: read[f.name] for f in inp.fields})
    return items, _items_origin(len(items))


@by_identity(most=1024)
def _fields_read(inp: m.Input) -> tuple[tuple[str, m.Input, Known], ...]:
    return tuple((f.name, f, _values_read(f)) for f in inp.fields)


_ITEMS: dict[int, Origin] = {}


def _items_origin(count: int) -> Origin:
    found = _ITEMS.get(count)
    if found is None:
        found = Origin("inventory", f"{count} items")
        if count < 1_000:
            _ITEMS[count] = found
    return found


def _supplied(
    inp: m.Input, raw: dict[str, Any], reader: ValueReader, where: str
) -> tuple[float | None, Origin]:
    """A value given as a supplier's PACT document, its record kept in the origin."""
    figure = supplier_value(inp, raw, reader, where)
    if figure is None:
        return None, Origin("not-given")
    check_bounds(figure.value, inp, reader, where)
    return figure.value, Origin(
        "inventory",
        figure.written,
        raw.get("source", "primary"),
        figure.dq,
        raw.get("note", ""),
        figure.record,
    )


def _choice(inp: m.Input, meta: dict[str, Any], reader: ValueReader, where: str) -> str:
    options = inp.options or reader.choices.get(inp.choice_type or "", ())
    if options and str(meta["value"]) not in options:
        reader.error(
            where,
            f"'{meta['value']}' is not one of the options",
            "options: " + ", ".join(_with_labels(options, inp, reader.choices)),
        )
    return str(meta["value"])


def _with_labels(
    options: tuple[str, ...], inp: m.Input, choices: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """The options as a clerk may write them: each identifier, with its Chinese label beside it
    where the choice gives one (east (华东))."""
    chinese = choices.chinese if isinstance(choices, Choices) else {}
    label = chinese.get(inp.choice_type or "", {})
    return [f"{o} ({label[o]})" if o in label else o for o in options]


def _default(inp: m.Input, on: date | None, reader: ValueReader, where: str) -> tuple[Any, Origin]:
    if inp.kind == "list":
        return [], _NO_ITEMS  # a list of its own for each inventory, the same origin
    default = inp.default
    if default is None:
        return None, Origin("not-given", "", "secondary")
    if default.choice is not None:
        return default.choice, Origin("default", default.choice, "secondary")
    if default.number is not None:
        return default.number, Origin("default", f"{default.number:g} {inp.unit}", "secondary")
    entry = reader.standards.entry(default.factor or "")
    if entry is None:
        reader.error(where, f"the default factor {default.factor} is not in the datasets")
        return None, Origin("not-given")
    value = entry.in_force(on)
    if value is None:
        reader.error(where, f"factor {default.factor} has no value in force on {on}")
        return None, Origin("not-given")
    k = u.conversion(u.to_pint(entry.unit), u.to_pint(inp.unit))
    dq = dict(entry.dq)
    return value.value * k, Origin(
        "factor-default",
        f"{default.factor} = {value.value:g} {entry.unit}",
        "secondary",
        dq,
        value.source,
    )


_NO_ITEMS = Origin("default", "no items", "secondary")
