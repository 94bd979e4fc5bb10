"""The inventory schema is validated by its compiled form on every call, and by the reference
validator (jsonschema) only to put a refusal into words: both must accept and refuse the same
documents. Checked over the fuzz corpus (every worked case of the library, the inventories in
tests/fuzz/found) and over documents hypothesis makes from them.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import CEMENT_INVENTORY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_inventory import EXAMPLES, amounts, json_values

import zuji
from zuji.core import library
from zuji.core.documents import load_path, plain
from zuji.core.errors import DocumentError
from zuji.runtime.inventory_schema import conforms, schema_for, schema_problems

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CASES = sorted(library.pcr_root().glob("*/cases/*.yaml"))
FOUND = sorted((Path(__file__).parent / "fuzz" / "found").glob("*.yaml"))
CEMENT = zuji.load("cement")


def _reference(document: Any, pcr: zuji.PCR) -> bool:
    return bool(jsonschema.Draft202012Validator(schema_for(pcr.rule)).is_valid(document))


def _holds_only_json(value: Any) -> bool:
    """Whether every number is finite and every text encodable: what JSON itself can hold."""
    if isinstance(value, dict):
        return all(_holds_only_json(k) and _holds_only_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_holds_only_json(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _same_verdict(document: Any, pcr: zuji.PCR) -> bool:
    """The compiled validator agrees with the reference one; on a document JSON cannot hold it
    may refuse more, and its refusal is then settled by the reference validator, which the
    reader's verdict (no schema problems) shows."""
    document = plain(document)
    reference = _reference(document, pcr)
    settled = not list(schema_problems(document, pcr.rule))
    assert settled == reference, document
    if _holds_only_json(document):
        assert conforms(document, pcr.rule) == reference, document
    else:
        assert not conforms(document, pcr.rule) or reference, document
    return reference


def _case(path: Path) -> tuple[zuji.PCR, Any]:
    return zuji.load(path.parent.parent.name), load_path(path)["inventory"]


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_worked_case_is_accepted_by_both(case: Path) -> None:
    pcr, inventory = _case(case)
    assert _same_verdict(inventory, pcr)


@pytest.mark.parametrize("found", FOUND, ids=lambda p: p.stem)
def test_the_inventories_that_once_broke_the_engine(found: Path) -> None:
    try:
        document = load_path(found)
    except DocumentError:
        return  # refused before any schema: nothing for the validators to judge
    assert isinstance(document, dict)
    assert not _same_verdict(document, CEMENT)


def test_what_the_compiled_validator_refuses_is_said_as_before() -> None:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"]["cememt"] = "5 t"
    del document["inputs"]["cement"]
    assert not conforms(document, CEMENT.rule)
    assert [where for where, _ in schema_problems(document, CEMENT.rule)] == ["inputs", "inputs"]
    messages = " ".join(message for _, message in schema_problems(document, CEMENT.rule))
    assert "unknown input 'cememt'" in messages and "missing required input 'cement'" in messages


def test_a_value_json_cannot_hold_is_settled_by_the_reference_validator() -> None:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"]["grinding_electricity"] = float("nan")
    assert not conforms(document, CEMENT.rule)
    assert list(schema_problems(document, CEMENT.rule)) == []  # NaN is a number to JSON Schema
    with pytest.raises(zuji.InventoryError, match="not a finite number"):
        CEMENT.evaluate(document)


@SETTINGS
@given(st.sampled_from([i.name for i in CEMENT.rule.inputs]), amounts)
def test_any_value_of_any_input(name: str, value: Any) -> None:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"][name] = value
    _same_verdict(document, CEMENT)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["pcr", "inputs", "reference_period", "cutoff", "company", "product_ids"]),
        json_values,
        max_size=6,
    )
)
def test_documents_of_any_shape(document: dict[str, Any]) -> None:
    _same_verdict(document, CEMENT)


@SETTINGS
@given(st.sampled_from(CASES), st.data())
def test_worked_cases_with_one_part_replaced(case: Path, data: st.DataObject) -> None:
    pcr, inventory = _case(case)
    document = copy.deepcopy(plain(inventory))
    if data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(document["inputs"])))
        document["inputs"][name] = data.draw(st.one_of(amounts, json_values))
    else:
        key = data.draw(st.sampled_from(["pcr", "reference_period", "cutoff", "site", "extra"]))
        document[key] = data.draw(json_values)
    _same_verdict(document, pcr)
