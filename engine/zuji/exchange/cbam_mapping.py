"""The CBAM mapping of a PCR (pcr/<id>/cbam.yaml), loaded strictly.

The mapping is a sidecar beside the rule rather than a block inside it: CBAM is the EU's
methodology for one export market, owned by the exporters' experts, not by the committee that
writes the footprint rule, and a rule that stays unchanged keeps its version and its hash. Each
mapping is checked against its JSON Schema (standards/schemas/cbam-mapping.schema.json) and then
against its PCR: every line of the PCR is mapped (so the differences from the footprint are
listed line by line, none by omission), and every input it names exists. Findings point at the
line of the file (E760), or name the line or input at fault (E761).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from zuji.core.documents import load_text, locate, plain, read_utf8
from zuji.core.errors import Diagnostic, DocumentError, Span, ZujiError, file_label
from zuji.data.standards import schema
from zuji.runtime.pcr import PCR

SCHEMA = "cbam-mapping.schema.json"
FILE_NAME = "cbam.yaml"
_HINT = "the fields of a CBAM mapping are listed in docs/cbam.md"


@dataclass(frozen=True, slots=True)
class LineMapping:
    """Where one PCR line goes under CBAM, and why."""

    cbam: str
    why: str = ""
    precursor: str = ""
    precursor_cn: str = ""
    mass_input: str = ""
    # Inputs of the PCR giving the supplier's CBAM specific direct and indirect embedded emissions
    # of a bought precursor (t CO2e per t of precursor), optional in the inventory: when given,
    # CBAM counts them instead of the line's cradle-to-gate footprint.
    supplier_direct: str = ""
    supplier_indirect: str = ""


@dataclass(frozen=True, slots=True)
class OwnPrecursor:
    """A precursor made in the same installation, and the lines that make it."""

    precursor: str
    precursor_cn: str
    mass_input: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CbamMapping:
    path: str
    pcr: str
    goods_category: str
    aggregated_goods: str
    cn_codes: tuple[str, ...]
    sources: tuple[str, ...]
    gwp: str
    gwp_source: str
    indirect_counted: bool
    indirect_source: str
    route_fixed: str
    route_input: str
    route_names: dict[str, str]
    method_inputs: dict[str, tuple[str, str]]
    electricity_consumed: tuple[str, ...]
    electricity_less: tuple[str, ...]
    lines: dict[str, LineMapping]
    own_precursors: tuple[OwnPrecursor, ...] = ()


def mapping_path(pcr: PCR) -> Path:
    return pcr.folder / FILE_NAME


def load_mapping(pcr: PCR, path: Path | None = None) -> CbamMapping:
    """The CBAM mapping of a PCR, checked against its schema and against the PCR itself."""
    path = path or mapping_path(pcr)
    label = file_label(path)
    if not path.is_file():
        raise ZujiError(
            Diagnostic(
                "E762",
                f"PCR {pcr.id} has no CBAM mapping ({label}): it is not a CBAM good, "
                "or its mapping is still to be written",
            )
        )
    try:
        text = read_utf8(path)
        document = load_text(text, label)
    except DocumentError as exc:
        raise ZujiError(exc.diagnostics) from None
    _validate(document, text, label)
    mapping = _build(document, label)
    _check_against(mapping, pcr, text, label)
    return mapping


def _validate(document: Any, text: str, label: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(SCHEMA))
    errors = sorted(validator.iter_errors(plain(document)), key=lambda e: list(e.absolute_path))
    if errors:
        raise ZujiError([_problem(e.message, text, label, list(e.absolute_path)) for e in errors])


def _problem(
    message: str, text: str, label: str, where: list[str | int], code: str = "E760"
) -> Diagnostic:
    position = locate(text, where) or (1, 1)
    lines = text.splitlines()
    source = lines[position[0] - 1] if position[0] <= len(lines) else ""
    at = "/".join(map(str, where)) or "(top level)"
    return Diagnostic(
        code, f"{label}: at {at}: {message}", Span(label, *position), hint=_HINT, source_line=source
    )


def _build(document: dict[str, Any], label: str) -> CbamMapping:
    route = document["production_route"]
    electricity = document["electricity"]
    indirect = document["indirect_in_definitive_period"]
    return CbamMapping(
        path=label,
        pcr=document["pcr"],
        goods_category=document["goods_category"],
        aggregated_goods=document["aggregated_goods"],
        cn_codes=tuple(document["cn_codes"]),
        sources=tuple(document["sources"]),
        gwp=document["gwp"],
        gwp_source=document.get("gwp_source", ""),
        indirect_counted=indirect["counted"],
        indirect_source=indirect["source"],
        route_fixed=route.get("fixed", ""),
        route_input=route.get("input", ""),
        route_names=dict(route.get("names", {})),
        method_inputs={
            k: (v["value"], v["why"]) for k, v in document.get("method_inputs", {}).items()
        },
        electricity_consumed=tuple(electricity["consumed"]),
        electricity_less=tuple(electricity.get("less", ())),
        lines={name: _line(raw) for name, raw in document["lines"].items()},
        own_precursors=tuple(
            OwnPrecursor(
                raw["precursor"], raw["precursor_cn"], raw["mass_input"], tuple(raw["lines"])
            )
            for raw in document.get("own_precursors", ())
        ),
    )


def _line(raw: dict[str, Any]) -> LineMapping:
    supplier = raw.get("supplier_figures", {})
    return LineMapping(
        cbam=raw["cbam"],
        why=raw.get("why", ""),
        precursor=raw.get("precursor", ""),
        precursor_cn=raw.get("precursor_cn", ""),
        mass_input=raw.get("mass_input", ""),
        supplier_direct=supplier.get("direct", ""),
        supplier_indirect=supplier.get("indirect", ""),
    )


def _check_against(mapping: CbamMapping, pcr: PCR, text: str, label: str) -> None:
    """Every line of the PCR mapped, and nothing named that the PCR lacks."""
    problems: list[Diagnostic] = []
    if mapping.pcr != pcr.id:
        problems.append(
            _problem(f"names PCR '{mapping.pcr}', not '{pcr.id}'", text, label, ["pcr"], "E761")
        )
    lines = {line.name for stage in pcr.rule.stages for line in stage.lines}
    inputs = {i.name for i in pcr.rule.inputs}
    # A precursor's mass may also be a derived value of the PCR (the steel PCR sums its bought
    # pig iron from a list and shares it with other products), never a figure of the mapping's.
    masses = inputs | {let.name for let in pcr.rule.lets}
    for name in sorted(lines - set(mapping.lines)):
        problems.append(
            _problem(
                f"line '{name}' of PCR {pcr.id} is not mapped: "
                "say where CBAM counts it, or why it leaves it out",
                text,
                label,
                ["lines"],
                "E761",
            )
        )
    for name in sorted(set(mapping.lines) - lines):
        problems.append(
            _problem(f"PCR {pcr.id} has no line '{name}'", text, label, ["lines", name], "E761")
        )
    for where, name, known in [
        *((where, name, inputs) for where, name in _named_inputs(mapping)),
        *((where, name, masses) for where, name in _named_masses(mapping)),
    ]:
        if name and name.partition(".")[0] not in known:
            problems.append(
                _problem(f"PCR {pcr.id} has no input '{name}'", text, label, list(where), "E761")
            )
    problems += _own_precursor_problems(mapping, text, label)
    if problems:
        raise ZujiError(problems)


def _named_inputs(mapping: CbamMapping) -> list[tuple[tuple[str | int, ...], str]]:
    """The inputs the mapping names, each with where it names it."""
    return [
        (("production_route", "input"), mapping.route_input),
        *((("electricity", "consumed"), n) for n in mapping.electricity_consumed),
        *((("electricity", "less"), n) for n in mapping.electricity_less),
        *((("method_inputs", n), n) for n in mapping.method_inputs),
        *(
            (("lines", k, "supplier_figures", part), name)
            for k, v in mapping.lines.items()
            for part, name in (("direct", v.supplier_direct), ("indirect", v.supplier_indirect))
        ),
    ]


def _named_masses(mapping: CbamMapping) -> list[tuple[tuple[str | int, ...], str]]:
    """The precursors' masses the mapping names (an input or a derived value of the PCR)."""
    return [
        *((("lines", k, "mass_input"), v.mass_input) for k, v in mapping.lines.items()),
        *(
            (("own_precursors", i, "mass_input"), p.mass_input)
            for i, p in enumerate(mapping.own_precursors)
        ),
    ]


def _own_precursor_problems(mapping: CbamMapping, text: str, label: str) -> list[Diagnostic]:
    """A precursor made in the installation is made by direct or indirect lines only."""
    problems: list[Diagnostic] = []
    for i, own in enumerate(mapping.own_precursors):
        for name in own.lines:
            if mapping.lines.get(name, LineMapping("excluded")).cbam not in ("direct", "indirect"):
                problems.append(
                    _problem(
                        f"'{name}' is not a direct or indirect line of this mapping",
                        text,
                        label,
                        ["own_precursors", i, "lines"],
                        "E761",
                    )
                )
    return problems
