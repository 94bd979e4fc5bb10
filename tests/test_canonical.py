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

from zuji.core.canonical import (
    NotCanonical,
    canonical_json,
    canonical_plain,
    copied_document,
    plain_document,
)
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


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
@example({"z": 1, "a": [0.1, 2.5e-4, 123.456, 1e15 + 0.5]})
@example({"\ue000": 1, "\U0001f600": 2})  # sorted by code point, not by UTF-16 units
@example([1.0, -0.0, 0.0, 1e-5, 1e16 + 2.0, 1e21, 5e-324, 2**53 - 1])
@example([1.0])
@example([1e-7, 1.5e-7, 1.23e22, 2.0**60, 1e21, 1e-6, 1.234e-6, -5e-324, 3e-05, 1000.0, 1e300])
@example({"a": [2.5e-5, {"b": 7.0}], "c": "\ue000 a private-use text"})
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


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
@example({"d": __import__("datetime").date(2024, 1, 31), "中": "文"})
@example({1: [2.0, "x"]})
@example({"\U0001f600": 1, "\ue000": 2})
@example(float("nan"))
def test_one_walk_gives_the_plain_document_and_whether_json_writes_it_alike(value: Any) -> None:
    walked, alike = plain_document(value)
    # Compared as written out: a NaN, even a whole document of one, then reads as itself.
    assert repr(walked) == repr(plain(value))
    if alike:  # the json module's bytes are then RFC 8785's
        assert _ours(walked, alike) == _package(walked)
    assert _ours(walked) == _package(walked)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_TEXT, _JSON, max_size=5))
@example({"燃料": "raw_coal"})
@example({"coal": "１２ t"})
@example({"coal": ("中",)})
def test_inputs_are_known_ascii_in_c_as_the_walk_knows_them(inputs: dict[str, Any]) -> None:
    from zuji.runtime import inventory_zh

    document = plain(inputs)
    walked = all(key.isascii() and inventory_zh._ascii(value) for key, value in document.items())
    assert inventory_zh._plain(document) == walked


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_TEXT, _JSON, max_size=4), st.dictionaries(_TEXT, _JSON, max_size=4))
@example({"product": "P·O 42.5"}, {"coal": "12 t"})
@example({}, {"燃料": "raw_coal"})
@example({"company": "x\ud800"}, {"coal": "12 t"})
@example({"d": __import__("datetime").date(2024, 1, 31)}, {"coal": ["１２ t"]})
def test_the_copy_says_what_it_saw_of_the_texts(rest: dict[str, Any], inputs: Any) -> None:
    """The walk that copies an inventory tells, as writing it out would: whether it can be
    written in UTF-8 at all (no lone surrogate), and whether the inputs are ASCII throughout,
    names and texts (so need no reading as Chinese); and it copies as plain_document() does."""
    document = {**rest, "inputs": inputs}
    copied = copied_document(document, "inputs")
    walked, alike = plain_document(document)
    assert repr(copied.value) == repr(walked) and copied.alike == alike
    texts = _texts(copied.value)
    assert copied.encodable == all(_utf8(text) for text in texts)
    assert copied.part_ascii == all(text.isascii() for text in _texts(copied.value["inputs"]))
    if copied.alike and copied.encodable:  # a pin taken later cannot fail
        assert _ours(copied.value, True) == _package(copied.value) is not None


def _texts(value: Any) -> list[str]:
    """Every name and text in a plain value."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (k, *_texts(v))]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return [value] if isinstance(value, str) else []


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
