"""Reference data: emission-factor datasets and GWP sets, loaded strictly and all at once.

Every file is validated against its JSON Schema when the library is opened, so a malformed
dataset stops the engine with a message naming the file and the field — never at the first
evaluation that happens to touch it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import jsonschema_rs

from zuji.core import cachedir, library
from zuji.core.documents import load_text, locate, plain, read_utf8
from zuji.core.errors import DatasetError, Diagnostic, Span, file_label, read_as
from zuji.data.uncertainty import entry_problems
from zuji.lang import units as units_module
from zuji.lang.load import builder_hash
from zuji.lang.model import Text, UnitExpr
from zuji.lang.units import to_pint, unit_from_text

if TYPE_CHECKING:
    import jsonschema


@dataclass(frozen=True, slots=True)
class FactorValue:
    """One value of an entry, in force from a date (or always, when it has none)."""

    value: float
    valid_from: date | None = None
    year: int | None = None
    source: str = ""
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class FactorEntry:
    """An emission factor or parameter with its provenance."""

    dataset: str
    key: str
    unit: UnitExpr
    values: tuple[FactorValue, ...]
    source: str
    region: str = ""
    year: int | None = None
    confirmed: bool = True
    description: Text = field(default_factory=Text)
    uncertainty: dict[str, Any] = field(default_factory=dict, compare=False)
    dq: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def reference(self) -> str:
        return f"{self.dataset}.{self.key}"

    @property
    def dated(self) -> bool:
        return any(v.valid_from for v in self.values)

    def in_force(self, on: date | None) -> FactorValue | None:
        """The value that applies on a date: the latest one in force from on or before it."""
        if not self.dated:
            return self.values[0]
        candidates = [v for v in self.values if v.valid_from and (on is None or v.valid_from <= on)]
        return max(candidates, key=lambda v: v.valid_from or date.min) if candidates else None


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    version: str
    title: Text
    publisher: str
    year: int
    region: str
    path: str
    entries: dict[str, FactorEntry] = field(compare=False)
    purpose: str = ""
    sha256: str = field(default="", compare=False)  # of the file's exact bytes, for results

    def family(self, prefix: str) -> dict[str, FactorEntry]:
        """The entries named prefix.<member>, by member."""
        start = prefix + "."
        return {
            k[len(start) :]: e
            for k, e in self.entries.items()
            if k.startswith(start) and "." not in k[len(start) :]
        }


@dataclass(frozen=True, slots=True)
class GwpSet:
    id: str
    title: str
    source: str
    values: dict[str, float] = field(compare=False)
    sources: dict[str, str] = field(compare=False)
    path: str = ""
    sha256: str = field(default="", compare=False)  # of the file's exact bytes, for results

    def factor(self, gas: str, origin: str) -> float:
        """kg CO2e per kg of a gas. Methane's value depends on its origin (AR6)."""
        if gas == "CO2e":
            return 1.0
        if gas == "CH4":
            return self.values["CH4_biogenic" if origin == "biogenic" else "CH4_fossil"]
        return self.values[gas]

    def key(self, gas: str, origin: str) -> str:
        if gas == "CH4":
            return "CH4_biogenic" if origin == "biogenic" else "CH4_fossil"
        return gas


@dataclass(frozen=True)
class Standards:
    """All datasets and GWP sets of a library, by id."""

    datasets: dict[str, Dataset]
    gwp_sets: dict[str, GwpSet]

    def entry(self, reference: str) -> FactorEntry | None:
        dataset, _, key = reference.partition(".")
        found = self.datasets.get(dataset)
        return found.entries.get(key) if found else None


@cache
def schema(name: str) -> dict[str, Any]:
    path = library.schemas_root() / name
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(Diagnostic("E401", f"schema {name} cannot be read: {exc}")) from None
    return loaded


@cache
def _compiled(schema_name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema(schema_name), validate_formats=False)


