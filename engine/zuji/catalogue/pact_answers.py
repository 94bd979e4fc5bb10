"""Answering PACT requests: each accepted RequestCreatedEvent gets exactly one
RequestFulfilledEvent (the footprints that match it and that its requester may read) or
RequestRejectedEvent (none do, or too many), stored to be sent by pact_delivery.

Exactly one, also with several service workers: a worker first claims a request (state
`sending`, with a lease until `next_attempt_at`), and stores the answer in the same transaction
as the conditional update that marks the request done, which succeeds for one claimant only. A
worker killed mid-way leaves a lease that runs out, and the next worker answers the request.
The same claims keep two workers from sending one answer at the same time.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.orm import Session

from zuji.catalogue import queries
from zuji.catalogue.clients import visible
from zuji.catalogue.pact_events import CREATED, FULFILLED, REJECTED, criteria
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Client, PactEvent, now
from zuji.core.access import Grant

# The most footprints one RequestFulfilledEvent carries (each is ~3 kB of JSON). A request that
# matches more is rejected with a hint to narrow it, or to page through ListFootprints.
MAX_PFS = 1000
# How long a worker may hold a claimed event before another may take it over.
LEASE = timedelta(seconds=60)


def claim(
    store: Store, row_id: int, moment: datetime, force: bool = False, count: bool = False
) -> datetime | None:
    """Take an event to work on: the lease's end if this caller got it, else None. `force`
    takes a pending event before its next attempt is due (an operator's `events send`)."""
    lease = moment + LEASE
    due = or_(PactEvent.next_attempt_at.is_(None), PactEvent.next_attempt_at <= moment)
    pending = and_(PactEvent.state == "pending", true() if force else due)
    expired = and_(PactEvent.state == "sending", PactEvent.next_attempt_at <= moment)
    values: dict[str, Any] = {"state": "sending", "next_attempt_at": lease}
    if count:
        values["attempts"] = PactEvent.attempts + 1
    with store.transaction() as session:
        taken = session.execute(
            update(PactEvent).where(PactEvent.id == row_id, or_(pending, expired)).values(**values)
        )
        return lease if getattr(taken, "rowcount", 0) == 1 else None


def finish(session: Session, row_id: int, lease: datetime, **values: Any) -> bool:
    """Set an event's outcome if this caller still holds its lease."""
    done = session.execute(
        update(PactEvent)
        .where(
            PactEvent.id == row_id, PactEvent.state == "sending", PactEvent.next_attempt_at == lease
        )
        .values(**values)
    )
    return getattr(done, "rowcount", 0) == 1


def answer_requests(
    store: Store, moment: datetime | None = None, stop: threading.Event | None = None
) -> int:
    """Answer the pending requests: one Fulfilled or Rejected event each, stored to be sent."""
    moment = moment or now()
    with store.reading() as session:
        waiting = session.scalars(
            select(PactEvent.id)
            .where(PactEvent.direction == "in", PactEvent.type == CREATED)
            .where(
                or_(
                    and_(
                        PactEvent.state == "pending",
                        or_(
                            PactEvent.next_attempt_at.is_(None), PactEvent.next_attempt_at <= moment
                        ),
                    ),
                    and_(PactEvent.state == "sending", PactEvent.next_attempt_at <= moment),
                )
            )
            .order_by(PactEvent.id)
            .limit(200)
        ).all()
    answered = 0
    for row_id in waiting:
        if stop is not None and stop.is_set():
            break
        lease = claim(store, row_id, moment)
        if lease is not None and _answer(store, row_id, lease, moment):
            answered += 1
    return answered


def _answer(store: Store, row_id: int, lease: datetime, moment: datetime) -> bool:
    with store.transaction() as session:
        if not finish(session, row_id, lease, state="done", next_attempt_at=None):
            return False  # the lease ran out and another worker took the request over
        request = session.get(PactEvent, row_id)
        assert request is not None
        answer = answer_event(session, request, moment)
        session.add(
            PactEvent(
                event_id=answer["id"],
                direction="out",
                client_id=request.client_id,
                type=answer["type"],
                body=answer,
                target=request.target,
                state="pending",
                next_attempt_at=moment,
            )
        )
        outcome = "fulfilled" if answer["type"] == FULFILLED else "rejected"
        detail = {"request": request.event_id, "answer": answer["id"], "to": request.target}
        audit(session, "pact", f"pact request {outcome}", ("event", request.event_id[:64]), detail)
        return True


def answer_event(session: Session, request: PactEvent, moment: datetime) -> dict[str, Any]:
    """The Fulfilled event (the footprints that match the request and its requester may read)
    or the Rejected one (none match, or too many)."""
    event = request.body["event"]
    client = session.get(Client, request.client_id) if request.client_id else None
    grant = Grant(client.client_id, frozenset(client.scopes), 0) if client else None
    seen = visible(session, grant) if grant else []
    page = queries.footprint_page(session, criteria(event["data"]), MAX_PFS, visible=seen)
    if page.next_after is not None:
        data: dict[str, Any] = {
            "requestEventId": event["id"],
            "error": {
                "code": "BadRequest",
                "message": f"more than {MAX_PFS} footprints match; narrow the request, "
                "or page through ListFootprints",
            },
        }
    elif not page.footprints:
        data = {
            "requestEventId": event["id"],
            "error": {
                "code": "NotFound",
                "message": "no footprint this requester may read matches the request",
            },
        }
    else:
        data = {"requestEventId": event["id"], "pfs": page.footprints}
    return {
        "type": FULFILLED if "pfs" in data else REJECTED,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": request.body.get("host", "") + "/3/events",
        "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
