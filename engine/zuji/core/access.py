"""Who may use what costs or writes: clients, their hashed secrets, their scopes, and tokens.

One mechanism serves API keys and OAuth2 client credentials (RFC 6749 §4.4, as a PACT host
needs): a client has an id, a secret and scopes. It either presents `id:secret` itself (an API
key) or trades the pair at `/auth/token` for a short-lived bearer token. Nothing here knows
HTTP, so the HTTP service and the later catalogue share it.

- Secrets are stored only as scrypt hashes (hashlib's, the standard library's binding of
  OpenSSL), each with its own salt; a leaked clients file gives no usable secret.
- Tokens are `zuji1.<payload>.<mac>`: the payload is base64url JSON (client, scopes, issued,
  expiry), the MAC an HMAC-SHA256 under a key kept in the clients file, so every worker process
  reading that file verifies every token. A token names its client, and a client removed from
  the file loses its tokens at once.
- Scopes are plain words: `evaluate` and `check` for a clients file; the catalogue's clients
  carry its roles (enterprise, verifier, admin, customer) as their scopes (catalogue.clients).

The clients file is written whole to a temporary file beside it and renamed over it, with
permissions 0600, so a reader never sees half a file and other users cannot read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from zuji.core.errors import AccessError, Diagnostic, UsageError
from zuji.core.files import write_atomic

KNOWN_SCOPES: Mapping[str, str] = MappingProxyType(
    {
        "evaluate": "evaluate inventories and export PACT documents",
        "check": "check rule texts",
    }
)
TOKEN_LIFETIME = 3600  # seconds; what PACT's examples give as expires_in
FORMAT = "zuji-clients/1"
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_PREFIX = "zuji1"
# scrypt cost: 2^14 × 8 × 128 B = 16 MiB and ~50 ms per check, OWASP's minimum for scrypt.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def default_clients_file() -> Path:
    """ZUJI_CLIENTS, else the user's configuration folder: zuji/clients.json."""
    if named := os.environ.get("ZUJI_CLIENTS"):
        return Path(named)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "zuji" / "clients.json"


# ----------------------------------------------------------------------------- secrets


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, stored: str) -> bool:
    """Whether a presented secret is the one whose hash is stored (in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        computed = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=32
    )


# ----------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_hash: str = field(repr=False)
    scopes: tuple[str, ...]
    created: str


@dataclass(frozen=True)
class Registry:
    """The clients file as read: the token key and the clients by id."""

    signing_key: bytes = field(repr=False)
    clients: Mapping[str, Client]

    @staticmethod
    def empty() -> Registry:
        return Registry(secrets.token_bytes(32), MappingProxyType({}))


def read_registry(path: Path) -> Registry:
    """The clients of a file; a file not there yet has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Registry.empty()
    except OSError as exc:
        raise UsageError(
            _file_problem(f"clients file {path.name} cannot be read ({exc.strerror})")
        ) from None
    try:
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        clients = {
            cid: Client(cid, entry["secret"], tuple(entry["scopes"]), entry["created"])
            for cid, entry in document["clients"].items()
        }
        return Registry(_unb64(document["signing_key"]), MappingProxyType(clients))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            _file_problem(f"clients file {path.name} is not a clients file ({exc})")
        ) from None


def write_registry(path: Path, registry: Registry) -> None:
    document = {
        "format": FORMAT,
        "signing_key": _b64(registry.signing_key),
        "clients": {
            c.client_id: {"secret": c.secret_hash, "scopes": list(c.scopes), "created": c.created}
            for c in registry.clients.values()
        },
    }
    write_atomic(path, json.dumps(document, indent=2) + "\n", mode=0o600)


def add_client(path: Path, client_id: str, scopes: Iterable[str]) -> str:
    """Register a client; returns its secret, which is stored only as a hash."""
    wanted = tuple(dict.fromkeys(scopes)) or tuple(KNOWN_SCOPES)
    if not _CLIENT_ID.match(client_id):
        raise UsageError(
            Diagnostic(
                "E906",
                f"client id '{client_id}' is not allowed",
                hint="lower-case letters, digits, '.', '_' and '-', at most 64",
            )
        )
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        known = ", ".join(KNOWN_SCOPES)
        raise UsageError(Diagnostic("E906", f"unknown scope {unknown[0]!r} (known: {known})"))
    registry = read_registry(path)
    if client_id in registry.clients:
        raise UsageError(
            Diagnostic(
                "E906",
                f"client '{client_id}' exists already",
                hint="remove it first to give it a new secret",
            )
        )
    secret = secrets.token_urlsafe(32)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    client = Client(client_id, hash_secret(secret), wanted, created)
    clients = {**registry.clients, client_id: client}
    write_registry(path, Registry(registry.signing_key, MappingProxyType(clients)))
    return secret


def remove_client(path: Path, client_id: str) -> None:
    """Remove a client; its API key and every token issued to it stop working at once."""
    registry = read_registry(path)
    if client_id not in registry.clients:
        raise UsageError(Diagnostic("E906", f"no client '{client_id}' in {path.name}"))
    clients = {k: v for k, v in registry.clients.items() if k != client_id}
    write_registry(path, Registry(registry.signing_key, MappingProxyType(clients)))