def validate(document: Any, schema_name: str, label: str, code: str = "E402") -> None:
    """Validate against a bundled JSON Schema; all violations become one DatasetError.

    The schema's compiled form decides in a fraction of the time; what it refuses is settled,
    and put into words, by the reference validator (jsonschema), imported only then."""
    document = plain(document)
    try:
        if _compiled(schema_name).is_valid(document):
            return
    except ValueError:  # a value JSON cannot hold: the reference validator decides
        pass
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise DatasetError([_schema_diagnostic(e, label, code) for e in errors[:20]])


def _schema_diagnostic(error: jsonschema.ValidationError, label: str, code: str) -> Diagnostic:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return Diagnostic(code, f"{label}: at {where}: {error.message}", Span(label, 1, 1))


def load_dataset(path: Path) -> Dataset:
    label = file_label(path)
    document, digest = _load(path)
    validate(document, "factor-dataset.schema.json", label)
    if document["id"] != path.stem:
        raise DatasetError(
            Diagnostic(
                "E403",
                f"{label}: id '{document['id']}' differs from the file name '{path.stem}'",
                Span(label, 1, 1),
            )
        )
    _check_uncertainty(path, document["entries"], label)
    entries = {
        key: _entry(document["id"], key, raw, label) for key, raw in document["entries"].items()
    }
    return Dataset(
        id=document["id"],
        version=str(document["version"]),
        title=_text(document.get("title")),
        publisher=document.get("publisher", ""),
        year=int(document.get("year", 0)),
        region=document.get("region", ""),
        path=label,
        entries=entries,
        purpose=document.get("purpose", ""),
        sha256=digest,
    )


def _load(path: Path) -> tuple[Any, str]:
    """The file's document and the sha256 of its bytes, read once so that both are of the same
    bytes (UTF-8 decoding is exact, so encoding the text again gives the bytes read)."""
    with read_as(DatasetError):
        text = read_utf8(path)
        return load_text(text, file_label(path)), hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(dataset: str, key: str, raw: dict[str, Any], label: str) -> FactorEntry:
    try:
        unit = unit_from_text(raw["unit"])

        to_pint(unit)
    except ValueError as exc:
        raise DatasetError(
            Diagnostic("E404", f"{label}: entry {key}: {exc}", Span(label, 1, 1))
        ) from None
    confirmed = bool(raw.get("confirmed", True))
    if "values" in raw:
        values = tuple(
            FactorValue(
                float(v["value"]),
                _date(v["from"]),
                v.get("year"),
                v.get("source", raw["source"]),
                bool(v.get("confirmed", confirmed)),
            )
            for v in raw["values"]
        )
    else:
        values = (
            FactorValue(float(raw["value"]), None, raw.get("year"), raw["source"], confirmed),
        )
    return FactorEntry(
        dataset,
        key,
        unit,
        values,
        raw["source"],
        raw.get("region", ""),
        raw.get("year"),
        confirmed,
        _text(raw.get("description")),
        dict(raw.get("uncertainty") or {}),
        dict(raw.get("dq") or {}),
    )


def _check_uncertainty(path: Path, entries: dict[str, Any], label: str) -> None:
    """A distribution the schema allows may still contradict itself or its entry's values: each
    such entry is reported at its line."""
    found = []
    for key, raw in entries.items():
        numbers = [float(v["value"]) for v in raw["values"]] if "values" in raw else [raw["value"]]
        found += [(key, p) for p in entry_problems(raw.get("uncertainty") or {}, numbers)]
    if not found:
        return
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    diagnostics = []
    for key, problem in found:
        line, column = locate(text, ["entries", key, "uncertainty"]) or (1, 1)
        diagnostics.append(
            Diagnostic(
                "E405",
                f"{label}: entry {key}: uncertainty: {problem}",
                Span(label, line, column),
                hint="give a distribution whose parameters agree with each other and the value",
                source_line=lines[line - 1] if line <= len(lines) else "",
            )
        )
    raise DatasetError(diagnostics)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _text(raw: Any) -> Text:
    if isinstance(raw, dict):
        return Text(en=str(raw.get("en", "")), zh=str(raw.get("zh", "")))
    return Text(en=str(raw or ""))


