"""The one canonical JSON form Zuji hashes and signs: RFC 8785, the JSON Canonicalization Scheme.

JCS writes a JSON value one way only: object members sorted by their UTF-16 code units, no
whitespace, strings with the minimal escapes, numbers as ECMAScript prints them (so 1.0 is 1 and
1e21 is 1e+21). Any other JCS implementation, in any language, gives the same bytes, so a verifier
does not need Zuji to check a hash or a signature. The `rfc8785` package implements it.

Dates (as YAML loads them) are written as ISO strings first, as the JSON Schemas expect them.
A value JSON cannot hold exactly (NaN, infinity, an integer beyond 2**53) has no canonical form
and raises :class:`NotCanonical`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from zuji.core.documents import plain


class NotCanonical(ValueError):
    """A value that RFC 8785 cannot write (a non-finite number, an integer beyond 2**53, a key
    that is not a string); the message says which."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON-like value (dicts, lists, strings, numbers, booleans, None,
    dates)."""
    try:
        return rfc8785.dumps(plain(value))
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonical(str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise NotCanonical(f"not a JSON value: {exc}") from None


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes, as 64 lower-case hexadecimal digits."""
    return hashlib.sha256(data).hexdigest()


__all__ = ["NotCanonical", "canonical_json", "sha256_hex"]
