"""PACT events: CloudEvents checked and refused with 400, requests answered by exactly one
Fulfilled or Rejected event even when workers race, the answers delivered with back-off and
abandoned after 72 hours (catalogue on SQLite and PostgreSQL); and, on real hosts over TLS, a
request answered at a second Zuji host acting as requester, also when it is down at first."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pact_kit import Host, publish, start_host
from serve_kit import free_port
from sqlalchemy import select

from zuji.catalogue import clients, pact_answers, pact_delivery, pact_events, partners, store
from zuji.catalogue.tables import AuditEntry, PactEvent, now
from zuji.core.errors import CatalogueError

CEMENT = {"company": "Example Cement Co.", "product_ids": ["urn:gtin:06901234500011"]}
STEEL = {"company": "Example Steel Co.", "product_ids": ["urn:gtin:06901234500028"]}
PF = "3a6c14a7-4deb-498a-b5ea-16ce2535b576"


def event(kind: str, data: dict[str, Any], source: str = "https://buyer.example") -> dict[str, Any]:
    return {
        "type": kind,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": "2026-12-01T10:00:00Z",
        "data": data,
    }


# ----------------------------------------------------------------------------- checking


def _refused(document: Any, code: str = "E956") -> str:
    with pytest.raises(CatalogueError) as refused:
        pact_events.checked(document)
    assert refused.value.code == code and refused.value.status == 400
    return refused.value.diagnostics[0].message


def test_valid_events_of_every_type_are_read() -> None:
    created = pact_events.checked(
        event(pact_events.CREATED, {"productId": ["urn:x"], "comment": "please"})
    )
    assert created.type == pact_events.CREATED and created.time.tzinfo is not None
    assert pact_events.checked(event(pact_events.PUBLISHED, {"pfIds": [PF]})).data == {
        "pfIds": [PF]
    }
    rejected = {"requestEventId": "r1", "error": {"code": "NotFound", "message": "none"}}
    assert pact_events.checked(event(pact_events.REJECTED, rejected)).data == rejected


def _without(name: str) -> dict[str, Any]:
    document = event(pact_events.PUBLISHED, {"pfIds": [PF]})
    document.pop(name)
    return document


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([], "an event is a JSON object"),
        (_without("time"), "the event has no time"),
        (_without("source"), "the event has no source"),
        (
            {**event(pact_events.PUBLISHED, {"pfIds": [PF]}), "specversion": "0.3"},
            "not CloudEvents 1.0",
        ),
        (
            event("org.wbcsd.pact.ProductFootprint.PublishedEvent.2", {"pfIds": [PF]}),
            "unknown event type",
        ),
        ({**event(pact_events.PUBLISHED, {}), "data": "pfIds"}, "data is not a JSON object"),
        ({**event(pact_events.PUBLISHED, {"pfIds": [PF]}), "time": "yesterday"}, "not an RFC 3339"),
        (event(pact_events.PUBLISHED, {"pfIds": ["urn:gtin:4712345060507"]}), "is not a UUID"),
        (event(pact_events.PUBLISHED, {"pfIds": []}), "non-empty list"),
        (event(pact_events.CREATED, {"productId": [3]}), "not a list of strings"),
        (event(pact_events.CREATED, {"x-acme-invoice": "1"}), "not a criterion this host handles"),
        (event(pact_events.FULFILLED, {"requestEventId": "r1", "pfs": []}), "non-empty list"),
        (
            event(pact_events.FULFILLED, {"requestEventId": "r1", "pfs": [{"id": PF}]}),
            "data.pfs[0]",
        ),
        (
            event(pact_events.REJECTED, {"requestEventId": "r1", "error": {"code": "Oops"}}),
            "PACT Error",
        ),
        (
            event(pact_events.REJECTED, {"error": {"code": "NotFound", "message": "x"}}),
            "requestEventId",
        ),
    ],
)
def test_invalid_events_are_refused_saying_why(document: Any, says: str) -> None:
    assert says in _refused(document)


def test_a_malformed_criterion_is_refused_at_once() -> None:
    _refused(event(pact_events.CREATED, {"validOn": "soon"}), code="E955")


def test_the_media_type_and_the_json_are_checked() -> None:
    body = b'{"type": 1}'
    with pytest.raises(CatalogueError, match="application/json"):
        pact_events.read_event(body, "application/json")
    with pytest.raises(CatalogueError, match="well-formed JSON"):
        pact_events.read_event(b'{"a": 1, "a": 2}', pact_events.MEDIA)


# ----------------------------------------------------------------------------- the queue


@dataclass
class Owner:
    """A data owner's catalogue with a customer and the customer's host as a partner."""

    db: store.Store
    ids: dict[str, str]
    partner: str


@pytest.fixture
def owner(catalogue_db: str) -> Iterator[Owner]:
    with store.open_store(catalogue_db) as db:
        ids = {
            "cement": publish(db, "cement", "typical_plant", **CEMENT),
            "steel": publish(db, "steel", "eaf_rebar", **STEEL),
        }
        clients.add_client(db, "buyer", ["customer"], "test")
        clients.share(db, "Example Cement Co.", "buyer", "test")
        # Nothing listens on this port: every send fails to connect.
        url = f"https://127.0.0.1:{free_port()}"
        partners.add_partner(db, url, "owner", "secret", "test")
        yield Owner(db, ids, url)


def _rows(db: store.Store, **where: Any) -> list[PactEvent]:
    with db.reading() as session:
        query = select(PactEvent).order_by(PactEvent.id)
        for name, value in where.items():
            query = query.where(getattr(PactEvent, name) == value)
        return list(session.scalars(query))


def test_a_request_from_a_host_without_credentials_is_refused_and_nothing_kept(
    owner: Owner,
) -> None:
    request = pact_events.checked(event(pact_events.CREATED, {}, source="https://stranger.example"))
    with pytest.raises(CatalogueError) as refused:
        pact_events.receive(owner.db, "buyer", request, "https://owner.example")
    assert refused.value.code == "E957" and refused.value.status == 400
    assert _rows(owner.db) == []


def test_each_request_gets_exactly_one_answer(owner: Owner) -> None:
    wanted = event(pact_events.CREATED, {"productId": CEMENT["product_ids"]}, owner.partner)
    unknown = event(pact_events.CREATED, {"productId": ["urn:pact:null"]}, owner.partner)
    hidden = event(pact_events.CREATED, {"productId": STEEL["product_ids"]}, owner.partner)
    for document in (wanted, unknown, hidden, copy.deepcopy(wanted)):
        pact_events.receive(
            owner.db, "buyer", pact_events.checked(document), "https://owner.example"
        )
    assert len(_rows(owner.db, direction="in")) == 3  # the repeat of an id is not a new request
    assert pact_answers.answer_requests(owner.db) == 3
    assert pact_answers.answer_requests(owner.db) == 0
    answers = {
        row.body["data"]["requestEventId"]: row.body for row in _rows(owner.db, direction="out")
    }
    assert set(answers) == {wanted["id"], unknown["id"], hidden["id"]}
    assert [pf["id"] for pf in answers[wanted["id"]]["data"]["pfs"]] == [owner.ids["cement"]]
    assert answers[wanted["id"]]["type"] == pact_events.FULFILLED
    assert answers[wanted["id"]]["source"] == "https://owner.example/3/events"
    # The steel footprint exists but is not shared with this customer: to it, nothing matches.
    for rejected in (unknown, hidden):
        assert answers[rejected["id"]]["type"] == pact_events.REJECTED
        assert answers[rejected["id"]]["data"]["error"]["code"] == "NotFound"
    assert all(pact_events.checked(answer) for answer in answers.values())


def test_racing_workers_answer_a_request_once(owner: Owner) -> None:
    for _ in range(5):
        document = event(pact_events.CREATED, {"productId": CEMENT["product_ids"]}, owner.partner)
        pact_events.receive(
            owner.db, "buyer", pact_events.checked(document), "https://owner.example"
        )
    answered: list[int] = []
    workers = [
        threading.Thread(target=lambda: answered.append(pact_answers.answer_requests(owner.db)))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sum(answered) == 5
    assert len(_rows(owner.db, direction="out")) == 5
    assert {row.state for row in _rows(owner.db, direction="in")} == {"done"}


def test_a_claim_held_by_a_dead_worker_is_taken_over_after_its_lease(owner: Owner) -> None:
    document = event(pact_events.CREATED, {}, owner.partner)
    pact_events.receive(owner.db, "buyer", pact_events.checked(document), "https://owner.example")
    (row,) = _rows(owner.db, direction="in")
    start = now()
    assert pact_answers.claim(owner.db, row.id, start) is not None  # then the worker dies
    assert pact_answers.answer_requests(owner.db, start + timedelta(seconds=30)) == 0
    assert (
        pact_answers.answer_requests(owner.db, start + pact_answers.LEASE + timedelta(seconds=1))
        == 1
    )
    assert len(_rows(owner.db, direction="out")) == 1


def test_sending_backs_off_and_gives_up_after_72_hours(owner: Owner) -> None:
    document = event(pact_events.CREATED, {"productId": CEMENT["product_ids"]}, owner.partner)
    pact_events.receive(owner.db, "buyer", pact_events.checked(document), "https://owner.example")
    start = now()
    first = pact_delivery.drain(owner.db, start)
    assert (first.answered, first.sent, first.failed) == (1, 0, 1)
    (out,) = _rows(owner.db, direction="out")
    assert (out.state, out.attempts) == ("pending", 1)
    assert out.last_error and "cannot be reached" in out.last_error
    assert out.next_attempt_at == start + timedelta(seconds=1)
    assert pact_delivery.drain(owner.db, start + timedelta(milliseconds=500)).failed == 0  # not due
    second = start + timedelta(seconds=1)
    assert pact_delivery.drain(owner.db, second).failed == 1
    (out,) = _rows(owner.db, direction="out")
    assert out.attempts == 2 and out.next_attempt_at == second + timedelta(seconds=2)
    assert [pact_delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 13, 40)] == [
        1,
        2,
        4,
        3600,  # 2^12 s would be 68 min: an hour at most between tries
        3600,
    ]
    late = out.created_at + pact_delivery.GIVE_UP_AFTER + timedelta(seconds=1)
    assert pact_delivery.drain(owner.db, late).abandoned == 1
    (out,) = _rows(owner.db, direction="out")
    assert out.state == "abandoned"
    with owner.db.reading() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"pact event in", "pact request fulfilled", "pact event abandoned"} <= actions


def test_events_from_data_owners_are_recorded(owner: Owner) -> None:
    published = event(pact_events.PUBLISHED, {"pfIds": [PF]}, "https://supplier.example/3/events")
    pact_events.receive(owner.db, "buyer", pact_events.checked(published), "https://owner.example")
    (row,) = _rows(owner.db, type=pact_events.PUBLISHED)
    assert (row.state, row.target) == ("pending", "https://supplier.example")  # until pulled
    pf = {"id": PF, "status": "Active"}
    fulfilled = event(pact_events.FULFILLED, {"requestEventId": "r1", "pfs": [pf]})
    with pytest.raises(CatalogueError):  # not a whole ProductFootprint: refused, nothing kept
        pact_events.receive(owner.db, "buyer", pact_events.checked(fulfilled), "https://o.example")
    assert _rows(owner.db, type="ProductFootprint") == []


# ----------------------------------------------------------------------------- two hosts


def _poll(found: Callable[[], Any], seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"nothing within {seconds} s")


@dataclass
class Pair:
    owner: Host
    owner_db: str
    requester: Host
    requester_db: str
    buyer_secret: str
    folder: Path

    def post(
        self, document: Any, media: str = pact_events.MEDIA, token: str | None = None
    ) -> httpx.Response:
        bearer = token or self.owner.token("buyer", self.buyer_secret)
        with self.owner.client() as http:
            return http.post(
                "/3/events",
                content=document if isinstance(document, bytes) else json.dumps(document),
                headers={"Content-Type": media, "Authorization": f"Bearer {bearer}"},
            )

    def answer(self, request_id: str, state: str) -> PactEvent | None:
        """The owner's answer to a request, once it is in `state`."""
        with store.open_store(self.owner_db) as db:
            for row in _rows(db, direction="out"):
                if row.body["data"]["requestEventId"] == request_id and row.state == state:
                    return row
        return None

    def received(self, request_id: str) -> PactEvent | None:
        with store.open_store(self.requester_db) as db:
            for row in _rows(db, direction="in"):
                if row.type in (pact_events.FULFILLED, pact_events.REJECTED) and (
                    row.body["event"]["data"]["requestEventId"] == request_id
                ):
                    return row
        return None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("pact-pair")
    owner_db = str(folder / "owner.db")
    if request.param == "postgresql":
        from postgres_cluster import fresh_database

        owner_db = fresh_database(
            request.getfixturevalue("postgres_server"), f"owner_{uuid.uuid4().hex[:10]}"
        )
    requester_db = str(folder / "requester.db")
    with store.open_store(requester_db) as db:
        owner_secret = clients.add_client(db, "owner-a", ["customer"], "test")
    requester = start_host(requester_db, folder)
    with store.open_store(owner_db) as db:
        publish(db, "cement", "typical_plant", **CEMENT)
        publish(db, "steel", "eaf_rebar", **STEEL)
        buyer = clients.add_client(db, "buyer", ["customer"], "test", events_url=requester.url)
        clients.share(db, "Example Cement Co.", "buyer", "test")
        partners.add_partner(
            db, requester.url, "owner-a", owner_secret, "test", requester.cert.read_text()
        )
    running = Pair(start_host(owner_db, folder), owner_db, requester, requester_db, buyer, folder)
    try:
        yield running
    finally:  # the hosts running now: a test may have started the requester again
        running.owner.stop()
        running.requester.stop()


