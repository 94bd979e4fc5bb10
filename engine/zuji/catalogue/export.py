"""The published footprints written out: PACT JSON (`{"data": [...]}`, the body of PACT's
ListFootprints), JSON Lines (one document a line), or CSV (one footprint a row, for a
spreadsheet).

Written as a stream of text pieces, a page of documents at a time, so an export of 10^6
footprints never holds them all in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from io import StringIO
from typing import Any

FORMATS = ("pact", "jsonl", "csv")

# CSV columns: (header, where in the PACT document). Lists are joined with spaces; PACT's
# decimal strings are kept as written, so a spreadsheet shows the published figures exactly.
CSV_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("id", ("id",)),
    ("status", ("status",)),
    ("created", ("created",)),
    ("companyName", ("companyName",)),
    ("companyIds", ("companyIds",)),
    ("productNameCompany", ("productNameCompany",)),
    ("productIds", ("productIds",)),
    ("productClassifications", ("productClassifications",)),
    ("declaredUnitOfMeasurement", ("pcf", "declaredUnitOfMeasurement")),
    ("declaredUnitAmount", ("pcf", "declaredUnitAmount")),
    ("pcfExcludingBiogenicUptake", ("pcf", "pcfExcludingBiogenicUptake")),
    ("pcfIncludingBiogenicUptake", ("pcf", "pcfIncludingBiogenicUptake")),
    ("fossilGhgEmissions", ("pcf", "fossilGhgEmissions")),
    ("biogenicCO2Uptake", ("pcf", "biogenicCO2Uptake")),
    ("primaryDataShare", ("pcf", "primaryDataShare")),
    ("referencePeriodStart", ("pcf", "referencePeriodStart")),
    ("referencePeriodEnd", ("pcf", "referencePeriodEnd")),
    ("geographyCountry", ("pcf", "geographyCountry")),
    ("geographyCountrySubdivision", ("pcf", "geographyCountrySubdivision")),
    ("validityPeriodStart", ("validityPeriodStart",)),
    ("validityPeriodEnd", ("validityPeriodEnd",)),
    ("precedingPfIds", ("precedingPfIds",)),
)


class Export:
    """The text of an export, piece by piece; `count` is the documents written so far."""

    def __init__(self, documents: Iterable[dict[str, Any]], form: str) -> None:
        if form not in FORMATS:
            raise ValueError(form)
        self.documents, self.form, self.count = documents, form, 0

    def __iter__(self) -> Iterator[str]:
        if self.form == "pact":
            return self._pact()
        if self.form == "jsonl":
            return (_json(d) + "\n" for d in self._counted())
        return self._csv()

    def _counted(self) -> Iterator[dict[str, Any]]:
        for document in self.documents:
            self.count += 1
            yield document

    def _pact(self) -> Iterator[str]:
        yield '{"data": ['
        for document in self._counted():
            yield ("\n" if self.count == 1 else ",\n") + _json(document)
        yield "\n]}\n" if self.count else "]}\n"

    def _csv(self) -> Iterator[str]:
        yield _csv_line([header for header, _ in CSV_COLUMNS])
        for document in self._counted():
            yield _csv_line([_cell(document, path) for _, path in CSV_COLUMNS])


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _cell(document: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _inert(str(value))


def _inert(text: str) -> str:
    """A cell a spreadsheet shows as text: names come from enterprises, and one starting with
    '=' or '@' would otherwise run as a formula (OWASP's CSV injection advice). Numbers, which
    may be negative, are left as they are."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _csv_line(cells: list[str]) -> str:
    out = StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()
