"""Benchmark levels per product (standards/benchmarks/*.yaml), loaded strictly.

A benchmark set holds the published levels a footprint is graded against: EU ETS product
benchmarks, CBAM default values and benchmarks, the grades of Chinese energy-limit standards
converted to CO2, thresholds of group standards. Each file is checked against its JSON Schema,
and every finding points at the line of the file where it stands, so a committee member can fix
the file without reading the schema. Levels are kept in the unit they were published in and
offered in kg CO2e per tonne of product, the unit of every footprint result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pint

from zuji.core import library
from zuji.core.documents import load_text, locate, plain, read_utf8
from zuji.core.errors import DatasetError, Diagnostic, Span, file_label, read_as
from zuji.data.standards import schema
from zuji.lang.model import Text
from zuji.lang.units import conversion, same_dimension, to_pint, unit_from_text

SCHEMA = "benchmark-set.schema.json"
_PER_TONNE = "kg CO2e/t"
_SCHEMA_HINT = (
    "the fields of a benchmark set and their values are listed in docs/formats/benchmarks.md"
)


@dataclass(frozen=True, slots=True)
class Converted:
    """The published figure a level was converted from, with the conversion written out."""

    value: float
    unit: str
    conversion: str


@dataclass(frozen=True, slots=True)
class BenchmarkLevel:
    level: str
    value: float
    unit: str
    kg_co2e_per_t: float
    converted_from: Converted | None = None


@dataclass(frozen=True, slots=True)
class Benchmark:
    id: str
    scheme: str
    title: Text
    scope: str
    region: str
    valid_from: date
    valid_to: date | None
    source: str
    confirmed: bool
    levels: tuple[BenchmarkLevel, ...]
    gwp: str = ""
    note: str = ""

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def level(self, name: str) -> BenchmarkLevel | None:
        return next((lv for lv in self.levels if lv.level == name), None)


@dataclass(frozen=True, slots=True)
class ProductBenchmarks:
    product: str
    declared_unit: str
    benchmarks: tuple[Benchmark, ...]


@dataclass(frozen=True, slots=True)
class BenchmarkSet:
    id: str
    version: str
    compiled: date
    title: Text
    path: str
    products: Mapping[str, ProductBenchmarks]

    def for_product(self, product: str, on: date | None = None) -> tuple[Benchmark, ...]:
        """The product's benchmarks; with a date, only those in force on it."""
        found = self.products.get(product)
        if found is None:
            return ()
        return tuple(b for b in found.benchmarks if on is None or b.in_force(on))


def load_benchmark_set(path: Path) -> BenchmarkSet:
    """One benchmark file, validated; a DatasetError with positioned diagnostics otherwise."""
    label = file_label(path)
    with read_as(DatasetError):
        text = read_utf8(path)
        document = load_text(text, label)
    _validate(document, text, label)
    problems: list[Diagnostic] = []
    if document["id"] != path.stem:
        problems.append(
            _problem(
                f"id '{document['id']}' differs from the file name '{path.stem}'",
                text,
                label,
                ["id"],
            )
        )
    products = {
        name: _product(name, raw, text, label, problems)
        for name, raw in document["products"].items()
    }
    if problems:
        raise DatasetError(problems)
    return BenchmarkSet(
        id=document["id"],
        version=str(document["version"]),
        compiled=_date(document["compiled"]),
        title=Text(**document["title"]),
        path=label,
        products=products,
    )


def load_benchmarks(root: Path | None = None) -> dict[str, BenchmarkSet]:
    """Every benchmark set under a standards folder (the library's by default), by id."""
    folder = (root or library.standards_root()) / "benchmarks"
    return {s.id: s for s in map(load_benchmark_set, sorted(folder.glob("*.yaml")))}


def _validate(document: Any, text: str, label: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(SCHEMA))
    errors = sorted(validator.iter_errors(plain(document)), key=lambda e: list(e.absolute_path))
    if errors:
        raise DatasetError(
            [
                _problem(e.message, text, label, list(e.absolute_path), "E407", _SCHEMA_HINT)
                for e in errors[:20]
            ]
        )


