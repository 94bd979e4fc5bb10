"""A supplier's PACT ProductFootprint as the value of an inventory input, so footprints chain along
a supply chain: the document is checked against the format's rules, its footprint per declared unit
converted to the input's unit, and the document recorded in the value's origin.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pint

from zuji.core.confined import read_confined
from zuji.core.documents import decode_utf8, load_text, locate
from zuji.core.errors import Diagnostic, DocumentError
from zuji.data.pact_format import DECLARED_UNITS, check
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.lang.units import unit_from_text
from zuji.runtime.amounts import Reporter
from zuji.runtime.result import DQ_KEYS

# An inventory value given as a supplier's PACT document: {pact: file.json} or {pact: {...}}.
SUPPLIER_VALUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["pact"],
    "additionalProperties": False,
    "description": "A supplier's PACT ProductFootprint (Tech Specs 3.0): inline, or a JSON file "
    "path relative to the inventory file; its pcfExcludingBiogenicUptake per "
    "declared unit is converted to this input's unit",
    "properties": {
        "pact": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "object"}]},
        "source": {"enum": ["primary", "secondary"]},
        "dq": {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: {"type": "integer", "minimum": 1, "maximum": 5} for k in DQ_KEYS},
        },
        "note": {"type": "string"},
    },
}


class DocumentReader(Reporter, Protocol):
    """What reading a supplier's document needs of the inventory reader: the folder the
    inventory file is in (None for an inventory that is not a file), the folder named files
    must lie in (None: the inventory's own), and where to report."""

    @property
    def base(self) -> Path | None: ...

    @property
    def root(self) -> Path | None: ...


class UnusableFootprint(ValueError):
    """A supplier's document that Zuji cannot use, with the fields at fault (pcf.status ...),
    so that a document read from a file can be answered by its fields, not its content."""

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


def is_intensity(inp: m.Input) -> bool:
    """An emission intensity (CO2e per something): a supplier's footprint can give it."""
    try:
        dims = u.to_pint(inp.unit).dimensionality
    except ValueError:  # UnitSyntaxError too
        return False
    return bool(inp.unit) and dims.get("[CO2e]") == 1


def _refuse_invalid(document: Any, label: str) -> None:
    """UnusableFootprint unless the document is a valid, active PACT 3.x ProductFootprint."""
    problems = check(document)
    if (
        isinstance(document, dict)
        and isinstance(document.get("specVersion"), str)
        and not document["specVersion"].startswith("3.")
    ):
        problems.insert(
            0,
            f"specVersion: {document['specVersion']} is not PACT 3.x; convert the "
            "document to Tech Specs 3.0 first",
        )
    if problems:
        raise UnusableFootprint(
            f"{label} is not a valid PACT ProductFootprint: " + "; ".join(problems[:8]),
            tuple(dict.fromkeys(p.split(":", 1)[0] for p in problems)),
        )
    if document["status"] != "Active":
        raise UnusableFootprint(
            f"{label}: status is {document['status']}; a deprecated footprint must "
            "not be used (ask the supplier for the one that replaces it)",
            ("status",),
        )


def intensity(
    document: Any, target: pint.Unit, label: str = "PACT document"
) -> tuple[float, dict[str, Any]]:
    """A supplier's footprint per declared unit, converted to `target` (a pint unit of CO2e per
    something), with the record of the document it came from. Raises ValueError naming the
    field at fault."""
    _refuse_invalid(document, label)
    pcf = document["pcf"]
    measure = pcf["declaredUnitOfMeasurement"]
    if measure not in DECLARED_UNITS:
        raise UnusableFootprint(
            f"{label}: declared unit '{measure}' cannot be converted",
            ("pcf.declaredUnitOfMeasurement",),
        )
    amount = Decimal(pcf["declaredUnitAmount"])
    footprint = Decimal(pcf["pcfExcludingBiogenicUptake"])
    per_unit = u.registry().Unit("kilogram") * u.gas_dimension("CO2e")
    declared = u.to_pint(unit_from_text(DECLARED_UNITS[measure]))
    value = float(footprint / amount)
    source = per_unit / declared
    if not u.same_dimension(source, target):
        mass = Decimal(pcf["productMassPerDeclaredUnit"])
        by_mass = per_unit / u.registry().Unit("kilogram")
        if mass > 0 and u.same_dimension(by_mass, target):
            value, source = float(footprint / mass), by_mass
        else:
            raise UnusableFootprint(
                f"{label}: its footprint is per {measure}, which cannot be "
                f"converted to {u.format_unit(target)}"
                + ("" if mass > 0 else " (productMassPerDeclaredUnit is 0)"),
                ("pcf.declaredUnitOfMeasurement", "pcf.productMassPerDeclaredUnit"),
            )
    converted = value * u.conversion(source, target)
    if not math.isfinite(converted) or converted < 0:
        raise UnusableFootprint(
            f"{label}: a footprint of {converted} is not usable",
            ("pcf.pcfExcludingBiogenicUptake", "pcf.declaredUnitAmount"),
        )
    record = {
        "id": document["id"],
        "company": document["companyName"],
        "spec_version": document["specVersion"],
        "product": document["productNameCompany"],
        "pcf_excluding_biogenic_uptake": pcf["pcfExcludingBiogenicUptake"],
        "declared_unit": f"{pcf['declaredUnitAmount']} {measure}",
        "reference_period": f"{pcf['referencePeriodStart']} to {pcf['referencePeriodEnd']}",
    }
    return converted, record


@dataclass(frozen=True, slots=True)
class SupplierFigure:
    """A supplier's footprint read as an input value: the value in the input's unit, how it was
    written, the supplier's data-quality scores and the record of the document."""

    value: float
    written: str
    dq: dict[str, int]
    record: dict[str, Any]


def supplier_value(
    inp: m.Input, raw: dict[str, Any], reader: DocumentReader, where: str
) -> SupplierFigure | None:
    """An inventory input given as a supplier's PACT document (inline or a file beside the
    inventory): the figure in the input's unit, or None after reporting an error naming the
    input to the reader."""
    target = u.to_pint(inp.unit)
    if target.dimensionality.get("[CO2e]") != 1:
        reader.error(
            where,
            f"a PACT document gives a footprint (CO2e per unit), but this input "
            f"is {u.describe_dimension(target)}",
        )
        return None
    given = raw["pact"]
    text = ""
    if isinstance(given, str):
        found = _named_document(given, reader, where)
        if found is None:
            return None
        document, text = found
        label = f"PACT document '{given}'"
    elif isinstance(given, dict):
        document, label = given, "the inline PACT document"
    else:
        reader.error(where, "'pact' takes a file name or the document itself")
        return None
    try:
        value, record = intensity(document, target, label)
    except UnusableFootprint as exc:
        from_file = isinstance(given, str)
        reader.error(where, _fields_at_fault(label, exc.fields, text) if from_file else str(exc))
        return None
    if isinstance(given, str):
        record["file"] = given
    dq = dict(raw.get("dq") or _dq_from(document))
    written = (
        f"{record['pcf_excluding_biogenic_uptake']} kg CO2e per {record['declared_unit']} "
        f"(PACT {record['id']}, {record['company']})"
    )
    return SupplierFigure(value, written, dq, record)


def _dq_from(document: dict[str, Any]) -> dict[str, int]:
    """The supplier's DQRs as Zuji's scores; PACT has no precision score, so none is made up."""
    dqi = document["pcf"].get("dqi") or {}
    keys = {"technologicalDQR": "ter", "geographicalDQR": "ger", "temporalDQR": "tir"}
    return {
        ours: max(1, min(5, round(float(dqi[theirs]))))
        for theirs, ours in keys.items()
        if theirs in dqi
    }


def _named_document(given: str, reader: DocumentReader, where: str) -> tuple[Any, str] | None:
    """A supplier's document named by file: read only inside the allowed folder, only a regular
    JSON file, only up to the size limit; None after reporting why not. What the file holds is
    never repeated in a report: a name could point at a file its writer may not read."""
    if reader.base is None:
        reader.error(
            where,
            "a PACT document can be named by file only in an inventory file",
            "send the document itself: {pact: {...}}",
        )
        return None
    if Path(given).is_absolute():
        reader.error(
            where, f"'{given}': give the PACT document's path relative to the inventory file"
        )
        return None
    if not given.lower().endswith(".json"):
        reader.error(where, f"'{given}': a PACT document is a .json file")
        return None
    try:
        raw = read_confined(given, reader.base, reader.root or reader.base)
        text = decode_utf8(raw, given)
        return load_text(text, given), text
    except DocumentError as exc:
        reader.error(where, _refusal(given, exc.diagnostic), exc.diagnostic.hint)
        return None


# What is wrong with a named file that could not be read as JSON, in words of Zuji's own: the
# parser's message can quote the file (a duplicate key, an unexpected word).
_WHY = {
    "E011": "is not well-formed JSON",
    "E012": "nests too deeply",
    "E013": "is not UTF-8 text",
    "E014": "expands past the size Zuji accepts",
}


def _refusal(given: str, diagnostic: Diagnostic) -> str:
    if diagnostic.code not in _WHY:  # Zuji's own words about the file, naming only the name
        return f"PACT document: {diagnostic.message} ({diagnostic.code})"
    span = diagnostic.span
    place = f" at line {span.line}, column {span.column}" if span and span.line else ""
    return f"PACT document '{given}' {_WHY[diagnostic.code]}{place} ({diagnostic.code})"


def _fields_at_fault(label: str, fields: tuple[str, ...], text: str) -> str:
    """The fields of a document read from a file that make it unusable, each with its place."""
    shown = []
    for name in fields[:8]:
        path: list[str | int] = [
            int(part[1:-1]) if part.startswith("[") else part
            for part in re.findall(r"\[\d+\]|[^.\[\]]+", name)
        ]
        place = locate(text, path) if path and not name.startswith("(") else None
        shown.append(f"{name} (line {place[0]}, column {place[1]})" if place else name)
    return (
        f"{label} is not a usable PACT ProductFootprint; the fields at fault: "
        + ", ".join(shown)
        + " (their content is not repeated here)"
    )
