"""Sending the catalogue's PACT events to the partners' hosts, with retries.

An answer (RequestFulfilled or RequestRejected) is POSTed to `{partner}/3/events` as
`application/cloudevents+json` with a bearer token from the partner's token endpoint, got with
the credentials the catalogue holds for it (partners.py). Any answer but 2xx, or no answer, is
tried again after an exponentially growing wait (1 s, 2 s, 4 s … at most an hour apart), and
abandoned 72 hours after the event was made, as Tech Specs 3.0.3 says senders should.

The service's sender task runs `drain` every second and whenever an event arrives; `zuji
catalogue events send` runs it by hand, and with `force` sends what waits for a retry at once.
Each event is claimed before it is sent (pact_events.claim), so two workers never send one
event at the same time; an event whose sender died is sent again once its lease ends, so a
partner may see an event twice, and recognises it by its id (CloudEvents' rule).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, true

from zuji.catalogue import pact_http, partners
from zuji.catalogue.pact_answers import answer_requests, claim, finish
from zuji.catalogue.pact_events import MEDIA
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import PactEvent, now

FIRST_RETRY = timedelta(seconds=1)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=72)
_BATCH = 200  # events taken per round; the next round takes the rest


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` tries that failed."""
    wait: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_WAIT)


@dataclass(frozen=True)
class Delivery:
    """What one round did: requests answered, events sent, sends failed, events abandoned."""

    answered: int = 0
    sent: int = 0
    failed: int = 0
    abandoned: int = 0


OpenClient = Callable[[str | None], httpx.Client]


def drain(
    store: Store,
    moment: datetime | None = None,
    force: bool = False,
    stop: threading.Event | None = None,
    open_client: OpenClient = pact_http.client,
) -> Delivery:
    """Answer the pending requests, then send the events that are due (all pending ones with
    `force`). `moment` fixes the clock (tests of the back-off and of the 72 hours)."""

    def clock() -> datetime:
        return moment if moment is not None else now()

    answered = answer_requests(store, clock(), stop)
    counts = {"sent": 0, "failed": 0, "abandoned": 0}
    tokens: dict[str, str] = {}
    for row_id in _due(store, clock(), force):
        if stop is not None and stop.is_set():
            break
        lease = claim(store, row_id, clock(), force=force, count=True)
        if lease is not None:
            counts[_send(store, row_id, lease, clock(), tokens, open_client)] += 1
    return Delivery(answered, **counts)


def _due(store: Store, moment: datetime, force: bool) -> list[int]:
    due = PactEvent.next_attempt_at <= moment
    ready = true() if force else due
    query = select(PactEvent.id).where(
        PactEvent.direction == "out",
        or_((PactEvent.state == "pending") & ready, (PactEvent.state == "sending") & due),
    )
    with store.reading() as session:
        return list(session.scalars(query.order_by(PactEvent.id).limit(_BATCH)))


def _send(
    store: Store,
    row_id: int,
    lease: datetime,
    moment: datetime,
    tokens: dict[str, str],
    open_client: OpenClient,
) -> str:
    with store.reading() as session:
        row = session.get(PactEvent, row_id)
        assert row is not None
        partner = partners.partner_for(session, row.target or "")
        body, created, attempts, target = row.body, row.created_at, row.attempts, row.target
    if partner is None:
        return _outcome(store, row_id, lease, f"no credentials for {target}", "abandoned")
    try:
        with open_client(partner.ca) as http:
            status, text = _post(http, partner, body, tokens)
    except (pact_http.HostError, httpx.HTTPError) as exc:
        status, text = 0, pact_http.describe(exc)
    if 200 <= status < 300:
        return _outcome(store, row_id, lease, None, "done")
    error = f"{partner.events_url} answered {status}: {text[:300]}" if status else text
    if moment - created >= GIVE_UP_AFTER:
        return _outcome(store, row_id, lease, error, "abandoned")
    return _outcome(store, row_id, lease, error, "pending", moment + retry_delay(attempts))


def _post(
    http: httpx.Client, partner: partners.Partner, event: dict[str, object], tokens: dict[str, str]
) -> tuple[int, str]:
    """POST the event; a 401 (a token expired since it was got) is tried once with a new one."""
    content = json.dumps(event, ensure_ascii=False).encode()
    for fresh in (False, True):
        if fresh or partner.url not in tokens:
            tokens[partner.url] = pact_http.token(
                http, partner.url, partner.client_id, partner.client_secret
            )
        answer = http.post(
            partner.events_url,
            content=content,
            headers={
                "Content-Type": MEDIA + "; charset=UTF-8",
                "Authorization": f"Bearer {tokens[partner.url]}",
            },
        )
        if answer.status_code != 401:
            break
    return answer.status_code, answer.text


def _outcome(
    store: Store,
    row_id: int,
    lease: datetime,
    error: str | None,
    state: str,
    retry_at: datetime | None = None,
) -> str:
    with store.transaction() as session:
        if not finish(
            session, row_id, lease, state=state, next_attempt_at=retry_at, last_error=error
        ):
            return "failed"  # the lease ran out: another sender has it now
        if state != "pending":
            row = session.get(PactEvent, row_id)
            assert row is not None
            detail = {"to": row.target, "attempts": row.attempts, "error": error}
            audit(
                session,
                "pact",
                f"pact event {'sent' if state == 'done' else state}",
                ("event", row.event_id[:64]),
                detail,
            )
    return {"done": "sent", "pending": "failed"}.get(state, state)
