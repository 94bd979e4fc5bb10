"""Inventories: the values an enterprise supplies, checked against the PCR they are for.

An inventory is YAML or JSON. Values carry units as people write them ("62 000 MWh",
{value: 62, unit: GWh}); a convertible unit is converted to the unit the PCR declares, a wrong
dimension, a missing required input, a value out of range or an unknown input is an error that
names the input and the file. Each PCR's inventory has a JSON Schema generated from its inputs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from zuji.core import limits
from zuji.core.documents import load_text, locate, plain, read_utf8
from zuji.core.errors import Diagnostic, DocumentError, InventoryError, Span, file_label
from zuji.data.standards import Standards
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.lang.units import unit_from_text
from zuji.runtime.supplier import SUPPLIER_VALUE_SCHEMA, supplier_value

DQ_KEYS = ("ter", "ger", "tir", "p")
_NUMBER = re.compile(r"^\s*([-+]?(?:\d[\d  _]*)?\.?\d+(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


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

    @property
    def dqr(self) -> float | None:
        scores = [self.dq[k] for k in DQ_KEYS if k in self.dq]
        return sum(scores) / len(scores) if len(scores) == len(DQ_KEYS) else None


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

    @property
    def cutoff_total(self) -> float:
        return math.fsum(c.share for c in self.cutoff)


# --------------------------------------------------------------------------------- schema


def schema_for(pcr: m.RuleFile) -> dict[str, Any]:
    """The JSON Schema of the inventory of one PCR, generated from its inputs."""
    properties = {inp.name: _input_schema(inp) for inp in pcr.inputs}
    required = [inp.name for inp in pcr.inputs if inp.required]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://zuji.example/schemas/inventory/{pcr.id}-{pcr.version}.schema.json",
        "title": f"Inventory for PCR {pcr.id} {pcr.version}: {pcr.name}",
        "type": "object",
        "required": ["pcr", "inputs"],
        "additionalProperties": False,
        "properties": {
            "pcr": {"const": pcr.id, "description": "The id of the PCR this inventory is for"},
            "pcr_version": {"type": "string", "description": "Versions it fits, e.g. >=1.0.0,<2"},
            "company": {"type": "string"},
            "product": {"type": "string"},
            "site": {"type": "string"},
            "description": {"type": "string"},
            "company_ids": _URNS,
            "product_ids": _URNS,
            "reference_period": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "end"],
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                },
            },
            "inputs": {
                "type": "object",
                "additionalProperties": False,
                "required": required,
                "properties": properties,
            },
            "cutoff": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["flow", "share"],
                    "properties": {
                        "flow": {"type": "string"},
                        "share": {
                            "type": ["string", "number"],
                            "description": "Estimated share of the footprint, %",
                        },
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    }


_URNS = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[uU][rR][nN]:"},
    "description": "URNs identifying the company or product, as PACT documents carry them",
}

_DQ_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: {"type": "integer", "minimum": 1, "maximum": 5} for k in DQ_KEYS},
}


def _input_schema(inp: m.Input) -> dict[str, Any]:
    description = str(inp.description)
    if inp.kind == "list":
        item = {
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in inp.fields if f.required],
            "properties": {f.name: _input_schema(f) for f in inp.fields},
        }
        return {"type": "array", "items": item, "description": description}
    if inp.kind == "choice":
        options = sorted(inp.options) if inp.options else None
        plain_value: dict[str, Any] = {"type": "string"}
        if options:
            plain_value["enum"] = options
        return {
            "description": description,
            "anyOf": [
                plain_value,
                {
                    "type": "object",
                    "required": ["value"],
                    "additionalProperties": False,
                    "properties": {
                        "value": plain_value,
                        "source": {"enum": ["primary", "secondary"]},
                        "dq": _DQ_SCHEMA,
                        "note": {"type": "string"},
                    },
                },
            ],
        }
    amount = {"anyOf": [{"type": "number"}, {"type": "string"}]}
    if _is_intensity(inp):
        return {
            "description": f"{description} [{inp.unit}]; may be a supplier's PACT document",
            "anyOf": [
                {"type": "number"},
                {"type": "string"},
                SUPPLIER_VALUE_SCHEMA,
                {
                    "type": "object",
                    "required": ["value"],
                    "additionalProperties": False,
                    "properties": {
                        "value": amount,
                        "unit": {"type": "string"},
                        "source": {"enum": ["primary", "secondary"]},
                        "dq": _DQ_SCHEMA,
                        "note": {"type": "string"},
                    },
                },
            ],
        }
    return {
        "description": f"{description} [{inp.unit}]",
        "anyOf": [
            {"type": "number"},
            {"type": "string"},
            {
                "type": "object",
                "required": ["value"],
                "additionalProperties": False,
                "properties": {
                    "value": amount,
                    "unit": {"type": "string"},
                    "source": {"enum": ["primary", "secondary"]},
                    "dq": _DQ_SCHEMA,
                    "note": {"type": "string"},
                },
            },
        ],
    }


# --------------------------------------------------------------------------------- loading


class _Reader:
    def __init__(
        self,
        pcr: m.RuleFile,
        standards: Standards,
        label: str,
        choices: dict[str, tuple[str, ...]],
        base: Path | None = None,
    ) -> None:
        self.pcr, self.standards, self.label, self.choices = pcr, standards, label, choices
        self.base = base  # the inventory file's folder: supplier documents are read from there
        self.errors: list[Diagnostic] = []

    def error(self, where: str, message: str, hint: str = "") -> None:
        self.errors.append(
            Diagnostic(
                "E501",
                f"{self.label}: {where}: {message}",
                Span(self.label, 1, 1),
                hint=hint,
                where=where,
            )
        )


def load_inventory(
    path: Path,
    pcr: m.RuleFile,
    standards: Standards,
    choices: dict[str, tuple[str, ...]] | None = None,
) -> Inventory:
    label = file_label(path)
    try:
        text = read_utf8(path)
        document = load_text(text, label)
    except DocumentError as exc:
        raise InventoryError(exc.diagnostic) from None
    prefix: list[str | int] = []
    if isinstance(document, dict) and "inventory" in document and "inputs" not in document:
        document = document["inventory"]  # a worked case: its inventory is the one to run
        prefix = ["inventory"]
    try:
        return read_inventory(document, pcr, standards, label, choices, path.parent)
    except InventoryError as exc:
        raise InventoryError([_located(d, text, prefix) for d in exc.diagnostics]) from None


_TOP_LEVEL = (
    "pcr",
    "pcr_version",
    "company",
    "product",
    "site",
    "description",
    "company_ids",
    "product_ids",
    "reference_period",
    "inputs",
    "cutoff",
)


_LOCATE_MOST = 2_000_000  # characters: past this, finding the line costs more than it helps


def _located(diagnostic: Diagnostic, text: str, prefix: list[str | int]) -> Diagnostic:
    """The diagnostic pointed at the line of the value it is about, found from its 'where'."""
    path = _path_of(diagnostic.where)
    if not path or len(text) > _LOCATE_MOST:
        return diagnostic
    found = None
    while path and found is None:  # the deepest part of the path the text has
        found = locate(text, prefix + path)
        path = path[:-1]
    if found is None:
        return diagnostic
    line, column = found
    lines = text.lstrip("\ufeff").split("\n")
    source = lines[line - 1] if line <= len(lines) else ""
    span = Span(diagnostic.span.file if diagnostic.span else "", line, column)
    return replace(diagnostic, span=span, source_line=source)


def _path_of(where: str) -> list[str | int]:
    """'kiln_fuels[0].fuel' -> ['inputs', 'kiln_fuels', 0, 'fuel']; 'inputs/cao' -> ['inputs',
    'cao']; 'cutoff[1]' -> ['cutoff', 1]."""
    if not where or where.startswith("("):
        return []
    path: list[str | int] = []
    for part in re.split(r"[/.]", where):
        for name, index in re.findall(r"([^\[\]]+)|\[(\d+)\]", part):
            path.append(int(index) if index else name)
    if path and path[0] not in _TOP_LEVEL:
        path.insert(0, "inputs")
    return path


def parse_inventory_text(
    text: str, pcr: m.RuleFile, standards: Standards, label: str = "<inventory>.yaml"
) -> Inventory:
    try:
        document = load_text(text, label)
    except DocumentError as exc:
        raise InventoryError(exc.diagnostic) from None
    return read_inventory(document, pcr, standards, label)


def read_inventory(
    document: Any,
    pcr: m.RuleFile,
    standards: Standards,
    label: str,
    choices: dict[str, tuple[str, ...]] | None = None,
    base: Path | None = None,
) -> Inventory:
    """Check a loaded inventory document against its PCR and convert every value.

    `choices` gives the options of choices declared by name (in the PCR or its modules); `base`
    is the folder file references (supplier PACT documents) are relative to: none, no files.
    """
    reader = _Reader(pcr, standards, label, choices or {}, base)
    if not isinstance(document, dict):
        raise InventoryError(
            Diagnostic(
                "E500",
                f"{label}: an inventory is a mapping with 'pcr' and 'inputs'",
                Span(label, 1, 1),
            )
        )
    document = plain(document)
    _validate(document, pcr, reader)
    if reader.errors:
        raise InventoryError(reader.errors)
    start, end = _period(document, reader)
    values, origins = {}, {}
    supplied = document.get("inputs", {})
    for inp in pcr.inputs:
        value, origin = _value(inp, supplied.get(inp.name), start, reader, inp.name)
        values[inp.name], origins[inp.name] = value, origin
    cutoff = tuple(_cutoff(c, reader, i) for i, c in enumerate(document.get("cutoff") or []))
    if reader.errors:
        raise InventoryError(reader.errors)
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
    )


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
    validator = _validator(pcr)
    for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))[:20]:
        reader.error(_where(err), _say(err, pcr))


@lru_cache(maxsize=64)  # per rule (frozen, hashed by value): built once, not per inventory
def _validator(pcr: m.RuleFile) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_for(pcr))


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


def _where(err: jsonschema.ValidationError) -> str:
    path = [str(p) for p in err.absolute_path]
    return "/".join(path) or "(top level)"


def _say(err: jsonschema.ValidationError, pcr: m.RuleFile) -> str:
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        known = ", ".join(err.schema.get("properties", {}))
        named = ", ".join(f"'{x}'" for x in extra[:10])
        more = f" and {len(extra) - 10:,} more" if len(extra) > 10 else ""
        return f"unknown {'input' if _is_inputs(err) else 'field'} {named}{more} (known: {known})"
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        what = "required input" if _is_inputs(err) else "field"
        inp = pcr.input(missing)
        unit = f" [{inp.unit}]" if inp is not None and inp.unit else ""
        return f"missing {what} '{missing}'{unit}" + (f": {inp.description}" if inp else "")
    if err.validator == "anyOf":
        return f"{err.instance!r} is not a value this input takes"
    if err.validator == "const":
        return f"must be {err.validator_value!r}"
    return err.message


def _is_inputs(err: jsonschema.ValidationError) -> bool:
    return list(err.absolute_path)[-1:] == ["inputs"] or list(err.absolute_path) == ["inputs"]


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


def _value(
    inp: m.Input, raw: Any, on: date | None, reader: _Reader, where: str
) -> tuple[Any, Origin]:
    if raw is None:
        return _default(inp, on, reader, where)
    if inp.kind == "list":
        items = []
        for i, item in enumerate(raw):
            items.append(
                {
                    f.name: _value(f, item.get(f.name), on, reader, f"{where}[{i}].{f.name}")[0]
                    for f in inp.fields
                }
            )
        return items, Origin("inventory", f"{len(items)} items")
    if isinstance(raw, dict) and "pact" in raw and inp.kind == "quantity":
        figure = supplier_value(inp, raw, reader, where)
        if figure is None:
            return None, Origin("not-given")
        _check_bounds(figure.value, inp, reader, where)
        return figure.value, Origin(
            "inventory",
            figure.written,
            raw.get("source", "primary"),
            figure.dq,
            raw.get("note", ""),
            figure.record,
        )
    meta = raw if isinstance(raw, dict) else {"value": raw}
    origin = Origin(
        "inventory",
        _written(meta),
        meta.get("source", "primary"),
        dict(meta.get("dq") or {}),
        meta.get("note", ""),
    )
    if inp.kind == "choice":
        options = inp.options or reader.choices.get(inp.choice_type or "", ())
        if options and str(meta["value"]) not in options:
            reader.error(
                where,
                f"'{meta['value']}' is not one of the options",
                "options: " + ", ".join(options),
            )
        return str(meta["value"]), origin
    value = _quantity(meta, inp, reader, where)
    if value is not None:
        _check_bounds(value, inp, reader, where)
    return value, origin


def _written(meta: dict[str, Any]) -> str:
    value, unit = meta.get("value"), meta.get("unit")
    return f"{value} {unit}" if unit else str(value)


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


def parse_amount(text: str) -> tuple[float, str]:
    """'62 000 MWh' -> (62000.0, 'MWh'). Raises ValueError with a plain message."""
    if "," in text:
        raise ValueError(
            f"'{text}' has a comma; write numbers without thousands separators "
            "(62000 or 62 000) and with a decimal point"
        )
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"'{text}' does not start with a number")
    number = float(re.sub(r"[  _]", "", match.group(1)))
    return number, match.group(2)


def _quantity(meta: dict[str, Any], inp: m.Input, reader: _Reader, where: str) -> float | None:
    raw, unit_text = meta.get("value"), meta.get("unit")
    try:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        if isinstance(raw, (int, float)):
            number, written_unit = float(raw), ""
        else:
            number, written_unit = parse_amount(str(raw))
        if unit_text and written_unit:
            raise ValueError(f"the unit is written twice ('{written_unit}' and '{unit_text}')")
        written_unit = unit_text or written_unit
    except ValueError as exc:
        reader.error(where, str(exc))
        return None
    if not math.isfinite(number):
        word = "NaN" if math.isnan(number) else "infinity"
        reader.error(
            where,
            f"{word} is not a finite number, so not an amount a footprint can use",
            "give the measured amount",
        )
        return None
    target = u.to_pint(inp.unit)
    if not written_unit:
        if target._units:  # even a %: is 0.65 a fraction or 0.65 %? The unit must be written.
            reader.error(
                where,
                f"{number:g} has no unit",
                f"write it with its unit, e.g. '{number:g} {inp.unit}'",
            )
            return None
        return number
    try:
        source = u.to_pint(unit_from_text(written_unit))
    except ValueError as exc:  # UnitSyntaxError too
        reader.error(where, str(exc), f"this input is measured in {inp.unit}")
        return None
    if not u.same_dimension(source, target):
        reader.error(
            where,
            f"'{written_unit}' is {u.describe_dimension(source)}, but this input "
            f"is {u.describe_dimension(target)}",
            f"give it in {inp.unit} or a unit convertible to it",
        )
        return None
    return number * u.conversion(source, target)


def _is_intensity(inp: m.Input) -> bool:
    """An emission intensity (CO2e per something): a supplier's footprint can give it."""
    try:
        dims = u.to_pint(inp.unit).dimensionality
    except ValueError:  # UnitSyntaxError too
        return False
    return bool(inp.unit) and dims.get("[CO2e]") == 1


def _check_bounds(value: float, inp: m.Input, reader: _Reader, where: str) -> None:
    for bound in inp.bounds:
        if not m.COMPARISONS[bound.op](value, bound.value):
            reader.error(
                where,
                f"{value:g} {inp.unit} is out of range: it must be {bound.op} {bound.value:g}",
            )


def _cutoff(raw: dict[str, Any], reader: _Reader, index: int) -> CutoffFlow:
    share = raw.get("share")
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


def version_fits(version: str, spec: str) -> bool:
    """Whether a version such as 1.2.0 fits a range such as '>=1.0.0,<2' (or '1.2.0')."""
    current = _version_tuple(version)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = re.match(r"^(>=|<=|==|>|<|=)?\s*(\d+(?:\.\d+)*)$", part)
        if not match:
            return False
        op, wanted = match.group(1) or "==", _version_tuple(match.group(2))
        if not m.COMPARISONS["==" if op == "=" else op](current, wanted):
            return False
    return True


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
