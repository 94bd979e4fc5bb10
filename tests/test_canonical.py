"""The canonical JSON that inventories are hashed in and results signed in is RFC 8785's, byte for
byte, whether Python's json module writes it (the values both write alike) or the rfc8785 package
does (every other value): compared with the package over generated JSON values and the edge cases
of each rule the fast path relies on.
"""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from zuji.core.canonical import NotCanonical, canonical_json, canonical_plain, plain_document
from zuji.core.documents import plain

# Every code point, lone surrogates and characters past U+FFFF included.
_TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=1e-5, max_value=1e17)
    | st.floats(min_value=-1e17, max_value=-1e-5)
    | _TEXT
)
_JSON = st.recursive(
    _LEAVES | st.dates(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=20,
)


def _package(value: Any) -> bytes | None:
    """What the rfc8785 package writes, or None where it refuses the value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


def _ours(value: Any, alike: bool | None = None) -> bytes | None:
    try:
        return canonical_plain(value, alike)
    except NotCanonical:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
@example({"z": 1, "a": [0.1, 2.5e-4, 123.456, 1e15 + 0.5]})
@example({"\ue000": 1, "\U0001f600": 2})  # sorted by code point, not by UTF-16 units
@example([1.0, -0.0, 0.0, 1e-5, 1e16 + 2.0, 1e21, 5e-324, 2**53 - 1])
@example([1.0])
@example([-0.0])
@example([1e-5])
@example([2**53])
@example(["tab\there", 'quote " and \\ backslash', "\x00\x1f\x7f\u2028", "\ud800 lone"])
@example({"n": float("nan")})
def test_canonical_json_is_the_rfc8785_packages_byte_for_byte(value: Any) -> None:
    assert _ours(value) == _package(value)


def test_the_fast_path_writes_what_the_package_writes_for_an_inventory() -> None:
    document = {
        "pcr": "cement",
        "company": "示例水泥有限公司",
        "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
        "inputs": {
            "cement": "1000000 t",
            "cao": 65,
            "share": 0.75,
            "kiln_fuels": [{"fuel": "raw_coal", "amount": {"value": 110250, "unit": "t"}}],
            "note": "line\nbreak",
        },
    }
    assert canonical_plain(document) == rfc8785.dumps(document)


def test_a_value_without_a_canonical_form_is_refused_in_either_way() -> None:
    for value in ({"x": float("inf")}, [2**53], {"x": {1, 2}}):
        with pytest.raises(NotCanonical):
            canonical_json(value)


def _all_ascii(value: Any) -> bool:
    if isinstance(value, dict):
        return all(str(k).isascii() and _all_ascii(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_ascii(v) for v in value)
    return not isinstance(value, str) or value.isascii()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
@example({"d": __import__("datetime").date(2024, 1, 31), "中": "文"})
@example({1: [2.0, "x"]})
def test_one_walk_gives_the_plain_document_and_what_is_known_of_it(value: Any) -> None:
    walked, alike, ascii_only = plain_document(value)
    expected = plain(value)
    assert walked == expected  # (a NaN inside is the same object in both: equal)
    assert ascii_only == _all_ascii(expected)
    if alike:  # the json module's bytes are then RFC 8785's
        assert _ours(walked, alike) == _package(walked)
    assert _ours(walked) == _package(walked)
    # What is known of one part alone (an inventory's inputs).
    document = {"company": "示例", "inputs": value}
    walked, alike, ascii_only = plain_document(document, within="inputs")
    assert walked == plain(document) and ascii_only == _all_ascii(plain(value))
    if alike:
        assert _ours(walked, alike) == _package(walked)
