"""The catalogue's records as its users read them: one submission or footprint with everything
about it (verifications, grades, the audit trail), lists with the workflow's filters, the audit
log, and the published documents in pages for an export.

Reading only: nothing here writes, so the command line, the HTTP routes and the platform show
the same record the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zuji.catalogue.queries import Filters, footprint_page, newest, served
from zuji.catalogue.tables import (
    AuditEntry,
    Enterprise,
    Footprint,
    Grade,
    Product,
    Submission,
    Verification,
)
from zuji.core.errors import CatalogueError, Diagnostic

STATES = ("submitted", "accepted", "returned", "published")
EXPORT_PAGE = 1000  # footprints read per query while exporting: memory stays flat at 10^6


@dataclass(frozen=True)
class Entry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    subject_kind: str
    subject_id: str
    detail: dict[str, Any]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "subject": f"{self.subject_kind}:{self.subject_id}",
            "detail": self.detail,
            "reason": self.reason,
        }


def audit_log(
    session: Session,
    subjects: Sequence[str] = (),
    after: int = 0,
    limit: int = 1000,
) -> list[Entry]:
    """Audit entries in the order they were written, after the entry `after`; only those about
    the given subject ids when any are given."""
    query = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(limit)
    if subjects:
        query = query.where(AuditEntry.subject_id.in_(list(subjects)))
    return [
        Entry(e.id, e.at, e.actor, e.action, e.subject_kind, e.subject_id, e.detail, e.reason)
        for e in session.scalars(query)
    ]


# ----------------------------------------------------------------------------- one record


@dataclass(frozen=True)
class Decision:
    verifier: str
    decision: str
    comments: str
    at: datetime


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission with who it is for, the verifiers' decisions, the footprint published from
    it (if any) and its audit trail. `submission` is the row itself (inventory and result)."""

    submission: Submission
    enterprise: str
    enterprise_id: int
    product: str
    decisions: list[Decision]
    footprint_id: str | None
    trail: list[Entry]


@dataclass(frozen=True)
class GradeRecord:
    basis: str
    grade: str
    value: float | None
    detail: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class FootprintRecord:
    """A published footprint: the row, its document as served (with its status now), its
    grades and the audit trail of it and of the submission it was published from."""

    footprint: Footprint
    enterprise: str
    product: str
    document: dict[str, Any]
    grades: list[GradeRecord]
    trail: list[Entry]


def submission_record(session: Session, submission_id: str) -> SubmissionRecord | None:
    found = session.execute(
        select(Submission, Product.name, Enterprise.name, Enterprise.id)
        .join(Product, Submission.product_id == Product.id)
        .join(Enterprise, Product.enterprise_id == Enterprise.id)
        .where(Submission.id == submission_id)
    ).first()
    if found is None:
        return None
    submission, product, enterprise, enterprise_id = found
    decisions = [
        Decision(v.verifier, v.decision, v.comments, v.at)
        for v in session.scalars(
            select(Verification)
            .where(Verification.submission_id == submission_id)
            .order_by(Verification.id)
        )
    ]
    footprint_id = session.scalar(
        select(Footprint.id).where(Footprint.submission_id == submission_id)
    )
    subjects = [submission_id] + ([footprint_id] if footprint_id else [])
    return SubmissionRecord(
        submission,
        enterprise,
        enterprise_id,
        product,
        decisions,
        footprint_id,
        audit_log(session, subjects),
    )


def footprint_record(session: Session, footprint_id: str) -> FootprintRecord | None:
    found = session.execute(
        select(Footprint, Product.name, Enterprise.name)
        .join(Product, Footprint.product_id == Product.id)
        .join(Enterprise, Footprint.enterprise_id == Enterprise.id)
        .where(Footprint.id == footprint_id)
    ).first()
    if found is None:
        return None
    footprint, product, enterprise = found
    grades = [
        GradeRecord(g.basis, g.grade, g.value, g.detail, g.at)
        for g in session.scalars(
            select(Grade).where(Grade.footprint_id == footprint_id).order_by(Grade.id)
        )
    ]
    return FootprintRecord(
        footprint,
        enterprise,
        product,
        served(footprint.document, footprint.status),
        grades,
        audit_log(session, [footprint.submission_id, footprint_id]),
    )


