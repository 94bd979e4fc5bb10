"""Inventories: the values an enterprise supplies, checked against the PCR they are for.

An inventory is YAML or JSON. Values carry units as people write them ("62 000 MWh",
{value: 62, unit: GWh}); a convertible unit is converted to the unit the PCR declares, a wrong
dimension, a missing required input, a value out of range or an unknown input is an error that
names the input and the file. Each PCR's inventory has a JSON Schema generated from its inputs.

Reading amounts and their units is in runtime.amounts, the schema and what its findings say in
runtime.inventory_schema, a supplier's PACT document as a value in runtime.supplier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from zuji.core import limits
from zuji.core.documents import load_text, plain, read_utf8
from zuji.core.errors import (
    Diagnostic,
    DiagnosticSink,
    InventoryError,
    Span,
    file_label,
    read_as,
)
from zuji.core.identity import by_identity
from zuji.data.standards import Standards
from zuji.data.uncertainty import Distribution
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime.amounts import check_bounds, parse_amount, quantity, written
from zuji.runtime.inventory_hash import HashedAs, digest_of
from zuji.runtime.inventory_places import located
from zuji.runtime.inventory_schema import schema_for, schema_problems
from zuji.runtime.inventory_version import version_fits
from zuji.runtime.inventory_zh import Choices, Reading, normalised, refuse_full_width_colons
from zuji.runtime.item_amounts import derived, key_first, measured
from zuji.runtime.result import DQ_KEYS
from zuji.runtime.supplier import supplier_value
from zuji.runtime.uncertain_inputs import uncertainty
from zuji.semantics.compile.plan import ListUnits

__all__ = [
    "DQ_KEYS",
    "CutoffFlow",
    "Inventory",
    "Origin",
    "load_inventory",
    "read_inventory",
    "schema_for",
    "version_fits",
]


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

    def __post_init__(self) -> None:
        scores = [self.dq[k] for k in DQ_KEYS if k in self.dq]
        rating = sum(scores) / len(scores) if len(scores) == len(DQ_KEYS) else None
        object.__setattr__(self, "dqr", rating)


@dataclass(frozen=True)
class CutoffFlow:
    flow: str
    share: float  # percent of the footprint
    reason: str = ""


@dataclass(frozen=True)
class Inventory:
    """An inventory checked against its PCR, every quantity in the unit the PCR declares."""

    pcr: str
    file: str
    values: dict[str, Any]
    origins: dict[str, Origin]
    period_start: date | None = None
    period_end: date | None = None
    company: str = ""
    product: str = ""
    site: str = ""
    cutoff: tuple[CutoffFlow, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    # The distribution of each input that declares one, in the PCR's unit; a list's item field
    # is named as kiln_fuels[0].amount.
    uncertainty: dict[str, Distribution] = field(default_factory=dict, compare=False)
    # What the result records to pin this inventory: the sha256 of the bytes read (a file, a
    # request's body) or, for a mapping given in Python, of its RFC 8785 canonical JSON.
    sha256: str = field(default="", compare=False)
    hashed: HashedAs = field(default="rfc8785", compare=False)
    # Where the inventory was read other than as written (a Chinese name, a full-width figure):
    # `raw` is the inventory as normalised, these readings say what was given.
    readings: tuple[Reading, ...] = field(default=(), compare=False)

    @property
    def cutoff_total(self) -> float:
        return math.fsum(c.share for c in self.cutoff)


class _Reader:
    """What reading one inventory needs at hand (the PCR, its datasets, the options of named
    choices, the file's folder) and the findings made so far, each naming the part at fault."""

    def __init__(
        self,
        pcr: m.RuleFile,
        standards: Standards,
        label: str,
        choices: dict[str, tuple[str, ...]],
        base: Path | None = None,
        root: Path | None = None,
        item_units: Mapping[str, ListUnits] | None = None,
    ) -> None:
        self.pcr, self.standards, self.label, self.choices = pcr, standards, label, choices
        # The unit of each option of a list's field in several units (the plan's, or compiled)
        self.item_units = derived(pcr, standards) if item_units is None else item_units
        self.base = base  # the inventory file's folder: supplier documents are read from there
        self.root = root  # the folder named files must lie in; None: the inventory's own
        self.findings = DiagnosticSink()
        # The distributions inputs declare, by input (kiln_fuels[0].amount for a list's item).
        self.uncertain: dict[str, Distribution | None] = {}
        # Inputs the inventory names by their Chinese names: identifier -> the name as written.
        self.written_as: dict[str, str] = {}

    def error(self, where: str, message: str, hint: str = "", code: str = "E501") -> None:
        """E501 (or `code`) at the part of the document at fault; placed on its line once the
        text is known. An input the inventory named in Chinese is named as it was written."""
        head = where.split("[", 1)[0].split(".", 1)[0]
        if head in self.written_as:
            where = self.written_as[head] + where[len(head) :]
        self.findings.error(
            code, f"{self.label}: {where}: {message}", Span(self.label, 1, 1), hint, where
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return self.findings.errors


def load_inventory(
    path: Path,
    pcr: m.RuleFile,
    standards: Standards,
    choices: dict[str, tuple[str, ...]] | None = None,
    root: Path | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> Inventory:
    """Read an inventory file. Files it names (supplier PACT documents) are read only from
    inside `root`, by default the inventory's own folder."""
    with read_as(InventoryError):
        text = read_utf8(path)
    label = file_label(path)
    return inventory_from_text(text, label, pcr, standards, choices, path.parent, root, item_units)


def inventory_from_text(
    text: str,
    label: str,
    pcr: m.RuleFile,
    standards: Standards,
    choices: dict[str, tuple[str, ...]] | None = None,
    base: Path | None = None,
    root: Path | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> Inventory:
    """An inventory from the text of a file named `label` (its suffix tells JSON from YAML),
    as a file's would be read: diagnostics positioned in that text, the text's bytes pinned.
    Without `base`, supplier documents must come inline; `item_units` as read_inventory's."""
    with read_as(InventoryError):
        refuse_full_width_colons(text, label)
        document = load_text(text, label)
    prefix: list[str | int] = []
    if isinstance(document, dict) and "inventory" in document and "inputs" not in document:
        document = document["inventory"]  # a worked case: its inventory is the one to run
        prefix = ["inventory"]
    try:
        return read_inventory(
            document,
            pcr,
            standards,
            label,
            choices,
            base,
            root,
            text.encode("utf-8"),
            item_units,
        )
    except InventoryError as exc:
        raise InventoryError([located(d, text, prefix) for d in exc.diagnostics]) from None


def read_inventory(
    document: Any,
    pcr: m.RuleFile,
    standards: Standards,
    label: str,
    choices: dict[str, tuple[str, ...]] | None = None,
    base: Path | None = None,
    root: Path | None = None,
    received: bytes | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> Inventory:
    """Check a loaded inventory document against its PCR and convert every value.

    `choices` gives the options of choices declared by name (in the PCR or its modules); `base`
    is the folder file references (supplier PACT documents) are relative to: none, no files;
    `root` the folder they must lie in (None: `base`). `received` are the bytes the document was
    read from (a file, a request's body): the result pins their sha256; without them, that of
    the document's RFC 8785 canonical JSON. `item_units` are the units of the items of lists
    with a field in several units (the plan's; without, they are compiled here).
    """
    reader = _Reader(pcr, standards, label, choices or {}, base, root, item_units)
    given = _mapping(document, label)
    labels = choices.labels if isinstance(choices, Choices) else {}
    document, readings = normalised(given, pcr, reader, labels)
    reader.written_as = {r.read_as: r.given for r in readings if r.where == r.given}
    if reader.errors:
        raise InventoryError(reader.errors)
    _validate(document, pcr, reader)
    if reader.errors:
        raise InventoryError(reader.errors)
    start, end = _period(document, reader)
    values, origins = _values(pcr, document.get("inputs", {}), start, reader)
    cutoff = tuple(_cutoff(c, reader, i) for i, c in enumerate(document.get("cutoff") or []))
    if reader.errors:
        raise InventoryError(reader.errors)
    # Pinned as given, not as normalised: what a verifier holds is what the clerk wrote.
    digest, hashed = digest_of(given, received, label)
    return Inventory(
        pcr.id,
        label,
        values,
        origins,
        start,
        end,
        document.get("company", ""),
        document.get("product", ""),
        document.get("site", ""),
        cutoff,
        document,
        {k: d for k, d in reader.uncertain.items() if d is not None},
        digest,
        hashed,
        readings,
    )


def _mapping(document: Any, label: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InventoryError(
            Diagnostic(
                "E500",
                f"{label}: an inventory is a mapping with 'pcr' and 'inputs'",
                Span(label, 1, 1),
            )
        )
    given: dict[str, Any] = plain(document)
    return given


def _values(
    pcr: m.RuleFile, supplied: dict[str, Any], start: date | None, reader: _Reader
) -> tuple[dict[str, Any], dict[str, Origin]]:
    values, origins = {}, {}
    for inp in pcr.inputs:
        values[inp.name], origins[inp.name] = _value(
            inp, supplied.get(inp.name), start, reader, inp.name
        )
    return values, origins


def _validate(document: dict[str, Any], pcr: m.RuleFile, reader: _Reader) -> None:
    if document.get("pcr") not in (None, pcr.id):
        reader.error("pcr", f"this inventory is for PCR '{document.get('pcr')}', not '{pcr.id}'")
        return
    wanted = document.get("pcr_version")
    if wanted and pcr.version and not version_fits(pcr.version, str(wanted)):
        reader.error(
            "pcr_version", f"the inventory is for versions {wanted}; the PCR is {pcr.version}"
        )
    if not _within_list_limit(document, pcr, reader):
        return  # validating a list past the limit would only spend the time the limit saves
    for where, message in schema_problems(document, pcr):
        reader.error(where, message)


def _within_list_limit(document: dict[str, Any], pcr: m.RuleFile, reader: _Reader) -> bool:
    inputs = document.get("inputs")
    if not isinstance(inputs, dict):
        return True
    most = limits.current().list_items
    for name, value in inputs.items():
        if isinstance(value, list) and len(value) > most:
            reader.error(
                str(name),
                f"{len(value):,} items, above the {limits.current().describe('list_items')}",
                "group the items (one per fuel, supplier or mode), or raise the limit "
                "(ZUJI_LIMITS=list_items=...)",
            )
    return not reader.errors


def _period(document: dict[str, Any], reader: _Reader) -> tuple[date | None, date | None]:
    period = document.get("reference_period")
    if not period:
        return None, None
    try:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    except ValueError as exc:
        reader.error("reference_period", f"not a date: {exc}", "write dates as YYYY-MM-DD")
        return None, None
    if end < start:
        reader.error("reference_period", f"ends ({end}) before it starts ({start})")
    return start, end


# A value written as a plain number or text ("41 250 MWh", "rail") reads the same for every
# inventory: each input keeps the values and origins it read without a finding, for the next.
# Bounded so that a service sent hostile documents keeps a few megabytes at most: a thousand
# values per input, each written in at most 64 characters (a longer one is read every time).
_SCALARS = (str, int, float)
_VALUES_MOST = 1_000
_WRITTEN_MOST = 64


@by_identity(most=4096)
def _values_read(inp: m.Input) -> dict[tuple[type, Any], tuple[Any, Origin]]:
    return {}


def _value(
    inp: m.Input, raw: Any, on: date | None, reader: _Reader, where: str
) -> tuple[Any, Origin]:
    """An input's value in the PCR's unit and where it came from; a problem is reported to the
    reader, naming the input (kiln_fuels[0].amount), and the value is then None."""
    if raw.__class__ not in _SCALARS or (raw.__class__ is str and len(raw) > _WRITTEN_MOST):
        return _read_value(inp, raw, on, reader, where)
    known = _values_read(inp)
    key = (raw.__class__, raw)  # the class too: True, 1 and 1.0 are equal keys
    found = known.get(key)
    if found is None:
        findings = len(reader.findings.items)
        found = _read_value(inp, raw, on, reader, where)
        if len(reader.findings.items) == findings:
            if len(known) >= _VALUES_MOST:
                known.clear()
            known[key] = found
    return found


def _read_value(
    inp: m.Input, raw: Any, on: date | None, reader: _Reader, where: str
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
    inp: m.Input, raw: list[dict[str, Any]], on: date | None, reader: _Reader, where: str
) -> tuple[list[dict[str, Any]], Origin]:
    items = []
    listed = reader.item_units.get(inp.name)
    fields = key_first(inp, listed)
    for i, item in enumerate(raw):
        read: dict[str, Any] = {}
        for f in fields:
            place, given = f"{where}[{i}].{f.name}", item.get(f.name)
            if f.units is not None:  # in the unit of the item's option, read before it
                option = read.get(listed.key) if listed else None
                f = measured(f, listed, option, given, reader, place) or f
                if f.units is not None:
                    read[f.name] = None
                    continue
            read[f.name] = _value(f, given, on, reader, place)[0]
        items.append({f.name: read[f.name] for f in inp.fields})
    return items, Origin("inventory", f"{len(items)} items")


def _supplied(
    inp: m.Input, raw: dict[str, Any], reader: _Reader, where: str
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


def _choice(inp: m.Input, meta: dict[str, Any], reader: _Reader, where: str) -> str:
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


def _default(inp: m.Input, on: date | None, reader: _Reader, where: str) -> tuple[Any, Origin]:
    if inp.kind == "list":
        return [], Origin("default", "no items", "secondary")
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


def _cutoff(raw: dict[str, Any], reader: _Reader, index: int) -> CutoffFlow:
    share = raw["share"]  # the schema requires it: a number or text such as "0.4 %"
    try:
        number, unit = parse_amount(str(share)) if isinstance(share, str) else (float(share), "%")
        if unit not in ("%", ""):
            raise ValueError(f"the share of a cut-off flow is a percentage, not '{unit}'")
    except ValueError as exc:
        reader.error(f"cutoff[{index}]", str(exc))
        number = 0.0
    if not 0 <= number <= 100:
        reader.error(f"cutoff[{index}]", f"a share of {number:g} % is not a percentage")
    return CutoffFlow(str(raw.get("flow", "")), number, str(raw.get("reason", "")))
