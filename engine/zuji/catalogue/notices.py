"""Notices: the programme's policy and finance notices to the enterprises of the catalogue,
addressed by product (the PCR of their published footprints), grade or region; and the notices
the catalogue sends itself (a re-evaluation that superseded an enterprise's footprints).

A notice is written with its recipients in one transaction; each recipient marks it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from zuji.catalogue.clients import enterprise_id
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Enterprise, Footprint, Grade, Notice, NoticeRecipient, now
from zuji.catalogue.workflow import Actor
from zuji.core.errors import CatalogueError, Diagnostic

KINDS = ("policy", "finance")
TITLE_MOST = 200


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: enterprises with an Active footprint under the PCR, with a current
    grade of that name (on either basis), in the region (CN-SD, or CN for all its
    subdivisions). Criteria given together must all hold; none given: every enterprise."""

    pcr: str | None = None
    grade: str | None = None
    region: str | None = None

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class NoticeRow:
    id: int
    kind: str
    title: str
    body: str
    sent_by: str
    sent_at: datetime
    criteria: dict[str, Any]
    recipients: int
    read_at: datetime | None = None  # for an enterprise's own list


def send(
    store: Store, actor: Actor, kind: str, title: str, body: str, audience: Audience
) -> tuple[int, int]:
    """Send a policy or finance notice to the enterprises the audience names; (its id, the
    number of recipients). A notice that would reach no enterprise is refused (E966)."""
    actor.require("admin", "send notices")
    _check(kind, title, body)
    with store.transaction() as session:
        enterprises = recipients(session, audience)
        if not enterprises:
            raise CatalogueError(
                Diagnostic(
                    "E966",
                    f"no enterprise matches {_said(audience)}: the notice was not sent",
                    hint="`zuji catalogue list` shows the published footprints, their PCRs "
                    "and grades; loosen --pcr, --grade or --region",
                )
            )
        notice_id = deliver(session, actor.name, kind, title, body, audience.as_json(), enterprises)
    return notice_id, len(enterprises)


def _check(kind: str, title: str, body: str) -> None:
    if kind not in KINDS:
        raise CatalogueError(
            Diagnostic("E965", f"unknown notice kind '{kind}'", hint=f"kinds: {', '.join(KINDS)}")
        )
    if not title.strip() or not body.strip():
        raise CatalogueError(
            Diagnostic("E965", "a notice has a title and a body", hint="give --title and --body")
        )
    if len(title) > TITLE_MOST:
        raise CatalogueError(
            Diagnostic("E965", f"a notice's title has at most {TITLE_MOST} characters")
        )


def _said(audience: Audience) -> str:
    criteria = audience.as_json()
    if not criteria:
        return "(every enterprise)"
    return ", ".join(f"--{k} {v}" for k, v in criteria.items())


def recipients(session: Session, audience: Audience) -> list[int]:
    """The ids of the enterprises the audience names."""
    query: Select[tuple[int]] = select(Enterprise.id)
    if audience.region:
        region = audience.region.strip().upper()
        query = query.where(or_(Enterprise.region == region, Enterprise.region.like(f"{region}-%")))
    if audience.pcr or audience.grade:
        active = select(Footprint.enterprise_id).where(Footprint.status == "Active")
        if audience.pcr:
            active = active.where(Footprint.pcr_id == audience.pcr)
        if audience.grade:
            graded = select(Grade.footprint_id).where(Grade.grade == audience.grade)
            active = active.where(Footprint.id.in_(graded))
        query = query.where(Enterprise.id.in_(active))
    return sorted(session.scalars(query.order_by(Enterprise.id)))


def deliver(
    session: Session,
    sent_by: str,
    kind: str,
    title: str,
    body: str,
    criteria: dict[str, Any],
    enterprises: list[int],
) -> int:
    """A notice and its recipients, in the caller's transaction; its id."""
    notice = Notice(kind=kind, title=title, body=body, criteria=criteria, sent_by=sent_by)
    session.add(notice)
    session.flush()
    session.add_all(NoticeRecipient(notice_id=notice.id, enterprise_id=e) for e in enterprises)
    audit(
        session,
        sent_by,
        "notice",
        ("notice", str(notice.id)),
        {"kind": kind, "criteria": criteria, "recipients": len(enterprises)},
    )
    return notice.id


def listing(store: Store, enterprise_id: int | None = None, limit: int = 200) -> list[NoticeRow]:
    """Notices, newest first: all of them (the programme's view), or one enterprise's with
    when it read each."""
    with store.reading() as session:
        if enterprise_id is None:
            return _all(session, limit)
        query = (
            select(Notice, NoticeRecipient.read_at)
            .join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
            .where(NoticeRecipient.enterprise_id == enterprise_id)
            .order_by(Notice.id.desc())
            .limit(limit)
        )
        return [_row(n, 1, read_at) for n, read_at in session.execute(query).all()]


def _all(session: Session, limit: int) -> list[NoticeRow]:
    from sqlalchemy import func

    counted = (
        select(NoticeRecipient.notice_id, func.count().label("n"))
        .group_by(NoticeRecipient.notice_id)
        .subquery()
    )
    query = (
        select(Notice, counted.c.n)
        .join(counted, counted.c.notice_id == Notice.id)
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return [_row(n, int(count)) for n, count in session.execute(query).all()]


def _row(notice: Notice, recipients: int, read_at: datetime | None = None) -> NoticeRow:
    return NoticeRow(
        notice.id,
        notice.kind,
        notice.title,
        notice.body,
        notice.sent_by,
        notice.sent_at,
        dict(notice.criteria),
        recipients,
        read_at,
    )


def enterprise_named(store: Store, name: str) -> int:
    """An enterprise's id by its name (E951 when there is none)."""
    with store.reading() as session:
        return enterprise_id(session, name)


def mark_read(store: Store, notice_id: int, enterprise_id: int) -> datetime:
    """An enterprise has read a notice addressed to it; when (the first reading)."""
    with store.transaction() as session:
        found = session.get(NoticeRecipient, (notice_id, enterprise_id))
        if found is None:
            raise CatalogueError(
                Diagnostic(
                    "E967",
                    f"no notice {notice_id} for this enterprise",
                    hint="GET /catalogue/notices lists the enterprise's notices",
                ),
                status=404,
            )
        if found.read_at is None:
            found.read_at = now()
            audit(session, f"enterprise:{enterprise_id}", "read", ("notice", str(notice_id)))
        return found.read_at
