"""The one canonical JSON form Zuji hashes and signs: RFC 8785, the JSON Canonicalization Scheme.

JCS writes a JSON value one way only: object members sorted by their UTF-16 code units, no
whitespace, strings with the minimal escapes, numbers as ECMAScript prints them (so 1.0 is 1 and
1e21 is 1e+21). Any other JCS implementation, in any language, gives the same bytes, so a verifier
does not need Zuji to check a hash or a signature. The `rfc8785` package implements it; Python's
json module writes the documents that both write alike (most inventories), faster.

Dates (as YAML loads them) are written as ISO strings first, as the JSON Schemas expect them.
A value JSON cannot hold exactly (NaN, infinity, an integer beyond 2**53) has no canonical form
and raises :class:`NotCanonical`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from zuji.core.documents import plain


class NotCanonical(ValueError):
    """A value that RFC 8785 cannot write (a non-finite number, an integer beyond 2**53, a key
    that is not a string); the message says which."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON-like value (dicts, lists, strings, numbers, booleans, None,
    dates)."""
    return canonical_plain(plain(value))


def canonical_plain(value: Any, alike: bool | None = None) -> bytes:
    """The RFC 8785 bytes of a value already plain JSON (dates written as strings, as plain()
    leaves them); `alike` is what plain_document() found of it, when known."""
    if alike if alike is not None else _same_in_python(value):
        text = _JSON.encode(value)
        # A name holding a character past U+FFFF may sort otherwise by UTF-16 units: any such
        # character sends the document to the rfc8785 package, which knows.
        if text.isascii() or _PAST_FFFF.search(text) is None:
            try:
                return text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: for the rfc8785 package to judge
                pass
    import rfc8785  # most documents never need it: imported when one does

    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonical(str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise NotCanonical(f"not a JSON value: {exc}") from None


_PAST_FFFF = re.compile("[\U00010000-\U0010ffff]")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)

# Python's json module writes a value exactly as RFC 8785 does when: its strings are escaped
# the same way (they are: the two-character escapes and \u00xx for the other control
# characters, nothing else); its keys sort the same (code points and UTF-16 units agree below
# U+10000); its integers lie within 2**53; and each float is written alike, which holds for one
# that is not whole and lies in [1e-4, 1e16), where both use plain decimals and the shortest
# digits that read back the same. Any other value is left to the rfc8785 package.
_MOST_INTEGER = 2**53 - 1


def _same_in_python(value: Any) -> bool:
    kind = value.__class__
    if kind is str or kind is bool or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if key.__class__ is not str or not (key.isascii() or max(key) <= "\uffff"):
                return False
            if item.__class__ is not str and not _same_in_python(item):
                return False
        return True
    if kind is list:
        return all(map(_same_in_python, value))
    if kind is int:
        return bool(-_MOST_INTEGER <= value <= _MOST_INTEGER)
    if kind is float:
        return bool(1e-4 <= abs(value) < 1e16 and not value.is_integer())
    return False


def plain_document(value: Any) -> tuple[Any, bool]:
    """plain(value), in one walk with whether the json module writes it as RFC 8785 does (as far
    as its numbers and kinds of values tell: canonical_plain() looks at its names)."""
    alike = [True]
    return _walked_value(value, alike), alike[0]


def _walked(value: Any, alike: list[bool]) -> Any:
    """A container of a document, copied; `alike[0]` is set False by a value json would not
    write as RFC 8785 does."""
    if value.__class__ is list or (value.__class__ is not dict and isinstance(value, list)):
        return [item if item.__class__ is str else _walked_value(item, alike) for item in value]
    out = {}
    for key, item in value.items():
        if key.__class__ is not str:
            key = str(key)
        out[key] = item if item.__class__ is str else _walked_value(item, alike)
    return out


def _walked_value(value: Any, alike: list[bool]) -> Any:
    kind = value.__class__
    if kind is dict or kind is list or isinstance(value, (dict, list)):
        return _walked(value, alike)
    if _same_in_python(value):  # a number, True, False or None that json writes as JCS does
        return value
    made = plain(value)  # a date as its ISO text, anything else as it is
    if made.__class__ is not str:
        alike[0] = False
    return made


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes, as 64 lower-case hexadecimal digits."""
    return hashlib.sha256(data).hexdigest()


__all__ = ["NotCanonical", "canonical_json", "canonical_plain", "plain_document", "sha256_hex"]
