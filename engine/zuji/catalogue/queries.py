"""Reading the catalogue: footprints by PACT's ListFootprints filters, one page at a time, and
single footprints and submissions as their owners and the public see them.

Pages are keyed, not counted: a page ends at a footprint id and the next starts after it, so
page 5 000 of a 10^6-footprint catalogue costs what page 1 does (an offset would read and skip
every earlier row). Footprints are ordered by id, which PACT leaves to the host.

A filtered page starts from an index, never from a walk of every footprint: of the criteria that
have one (a PACT filter key through `footprint_keys (kind, value, footprint_id)`; the PCR, the
enterprise and the status through `footprints (column, id)`), the most selective is walked in id
order after the page's key, and the footprints it yields are tested against the rest. Which is
the most selective is found by counting each criterion's index entries up to a bound, so
choosing costs a few hundred index reads however large the catalogue. A criterion with several
values (OR) is walked once per value and the walks merged, each in id order. Both databases get
the same statements, so they answer the same pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, select, union
from sqlalchemy.orm import Session, aliased

from zuji.catalogue.tables import Enterprise, Footprint, FootprintKey

FILTER_KINDS = ("productId", "companyId", "geography", "classification")
STATUSES = ("Active", "Deprecated")
# Index entries counted per criterion when choosing where a page starts: a criterion with fewer
# is walked to its end at once; between criteria over the bound any is dense enough to walk.
PROBE = 1000
# The catalogue's lists (newest first) sort a criterion's footprints when it has fewer.
SORTED = 10_000
# A criterion with more values than this is tested, not walked (one walk per value).
MOST_WALKS = 16
# The footprints a page walks by id or through a (column, id) index, named apart from those
# its tests read.
_WALKED = aliased(Footprint, name="walked")


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


@dataclass(frozen=True)
class _Criterion:
    """One criterion a page may start from: the key kind or footprints column, its values."""

    name: str
    values: tuple[Any, ...]


def _key_test(kind: str, wanted: Sequence[str]) -> ColumnElement[bool]:
    key = aliased(FootprintKey)  # its own name: a page may be walking footprint_keys itself
    return exists().where(
        key.footprint_id == Footprint.id,
        key.kind == kind,
        key.value.in_([w.lower() for w in wanted]),
    )


def _tests(filters: Filters, enterprises: Sequence[int] | None) -> dict[str, ColumnElement[bool]]:
    """Each criterion as a test of a footprint, by the name of what it reads."""
    tests = {
        kind: _key_test(kind, filters.values[kind])
        for kind in FILTER_KINDS
        if filters.values.get(kind)
    }
    if filters.valid_on is not None:
        tests["valid_on"] = and_(
            Footprint.valid_from <= filters.valid_on, Footprint.valid_until >= filters.valid_on
        )
    if filters.valid_after is not None:
        tests["valid_after"] = Footprint.valid_from > filters.valid_after
    if filters.valid_before is not None:
        tests["valid_before"] = Footprint.valid_until < filters.valid_before
    if filters.status is not None:
        tests["status"] = Footprint.status == filters.status
    if filters.pcr_id is not None:
        tests["pcr_id"] = Footprint.pcr_id == filters.pcr_id
    if enterprises is not None:
        tests["enterprise_id"] = Footprint.enterprise_id.in_(list(enterprises))
    return tests


def enterprise_ids(
    session: Session, filters: Filters, visible: Iterable[int] | None
) -> list[int] | None:
    """The enterprises whose footprints may be listed: those named by the filter (by name)
    that the reader may see (`visible`: the enterprises it may read; None: all)."""
    seen = None if visible is None else sorted(set(visible))
    if filters.enterprise is None:
        return seen
    named = session.scalars(select(Enterprise.id).where(Enterprise.name == filters.enterprise))
    return sorted(set(named) if seen is None else set(named) & set(seen))


def newest(session: Session, filters: Filters, limit: int) -> Select[str] | None:
    """The ids of the `limit` newest footprints matching `filters` (newest first, then by id
    backwards), for the catalogue's own lists; None when nothing can match.

    A criterion with fewer than SORTED footprints is read whole from its index and sorted by
    date; when every criterion matches more, the footprints are walked newest first through
    `(published_at, id)` and tested, and at least one in SORTED of them matches."""
    enterprises = enterprise_ids(session, filters, None)
    if enterprises == [] or (filters.status is not None and filters.status not in STATUSES):
        return None
    tests = _tests(filters, enterprises)
    start, count = _most_selective(session, _criteria(filters, enterprises), SORTED, True)
    order = (Footprint.published_at.desc(), Footprint.id.desc())
    if start is not None and count < SORTED:
        rest = [test for name, test in tests.items() if name != start.name]
        walks = [_walk(start, v, rest, None, SORTED).subquery() for v in start.values]
        merged = union(*(select(w.c.id) for w in walks)).subquery() if len(walks) > 1 else walks[0]
        chosen = select(Footprint.id).where(Footprint.id.in_(select(merged.c.id)))
        return chosen.order_by(*order).limit(limit)
    walk = select(_WALKED.id).order_by(_WALKED.published_at.desc(), _WALKED.id.desc())
    if tests:
        walk = walk.where(exists().where(Footprint.id == _WALKED.id, *tests.values()))
    return walk.limit(limit)


def _criteria(filters: Filters, enterprises: Sequence[int] | None) -> list[_Criterion]:
    """The criteria a page can start from, each with few enough values to walk."""
    found = [
        _Criterion(kind, tuple(sorted({w.lower() for w in filters.values[kind]})))
        for kind in FILTER_KINDS
        if filters.values.get(kind)
    ]
    if filters.pcr_id is not None:
        found.append(_Criterion("pcr_id", (filters.pcr_id,)))
    if enterprises is not None:
        found.append(_Criterion("enterprise_id", tuple(enterprises)))
    if filters.status is not None:
        found.append(_Criterion("status", (filters.status,)))
    return [c for c in found if len(c.values) <= MOST_WALKS]


def _entries(criterion: _Criterion | None, value: Any) -> tuple[Select[Any], Any]:
    """The index entries of one value of a criterion in footprint-id order, and the id column
    they are read by; of no criterion, the footprints' own ids."""
    if criterion is not None and criterion.name in FILTER_KINDS:
        walked = FootprintKey.footprint_id
        entries = select(walked.label("id")).where(
            FootprintKey.kind == criterion.name, FootprintKey.value == value
        )
    else:
        walked = _WALKED.id
        entries = select(walked.label("id"))
        if criterion is not None:
            entries = entries.where(getattr(_WALKED, criterion.name) == value)
    return entries.order_by(walked), walked