def record(session: Session, record_id: str) -> SubmissionRecord | FootprintRecord:
    """The submission or footprint with this id (ids are UUIDs: they never collide)."""
    found = submission_record(session, record_id) or footprint_record(session, record_id)
    if found is None:
        raise CatalogueError(
            Diagnostic(
                "E947",
                f"no submission or footprint {record_id} in the catalogue",
                hint="`zuji catalogue list` lists footprints, `list --submissions` submissions",
            ),
            status=404,
        )
    return found


# ----------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class FootprintRow:
    id: str
    enterprise: str
    product: str
    pcr: str
    status: str
    total: float
    declared_unit: str
    valid_until: datetime
    published_at: datetime


def footprint_rows(session: Session, filters: Filters, limit: int) -> list[FootprintRow]:
    """Published footprints matching `filters`, newest first, at most `limit`."""
    chosen = newest(session, filters, limit)
    if chosen is None:
        return []
    query = (
        select(
            Footprint.id,
            Enterprise.name,
            Product.name,
            Footprint.pcr_id,
            Footprint.pcr_version,
            Footprint.status,
            Footprint.total,
            Footprint.declared_unit,
            Footprint.valid_until,
            Footprint.published_at,
        )
        .join(Product, Footprint.product_id == Product.id)
        .join(Enterprise, Footprint.enterprise_id == Enterprise.id)
        .where(Footprint.id.in_(chosen))
        .order_by(Footprint.published_at.desc(), Footprint.id.desc())
    )
    return [
        FootprintRow(r[0], r[1], r[2], f"{r[3]} {r[4]}", r[5], r[6], r[7], r[8], r[9])
        for r in session.execute(query).all()
    ]


@dataclass(frozen=True)
class Listed:
    """A submission in a list, with the names it is filed under."""

    submission: Submission
    enterprise: str
    product: str


def submission_list(
    session: Session,
    states: Sequence[str] = (),
    enterprise: int | str | None = None,
    pcr_id: str | None = None,
    limit: int = 1000,
) -> list[Listed]:
    """Submissions, newest first: in the given states (any when none), of one enterprise (by
    id or name) or all, under one PCR or any."""
    query = (
        select(Submission, Enterprise.name, Product.name)
        .join(Product, Submission.product_id == Product.id)
        .join(Enterprise, Product.enterprise_id == Enterprise.id)
        .order_by(Submission.submitted_at.desc(), Submission.id)
        .limit(limit)
    )
    if states:
        query = query.where(Submission.state.in_(list(states)))
    if isinstance(enterprise, int):
        query = query.where(Enterprise.id == enterprise)
    elif enterprise is not None:
        query = query.where(Enterprise.name == enterprise)
    if pcr_id is not None:
        query = query.where(Submission.pcr_id == pcr_id)
    return [Listed(s, e, p) for s, e, p in session.execute(query).all()]


def documents(session: Session, filters: Filters) -> Iterator[dict[str, Any]]:
    """Every published document matching `filters`, as served, one keyed page at a time."""
    after: str | None = None
    while True:
        page = footprint_page(session, filters, EXPORT_PAGE, after)
        yield from page.footprints
        if page.next_after is None:
            return
        after = page.next_after


def queue(session: Session, limit: int = 1000) -> list[Listed]:
    """Submissions waiting for a verifier, oldest first (the order they are worked through)."""
    query = (
        select(Submission, Enterprise.name, Product.name)
        .join(Product, Submission.product_id == Product.id)
        .join(Enterprise, Product.enterprise_id == Enterprise.id)
        .where(Submission.state == "submitted")
        .order_by(Submission.submitted_at, Submission.id)
        .limit(limit)
    )
    return [Listed(s, e, p) for s, e, p in session.execute(query).all()]


def latest_comments(session: Session, submission_ids: Sequence[str]) -> dict[str, str]:
    """The last verifier's comments on each of these submissions (those with any)."""
    if not submission_ids:
        return {}
    rows = session.execute(
        select(Verification.submission_id, Verification.comments)
        .where(Verification.submission_id.in_(list(submission_ids)))
        .where(or_(Verification.comments != "", Verification.decision == "returned"))
        .order_by(Verification.id)
    ).all()
    return {submission_id: comments for submission_id, comments in rows}
