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
import math
import re
import secrets
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

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
        written = _written(_JSON.encode(value))
        if written is not None:
            return written
    else:
        written = _written_with_numbers(value)
        if written is not None:
            return written
    import rfc8785  # most documents never need it: imported when one does

    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonical(str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise NotCanonical(f"not a JSON value: {exc}") from None


def _written(text: str) -> bytes | None:
    """json's text as JCS bytes, or None when only the rfc8785 package can tell: a name holding
    a character past U+FFFF may sort otherwise by UTF-16 units (a text of such characters takes
    more than two bytes each in UTF-16), and a lone surrogate has no UTF-8 nor UTF-16."""
    try:
        if not text.isascii() and len(text.encode("utf-16-le")) != 2 * len(text):
            return None
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _written_with_numbers(value: Any) -> bytes | None:
    """JCS bytes of a document json writes alike but for some floats (a result file: whole
    figures such as 1000.0, small ones such as 3e-05): json writes it with each such float held
    by a marker string, and each marker is replaced by the number as ECMAScript prints it. None
    when something else differs (a non-finite number, an integer beyond 2**53, a value of
    another kind), for the rfc8785 package to write or refuse. The result of signing and
    hashing a result file, on every product page, is then json's speed, not a Python walk's."""
    numbers: list[str] = []
    marker = f"\ue000{secrets.token_hex(8)}:"
    held = _held_numbers(value, numbers, marker)
    if held is _UNLIKE:
        return None
    text = _JSON.encode(held)
    if numbers:
        if text.count(marker) != len(numbers):  # the document's own text held the marker
            return None
        marked = re.compile('"' + re.escape(marker) + '(\\d+)"')
        text = marked.sub(lambda m: numbers[int(m.group(1))], text)
    return _written(text)


_UNLIKE = object()


def _held_numbers(value: Any, numbers: list[str], marker: str) -> Any:
    kind = value.__class__
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if key.__class__ is not str:
                return _UNLIKE
            held = _held_numbers(item, numbers, marker)
            if held is _UNLIKE:
                return _UNLIKE
            out[key] = held
        return out
    if kind is list:
        items = []
        for item in value:
            held = _held_numbers(item, numbers, marker)
            if held is _UNLIKE:
                return _UNLIKE
            items.append(held)
        return items
    if kind is int:
        return value if -_MOST_INTEGER <= value <= _MOST_INTEGER else _UNLIKE
    if kind is float:
        if not math.isfinite(value):
            return _UNLIKE
        if 1e-4 <= abs(value) < 1e16 and not value.is_integer():
            return value
        if value.is_integer() and abs(value) <= _MOST_INTEGER:
            return int(value)  # ECMAScript writes a whole number below 2**53 as an integer
        numbers.append(ecmascript_number(value))
        return f"{marker}{len(numbers) - 1}"
    return _UNLIKE


def ecmascript_number(value: float) -> str:
    """A finite float as ECMAScript's Number::toString writes it (ECMA-262 §6.1.6.1.20), which
    RFC 8785 §3.2.2.3 prescribes: the shortest digits that read back the same (Python's repr
    finds the same ones), placed by the exponent: plain up to 10^21, 0.000… down to 10^-7,
    otherwise d.ddde±n."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digits_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    exponent = int(exponent) + len("".join(map(str, digits_tuple))) - len(digits)
    k = len(digits)
    n = exponent + k  # the value is 0.digits × 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    power = f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + power


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


class Copied(NamedTuple):
    """A document copied as plain JSON (plain()), and what the walk that copied it saw."""

    value: Any
    alike: bool  # json writes it as RFC 8785 does, as far as its numbers and kinds tell
    encodable: bool  # no text holds a lone surrogate, which neither UTF-8 nor JCS can write
    part_ascii: bool  # every name and text of the member set apart is ASCII
    longest: int  # the most items of any of its lists


def plain_document(value: Any) -> tuple[Any, bool]:
    """plain(value), in one walk with whether the json module writes it as RFC 8785 does (as far
    as its numbers and kinds of values tell: canonical_plain() looks at its names)."""
    copied = copied_document(value)
    return copied.value, copied.alike


def copied_document(value: Any, apart: str = "") -> Copied:
    """plain_document(), telling besides whether some text could not be written at all, and
    whether the top-level member `apart` (an inventory's inputs) is ASCII throughout: such a
    member needs no reading as Chinese (runtime.inventory_zh)."""
    walk = _Walk()
    if value.__class__ is not dict or apart not in value:
        copy = _walked_value(value, walk)
        return Copied(copy, walk.alike, walk.encodable, walk.ascii, walk.longest)
    part = _walked_value(value[apart], walk)  # first, for its own ASCII
    part_ascii, walk.ascii = walk.ascii, True
    out = _walked({**value, apart: None}, walk)  # the others, in their places
    out[apart] = part
    return Copied(out, walk.alike, walk.encodable, part_ascii, walk.longest)


class _Walk:
    """What a walk over a document saw so far."""

    __slots__ = ("alike", "ascii", "encodable", "longest")

    def __init__(self) -> None:
        self.alike = self.ascii = self.encodable = True
        self.longest = 0

    def text(self, text: str) -> None:
        """A text that is not ASCII: JSON writes it, unless it holds a lone surrogate."""
        self.ascii = False
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.encodable = False


def _walked(value: Any, walk: _Walk) -> Any:
    """A container of a document, copied; `walk` notes a value json would not write as RFC 8785
    does and a text that is not ASCII. (The texts are looked at here, by their class, rather than
    in a call each: most values of an inventory are texts.)"""
    if value.__class__ is list or (value.__class__ is not dict and isinstance(value, list)):
        if len(value) > walk.longest:
            walk.longest = len(value)
        items = []
        for item in value:
            if item.__class__ is str:
                if not item.isascii():
                    walk.text(item)
                items.append(item)
            else:
                items.append(_walked_value(item, walk))
        return items
    out = {}
    for key, item in value.items():
        if key.__class__ is not str:
            key = str(key)
        if not key.isascii():
            walk.text(key)
        if item.__class__ is str:
            if not item.isascii():
                walk.text(item)
            out[key] = item
        else:
            out[key] = _walked_value(item, walk)
    return out


def _walked_value(value: Any, walk: _Walk) -> Any:
    kind = value.__class__
    if kind is dict or kind is list or isinstance(value, (dict, list)):
        return _walked(value, walk)
    if kind is str:
        if not value.isascii():
            walk.text(value)
        return value
    if _same_in_python(value):  # a number, True, False or None that json writes as JCS does
        return value
    if kind is date:  # as YAML reads a reference period's: plain() would write it so
        return value.isoformat()
    made = plain(value)  # a date as its ISO text, anything else as it is
    if made.__class__ is not str:
        walk.alike = False
    elif not made.isascii():
        walk.text(made)
    return made


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes, as 64 lower-case hexadecimal digits."""
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "NotCanonical",
    "canonical_json",
    "canonical_plain",
    "copied_document",
    "plain_document",
    "sha256_hex",
]
