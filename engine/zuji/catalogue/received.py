"""Suppliers' PACT footprints the catalogue received: pulled from their hosts (`zuji catalogue
pull`) or sent in a RequestFulfilledEvent answering a request.

They are not the catalogue's own footprints: the `footprints` table holds what the programme
published and serves by PACT, so a supplier's document put there would be served again as if
the programme had published it. A received document is kept as a row of `pact_events` of type
`ProductFootprint` (direction `in`, state `received`): `event_id` is the footprint's id, `target`
the base URL of the host it came from, `body` the document as received, `client_id` the client
id the catalogue used to fetch it (or, for an event, the client that sent it).

PACT footprints are immutable but for their status, so receiving an id again replaces the
stored document only when it differs (a footprint since deprecated). Inventories use a received
footprint as a supplier input through its file: `zuji catalogue suppliers --export DIR` writes
each as `<id>.json`, which an inventory names as `{pact: DIR/<id>.json}` (runtime/supplier.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store
from zuji.catalogue.tables import PactEvent, now
from zuji.core.files import write_atomic
from zuji.data.pact_format import check

KIND = "ProductFootprint"
STATE = "received"


def problems(document: Any) -> list[str]:
    """Why a received document is no PACT 3.x ProductFootprint (none: it is one)."""
    found = check(document)
    spec = document.get("specVersion") if isinstance(document, dict) else None
    if isinstance(spec, str) and not spec.startswith("3."):
        found.insert(0, f"specVersion: {spec} is not PACT 3.x")
    return found


def keep(session: Session, document: dict[str, Any], source: str, via: str | None) -> str:
    """Store a received footprint (already checked); 'new', 'updated' or 'same'."""
    found = session.scalars(
        select(PactEvent).where(
            PactEvent.type == KIND,
            PactEvent.event_id == str(document["id"]).lower(),
            PactEvent.target == source,
        )
    ).first()
    if found is None:
        session.add(
            PactEvent(
                event_id=str(document["id"]).lower(),
                direction="in",
                client_id=via,
                type=KIND,
                body=document,
                target=source,
                state=STATE,
            )
        )
        return "new"
    if found.body == document:
        return "same"
    found.body = document
    found.created_at = now()
    return "updated"


@dataclass(frozen=True)
class Received:
    """A received footprint, as `zuji catalogue suppliers` lists it."""

    id: str
    source: str
    company: str
    product: str
    status: str
    pcf: str
    declared_unit: str
    via: str  # the client id used to pull it, or the client that sent it in an event
    document: dict[str, Any]


def received(store: Store, source: str | None = None) -> list[Received]:
    """The received footprints, newest first; of one host when `source` names it."""
    query = select(PactEvent).where(PactEvent.type == KIND).order_by(PactEvent.created_at.desc())
    if source is not None:
        query = query.where(PactEvent.target == source)
    with store.reading() as session:
        return [_row(e) for e in session.scalars(query)]


def _row(event: PactEvent) -> Received:
    document = event.body
    pcf = document.get("pcf", {})
    unit = f"{pcf.get('declaredUnitAmount', '?')} {pcf.get('declaredUnitOfMeasurement', '?')}"
    return Received(
        id=event.event_id,
        source=event.target or "",
        company=str(document.get("companyName", "")),
        product=str(document.get("productNameCompany", "")),
        status=str(document.get("status", "")),
        pcf=str(pcf.get("pcfExcludingBiogenicUptake", "")),
        declared_unit=unit,
        via=event.client_id or "",
        document=document,
    )


def export(rows: list[Received], folder: Path) -> list[Path]:
    """Each footprint as `<id>.json` in `folder`, for inventories to name as supplier inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        path = folder / f"{row.id}.json"
        write_atomic(path, json.dumps(row.document, ensure_ascii=False, indent=2) + "\n")
        written.append(path)
    return written
