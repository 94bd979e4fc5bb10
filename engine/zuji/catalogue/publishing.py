"""Signing results as the programme publishes them.

The catalogue keeps the path of its signing key (an Ed25519 private key file made by `zuji keys
new`) in its settings, never the key itself: the key stays a file only its owner can read, and
the database, which the service's workers and backups all see, holds nothing secret. A result
signed at publication can then be proven by anyone with the public key (`zuji verify`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Setting
from zuji.catalogue.workflow import result_json
from zuji.core.errors import CatalogueError, Diagnostic, UsageError
from zuji.exchange.signing import key_id, load_private, sign
from zuji.runtime.result import Result

SIGNING_KEY = "result_signing_key"

Signer = Callable[[Result], Result]


def set_signing_key(store: Store, path: Path, actor: str) -> str:
    """Make the key at `path` the one publications are signed with; its key id. A file that is
    not an Ed25519 private key is refused before anything is stored."""
    key = load_private(path)
    resolved = str(path.resolve())
    with store.transaction() as session:
        setting = session.get(Setting, SIGNING_KEY)
        if setting is None:
            session.add(Setting(key=SIGNING_KEY, value=resolved))
        else:
            setting.value = resolved
        named = key_id(key.public_key())
        audit(session, actor, "set signing key", ("setting", SIGNING_KEY), {"key_id": named})
    return named


def configured_key(store: Store) -> Path | None:
    with store.reading() as session:
        setting = session.get(Setting, SIGNING_KEY)
    return Path(setting.value) if setting is not None else None


def signer(store: Store, given: Path | None = None) -> Signer | None:
    """How publication signs results: with the key `given`, else the catalogue's own, else not
    at all (None). A configured key that can no longer be read is an error, not a silent
    unsigned publication."""
    if given is not None:
        return _signing(load_private(given))
    path = configured_key(store)
    if path is None:
        return None
    try:
        return _signing(load_private(path))
    except UsageError as exc:
        raise CatalogueError(
            Diagnostic(
                "E953",
                f"the catalogue's signing key {path} cannot be used: {exc.diagnostics[0].message}",
                hint="`zuji catalogue init --signing-key KEY` names the key to sign with",
            ),
            status=503,
        ) from None


def _signing(key: Ed25519PrivateKey) -> Signer:
    return lambda result: signed_result(result, key)


def signed_result(result: Result, key: Ed25519PrivateKey) -> Result:
    """The result with the key's signature over it, as `zuji sign` signs a result file: over
    the document the file holds, without its signature block."""
    document = json.loads(result_json(result))
    document.pop("signature", None)
    return result.model_copy(update={"signature": sign(document, key, "result")})
