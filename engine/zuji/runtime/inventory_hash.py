"""The sha256 an inventory is pinned by in a result: of the exact bytes read or received, or, for
a mapping given in Python, of its RFC 8785 canonical JSON (which the result says)."""

from __future__ import annotations

from typing import Any, Literal

from zuji.core.canonical import NotCanonical, canonical_plain, sha256_hex
from zuji.core.errors import Diagnostic, InventoryError, Span

HashedAs = Literal["bytes", "rfc8785"]
HASHED_BYTES: HashedAs = "bytes"  # the sha256 is of the exact bytes read
HASHED_CANONICAL: HashedAs = "rfc8785"  # of the RFC 8785 canonical JSON of a mapping from Python


def digest_of(
    document: dict[str, Any], received: bytes | None, label: str, alike: bool | None = None
) -> tuple[str, HashedAs]:
    """`document` is already plain JSON (core.canonical.plain_document, which says `alike`)."""
    if received is not None:
        return sha256_hex(received), HASHED_BYTES
    try:
        return sha256_hex(canonical_plain(document, alike)), HASHED_CANONICAL
    except NotCanonical as exc:
        raise InventoryError(
            Diagnostic(
                "E501",
                f"{label}: the inventory cannot be written as canonical JSON to be hashed: {exc}",
                Span(label, 1, 1),
                hint="give numbers JSON can hold (finite, integers within 2**53)",
            )
        ) from None
