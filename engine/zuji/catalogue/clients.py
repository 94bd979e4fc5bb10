"""The catalogue's API clients: PACT partners and the programme's users, each with roles.

They live in the catalogue's database, not a clients file, so every worker process and every
machine serving the catalogue sees the same clients; the token signing key is a setting of the
catalogue for the same reason. Secrets are shown once, when made, and stored only as scrypt
hashes (core.access).

Who sees which footprints by PACT: the programme's staff (admin, verifier) all of them; an
enterprise's client its own enterprise's; a customer those of the enterprises that share with it
(`zuji catalogue share`) or that announced footprints to it with a PublishedEvent.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Client, Enterprise, Setting, Share
from zuji.core import access
from zuji.core.access import Grant, Registry, hash_secret
from zuji.core.errors import CatalogueError, Diagnostic

# An `app` is a carbon-inclusion app: it reads the inclusion API only (web/inclusion.py).
ROLES = ("enterprise", "verifier", "admin", "customer", "app")
_SIGNING_KEY = "token_signing_key"


def add_client(
    store: Store,
    client_id: str,
    roles: Iterable[str],
    actor: str,
    enterprise: str | None = None,
    events_url: str | None = None,
) -> str:
    """Make a client; its secret is returned once and kept only as a hash."""
    roles = sorted(set(roles))
    _check(client_id, roles, enterprise)
    secret = secrets.token_urlsafe(32)
    with store.transaction() as session:
        if session.get(Client, client_id) is not None:
            raise CatalogueError(
                Diagnostic("E950", f"client '{client_id}' exists already"), status=409
            )
        owner = enterprise_id(session, enterprise) if enterprise else None
        session.add(
            Client(
                client_id=client_id,
                secret_hash=hash_secret(secret),
                scopes=roles,
                enterprise_id=owner,
                events_url=events_url,
            )
        )
        audit(
            session,
            actor,
            "client add",
            ("client", client_id),
            {"roles": roles, "enterprise": enterprise, "events_url": events_url},
        )
    return secret


def _check(client_id: str, roles: list[str], enterprise: str | None) -> None:
    if not access._CLIENT_ID.match(client_id):
        raise CatalogueError(
            Diagnostic(
                "E950",
                f"'{client_id}' is not a client id",
                hint="lower-case letters, digits, '.', '_' and '-', at most 64 characters",
            )
        )
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise CatalogueError(
            Diagnostic(
                "E950",
                f"unknown role '{unknown[0]}'" if unknown else "a client needs a role",
                hint=f"roles: {', '.join(ROLES)}",
            )
        )
    if "enterprise" in roles and not enterprise:
        raise CatalogueError(
            Diagnostic(
                "E950",
                f"client '{client_id}' has the enterprise role but names no enterprise",
                hint="give --enterprise NAME (as the inventories name it)",
            )
        )


def enterprise_id(session: Session, name: str) -> int:
    """An enterprise's id by its name (E951 when there is none)."""
    found = session.scalars(select(Enterprise.id).where(Enterprise.name == name)).first()
    if found is None:
        raise CatalogueError(
            Diagnostic(
                "E951",
                f"no enterprise '{name}' in the catalogue",
                hint="an enterprise is filed with its first submission",
            ),
            status=404,
        )
    return found


def remove_client(store: Store, client_id: str, actor: str) -> None:
    with store.transaction() as session:
        client = session.get(Client, client_id)
        if client is None:
            raise CatalogueError(Diagnostic("E950", f"no client '{client_id}'"), status=404)
        session.delete(client)
        audit(session, actor, "client remove", ("client", client_id))


def share(store: Store, enterprise: str, client_id: str, actor: str) -> None:
    """An enterprise's published footprints become readable by a customer's client."""
    with store.transaction() as session:
        owner = enterprise_id(session, enterprise)
        if session.get(Client, client_id) is None:
            raise CatalogueError(Diagnostic("E950", f"no client '{client_id}'"), status=404)
        if session.get(Share, (owner, client_id)) is None:
            session.add(Share(enterprise_id=owner, client_id=client_id))
            audit(session, actor, "share", ("enterprise", str(owner)), {"with": client_id})


def registry(store: Store) -> Registry:
    """The clients as core.access's gate reads them, with the catalogue's token key."""
    with store.reading() as session:
        key = session.get(Setting, _SIGNING_KEY)
        clients = {
            c.client_id: access.Client(
                c.client_id, c.secret_hash, tuple(c.scopes), c.created_at.isoformat()
            )
            for c in session.scalars(select(Client))
        }
    if key is None:
        key = _make_signing_key(store)
    return Registry(base64.b64decode(key.value), MappingProxyType(clients))


def _make_signing_key(store: Store) -> Setting:
    with store.transaction() as session:
        key = session.get(Setting, _SIGNING_KEY)
        if key is None:
            key = Setting(
                key=_SIGNING_KEY, value=base64.b64encode(secrets.token_bytes(32)).decode()
            )
            session.add(key)
        return key


def visible(session: Session, grant: Grant) -> list[int] | None:
    """The enterprises whose footprints a client may read by PACT (None: all)."""
    if grant.allows("admin") or grant.allows("verifier"):
        return None
    client = session.get(Client, grant.client_id)
    if client is None:
        return []
    seen = set(
        session.scalars(select(Share.enterprise_id).where(Share.client_id == grant.client_id))
    )
    if client.enterprise_id is not None:
        seen.add(client.enterprise_id)
    return sorted(seen)


def enterprise_of(session: Session, client_id: str) -> int | None:
    client = session.get(Client, client_id)
    return client.enterprise_id if client else None
