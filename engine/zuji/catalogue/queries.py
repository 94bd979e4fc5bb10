"""Reading the catalogue: footprints by PACT's ListFootprints filters, one page at a time, and
single footprints and submissions as their owners and the public see them.

Pages are keyed, not counted: a page ends at a footprint id and the next starts after it, so
page 5 000 of a 10^6-footprint catalogue costs what page 1 does (an offset would read and skip
every earlier row). Footprints are ordered by id, which PACT leaves to the host.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session

from zuji.catalogue.tables import Enterprise, Footprint, FootprintKey

FILTER_KINDS = ("productId", "companyId", "geography", "classification")
STATUSES = ("Active", "Deprecated")


@dataclass(frozen=True)
class Filters:
    """PACT ListFootprints criteria: OR within a criterion, AND across criteria, case-
    insensitive; plus the catalogue's own (PCR, enterprise) for its command line and platform."""

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    valid_on: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    status: str | None = None
    pcr_id: str | None = None
    enterprise: str | None = None


@dataclass(frozen=True)
class Page:
    footprints: list[dict[str, Any]]
    next_after: str | None  # the id the next page starts after; None on the last page


def footprint_query(
    filters: Filters, visible: Iterable[int] | None = None
) -> Select[str, str, str]:
    """The footprints matching `filters` that a reader may see (`visible`: the enterprises
    whose footprints it may read; None: all)."""
    query: Select[str, str, str] = select(Footprint.id, Footprint.status, Footprint.document)
    for kind in FILTER_KINDS:
        wanted = filters.values.get(kind)
        if wanted:
            query = query.where(
                exists().where(
                    and_(
                        FootprintKey.footprint_id == Footprint.id,
                        FootprintKey.kind == kind,
                        FootprintKey.value.in_([w.lower() for w in wanted]),
                    )
                )
            )
    if filters.valid_on is not None:
        query = query.where(
            Footprint.valid_from <= filters.valid_on, Footprint.valid_until >= filters.valid_on
        )
    if filters.valid_after is not None:
        query = query.where(Footprint.valid_from > filters.valid_after)
    if filters.valid_before is not None:
        query = query.where(Footprint.valid_until < filters.valid_before)
    if filters.status is not None:
        query = query.where(Footprint.status == filters.status)
    if filters.pcr_id is not None:
        query = query.where(Footprint.pcr_id == filters.pcr_id)
    if filters.enterprise is not None:
        query = query.where(
            Footprint.enterprise_id.in_(
                select(Enterprise.id).where(Enterprise.name == filters.enterprise)
            )
        )
    if visible is not None:
        query = query.where(Footprint.enterprise_id.in_(list(visible)))
    return query


def footprint_page(
    session: Session,
    filters: Filters,
    limit: int,
    after: str | None = None,
    visible: Iterable[int] | None = None,
) -> Page:
    """One page of at most `limit` footprints, after the id `after`."""
    if filters.status is not None and filters.status not in STATUSES:
        return Page([], None)  # PACT: an unknown status matches nothing
    query = footprint_query(filters, visible).order_by(Footprint.id)
    if after is not None:
        query = query.where(Footprint.id > after)
    rows = session.execute(query.limit(limit + 1)).all()
    documents = [served(row.document, row.status) for row in rows[:limit]]
    return Page(documents, rows[limit - 1].id if len(rows) > limit else None)


def served(document: str, status: str) -> dict[str, Any]:
    """A published document as served: as stored, with its status now."""
    parsed: dict[str, Any] = json.loads(document)
    parsed["status"] = status
    return parsed


def footprint(session: Session, footprint_id: str) -> Footprint | None:
    return session.get(Footprint, footprint_id)