def _file_problem(message: str) -> Diagnostic:
    return Diagnostic("E906", message, hint="manage it with `zuji clients`")


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Grant:
    """What a request may do: the client and its scopes, until when (Unix seconds)."""

    client_id: str
    scopes: frozenset[str]
    expires: int

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def issue_token(
    registry: Registry, client: Client, scopes: Iterable[str] = (), lifetime: int = TOKEN_LIFETIME
) -> tuple[str, Grant]:
    """A bearer token for a client, for the scopes asked (all of the client's by default)."""
    asked = set(scopes)
    granted = [s for s in client.scopes if not asked or s in asked]
    if asked - set(client.scopes):
        missing = sorted(asked - set(client.scopes))[0]
        raise AccessError(Diagnostic("E908", f"client may not use scope '{missing}'"), "scope")
    now = int(time.time())
    claims = {"sub": client.client_id, "scope": " ".join(granted), "iat": now}
    claims["exp"] = now + lifetime
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signed = f"{_PREFIX}.{payload}"
    token = f"{signed}.{_b64(_mac(registry.signing_key, signed))}"
    return token, Grant(client.client_id, frozenset(granted), now + lifetime)


def check_token(registry: Registry, token: str, now: float | None = None) -> Grant:
    """The grant a bearer token carries; AccessError if forged, malformed, expired or revoked."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise _invalid("the bearer token is not a Zuji token")
    signed = f"{parts[0]}.{parts[1]}"
    try:
        mac = _unb64(parts[2])
    except ValueError:
        raise _invalid("the bearer token is malformed") from None
    if not hmac.compare_digest(mac, _mac(registry.signing_key, signed)):
        raise _invalid("the bearer token's signature does not match")
    claims = json.loads(_unb64(parts[1]))  # signed by us, so well-formed
    if claims["exp"] <= (time.time() if now is None else now):
        raise AccessError(
            Diagnostic(
                "E907", "the bearer token has expired", hint="ask /auth/token for a new one"
            ),
            "expired",
        )
    client = registry.clients.get(claims["sub"])
    if client is None:
        raise _invalid("the bearer token's client no longer exists")
    # A client's scopes narrowed since the token was issued narrow the token too.
    scopes = frozenset(claims["scope"].split()) & frozenset(client.scopes)
    return Grant(client.client_id, scopes, int(claims["exp"]))


def _invalid(message: str) -> AccessError:
    return AccessError(Diagnostic("E906", message), "invalid")


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


# ----------------------------------------------------------------------------- the gate


class Gate:
    """A process's view of its clients file: reread when the file changes, so `zuji clients`
    takes effect in running servers; API keys checked once and then remembered, because scrypt
    is deliberately slow and a service cannot spend 50 ms on every request."""

    _REMEMBERED = 1024
    FRESH = 1.0  # seconds a registry read from elsewhere than a file is trusted

    def __init__(self, path: Path, load: Callable[[], Registry] | None = None) -> None:
        self.path = path
        self._load = load
        self._loaded_at = -1e9
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._registry = Registry.empty()
        self._keys: OrderedDict[bytes, tuple[str, str]] = OrderedDict()

    @staticmethod
    def reading(load: Callable[[], Registry]) -> Gate:
        """A gate whose clients come from elsewhere than a file (the catalogue's database),
        read again at most every FRESH seconds."""
        return Gate(Path(), load)

    def registry(self) -> Registry:
        if self._load is not None:
            with self._lock:
                if time.monotonic() - self._loaded_at > self.FRESH:
                    self._registry = self._load()
                    self._loaded_at = time.monotonic()
                return self._registry
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or (stamp is None and self._registry.clients):
                self._registry = read_registry(self.path)
                self._stamp = stamp
            return self._registry

    def client(self, client_id: str, secret: str) -> Client:
        """The client whose id and secret these are (the credentials of /auth/token)."""
        client = self.registry().clients.get(client_id)
        if client is None or not secret_matches(secret, client.secret_hash):
            raise _invalid("unknown client or wrong secret")
        return client

    def api_key(self, key: str) -> Grant:
        """The grant of an API key, `client_id:secret`."""
        client_id, _, secret = key.partition(":")
        registry = self.registry()
        client = registry.clients.get(client_id)
        fingerprint = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            known = self._keys.get(fingerprint)
        if client is None or known != (client_id, client.secret_hash):
            client = self.client(client_id, secret)
            with self._lock:
                self._keys[fingerprint] = (client_id, client.secret_hash)
                while len(self._keys) > self._REMEMBERED:
                    self._keys.popitem(last=False)
        return Grant(client.client_id, frozenset(client.scopes), 2**62)

    def token(self, token: str) -> Grant:
        return check_token(self.registry(), token)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"client_id": c.client_id, "scopes": list(c.scopes), "created": c.created}
            for c in self.registry().clients.values()
        ]
