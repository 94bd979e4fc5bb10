"""Hostile inventories: typed by hand or exported from spreadsheets, they get a footprint or an
error that names the input at fault; never a traceback, never a silently wrong number.

`make test` runs a few hundred examples per property; `make fuzz` runs 20 000 each.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CEMENT_INVENTORY
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from test_optional_fields import ASSERTED, GUARDED
from test_optional_fields import inventory as optional_field_inventory

import zuji
from zuji.core.errors import EvaluationError, InventoryError, ZujiError
from zuji.core.limits import limited

EXAMPLES = int(os.environ.get("ZUJI_FUZZ_EXAMPLES", "150"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 1000,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
PCR = zuji.load("cement")
QUANTITIES = [i.name for i in PCR.rule.inputs if i.kind == "quantity"]

UNITS = [
    "t",
    "kg",
    "Mt",
    "MWh",
    "kWh",
    "GWh",
    "GJ",
    "TJ",
    "%",
    "km",
    "t CO2/t",
    "furlong",
    "ＭＷｈ",
    "t/h",
    "m3",
    "Nm3",
    "",
    "kWh/t",
    "tonnes",
    "吨",
    "%%",
    "1/0",
    "t t",
    "e3",
]
NUMBERS = [
    "1200",
    "1,200",
    "1 200",
    "1.200,5",
    "1 200,5",
    "-5",
    "0",
    "1e308",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "0x10",
    "1_000",
    "１２",
    "12.",
    ".5",
    "5e",
    "--5",
    "+5",
    "١٢",
    "1e-400",
    "99999999999999999999999999",
]

amounts = st.one_of(
    st.builds(lambda n, u: f"{n} {u}".strip(), st.sampled_from(NUMBERS), st.sampled_from(UNITS)),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.fixed_dictionaries(
        {"value": st.sampled_from([*NUMBERS, 0.5, -1, 1e309]), "unit": st.sampled_from(UNITS)}
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def answered(inventory: Any) -> zuji.Result | None:
    """A result whose figures are all finite, or an error naming where it is, nothing else."""
    try:
        result = PCR.evaluate(inventory)
    except (InventoryError, EvaluationError) as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            assert diagnostic.message and diagnostic.code
        return None
    assert math.isfinite(result.total) and result.total >= 0
    assert all(math.isfinite(line.co2e_kg) for line in result.lines)
    return result


@FUZZ_SETTINGS
@given(st.sampled_from(QUANTITIES), amounts)
@example("grinding_electricity", "1,200 MWh")
@example("grinding_electricity", "1.200,5 MWh")
@example("grinding_electricity", float("nan"))
@example("cement", "0 t")
def test_any_value_for_a_quantity_gets_a_result_or_an_error_naming_it(
    name: str, value: Any
) -> None:
    inventory = copy.deepcopy(CEMENT_INVENTORY)
    inventory["inputs"][name] = value
    try:
        PCR.evaluate(inventory)
    except InventoryError as exc:
        assert any(name in d.message or name in d.where for d in exc.diagnostics), exc
    except EvaluationError as exc:
        # Accepted values can still meet arithmetic the rule cannot do (a zero divisor, an
        # overflow): the error names the line or the divisor.
        assert exc.diagnostics[0].code in ("E621", "E622", "E623", "E624", "E625", "E650"), exc
    else:
        assert answered(inventory) is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


@FUZZ_SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "pcr",
                "inputs",
                "reference_period",
                "cutoff",
                "company",
                "pcr_version",
                "kiln_fuels",
                "other",
            ]
        ),
        json_values,
        max_size=6,
    )
)
def test_documents_of_any_shape(document: dict[str, Any]) -> None:
    answered(document)


@FUZZ_SETTINGS
@given(st.text(max_size=400))
@example("a: &a [1]\nb: [*a, *a]\n")
@example("{]")
@example("pcr: cement\npcr: cement\n")
@example("- - - - - - x")
def test_any_text_as_an_inventory_file(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("inventories") / "inventory.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        PCR.evaluate(path)
    except ZujiError as exc:
        assert exc.diagnostics


# ------------------------------------------------------------------- named hostile documents


def _error(tmp_path: Path, text: str, name: str = "inventory.yaml") -> zuji.Diagnostic:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as info:
        PCR.evaluate(path)
    return info.value.diagnostics[0]


def _document(**inputs: Any) -> dict[str, Any]:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"].update(inputs)
    return document


@pytest.mark.parametrize(
    "written, words",
    [
        ("1,200 MWh", "comma"),
        ("1.200,5 MWh", "comma"),
        ("5 furlong", "length"),
        ("5 t", "mass"),
        ("5", "has no unit"),
        ("nan MWh", "does not start with a number"),
        ("1e400 MWh", "not a finite number"),
        ("-5 MWh", "out of range"),
        ("5 ＭＷｈ", "not a unit"),
    ],
)
def test_each_bad_amount_is_named_at_its_line(tmp_path: Path, written: str, words: str) -> None:
    text = yaml.safe_dump(_document(grinding_electricity=written), allow_unicode=True)
    diagnostic = _error(tmp_path, text)
    assert "grinding_electricity" in diagnostic.message and words in diagnostic.message
    line = next(i for i, t in enumerate(text.split("\n"), 1) if "grinding_electricity" in t)
    assert diagnostic.span is not None and diagnostic.span.line == line


def test_thousands_separated_by_spaces_are_read_as_one_number() -> None:
    # "62 000" is how Chinese statistics print thousands; the comma forms are refused above.
    spaced = PCR.evaluate(_document(grinding_electricity="30 000 MWh"))
    plain = PCR.evaluate(_document(grinding_electricity="30000 MWh"))
    assert spaced.total == plain.total


def test_a_list_item_is_named_by_its_place(tmp_path: Path) -> None:
    text = yaml.safe_dump(
        _document(
            kiln_fuels=[{"fuel": "raw_coal", "amount": "100 t"}, {"fuel": "wood", "amount": "5 t"}]
        )
    )
    diagnostic = _error(tmp_path, text)
    assert "kiln_fuels[1].fuel" in diagnostic.message and "'wood'" in diagnostic.message
    line = next(i for i, t in enumerate(text.split("\n"), 1) if "wood" in t)
    assert diagnostic.span is not None and diagnostic.span.line == line


def test_duplicate_keys_are_an_error_not_an_overwrite(tmp_path: Path) -> None:
    text = yaml.safe_dump(CEMENT_INVENTORY).replace("inputs:\n", "inputs:\n  cement: 5 t\n", 1)
    diagnostic = _error(tmp_path, text)
    assert diagnostic.code == "E011" and "duplicate key 'cement'" in diagnostic.message
    json_text = '{"pcr": "cement", "inputs": {"cement": "1 t", "cement": "2 t"}}'
    assert "duplicate key 'cement'" in _error(tmp_path, json_text, "inventory.json").message


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 10)}]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    diagnostic = _error(tmp_path, "\n".join(levels) + "\n")
    assert diagnostic.code in ("E011", "E014") and (
        "aliases" in diagnostic.message or "expands" in diagnostic.message
    )


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, "- " * 100_000 + "x", "{a: " * 100_000 + "1" + "}" * 100_000],
)
def test_documents_nested_past_any_real_depth_are_refused(tmp_path: Path, text: str) -> None:
    # libyaml overflows its C stack on these; the depth guard must route them elsewhere.
    assert _error(tmp_path, text).code == "E012"


def test_deep_json_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, "[" * 100_000 + "]" * 100_000, "inventory.json").code == "E012"


def test_code_cannot_run_from_an_inventory(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f'!!python/object/apply:os.system ["touch {marker}"]\n'
    assert _error(tmp_path, text).code == "E011"
    assert not marker.exists()


@pytest.mark.parametrize(
    "data, code",
    [
        (b"\x00\x01\x02\xff", "E013"),
        ("pcr: cement".encode("utf-16"), "E013"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "E013"),
    ],
)
def test_files_that_are_not_text(tmp_path: Path, data: bytes, code: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_bytes(data)
    with pytest.raises(InventoryError) as info:
        PCR.evaluate(path)
    assert info.value.code == code


def test_huge_documents_stop_at_the_limits(tmp_path: Path) -> None:
    document = _document(kiln_fuels=[{"fuel": "raw_coal", "amount": "1 t"}] * 60)
    with limited(list_items=50), pytest.raises(InventoryError) as info:
        PCR.evaluate(document)
    assert "kiln_fuels: 60 items, above the list items limit (50)" in str(info.value)
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with limited(document_bytes=1000), pytest.raises(InventoryError) as info:
        PCR.evaluate(path)
    assert info.value.code == "E086"


def test_many_unknown_inputs_are_summarised(tmp_path: Path) -> None:
    document = _document(**{f"extra_{i}": "1 t" for i in range(500)})
    with pytest.raises(InventoryError) as info:
        PCR.evaluate(document)
    message = info.value.diagnostics[0].message
    assert "and 490 more" in message and len(message) < 2000


@pytest.mark.parametrize(
    "found", sorted((Path(__file__).parent / "fuzz" / "found").glob("*.yaml")), ids=lambda p: p.stem
)
def test_inventories_that_once_broke_the_engine(found: Path) -> None:
    """Each file says in its first comment what broke and the code it must now get."""
    text = found.read_text(encoding="utf-8")
    expected = re.search(r"Expected: (E\d{3})", text.replace("\n#", ""))
    with pytest.raises(InventoryError) as info:
        PCR.evaluate(found)
    assert expected is not None and info.value.code == expected.group(1)
    assert info.value.diagnostics[0].span is not None


# ------------------------------------------------------------------- every PCR of the library

CASES = sorted(p for p in zuji.core.library.pcr_root().glob("*/cases/*.yaml"))


@FUZZ_SETTINGS
@given(st.sampled_from(CASES), st.data())
def test_any_value_in_any_worked_case_of_the_library(case: Path, data: st.DataObject) -> None:
    """A worked case of any PCR with one quantity replaced: a finite footprint, or an error."""
    from zuji.runtime.cases import load_case

    pcr = zuji.load(case.parent.parent.name)
    inventory = copy.deepcopy(load_case(case)["inventory"])
    names = [i.name for i in pcr.rule.inputs if i.kind == "quantity"]
    name = data.draw(st.sampled_from(names))
    inventory["inputs"][name] = data.draw(
        st.one_of(
            amounts,
            st.builds(
                lambda n: f"{n} {next(i.unit for i in pcr.rule.inputs if i.name == name)}",
                st.sampled_from(["0", "1e-300", "1e300", "0.5", "100", "1e6"]),
            ),
        )
    )
    try:
        result = pcr.inventory(inventory, "fuzzed case", case.parent)
        result = pcr.evaluate(result)
    except (InventoryError, EvaluationError) as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)
        return
    assert math.isfinite(result.total) and result.total >= 0
    assert all(math.isfinite(line.co2e_kg) for line in result.lines)


# ------------------------------------------------------------- list items that leave fields out

OPTIONAL_FIELDS = [zuji.load_text(text, "widget.pcr") for text in (GUARDED, ASSERTED)]
item_fields = st.fixed_dictionaries(
    {},
    optional={
        "mass": st.one_of(st.sampled_from(["5 t", "0 t", "3000 kg"]), amounts),
        "distance": st.one_of(st.sampled_from(["40 km", "0 km", "1e6 km"]), amounts),
    },
)


@FUZZ_SETTINGS
@given(st.sampled_from([0, 1]), st.lists(st.lists(item_fields, max_size=4), min_size=1, max_size=3))
@example(1, [[{"mass": "5 t"}, {"mass": "3 t", "distance": "40 km"}]])
@example(0, [[{"distance": "40 km"}], [{}]])
def test_items_that_leave_out_any_field_on_the_scalar_and_batch_paths(
    which: int, items: list[list[dict[str, Any]]]
) -> None:
    """A list whose field is optional (the rule reading it under given(...), or a value an
    assertion reads without it), items leaving out any of their fields or holding any value:
    each inventory gets a finite footprint or an error with its code, and a batch of them gives
    each row what the one-inventory path gives it."""
    pcr = OPTIONAL_FIELDS[which]
    documents = [optional_field_inventory(*row) for row in items]
    expected: list[float | str] = []
    for document in documents:
        try:
            expected.append(pcr.evaluate(document).total)
        except (InventoryError, EvaluationError) as exc:
            assert exc.diagnostics and all(d.code and d.message for d in exc.diagnostics)
            expected.append(exc.diagnostics[0].code)
    batch = pcr.evaluate_many(documents)
    for row, wanted in zip(batch.itertuples(), expected, strict=True):
        if isinstance(wanted, str):
            assert row.status == "failed" and str(row.error).startswith(wanted), (row, wanted)
        else:
            assert row.status == "ok" and math.isfinite(wanted)
            assert row.total == pytest.approx(wanted, rel=1e-9, abs=1e-12)


@FUZZ_SETTINGS
@given(st.sampled_from(CASES), st.data())
def test_any_item_of_any_worked_case_leaving_out_a_field(case: Path, data: st.DataObject) -> None:
    """A worked case of any PCR with a list, one of its items leaving out one field: a finite
    footprint (a field's default, or a read guarded by given), or an error naming it."""
    from zuji.runtime.cases import load_case

    pcr = zuji.load(case.parent.parent.name)
    inventory = copy.deepcopy(load_case(case)["inventory"])
    lists = [
        name
        for name, value in inventory["inputs"].items()
        if isinstance(value, list) and value and all(isinstance(i, dict) and i for i in value)
    ]
    assume(lists)
    items = inventory["inputs"][data.draw(st.sampled_from(sorted(lists)))]
    item = data.draw(st.sampled_from(items))
    del item[data.draw(st.sampled_from(sorted(item)))]
    try:
        result = pcr.evaluate(pcr.inventory(inventory, "fuzzed case", case.parent))
    except (InventoryError, EvaluationError) as exc:
        assert exc.diagnostics and all(d.code and d.message for d in exc.diagnostics)
        return
    assert math.isfinite(result.total)