def load_gwp(path: Path) -> GwpSet:
    label = file_label(path)
    document, digest = _load(path)
    validate(document, "gwp-set.schema.json", label)
    values = {gas: float(v["value"]) for gas, v in document["values"].items()}
    sources = {
        gas: v.get("source", document.get("source", "")) for gas, v in document["values"].items()
    }
    return GwpSet(
        document["id"],
        document.get("title", ""),
        document.get("source", ""),
        values,
        sources,
        label,
        digest,
    )


def load(root: Path | None = None) -> Standards:
    """Every dataset and GWP set below a standards folder (the library's by default)."""
    if root is None:
        return _library_standards()
    return _load_all(root)


@cache
def _library_standards() -> Standards:
    return _load_all(library.standards_root())


_Part = TypeVar("_Part", "Dataset", "GwpSet")


def load_committee(own: Path, bundled_gwp: bool = True) -> Standards:
    """A committee's datasets (and GWP sets) beside the bundled ones, read once per process.

    The bundled GWP sets stay available unless the committee pinned its own (`bundled_gwp`
    false). An id both hold is an error naming both files: a rule's `factor x.y` must mean one
    thing, and a committee that wants other figures gives its dataset its own id."""
    return _committee(str(own.resolve()), bundled_gwp)


@cache
def _committee(own: str, bundled_gwp: bool) -> Standards:
    mine = _load_all(Path(own), partial=True)
    bundled = _library_standards()
    datasets = _overlay(bundled.datasets, mine.datasets)
    gwp_sets = _overlay(bundled.gwp_sets, mine.gwp_sets) if bundled_gwp else mine.gwp_sets
    if not gwp_sets:
        raise DatasetError(
            Diagnostic(
                "E406",
                f"{file_label(Path(own))}: the library pins its own GWP sets (bundled_gwp = false "
                "in zuji.toml) but has none under gwp/; add one or remove the setting",
            )
        )
    return Standards(datasets, gwp_sets)


def _overlay(bundled: dict[str, _Part], own: dict[str, _Part]) -> dict[str, _Part]:
    for key, part in own.items():
        if key in bundled:
            raise DatasetError(
                Diagnostic(
                    "E406",
                    f"{part.path}: id '{key}' is already the bundled {bundled[key].path}; give "
                    "the committee's file (and its id) another name",
                )
            )
    return {**bundled, **own}


def _load_all(root: Path, partial: bool = False) -> Standards:
    factor_dir, gwp_dir = root / "factors", root / "gwp"
    if not partial and (not factor_dir.is_dir() or not gwp_dir.is_dir()):
        raise DatasetError(
            Diagnostic("E400", f"no factor datasets or GWP sets under {file_label(root)}")
        )
    factor_files, gwp_files = sorted(factor_dir.glob("*.yaml")), sorted(gwp_dir.glob("*.yaml"))
    # Reading and checking every dataset is a good part of a command's start: what a process
    # read is kept for the next (core/cachedir), keyed by the files' labels and bytes and by the
    # code and schemas that read them. Only data that passed every check is kept.
    key = _kept_key(factor_files + gwp_files)
    kept = cachedir.read_kept("standards", key, Standards) if key else None
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    datasets = {d.id: d for d in map(load_dataset, factor_files)}
    gwp_sets = {g.id: g for g in map(load_gwp, gwp_files)}
    standards = Standards(datasets, gwp_sets)
    if key:
        cachedir.keep("standards", key, standards)
    return standards


def _kept_key(files: list[Path]) -> str:
    """The key of the reference data read from these files, or "" when one cannot be read (it
    is then read, and reported, as always)."""
    try:
        data = cachedir.code_hash(*files)
    except OSError:
        return ""
    labels = "\0".join(file_label(path) for path in files)  # diagnostics and results name them
    schemas = sorted(library.schemas_root().glob("*.json"))
    return f"{labels}\0{data}\0{_reader_hash(tuple(schemas))}\0{builder_hash()}"


@cache
def _reader_hash(schemas: tuple[Path, ...]) -> str:
    """A hash of the code that reads reference data and of the schemas it checks them with."""
    return cachedir.code_hash(Path(__file__), Path(units_module.__file__ or ""), *schemas)
