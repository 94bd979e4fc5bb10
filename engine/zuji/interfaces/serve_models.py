"""The HTTP API's response models and the views of a PCR they are made from.

The models are the API's contract: the OpenAPI document is generated from them, and every one
forbids extra fields so a response cannot grow a field the document does not name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zuji.lang import model as m
from zuji.runtime.pcr import PCR
from zuji.runtime.supplier import is_intensity


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Out):
    status: str = Field(examples=["ok"])
    engine: str
    pcrs: int = Field(description="PCRs in the library")


class Link(_Out):
    href: str
    note: str = ""


class PcrSummary(_Out):
    id: str
    version: str
    status: str
    name_en: str
    name_zh: str
    declared_unit: str
    links: dict[str, Link]


class InputInfo(_Out):
    name: str
    kind: str = Field(description="quantity, choice or list")
    unit: str | None
    description_en: str
    description_zh: str
    required: bool
    optional: bool
    quality: str | None = Field(description="primary / secondary data the PCR requires")
    default: str | None
    options: list[str] = Field(default_factory=list)
    bounds: list[str] = Field(default_factory=list)
    fields: list[InputInfo] = Field(default_factory=list)
    accepts_pact: bool = Field(False, description="May be given as a supplier's PACT document")


class ChangeInfo(_Out):
    version: str
    date: str
    summary: str


class PcrDetail(PcrSummary):
    description_en: str
    description_zh: str
    effective: str | None
    standards: list[str]
    gwp: str
    boundary: str
    stages: list[str]
    geography: list[str]
    classification: list[str]
    source_hash: str
    inputs: list[InputInfo]
    changelog: list[ChangeInfo]


class DiagnosticOut(_Out):
    code: str
    severity: str
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    where: str | None = Field(None, description="The input or field at fault")


class CheckReport(_Out):
    ok: bool = Field(description="No errors (warnings allowed)")
    id: str | None = Field(description="The PCR or module id, when the text parses")
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut]


class CheckRequest(_Out):
    text: str = Field(description="The rule text")
    file: str = Field("rule.pcr", description="Name to show in the diagnostics' positions")


class Problem(BaseModel):
    """An RFC 9457 problem, with Zuji's code and the diagnostics behind it."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="Zuji's diagnostic code of the first problem")
    where: str | None = Field(None, description="The input, field or position at fault")
    diagnostics: list[DiagnosticOut] = Field(default_factory=list)


class ProductFootprint(BaseModel):
    """A PACT ProductFootprint (Tech Specs 3.0.3): see the PACT specification for every field."""

    model_config = ConfigDict(extra="allow")
    id: str
    specVersion: str
    created: str
    status: str
    companyName: str
    companyIds: list[str]
    productDescription: str
    productIds: list[str]
    productNameCompany: str
    pcf: dict[str, Any]


InputInfo.model_rebuild()


# ----------------------------------------------------------------------------- PCR views


def summary(pcr: PCR) -> PcrSummary:
    """A PCR as the library list shows it, with the links a client follows from there."""
    rule = pcr.rule
    unit = rule.declared_unit
    return PcrSummary(
        id=rule.id,
        version=rule.version,
        status=rule.status,
        name_en=rule.name.en,
        name_zh=rule.name.zh,
        declared_unit=f"{unit.amount:g} {unit.unit}" if unit else "",
        links={
            "self": Link(href=f"/pcrs/{rule.id}"),
            "schema": Link(href=f"/pcrs/{rule.id}/schema"),
            "evaluate": Link(href=f"/pcrs/{rule.id}/evaluate"),
            "docs": Link(
                href=f"pcr/{rule.id}/", note="relative to the root of the documentation site"
            ),
        },
    )


def detail(pcr: PCR) -> PcrDetail:
    """A PCR's metadata, inputs and changelog."""
    rule = pcr.rule
    return PcrDetail(
        **summary(pcr).model_dump(),
        description_en=rule.description.en,
        description_zh=rule.description.zh,
        effective=rule.effective.isoformat() if rule.effective else None,
        standards=list(rule.standards),
        gwp=rule.gwp,
        boundary=rule.boundary.kind if rule.boundary else "",
        stages=list(rule.boundary.stages) if rule.boundary else [],
        geography=list(rule.geography),
        classification=list(rule.classification),
        source_hash=rule.source_hash,
        inputs=[input_info(i, pcr.choices) for i in rule.inputs],
        changelog=[
            ChangeInfo(version=c.version, date=c.date.isoformat(), summary=c.summary)
            for c in rule.changelog
        ],
    )


def input_info(inp: m.Input, choices: dict[str, tuple[str, ...]]) -> InputInfo:
    """One input of a PCR (and the fields of a list input), as a client fills it in."""
    default = inp.default
    shown = None
    if default is not None:
        shown = default.choice or (
            f"factor {default.factor}"
            if default.factor
            else f"{default.number:g} {inp.unit or ''}".strip()
        )
    return InputInfo(
        name=inp.name,
        kind=inp.kind,
        unit=inp.unit_text or None,
        description_en=inp.description.en,
        description_zh=inp.description.zh,
        required=inp.required,
        optional=inp.optional,
        quality=inp.quality,
        default=shown,
        options=list(inp.options or choices.get(inp.choice_type or "", ())),
        bounds=[f"{b.op} {b.value:g}" for b in inp.bounds],
        fields=[input_info(f, choices) for f in inp.fields],
        accepts_pact=inp.kind == "quantity" and is_intensity(inp),
    )