def _problem(
    message: str,
    text: str,
    label: str,
    where: list[str | int],
    code: str = "E408",
    hint: str = "",
) -> Diagnostic:
    position = locate(text, where) or (1, 1)
    lines = text.splitlines()
    source = lines[position[0] - 1] if position[0] <= len(lines) else ""
    at = "/".join(map(str, where)) or "(top level)"
    return Diagnostic(
        code, f"{label}: at {at}: {message}", Span(label, *position), hint=hint, source_line=source
    )


def _product(
    name: str, raw: dict[str, Any], text: str, label: str, problems: list[Diagnostic]
) -> ProductBenchmarks:
    benchmarks = []
    seen: set[str] = set()
    for index, item in enumerate(raw["benchmarks"]):
        where: list[str | int] = ["products", name, "benchmarks", index]
        if item["id"] in seen:
            problems.append(
                _problem(f"benchmark id '{item['id']}' is given twice", text, label, [*where, "id"])
            )
        seen.add(item["id"])
        benchmarks.append(_benchmark(item, where, text, label, problems))
    return ProductBenchmarks(name, raw["declared_unit"], tuple(benchmarks))


def _benchmark(
    raw: dict[str, Any], where: list[str | int], text: str, label: str, problems: list[Diagnostic]
) -> Benchmark:
    valid_from = _date(raw["valid_from"])
    valid_to = _date(raw["valid_to"]) if "valid_to" in raw else None
    if valid_to is not None and valid_to < valid_from:
        problems.append(
            _problem(
                f"valid_to {valid_to} is before valid_from {valid_from}",
                text,
                label,
                [*where, "valid_to"],
                hint="valid_to is the last day the levels apply; leave it out while in force",
            )
        )
    levels = tuple(
        _level(item, [*where, "levels", i], text, label, problems)
        for i, item in enumerate(raw["levels"])
    )
    return Benchmark(
        id=raw["id"],
        scheme=raw["scheme"],
        title=Text(**raw["title"]),
        scope=raw["scope"],
        region=raw["region"],
        valid_from=valid_from,
        valid_to=valid_to,
        source=raw["source"],
        confirmed=bool(raw["confirmed"]),
        levels=levels,
        gwp=raw.get("gwp", ""),
        note=raw.get("note", ""),
    )


def _level(
    raw: dict[str, Any], where: list[str | int], text: str, label: str, problems: list[Diagnostic]
) -> BenchmarkLevel:
    factor = _per_tonne_factor(raw["unit"])
    if factor is None:
        problems.append(
            _problem(
                f"unit '{raw['unit']}' is not a mass of CO2e per tonne of product "
                f"(write it as e.g. 't CO2e/t' or 'kg CO2e/t')",
                text,
                label,
                [*where, "unit"],
            )
        )
    converted = None
    if "converted_from" in raw:
        source = raw["converted_from"]
        if _unit(source["unit"]) is None:
            problems.append(
                _problem(
                    f"'{source['unit']}' is not a unit",
                    text,
                    label,
                    [*where, "converted_from", "unit"],
                )
            )
        converted = Converted(float(source["value"]), source["unit"], raw["conversion"])
    value = float(raw["value"])
    return BenchmarkLevel(raw["level"], value, raw["unit"], value * (factor or 0.0), converted)


def _unit(text: str) -> pint.Unit | None:
    try:
        return to_pint(unit_from_text(text))
    except ValueError:  # UnitSyntaxError is a ValueError too
        return None


def _per_tonne_factor(text: str) -> float | None:
    """kg CO2e/t per one of `text`, or None when `text` is not CO2e per mass of product."""
    unit, target = _unit(text), _unit(_PER_TONNE)
    if unit is None or target is None or not same_dimension(unit, target):
        return None
    return conversion(unit, target)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
