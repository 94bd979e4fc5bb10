"""PACT's filter criteria, as ListFootprints takes them in its query and a RequestCreatedEvent
in its data: read, checked and turned into the catalogue's Filters.

The criteria are the same in both places (Tech Specs 3.0, §Filtering): `productId`, `companyId`,
`geography` and `classification` take several values (OR within a criterion, AND across
criteria, case-insensitive), `validOn`, `validAfter` and `validBefore` a date-time, `status`
Active or Deprecated. An empty value filters nothing (`?geography=` is no geography criterion).
A status other than Active or Deprecated matches no footprint, as PACT's conformance tests
want; a date-time that cannot be read is the requester's mistake (E955), not an empty answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from zuji.catalogue.queries import FILTER_KINDS, STATUSES, Filters
from zuji.core.errors import CatalogueError, Diagnostic

DATES = ("validOn", "validAfter", "validBefore")
CRITERIA = (*FILTER_KINDS, *DATES, "status")


def instant(text: str, name: str) -> datetime:
    """An RFC 3339 date-time (a time without an offset is taken as UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise bad_criterion(
            f"{name}={text[:60]!r} is not an RFC 3339 date-time",
            "write it as 2025-01-01T00:00:00Z",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def bad_criterion(message: str, hint: str = "") -> CatalogueError:
    return CatalogueError(Diagnostic("E955", message, hint=hint), status=400)


def filters(
    values: Mapping[str, Sequence[str]],
    dates: Mapping[str, str],
    status: str | None,
) -> Filters:
    """The Filters of PACT criteria: `values` of the many-valued ones, `dates` of validOn,
    validAfter and validBefore."""
    chosen = {
        kind: tuple(v.strip() for v in values[kind] if v.strip())
        for kind in FILTER_KINDS
        if kind in values
    }
    when = {name: instant(text, name) for name, text in dates.items() if text.strip()}
    return Filters(
        values={kind: found for kind, found in chosen.items() if found},
        valid_on=when.get("validOn"),
        valid_after=when.get("validAfter"),
        valid_before=when.get("validBefore"),
        status=_status(status),
    )


def _status(given: str | None) -> str | None:
    """Active or Deprecated in any case; another word is kept, so it matches nothing."""
    if given is None or not given.strip():
        return None
    for known in STATUSES:
        if given.strip().lower() == known.lower():
            return known
    return given.strip()[:40]
