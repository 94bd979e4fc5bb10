"""The generated scalar function (semantics/compile/scalar.py, run by runtime/generated.py) gives
the closures' result, field for field: on every worked case of the library, with and without the
trace; where the rule refuses an inventory, in the same words; where a value cannot be computed
(an optional input left out), as the closures defer it. Its source holds nothing from a rule's
text: only identifiers it made, numbers and the helpers it is given, whatever the rule names.
"""

from __future__ import annotations

import ast
import copy
import math
import pickle
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import zuji
from zuji.core import library
from zuji.core.errors import ZujiError
from zuji.runtime.cases import load_case
from zuji.runtime.evaluate import evaluate
from zuji.runtime.generated import by_generated, evaluate_fast
from zuji.runtime.inventory import Inventory
from zuji.runtime.result import Result
from zuji.semantics.compile import scalar
from zuji.semantics.compile.scalar import Code, SourceClosures, scalar_plan

CASES = sorted(library.pcr_root().glob("*/cases/*.yaml"))
WIDGET = (Path(__file__).parent / "fuzz" / "seeds" / "widget.pcr").read_text(encoding="utf-8")


def _read(path: Path) -> tuple[zuji.PCR, Inventory]:
    pcr = zuji.load(path.parent.parent.name)
    return pcr, pcr.inventory(load_case(path)["inventory"], str(path), path.parent)


