"""`zuji catalogue pull URL`: the catalogue as a PACT client, fetching a supplier's footprints.

It authenticates at the supplier's token endpoint (its OpenID configuration's, else
`/auth/token`), lists `/3/footprints` page by page, following each `Link: <…>; rel="next"` (only
to the same host: the bearer token goes nowhere else), then fetches with GetFootprint the ids
the supplier announced in PublishedEvents not yet pulled. Each document is checked against
PACT's rules; those that pass are kept as received footprints (catalogue/received.py), in one
transaction with the audit entry, and the others are reported with their first problem.

Credentials are those given, else the ones the catalogue holds for that host as a partner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from zuji.catalogue import pact_http, partners, received
from zuji.catalogue.pact_delivery import OpenClient
from zuji.catalogue.pact_events import PUBLISHED
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import PactEvent
from zuji.core.errors import CatalogueError, Diagnostic

PAGE = 100  # footprints asked for per page; a host may give fewer


@dataclass(frozen=True)
class Pulled:
    """What a pull fetched and kept."""

    source: str
    new: int = 0
    updated: int = 0
    same: int = 0
    refused: tuple[str, ...] = field(default_factory=tuple)  # "id: first problem"
    announced: int = 0  # announced ids fetched with GetFootprint


def failed(message: str, hint: str = "") -> CatalogueError:
    return CatalogueError(Diagnostic("E959", message, hint=hint), status=502)


class _Host:
    """One supplier host: its base URL, the credentials and the current bearer token."""

    def __init__(self, http: httpx.Client, base: str, client_id: str, secret: str) -> None:
        self.http, self.base, self.client_id, self.secret = http, base, client_id, secret
        self.bearer = self._token()

    def _token(self) -> str:
        try:
            return pact_http.token(self.http, self.base, self.client_id, self.secret)
        except pact_http.HostError as exc:
            raise failed(str(exc), "check the client id and secret the supplier issued") from None

    def get(self, url: str) -> httpx.Response:
        """GET with the bearer token; a 401 is tried once more with a new token."""
        for fresh in (False, True):
            if fresh:
                self.bearer = self._token()
            try:
                answer = self.http.get(url, headers={"Authorization": f"Bearer {self.bearer}"})
            except httpx.HTTPError as exc:
                raise failed(f"{url} cannot be reached: {pact_http.describe(exc)}") from None
            if answer.status_code != 401:
                break
        return answer


def _json(answer: httpx.Response, url: str) -> Any:
    try:
        return answer.json()
    except ValueError:
        raise failed(f"{url} answered {answer.status_code} with no JSON") from None


def _listing(host: _Host, page: int) -> Iterator[Any]:
    """Every footprint ListFootprints gives, following the pagination links."""
    url: str | None = f"{host.base}/3/footprints?limit={page}"
    seen: set[str] = set()
    origin = urlsplit(host.base).netloc
    while url is not None:
        if url in seen:
            raise failed(f"{host.base} sent a pagination link back to a page already read")
        seen.add(url)
        answer = host.get(url)
        body = _json(answer, url)
        if answer.status_code not in (200, 202) or not isinstance(body, dict):
            raise failed(f"{url} answered {answer.status_code}: {str(body)[:200]}")
        if not isinstance(body.get("data"), list):
            raise failed(f"{url} answered without a data list")
        yield from body["data"]
        url = pact_http.next_link(answer.headers.get("link"))
        if url is not None and urlsplit(url).netloc.lower() != origin:
            raise failed(f"{host.base} sent a pagination link to another host: {url[:200]}")


def _announced(store: Store, base: str) -> dict[int, list[str]]:
    """The ids announced by PublishedEvents from `base` and not yet pulled, by event row."""
    with store.reading() as session:
        rows = session.scalars(
            select(PactEvent).where(
                PactEvent.type == PUBLISHED,
                PactEvent.direction == "in",
                PactEvent.state == "pending",
                PactEvent.target == base,
            )
        )
        return {row.id: list(row.body["event"]["data"]["pfIds"]) for row in rows}


def _fetch(host: _Host, ids: list[str], refused: list[str]) -> list[Any]:
    documents = []
    for pf_id in ids:
        url = f"{host.base}/3/footprints/{pf_id}"
        answer = host.get(url)
        body = _json(answer, url)
        if answer.status_code == 200 and isinstance(body, dict) and "data" in body:
            documents.append(body["data"])
        else:
            code = body.get("code") if isinstance(body, dict) else None
            refused.append(f"{pf_id}: GetFootprint answered {answer.status_code} {code or ''}")
    return documents


def pull(
    store: Store,
    url: str,
    actor: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    ca: str | None = None,
    page: int = PAGE,
    open_client: OpenClient = pact_http.client,
) -> Pulled:
    """Fetch a supplier host's footprints into the catalogue as received footprints."""
    base = partners.checked_url(url)
    client_id, client_secret, ca = _credentials(store, base, client_id, client_secret, ca)
    refused: list[str] = []
    with open_client(ca) as http:
        host = _Host(http, base, client_id, client_secret)
        documents = list(_listing(host, page))
        announced = _announced(store, base)
        wanted = [i for ids in announced.values() for i in ids]
        listed = {str(d.get("id", "")).lower() for d in documents if isinstance(d, dict)}
        documents += _fetch(host, [i for i in wanted if i.lower() not in listed], refused)
    return _keep(store, base, client_id, documents, announced, refused, actor)


def _credentials(
    store: Store, base: str, client_id: str | None, secret: str | None, ca: str | None
) -> tuple[str, str, str | None]:
    if client_id and secret:
        return client_id, secret, ca
    with store.reading() as session:
        partner = partners.partner_for(session, base)
    if partner is None:
        raise CatalogueError(
            Diagnostic(
                "E959",
                f"no credentials for {base}",
                hint="give --client-id and --client-secret, or `zuji catalogue partner add` them",
            ),
            status=400,
        )
    return partner.client_id, partner.client_secret, ca or partner.ca


def _keep(
    store: Store,
    base: str,
    client_id: str,
    documents: list[Any],
    announced: dict[int, list[str]],
    refused: list[str],
    actor: str,
) -> Pulled:
    counts = {"new": 0, "updated": 0, "same": 0}
    with store.transaction() as session:
        for number, document in enumerate(documents):
            found = received.problems(document)
            if found:
                label = document.get("id") if isinstance(document, dict) else None
                refused.append(f"{label or f'#{number}'}: {found[0]}")
                continue
            counts[received.keep(session, document, base, client_id)] += 1
        for row_id in announced:
            event = session.get(PactEvent, row_id)
            if event is not None:
                event.state = "done"
        detail = {**counts, "refused": len(refused), "client_id": client_id}
        audit(session, actor, "pull", ("partner", base[:64]), detail)
    wanted = sum(len(ids) for ids in announced.values())
    return Pulled(base, refused=tuple(refused), announced=wanted, **counts)