def test_a_request_is_fulfilled_at_the_requesters_host(pair: Pair) -> None:
    document = event(pact_events.CREATED, {"productId": CEMENT["product_ids"]}, pair.requester.url)
    answer = pair.post(document)
    assert (answer.status_code, answer.content) == (200, b"")
    row = _poll(lambda: pair.received(document["id"]))
    assert row.type == pact_events.FULFILLED and row.client_id == "owner-a"
    with store.open_store(pair.requester_db) as db:
        kept = _rows(db, type="ProductFootprint")
    assert [r.body["productIds"] for r in kept] == [CEMENT["product_ids"]]
    assert row.body["event"]["data"]["pfs"] == [kept[0].event_id]
    sent = _poll(lambda: pair.answer(document["id"], "done"))
    assert sent.attempts == 1


def test_a_request_nothing_matches_is_rejected_at_the_requesters_host(pair: Pair) -> None:
    document = event(pact_events.CREATED, {"productId": ["urn:pact:null"]}, pair.requester.url)
    assert pair.post(document).status_code == 200
    row = _poll(lambda: pair.received(document["id"]))
    assert row.type == pact_events.REJECTED
    assert row.body["event"]["data"]["error"]["code"] == "NotFound"


def test_an_answer_waits_while_the_requester_is_down(pair: Pair) -> None:
    pair.requester.stop()
    document = event(pact_events.CREATED, {"productId": CEMENT["product_ids"]}, pair.requester.url)
    assert pair.post(document).status_code == 200

    def failed_once() -> PactEvent | None:
        with store.open_store(pair.owner_db) as db:
            for row in _rows(db, direction="out"):
                if row.body["data"]["requestEventId"] == document["id"] and row.last_error:
                    return row
        return None

    first = _poll(failed_once)
    assert first.state in ("pending", "sending") and "cannot be reached" in first.last_error
    port = int(pair.requester.url.rsplit(":", 1)[1])
    pair.requester = start_host(pair.requester_db, pair.folder, port=port, pair=pair.requester.pair)
    row = _poll(lambda: pair.received(document["id"]), seconds=180)
    assert row.type == pact_events.FULFILLED
    sent = _poll(lambda: pair.answer(document["id"], "done"))
    assert sent.attempts >= 2