def _numbers(value: Any, at: str = "") -> dict[str, float]:
    """Every number of a dumped result, by its place."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _numbers(item, f"{at}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _numbers(item, f"{at}[{i}]").items()
        }
    if isinstance(value, float) and not isinstance(value, bool):
        return {at: value}
    return {}


def _same(generated: Result, closures: Result) -> None:
    mine, theirs = _numbers(generated.model_dump()), _numbers(closures.model_dump())
    assert mine.keys() == theirs.keys()
    for place, value in theirs.items():
        assert math.isclose(mine[place], value, rel_tol=1e-12, abs_tol=0.0), place
    assert generated == closures
    assert generated.model_dump_json() == closures.model_dump_json()
    # Made without validation, the result is what validation makes of it, byte for byte.
    validated = Result.model_validate(generated.model_dump())
    assert validated == generated and validated.model_dump_json() == generated.model_dump_json()


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
@pytest.mark.parametrize("trace", [False, True], ids=["plain", "traced"])
def test_every_worked_case_gives_the_closures_result(path: Path, trace: bool) -> None:
    pcr, inventory = _read(path)
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    expected = evaluate(pcr.plan, inventory, trace=trace)
    # The first evaluation of a path learns what it reads; the second reads it back.
    for _ in range(2):
        generated = by_generated(splan, inventory, trace=trace)
        assert generated is not None, "the generated function left the case to the closures"
        _same(generated, expected)


def _cement() -> tuple[zuji.PCR, dict[str, Any]]:
    case = library.pcr_root() / "cement" / "cases" / "typical_plant.yaml"
    return zuji.load("cement"), load_case(case)["inventory"]


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except ZujiError as exc:
        return [d.render() for d in exc.diagnostics]


@pytest.mark.parametrize(
    "change",
    [
        {"mgo": None},  # an error assertion before the lines: CaO without MgO
        {"clinker_used": "800000 t"},  # more clinker used than made
        {"kiln_electricity": "0 MWh", "whr_electricity": "100 MWh"},  # a value held at zero
        {"grid_region": "north"},  # another member of a factor family
        {"kiln_fuels": []},  # a list without items
        # Warning assertions reading no result, which the function runs after the lines: the
        # constituents fall short of the cement (W650), then the clinker ratio too.
        {"cement": "1300000 t"},
        {"clinker_used": "300000 t"},
    ],
    ids=[
        "early-assertion",
        "assertion",
        "max-clamp",
        "family-member",
        "no-items",
        "warning",
        "two-warnings",
    ],
)
def test_an_inventory_is_refused_or_evaluated_alike_on_both_paths(change: dict[str, Any]) -> None:
    pcr, document = _cement()
    document = copy.deepcopy(document)
    for name, value in change.items():
        if value is None:
            document["inputs"].pop(name)
        else:
            document["inputs"][name] = value
    inventory = pcr.inventory(document)
    expected = _outcome(lambda: evaluate(pcr.plan, inventory))
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    for _ in range(2):
        if isinstance(expected, Result):
            got = by_generated(splan, inventory)
            assert got is not None, "the generated function left the inventory to the closures"
            _same(got, expected)
            warned = [w.message for w in got.warnings if w.code == "W650"]
            assert warned == [w.message for w in expected.warnings if w.code == "W650"]
        else:  # refused by the function or by the code around it: in the closures' words
            assert _outcome(lambda: evaluate_fast(pcr.plan, inventory)) == expected


# A widget whose coal is optional: the value heat cannot be computed without it, and is deferred
# (the closures keep it Deferred); a line guards it with given(...), a ratio may divide by zero.
DEFERRING = (
    WIDGET.replace(
        'input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 optional'
    )
    .replace(
        "burning : CO2 = heat * 0.1 [t CO2/GJ]",
        "burning : CO2 = if given(coal) then heat * 0.1 [t CO2/GJ] else 0 [t CO2]",
    )
    .replace(
        "  let heat : GJ = coal * ncv",
        "  let heat : GJ = coal * ncv\n  let later : GJ = heat * 2\n"
        "  let intensity : MWh/t = power / widget",
    )
)
INVENTORY = {
    "pcr": "widget",
    "reference_period": {"start": "2023-01-01", "end": "2023-12-31"},
    "inputs": {"widget": "100 t", "power": "50 MWh", "coal": "10 t"},
}


def _widget(text: str, inputs: dict[str, Any]) -> tuple[zuji.PCR, Inventory]:
    pcr = zuji.load_text(text, "widget.pcr")
    assert not pcr.errors, [d.render() for d in pcr.errors]
    return pcr, pcr.inventory({**INVENTORY, "inputs": inputs})


@pytest.mark.parametrize(
    "inputs",
    [
        {"widget": "100 t", "power": "50 MWh", "coal": "10 t"},
        {"widget": "100 t", "power": "50 MWh"},  # heat and later deferred
    ],
    ids=["coal-given", "coal-left-out"],
)
def test_a_value_that_cannot_be_computed_is_deferred_as_the_closures_defer_it(
    inputs: dict[str, Any],
) -> None:
    pcr, inventory = _widget(DEFERRING, inputs)
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    expected = evaluate(pcr.plan, inventory, trace=True)
    for _ in range(2):
        generated = by_generated(splan, inventory, trace=True)
        assert generated is not None
        _same(generated, expected)


def _unconfirmed_per_tonne() -> str:
    """A factor of the library, per tonne, whose value in force in 2023 is marked unconfirmed
    (W602): chosen here, not named, since factors are confirmed as their sources are found."""
    from datetime import date

    from zuji.data.standards import load as load_standards

    for dataset in load_standards().datasets.values():
        for key, entry in sorted(dataset.entries.items()):
            value = entry.in_force(date(2023, 6, 30))
            per_tonne = [name for name, _ in entry.unit.denominator] == ["t"]
            carbon = [name for name, _ in entry.unit.numerator][-1:] == ["CO2e"]
            if per_tonne and carbon and value and not value.confirmed:
                return f"{dataset.id}.{key}"
    raise AssertionError("the library has no unconfirmed factor per tonne left to test with")


# A list whose items read a factor marked unconfirmed (W602): an inventory without items reads
# no factor, so the same function must not lend it the reads of one with items.
LISTED = (
    WIDGET.replace(
        '  input coal : t "Coal burned" >= 0',
        '  input coal : t "Coal burned" >= 0\n  input parts : list "Parts" {\n'
        '    mass : t "Mass" >= 0\n  }',
    )
    .replace(
        "  let heat : GJ = coal * ncv",
        f"  factor coal_supply = {_unconfirmed_per_tonne()}\n"
        "  let heat : GJ = coal * ncv\n"
        "  let chain : t CO2e = sum over parts (mass * coal_supply)",
    )
    .replace("    burning : CO2", "    supply : CO2e = chain\n    burning : CO2")
)


def test_the_reads_of_one_path_are_never_lent_to_another() -> None:
    inputs = {"widget": "100 t", "power": "50 MWh", "coal": "10 t"}
    pcr, with_items = _widget(LISTED, {**inputs, "parts": [{"mass": "5 t"}]})
    without = pcr.inventory({**INVENTORY, "inputs": {**inputs, "parts": []}})
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    for inventory, warned in ((with_items, True), (without, False), (with_items, True)):
        expected = evaluate(pcr.plan, inventory)
        assert ("W602" in [w.code for w in expected.warnings]) == warned
        generated = by_generated(splan, inventory)
        assert generated is not None
        _same(generated, expected)


def test_an_assertion_that_cannot_be_evaluated_refuses_the_inventory_before_any_read() -> None:
    # A warning assertion reading an optional input left out stops the evaluation (E620): at
    # evaluate(), not later when the result, made lazily, is first read.
    text = DEFERRING.replace(
        "  changelog {",
        '  assert coal > 1 [t] otherwise warning "Little coal"\n  changelog {',
    )
    pcr, inventory = _widget(text, {"widget": "100 t", "power": "50 MWh"})
    expected = _outcome(lambda: evaluate(pcr.plan, inventory))
    assert isinstance(expected, list) and "E620" in expected[0]
    for _ in range(3):
        assert _outcome(lambda: pcr.evaluate(inventory)) == expected


def test_what_the_generated_function_cannot_vouch_for_is_left_to_the_closures() -> None:
    # A line dividing by an input that is zero: the closures stop with E621 and say where.
    text = WIDGET.replace(
        "burning : CO2 = heat * 0.1 [t CO2/GJ]",
        "burning : CO2 = heat * 0.1 [t CO2/GJ] * (power / power)",
    )
    pcr, inventory = _widget(text, {"widget": "100 t", "power": "0 MWh", "coal": "10 t"})
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    assert by_generated(splan, inventory) is None
    expected = _outcome(lambda: evaluate(pcr.plan, inventory))
    assert isinstance(expected, list) and "E621" in expected[0]
    assert _outcome(lambda: evaluate_fast(pcr.plan, inventory)) == expected
    assert _outcome(lambda: evaluate_fast(pcr.plan, inventory)) == expected


def test_a_plan_is_generated_at_its_second_evaluation() -> None:
    pcr, inventory = _widget(WIDGET.replace("Widget", "Widget once"), INVENTORY["inputs"])
    first = pcr.evaluate(inventory)
    assert pcr.plan not in scalar._SCALAR_PLANS  # one evaluation: the closures alone
    second = pcr.evaluate(inventory)
    assert isinstance(scalar._SCALAR_PLANS.get(pcr.plan), scalar.ScalarPlan)
    assert first == second


# ----------------------------------------------------------------------------- made lazily


class _Holder(BaseModel):
    result: Result


_READERS = {
    "attribute": lambda r: r.by_gas,
    "model_dump": lambda r: r.model_dump(),
    "model_dump_json": lambda r: r.model_dump_json(),
    "repr": repr,
    "iteration": dict,
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda r: pickle.loads(pickle.dumps(r)),
    "model_copy": lambda r: r.model_copy(update={"unit": "kg CO2e"}),
    "nested in a model": lambda r: _Holder(result=r).model_dump_json(),
    "equality": lambda r: r == r,
    "vars": vars,
    "TypeAdapter": lambda r: __import__("pydantic").TypeAdapter(Result).dump_json(r),
}


@pytest.mark.parametrize("reader", list(_READERS), ids=list(_READERS))
def test_a_result_is_complete_whatever_reads_it_first(reader: str) -> None:
    pcr, inventory = _read(library.pcr_root() / "cement" / "cases" / "typical_plant.yaml")
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    expected = evaluate(pcr.plan, inventory, trace=True)
    lazy = by_generated(splan, inventory, trace=True)
    assert lazy is not None
    private = object.__getattribute__(lazy, "__pydantic_private__")  # as it is
    assert private is not None and private["_pending"] is not None  # nothing presented yet
    made_yet = object.__getattribute__(lazy, "__dict__")  # as it is: reading __dict__ completes
    assert "lines" not in made_yet and lazy.total == expected.total
    assert private["_pending"] is not None  # the total was made at once: reading it made no more
    read = _READERS[reader]
    got = read(lazy)
    assert private["_pending"] is None
    assert str(got) == str(read(expected))
    _same(lazy, expected)
    assert lazy.model_fields_set == expected.model_fields_set


def test_threads_reading_one_result_at_once_make_it_once() -> None:
    pcr, inventory = _read(library.pcr_root() / "cement" / "cases" / "typical_plant.yaml")
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    expected = evaluate(pcr.plan, inventory)
    lazy = by_generated(splan, inventory)
    assert lazy is not None
    start = threading.Barrier(8)
    seen: list[str] = []

    def read() -> None:
        start.wait()
        seen.append(lazy.model_dump_json())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [expected.model_dump_json()] * 8  # the warnings once each, not eight times


# ----------------------------------------------------------------------------- the source

_MADE = re.compile(r"^(?:[nct]\d+|P|V|F|T|C|it|_c|_o|_constants|_bind|_evaluate)$")
_NODES = (
    ast.Module,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Assign,
    ast.Tuple,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Return,
    ast.Try,
    ast.ExceptHandler,
    ast.If,
    ast.Expr,
    ast.Call,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.IfExp,
    ast.ListComp,
    ast.comprehension,
    ast.Subscript,
    ast.Constant,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.USub,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.IsNot,
    ast.NamedExpr,
    ast.Div,
)


def _only_its_own(source: str) -> None:
    """Every node of the source is of the few kinds the generator writes; every name one it
    made or a helper it is given; every constant a number, a truth value or None."""
    for node in ast.walk(ast.parse(source)):
        assert isinstance(node, _NODES), ast.dump(node)
        if isinstance(node, ast.Name):
            assert _MADE.match(node.id) or node.id in scalar._HELPERS, node.id
        if isinstance(node, ast.Constant):
            assert node.value is None or type(node.value) in (int, float, bool), node.value
        if isinstance(node, ast.Subscript):  # an item's field, or a member of a family
            assert isinstance(node.value, ast.Name) and re.match(r"^(it|t\d+)$", node.value.id)
            assert isinstance(node.slice, ast.Name) and re.match(r"^(c\d+|_o)$", node.slice.id)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in library.rule_files() if p.parent.name == p.stem),
    ids=lambda p: p.stem,
)
def test_every_library_pcr_is_generated_from_its_own_identifiers_only(path: Path) -> None:
    pcr = zuji.load(path)
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    _only_its_own(splan.source)
    for name in [i.name for i in pcr.rule.inputs] + [s.name for s in pcr.plan.steps]:
        assert not re.search(rf"\b{re.escape(name)}\b", splan.source), name


# Names a rule may give that are Python's keywords, built-ins or the generator's own identifiers,
# options that are attributes and dunders, and texts written to break out of a string.
HOSTILE = """
pcr widget {
  name en "Widget \\"); __import__(\\"os\\").system(\\"echo pwned\\") #" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of P
  boundary cradle_to_gate: making
  cutoff per_flow 1 %, total 5 %

  choice exec "\\"; import os #" : __class__, system, _fsum
  input P : t "Widgets made \\" + open('/etc/passwd').read() + \\"" > 0
  input lambda : MWh "Electricity used" >= 0
  input import : t "Coal burned" >= 0
  input n0 : one of exec = system
  input it : list "Items" {
    c0 : t "Mass" >= 0
    t0 : one of exec
  }

  factor __import__ = cn_grid.national
  factor V = cn_fuels.ncv.raw_coal

  let _evaluate : GJ = import * V
  let __builtins__ : t = sum over it (if t0 is __class__ then c0 else 0 [t])

  stage making "Making" {
    eval : CO2 = lambda * __import__ * (if n0 is _fsum then 2 else 1)
    exec_ : CO2 = _evaluate * 0.1 [t CO2/GJ] + __builtins__ * 0.01 [t CO2/t]
  }

  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""


