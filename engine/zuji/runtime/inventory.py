"""Inventories: the values an enterprise supplies, checked against the PCR they are for.

An inventory is YAML or JSON. Values carry units as people write them ("62 000 MWh",
{value: 62, unit: GWh}); a convertible unit is converted to the unit the PCR declares, a wrong
dimension, a missing required input, a value out of range or an unknown input is an error that
names the input and the file. Each PCR's inventory has a JSON Schema generated from its inputs.

Reading amounts and their units is in runtime.amounts, each input's value and where it came from
in runtime.inventory_values, the schema and what its findings say in runtime.inventory_schema, a
supplier's PACT document as a value in runtime.supplier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from zuji.core import limits
from zuji.core.canonical import Copied, copied_document
from zuji.core.documents import load_text, read_utf8
from zuji.core.errors import (
    Diagnostic,
    DiagnosticSink,
    InventoryError,
    Span,
    file_label,
    read_as,
)
from zuji.data.standards import Standards
from zuji.data.uncertainty import Distribution
from zuji.lang import model as m
from zuji.runtime.amounts import parse_amount
from zuji.runtime.inventory_hash import HashedAs, Pin, pin_of
from zuji.runtime.inventory_places import located
from zuji.runtime.inventory_schema import schema_for, schema_problems
from zuji.runtime.inventory_values import Origin, read_values
from zuji.runtime.inventory_version import version_fits
from zuji.runtime.inventory_zh import Choices, Reading, normalised, refuse_full_width_colons
from zuji.runtime.item_amounts import derived
from zuji.runtime.result import DQ_KEYS
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
    pin: Pin = field(default_factory=Pin, compare=False)
    # Where the inventory was read other than as written (a Chinese name, a full-width figure):
    # `raw` is the inventory as normalised, these readings say what was given.
    readings: tuple[Reading, ...] = field(default=(), compare=False)

    @property
    def sha256(self) -> str:
        return self.pin.digest

    @property
    def hashed(self) -> HashedAs:
        return self.pin.hashed

    @property
    def cutoff_total(self) -> float:
        return math.fsum(c.share for c in self.cutoff) if self.cutoff else 0.0


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
    pin_later: bool = False,
) -> Inventory:
    """Check a loaded inventory document against its PCR and convert every value.

    `choices` gives the options of choices declared by name (in the PCR or its modules); `base`
    is the folder file references (supplier PACT documents) are relative to: none, no files;
    `root` the folder they must lie in (None: `base`). `received` are the bytes the document was
    read from (a file, a request's body): the result pins their sha256; without them, that of
    the document's RFC 8785 canonical JSON. `item_units` are the units of the items of lists
    with a field in several units (the plan's; without, they are compiled here). `pin_later`:
    the inventory is read for one evaluation and handed to no one else, so the canonical JSON
    hashed (the largest part of reading a mapping) waits for the result's first read.
    """
    reader = _Reader(pcr, standards, label, choices or {}, base, root, item_units)
    copied = _mapping(document, label)
    given = copied.value
    labels = choices.labels if isinstance(choices, Choices) else {}
    document, readings = normalised(given, pcr, reader, labels, copied.part_ascii)
    reader.written_as = {r.read_as: r.given for r in readings if r.where == r.given}
    if reader.errors:
        raise InventoryError(reader.errors)
    _validate(document, pcr, reader, copied.longest)
    if reader.errors:
        raise InventoryError(reader.errors)
    start, end = _period(document, reader)
    values, origins = read_values(pcr, document.get("inputs", {}), start, reader)
    cutoff = tuple(_cutoff(c, reader, i) for i, c in enumerate(document.get("cutoff") or []))
    if reader.errors:
        raise InventoryError(reader.errors)
    # Pinned as given, not as normalised: what a verifier holds is what the clerk wrote.
    pin = pin_of(copied, received, label, pin_later)
    return _made(
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
        pin,
        readings,
    )


def _made(*values: Any) -> Inventory:
    """An Inventory of all its fields in order, as Inventory(*values) makes it, without the
    frozen dataclass's one object.__setattr__ per field (a third of making one)."""
    made = _NEW(Inventory)
    made.__dict__.update(zip(_FIELDS, values, strict=True))
    return made


_NEW = object.__new__
_FIELDS = tuple(f.name for f in fields(Inventory))


def _mapping(document: Any, label: str) -> Copied:
    """The document copied as plain JSON, with what the copy saw of it (whether the json module
    writes it as RFC 8785 does, whether its inputs are ASCII: core.canonical.copied_document)."""
    if not isinstance(document, dict):
        raise InventoryError(
            Diagnostic(
                "E500",
                f"{label}: an inventory is a mapping with 'pcr' and 'inputs'",
                Span(label, 1, 1),
            )
        )
    return copied_document(document, "inputs")


def _validate(document: dict[str, Any], pcr: m.RuleFile, reader: _Reader, longest: int) -> None:
    """The document against the PCR it names and against its schema; `longest` is the most
    items of any of its lists, as copying it found."""
    if document.get("pcr") not in (None, pcr.id):
        reader.error("pcr", f"this inventory is for PCR '{document.get('pcr')}', not '{pcr.id}'")
        return
    wanted = document.get("pcr_version")
    if wanted and pcr.version and not version_fits(pcr.version, str(wanted)):
        reader.error(
            "pcr_version", f"the inventory is for versions {wanted}; the PCR is {pcr.version}"
        )
    if longest > limits.current().list_items and not _within_list_limit(document, pcr, reader):
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
