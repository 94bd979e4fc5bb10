"""PACT's Action Events (Tech Specs 3.0.3, §Action Events): CloudEvents 1.0 in structured mode
(`application/cloudevents+json`), read and checked, then kept in `pact_events`.

- A RequestCreatedEvent (a customer asks for footprints) is checked at once: criteria the host
  cannot handle, or a requester's host the catalogue holds no credentials for, are refused with
  4xx there and then (PACT: "if it can immediately determine it will not be able to handle the
  request"). An accepted one is stored (direction `in`, state `pending`) and answered later by
  exactly one RequestFulfilledEvent or RequestRejectedEvent (pact_answers), which is itself
  stored (direction `out`) for pact_delivery to send, with retries.
- A PublishedEvent (a supplier announces footprints) is recorded; `zuji catalogue pull` then
  fetches the announced ids from that supplier.
- A RequestFulfilledEvent answering a request of ours is recorded and its footprints kept as
  received supplier footprints (catalogue/received.py); a RequestRejectedEvent is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue import partners, queries, received
from zuji.catalogue.pact_filters import CRITERIA, DATES, filters
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Client, PactEvent
from zuji.core.documents import load_text
from zuji.core.errors import CatalogueError, Diagnostic, DocumentError

_TYPE = "org.wbcsd.pact.ProductFootprint."
CREATED = _TYPE + "RequestCreatedEvent.3"
FULFILLED = _TYPE + "RequestFulfilledEvent.3"
REJECTED = _TYPE + "RequestRejectedEvent.3"
PUBLISHED = _TYPE + "PublishedEvent.3"
TYPES = (CREATED, FULFILLED, REJECTED, PUBLISHED)
MEDIA = "application/cloudevents+json"
ERROR_CODES = (
    *("BadRequest", "AccessDenied", "TokenExpired"),
    *("NotFound", "InternalError", "NotImplemented"),
)
_REQUIRED = ("type", "specversion", "id", "source", "time", "data")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Event:
    """A checked PACT event: its CloudEvents attributes and its data."""

    type: str
    id: str
    source: str
    time: datetime
    data: dict[str, Any]
    document: dict[str, Any]


def invalid(message: str, hint: str = "", status: int = 400) -> CatalogueError:
    return CatalogueError(Diagnostic("E956", message, hint=hint), status=status)


# ----------------------------------------------------------------------------- reading


def read_event(raw: bytes, media: str) -> Event:
    """The event of a request body; E956 (400) naming what is wrong with it."""
    if media != MEDIA:
        raise invalid(
            f"the event was sent as {media or 'no media type'}",
            hint=f"send it as {MEDIA} (CloudEvents 1.0, structured mode)",
        )
    try:
        document = load_text(raw.decode("utf-8"), "<event>.json")
    except UnicodeDecodeError as exc:
        raise invalid(f"the event is not UTF-8 text (byte {exc.start})") from None
    except DocumentError as exc:
        raise invalid(f"the event is not well-formed JSON: {exc.diagnostic.message}") from None
    return checked(document)


def checked(document: Any) -> Event:
    """A CloudEvent document checked against PACT's event types."""
    if not isinstance(document, dict):
        raise invalid("an event is a JSON object")
    missing = [a for a in _REQUIRED if document.get(a) in (None, "")]
    if missing:
        raise invalid(
            f"the event has no {', '.join(missing)}", hint="PACT requires " + ", ".join(_REQUIRED)
        )
    if document["specversion"] != "1.0":
        raise invalid(f"specversion {document['specversion']!r} is not CloudEvents 1.0")
    kind = document["type"]
    if kind not in TYPES:
        raise invalid(
            f"unknown event type {str(kind)[:120]!r}", hint="PACT 3 types: " + ", ".join(TYPES)
        )
    for name in ("id", "source", "time"):
        if not isinstance(document[name], str):
            raise invalid(f"the event's {name} is not a string")
    data = document["data"]
    if not isinstance(data, dict):
        raise invalid("the event's data is not a JSON object")
    _CHECKS[kind](data)
    return Event(kind, document["id"], document["source"], _time(document["time"]), data, document)


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(f"time {text[:60]!r} is not an RFC 3339 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _strings(value: Any, name: str) -> Sequence[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise invalid(f"data.{name} is not a list of strings")
    return values


def _check_created(data: dict[str, Any]) -> None:
    for name in data:
        if name not in CRITERIA and name != "comment":
            hint = ""
            if name.startswith("x-"):
                hint = "extension criteria (x-…) are not supported by this host"
            raise invalid(f"data.{name} is not a criterion this host handles", hint=hint)
    for name in (*DATES, "status", "comment"):
        if name in data and not isinstance(data[name], str):
            raise invalid(f"data.{name} is not a string")
    criteria(data)  # malformed date-times are refused now, not answered later


def criteria(data: dict[str, Any]) -> queries.Filters:
    """The Filters of a RequestCreatedEvent's data."""
    many = {k: _strings(data[k], k) for k in queries.FILTER_KINDS if k in data}
    return filters(many, {k: data[k] for k in DATES if k in data}, data.get("status"))


def _check_published(data: dict[str, Any]) -> None:
    ids = data.get("pfIds")
    if not isinstance(ids, list) or not ids:
        raise invalid("data.pfIds is not a non-empty list of footprint ids")
    wrong = [i for i in ids if not isinstance(i, str) or not _UUID.match(i)]
    if wrong:
        raise invalid(f"data.pfIds: {str(wrong[0])[:80]!r} is not a UUID")


def _check_answer(data: dict[str, Any]) -> None:
    if not isinstance(data.get("requestEventId"), str) or not data["requestEventId"]:
        raise invalid("data.requestEventId is not the id of a request")


def _check_fulfilled(data: dict[str, Any]) -> None:
    _check_answer(data)
    pfs = data.get("pfs")
    if not isinstance(pfs, list) or not pfs:
        raise invalid("data.pfs is not a non-empty list of ProductFootprints")
    for number, document in enumerate(pfs):
        found = received.problems(document)
        if found:
            raise invalid(f"data.pfs[{number}] is not a valid ProductFootprint: {found[0]}")


def _check_rejected(data: dict[str, Any]) -> None:
    _check_answer(data)
    error = data.get("error")
    if (
        not isinstance(error, dict)
        or error.get("code") not in ERROR_CODES
        or not isinstance(error.get("message"), str)
    ):
        raise invalid(
            "data.error is not a PACT Error {code, message}",
            hint="codes: " + ", ".join(ERROR_CODES),
        )


_CHECKS = {
    CREATED: _check_created,
    PUBLISHED: _check_published,
    FULFILLED: _check_fulfilled,
    REJECTED: _check_rejected,
}


# ----------------------------------------------------------------------------- receiving


def receive(store: Store, client_id: str, event: Event, host: str) -> str:
    """Keep an accepted event; `host` is this service's base URL as the caller reached it (the
    source of the answer). 'accepted', or 'repeated' for an event already received."""
    with store.transaction() as session:
        if _seen(session, event):
            return "repeated"
        if event.type == CREATED:
            _request(session, client_id, event, host)
        elif event.type == FULFILLED:
            _fulfilled(session, client_id, event)
        else:
            _record(session, client_id, event, "pending" if event.type == PUBLISHED else "done")
        audit(
            session,
            client_id,
            "pact event in",
            ("event", event.id[:64]),
            {"type": event.type, "source": event.source[:400]},
        )
    return "accepted"


def _seen(session: Session, event: Event) -> bool:
    """CloudEvents: an event is identified by its source and id; a repeat is not new."""
    rows = session.scalars(
        select(PactEvent).where(
            PactEvent.direction == "in",
            PactEvent.event_id == event.id[:200],
            PactEvent.type == event.type,
        )
    )
    return any(row.body.get("event", {}).get("source") == event.source for row in rows)


def _record(
    session: Session, client_id: str, event: Event, state: str, target: str | None = None
) -> PactEvent:
    row = PactEvent(
        event_id=event.id[:200],
        direction="in",
        client_id=client_id,
        type=event.type,
        body={"event": event.document},
        target=target or _source(event.source),
        state=state,
    )
    session.add(row)
    return row


def _source(source: str) -> str:
    try:
        return partners.base_url(source)[:400]
    except ValueError:
        return source[:400]


def _request(session: Session, client_id: str, event: Event, host: str) -> None:
    partner = partners.partner_for(session, event.source)
    if partner is None:
        raise CatalogueError(
            Diagnostic(
                "E957",
                f"this host holds no credentials for the requester's host {event.source[:200]}, "
                "so it could not send the answer",
                hint="the programme adds them with `zuji catalogue partner add URL`",
            ),
            status=400,
        )
    client = session.get(Client, client_id)
    if (
        client is not None
        and client.events_url
        and partners.base_url(client.events_url) != partner.url
    ):
        raise CatalogueError(
            Diagnostic(
                "E957",
                f"client '{client_id}' receives its answers at {client.events_url}, "
                f"not at {partner.url}",
            ),
            status=403,
        )
    row = _record(session, client_id, event, "pending", partner.url)
    row.body = {"event": event.document, "host": host}


def _fulfilled(session: Session, client_id: str, event: Event) -> None:
    source = _source(event.source)
    for document in event.data["pfs"]:
        received.keep(session, document, source, client_id)
    summary = {
        **event.document,
        "data": {**event.data, "pfs": [d["id"] for d in event.data["pfs"]]},
    }
    row = _record(session, client_id, event, "done", source)
    row.body = {"event": summary}