def test_a_rule_naming_things_after_python_injects_nothing() -> None:
    pcr = zuji.load_text(HOSTILE, "hostile.pcr")
    assert not pcr.errors, [d.render() for d in pcr.errors]
    splan = scalar_plan(pcr.plan)
    assert splan is not None
    _only_its_own(splan.source)
    for text in ("os", "system", "__class__", "import", "pwned", "passwd", "lambda", "exec"):
        assert not re.search(rf"\b{text}\b", splan.source), text
    inventory = pcr.inventory(
        {
            "pcr": "widget",
            "reference_period": {"start": "2023-01-01", "end": "2023-12-31"},
            "inputs": {
                "P": "100 t",
                "lambda": "50 MWh",
                "import": "10 t",
                "n0": "_fsum",
                "it": [{"c0": "5 t", "t0": "__class__"}, {"c0": "7 t", "t0": "system"}],
            },
        }
    )
    expected = evaluate(pcr.plan, inventory)
    for _ in range(2):
        generated = by_generated(splan, inventory)
        assert generated is not None
        _same(generated, expected)


def test_strings_and_names_reach_the_source_only_as_identifiers_it_made() -> None:
    closures = SourceClosures()
    hostile = "x\"); __import__('os').system('echo pwned') #"
    read = closures.read(hostile)
    test = closures.is_option(read, hostile + "'", negated=False)
    picked = closures.member(hostile, closures.field(hostile), {hostile: 1.0}, {hostile: hostile})
    numbers = closures.linear("+", closures.constant(float("inf")), 1.0, picked, -0.5)
    for code in (read, test, picked, numbers):
        assert isinstance(code, Code) and "pwned" not in code.src and "'" not in code.src
        ast.parse(code.src, mode="eval")
    assert closures.constants == [hostile + "'", hostile, float("inf")]
