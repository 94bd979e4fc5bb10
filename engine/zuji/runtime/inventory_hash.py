"""The sha256 an inventory is pinned by in a result: of the exact bytes read or received, or, for
a mapping given in Python, of its RFC 8785 canonical JSON (which the result says)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from zuji.core.canonical import Copied, NotCanonical, canonical_plain, sha256_hex
from zuji.core.errors import Diagnostic, InventoryError, Span

HashedAs = Literal["bytes", "rfc8785"]
HASHED_BYTES: HashedAs = "bytes"  # the sha256 is of the exact bytes read
HASHED_CANONICAL: HashedAs = "rfc8785"  # of the RFC 8785 canonical JSON of a mapping from Python


class Pin:
    """The sha256 an inventory is pinned by, and of what it was taken.

    One taken later (`later`) is worked out at its first read: an inventory read for one
    evaluation is pinned when its result is presented, which a caller that reads only the total
    never pays for. Only a copy nothing else holds is pinned so (runtime.inventory), and only
    one whose canonical form cannot fail, so the digest is the one it would have been at once.
    """

    __slots__ = ("_digest", "_hashed", "_later")

    def __init__(
        self,
        digest: str = "",
        hashed: HashedAs = HASHED_CANONICAL,
        later: Callable[[], str] | None = None,
    ) -> None:
        self._digest, self._hashed, self._later = digest, hashed, later

    @property
    def digest(self) -> str:
        later = self._later
        if later is not None:  # two threads reading it at once work out the same digest
            self._digest, self._later = later(), None
        return self._digest

    @property
    def hashed(self) -> HashedAs:
        return self._hashed

    def __repr__(self) -> str:
        return f"Pin({self.digest!r}, {self._hashed!r})"

    def __reduce__(self) -> tuple[type[Pin], tuple[str, HashedAs]]:
        return Pin, (self.digest, self._hashed)  # sent elsewhere worked out, not as a closure


def pin_of(copied: Copied, received: bytes | None, label: str, later: bool = False) -> Pin:
    """The pin of a document copied as plain JSON (core.canonical.copied_document), or of the
    bytes it was `received` as; `later`: the copy is the caller's alone, and may be pinned at
    the first read where its canonical form cannot fail (its numbers and kinds are ones json
    writes alike, and no text holds a lone surrogate)."""
    if received is not None:
        return Pin(sha256_hex(received), HASHED_BYTES)
    document = copied.value
    if later and copied.alike and copied.encodable:
        return Pin(hashed=HASHED_CANONICAL, later=lambda: _canonical_digest(document, label, True))
    return Pin(_canonical_digest(document, label, copied.alike), HASHED_CANONICAL)


def _canonical_digest(document: dict[str, Any], label: str, alike: bool) -> str:
    try:
        return sha256_hex(canonical_plain(document, alike))
    except NotCanonical as exc:
        raise InventoryError(
            Diagnostic(
                "E501",
                f"{label}: the inventory cannot be written as canonical JSON to be hashed: {exc}",
                Span(label, 1, 1),
                hint="give numbers JSON can hold (finite, integers within 2**53)",
            )
        ) from None
