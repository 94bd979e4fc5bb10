"""The PACT hosts the catalogue exchanges with, and the credentials it holds to call each.

A partner is another PACT host: a customer whose host receives the catalogue's answers to its
asynchronous requests (RequestFulfilled and RequestRejected events, sent to its `/3/events`),
or a supplier whose footprints `zuji catalogue pull` fetches. To call it the catalogue needs a
client id and secret that the partner issued, traded at the partner's token endpoint for a
bearer token each time.

Unlike the catalogue's own clients, whose secrets are kept only as scrypt hashes, a partner's
secret must be stored so it can be used: it is kept as given, in the catalogue's `settings`
table (one row per partner, keyed by a hash of its URL). Whoever can read the catalogue's
database can read these secrets; docs/pact-host.md says how to protect it.

A partner is named by its base URL, the part before `/3/…` (`https://pact.example.com`); the
forms PACT events use as `source` (`//pact.example.com/3/events`, with or without
`/3/events`) name the same partner. Its URL must be HTTPS, as PACT's actions are; plain HTTP is
allowed only for a host on this machine (a test host or a conformance tool on loopback),
because a token sent over it crosses no network.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Setting, now
from zuji.core.errors import CatalogueError, Diagnostic

_PREFIX = "pact_partner:"


@dataclass(frozen=True)
class Partner:
    """A PACT host the catalogue may call, with the credentials it issued to the catalogue."""

    url: str
    client_id: str
    client_secret: str = field(repr=False)
    # A CA certificate (PEM) to trust for this host besides the system's, for a host whose
    # certificate is self-signed (a test host); None: the system's CAs only.
    ca: str | None = field(default=None, repr=False)

    @property
    def events_url(self) -> str:
        return self.url + "/3/events"


def base_url(text: str) -> str:
    """The base URL a PACT host is known by: scheme, host and port (and any path before
    `/3/…`), lower-cased, without a trailing slash. `//host/3/events` (a network-path reference,
    as PACT's examples write an event's source) is read as HTTPS. ValueError if it names no
    host or is not HTTP(S)."""
    text = text.strip()
    if text.startswith("//"):
        text = "https:" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{text!r} has credentials, a query or a fragment")
    path = parts.path.rstrip("/")
    for tail in ("/3/events", "/3/footprints", "/3"):
        if path.endswith(tail):
            path = path[: -len(tail)]
            break
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{path.rstrip('/')}"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(given: str) -> str:
    """A partner's base URL, refused (E957) unless HTTPS, or HTTP on this machine."""
    try:
        url = base_url(given)
    except ValueError as exc:
        raise _mistake(f"{given[:200]} is not a PACT host's URL: {exc}") from None
    if url.startswith("http://") and not is_loopback_url(url):
        raise _mistake(
            f"{url} is plain HTTP: PACT hosts are called over HTTPS only",
            hint="give the https:// URL (plain http:// is allowed for 127.0.0.1 and localhost)",
        )
    return url


def _mistake(message: str, hint: str = "") -> CatalogueError:
    return CatalogueError(Diagnostic("E957", message, hint=hint), status=400)


def _key(url: str) -> str:
    return _PREFIX + hashlib.sha256(url.encode()).hexdigest()[:40]


def add_partner(
    store: Store,
    url: str,
    client_id: str,
    client_secret: str,
    actor: str,
    ca: str | None = None,
) -> Partner:
    """Record (or replace) the credentials the catalogue uses to call a PACT host."""
    base = checked_url(url)
    if not client_id.strip() or not client_secret:
        raise _mistake("a partner needs the client id and secret its host issued")
    if ca is not None and "-----BEGIN CERTIFICATE-----" not in ca:
        raise _mistake("--ca must be a PEM certificate file")
    partner = Partner(base, client_id.strip(), client_secret, ca)
    value: dict[str, str | None] = {
        "url": base,
        "client_id": partner.client_id,
        "client_secret": client_secret,
    }
    value |= {"ca": ca, "added_by": actor, "added_at": now().isoformat()}
    with store.transaction() as session:
        row = session.get(Setting, _key(base))
        replaced = row is not None
        if row is None:
            session.add(Setting(key=_key(base), value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
        # The audit names the partner and client id, never the secret.
        detail = {"url": base, "client_id": partner.client_id, "replaced": replaced}
        audit(session, actor, "partner add", ("partner", base[:64]), detail)
    return partner


def remove_partner(store: Store, url: str, actor: str) -> None:
    base = checked_url(url)
    with store.transaction() as session:
        row = session.get(Setting, _key(base))
        if row is None:
            raise CatalogueError(
                Diagnostic(
                    "E957",
                    f"no partner {base}",
                    hint="`zuji catalogue partner list` shows them",
                ),
                status=404,
            )
        session.delete(row)
        audit(session, actor, "partner remove", ("partner", base[:64]), {"url": base})


def _partner(value: str) -> Partner:
    fields = json.loads(value)
    return Partner(fields["url"], fields["client_id"], fields["client_secret"], fields.get("ca"))


def partner_for(session: Session, url: str) -> Partner | None:
    """The partner a URL names (any of the forms base_url reads), or None."""
    try:
        base = base_url(url)
    except ValueError:
        return None
    row = session.get(Setting, _key(base))
    return _partner(row.value) if row is not None else None


def partners(store: Store) -> list[Partner]:
    with store.reading() as session:
        rows = session.scalars(select(Setting).where(Setting.key.startswith(_PREFIX)))
        return sorted((_partner(r.value) for r in rows), key=lambda p: p.url)