@pytest.mark.parametrize(
    ("body", "media", "code", "says"),
    [
        (
            event(pact_events.PUBLISHED, {"pfIds": [PF]}),
            "application/json",
            "E956",
            "application/json",
        ),
        (
            event(pact_events.PUBLISHED, {"pfIds": ["urn:gtin:4712345060507"]}),
            pact_events.MEDIA,
            "E956",
            "UUID",
        ),
        (b"{not json", pact_events.MEDIA, "E956", "JSON"),
        (
            event(pact_events.CREATED, {}, "https://stranger.example"),
            pact_events.MEDIA,
            "E957",
            "no credentials",
        ),
    ],
)
def test_invalid_events_get_400_with_an_error_object(
    pair: Pair, body: Any, media: str, code: str, says: str
) -> None:
    answer = pair.post(body, media)
    assert answer.status_code == 400
    assert answer.json()["code"] == "BadRequest"
    assert answer.json()["message"].startswith(code) and says in answer.json()["message"]


def test_events_need_a_valid_token(pair: Pair) -> None:
    answer = pair.post(event(pact_events.PUBLISHED, {"pfIds": [PF]}), token="not-a-token")
    assert answer.status_code == 401 and answer.json()["code"] == "BadRequest"


def test_a_published_event_is_accepted_and_recorded(pair: Pair) -> None:
    document = event(pact_events.PUBLISHED, {"pfIds": [PF]}, "https://supplier.example")
    assert pair.post(document).status_code == 200
    with store.open_store(pair.owner_db) as db:
        recorded = [
            r for r in _rows(db, type=pact_events.PUBLISHED) if r.event_id == document["id"]
        ]
    assert len(recorded) == 1 and recorded[0].state == "pending"
    assert recorded[0].body["event"]["data"]["pfIds"] == [PF]