def _most_selective(
    session: Session, criteria: Sequence[_Criterion], bound: int, counted: bool = False
) -> tuple[_Criterion | None, int]:
    """The criterion with the fewest index entries and their number, each value's counted up
    to `bound` (a single criterion is counted only when `counted` asks for its number)."""
    if not criteria or (len(criteria) == 1 and not counted):
        return (criteria[0] if criteria else None), bound
    counts = [
        sum(
            (
                select(func.count())
                .select_from(_entries(c, v)[0].order_by(None).limit(bound).subquery())
                .scalar_subquery()
                for v in c.values
            ),
            literal(0),
        )
        for c in criteria
    ]
    found = session.execute(select(*counts)).one()
    count, chosen = min(zip(found, range(len(criteria)), strict=True))
    return criteria[chosen], int(count)


def _walk(
    criterion: _Criterion | None,
    value: Any,
    rest: Sequence[ColumnElement[bool]],
    after: str | None,
    limit: int,
) -> Select[Any]:
    """The first `limit` footprints after `after` with this value that pass the other tests.

    The other tests are made on the footprint the walk reaches, looked up by its primary key,
    never beside the walk's own condition: given two equalities on footprints, SQLite (which
    keeps no statistics) may walk the other's index and sort everything it finds."""
    walk, walked = _entries(criterion, value)
    if after is not None:
        walk = walk.where(walked > after)
    if rest:
        walk = walk.where(exists().where(Footprint.id == walked, *rest))
    return walk.limit(limit)


def page_query(
    session: Session,
    filters: Filters,
    limit: int,
    after: str | None = None,
    visible: Iterable[int] | None = None,
) -> Select[str, str, str] | None:
    """The statement of one page: the ids, status and document of at most `limit` + 1
    footprints after `after` (the one over says another page follows); None when nothing
    can match."""
    if filters.status is not None and filters.status not in STATUSES:
        return None  # PACT: an unknown status matches nothing
    enterprises = enterprise_ids(session, filters, visible)
    if enterprises == []:
        return None
    tests = _tests(filters, enterprises)
    start, _ = _most_selective(session, _criteria(filters, enterprises), PROBE)
    rest = [test for name, test in tests.items() if start is None or name != start.name]
    values = (None,) if start is None else start.values
    walks = [_walk(start, v, rest, after, limit + 1).subquery() for v in values]
    merged = union(*(select(w.c.id) for w in walks)).subquery() if len(walks) > 1 else walks[0]
    ids = select(merged.c.id).order_by(merged.c.id).limit(limit + 1)
    query = select(Footprint.id, Footprint.status, Footprint.document)
    return query.where(Footprint.id.in_(ids)).order_by(Footprint.id)


def footprint_page(
    session: Session,
    filters: Filters,
    limit: int,
    after: str | None = None,
    visible: Iterable[int] | None = None,
) -> Page:
    """One page of at most `limit` footprints, after the id `after`."""
    query = page_query(session, filters, limit, after, visible)
    if query is None:
        return Page([], None)
    rows = session.execute(query).all()
    documents = [served(row.document, row.status) for row in rows[:limit]]
    return Page(documents, rows[limit - 1].id if len(rows) > limit else None)


def served(document: str, status: str) -> dict[str, Any]:
    """A published document as served: as stored, with its status now."""
    parsed: dict[str, Any] = json.loads(document)
    parsed["status"] = status
    return parsed


def footprint(session: Session, footprint_id: str) -> Footprint | None:
    return session.get(Footprint, footprint_id)
