"""The catalogue workflow's request and response models: the contract of /catalogue/* in the
OpenAPI document. Each forbids extra fields, so neither a request nor a response can carry a
field the document does not name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zuji.catalogue.grades import GradeLine, describe
from zuji.catalogue.records import Entry, FootprintRecord, SubmissionRecord
from zuji.catalogue.tables import Submission


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionOut(_Strict):
    """A submission as its enterprise and the programme follow it through the workflow."""

    id: str
    state: str = Field(description="submitted, accepted, returned or published")
    enterprise: str
    product: str
    pcr: str = Field(description="The PCR id")
    pcr_version: str
    total: float = Field(description="kg CO2e per declared unit")
    declared_unit: str
    submitted_by: str
    submitted_at: datetime
    comments: str | None = Field(None, description="The last verifier's comments, if any")


class InventoryOut(_Strict):
    name: str
    sha256: str = Field(description="sha256 of the bytes as submitted")
    bytes: int
    text: str | None = Field(description="The inventory's text (None for a workbook)")


class VerificationOut(_Strict):
    verifier: str
    decision: str = Field(description="accepted or returned")
    comments: str
    at: datetime


class AuditOut(_Strict):
    """One entry of the append-only audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str = Field(description="kind:id of the record the entry is about")
    detail: dict[str, Any]
    reason: str


class SubmissionDetail(SubmissionOut):
    """A submission with its inventory, its result (with the trace of every line when asked)
    and its verifications, footprint and audit trail."""

    inventory: InventoryOut
    result: dict[str, Any] = Field(
        description="The result file Zuji computed (signed once published)"
    )
    verifications: list[VerificationOut]
    footprint: str | None = Field(description="The footprint published from it, if any")
    audit: list[AuditOut]


class Submitted(_Strict):
    id: str
    state: str
    enterprise: str
    product: str
    total: float = Field(description="kg CO2e per declared unit")
    declared_unit: str


class VerificationIn(_Strict):
    accept: bool = Field(description="true accepts the submission, false returns it")
    comments: str = Field("", max_length=20_000, description="Needed to return it")


class Decided(_Strict):
    submission: str
    state: str


class PublishIn(_Strict):
    reason: str = Field("", max_length=20_000, description="Why (the audit log)")


class Published(_Strict):
    footprint: str
    submission: str
    preceding: list[str] = Field(description="Footprints it supersedes (PACT precedingPfIds)")
    signed: bool = Field(description="Whether the result was signed with the catalogue's key")


class DeprecateIn(_Strict):
    reason: str = Field(min_length=1, max_length=20_000, description="Why it is withdrawn")


class Deprecated(_Strict):
    footprint: str
    status: str


class GradeOut(_Strict):
    basis: str = Field(description="benchmark or distribution")
    grade: str
    value: float | None
    detail: dict[str, Any]
    described: str = Field(
        description="The grade and its basis in words, in the request's language"
    )
    at: datetime


class FootprintDetail(_Strict):
    """A published footprint: its PACT document as served (with its status now), where it came
    from, what it supersedes or is superseded by, its grades and its audit trail."""

    id: str
    status: str = Field(description="Active or Deprecated")
    enterprise: str
    product: str
    pcr: str
    pcr_version: str
    total: float = Field(description="kg CO2e per declared unit")
    declared_unit: str
    valid_from: datetime
    valid_until: datetime
    preceding: list[str]
    superseded_by: str | None
    submission: str
    published_by: str
    published_at: datetime
    grades: list[GradeOut]
    document: dict[str, Any] = Field(description="The PACT ProductFootprint as published")
    audit: list[AuditOut]


class AuditPage(_Strict):
    entries: list[AuditOut]
    next_after: int | None = Field(description="Give as ?after= for the next page; None at the end")


# ----------------------------------------------------------------------------- from records


def audit_out(entry: Entry) -> AuditOut:
    return AuditOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject=f"{entry.subject_kind}:{entry.subject_id}",
        detail=entry.detail,
        reason=entry.reason,
    )


def submission_out(
    s: Submission, enterprise: str, product: str, comments: str | None
) -> SubmissionOut:
    return SubmissionOut(
        id=s.id,
        state=s.state,
        enterprise=enterprise,
        product=product,
        pcr=s.pcr_id,
        pcr_version=s.pcr_version,
        total=s.total,
        declared_unit=s.declared_unit,
        submitted_by=s.submitted_by,
        submitted_at=s.submitted_at,
        comments=comments,
    )


def submission_detail(found: SubmissionRecord, result: dict[str, Any]) -> SubmissionDetail:
    s = found.submission
    try:
        text: str | None = s.inventory.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # a workbook: GET …/inventory gives its bytes
    comments = next((d.comments for d in reversed(found.decisions) if d.comments), None)
    return SubmissionDetail(
        **submission_out(s, found.enterprise, found.product, comments).model_dump(),
        inventory=InventoryOut(
            name=s.inventory_name, sha256=s.inventory_sha256, bytes=len(s.inventory), text=text
        ),
        result=result,
        verifications=[
            VerificationOut(verifier=d.verifier, decision=d.decision, comments=d.comments, at=d.at)
            for d in found.decisions
        ],
        footprint=found.footprint_id,
        audit=[audit_out(e) for e in found.trail],
    )


def footprint_detail(found: FootprintRecord) -> FootprintDetail:
    f = found.footprint
    return FootprintDetail(
        id=f.id,
        status=f.status,
        enterprise=found.enterprise,
        product=found.product,
        pcr=f.pcr_id,
        pcr_version=f.pcr_version,
        total=f.total,
        declared_unit=f.declared_unit,
        valid_from=f.valid_from,
        valid_until=f.valid_until,
        preceding=list(f.preceding),
        superseded_by=f.superseded_by,
        submission=f.submission_id,
        published_by=f.published_by,
        published_at=f.published_at,
        grades=[
            GradeOut(
                basis=g.basis,
                grade=g.grade,
                value=g.value,
                detail=g.detail,
                described=describe(GradeLine(g.basis, g.grade, g.value, g.detail)),
                at=g.at,
            )
            for g in found.grades
        ],
        document=found.document,
        audit=[audit_out(e) for e in found.trail],
    )
