"""A list's optional field, which an item may leave out, on every path: the checker refuses a read
of it outside given(field) (E225, at the line); given(field) inside `sum over` tests the item; and
a read the check cannot see (a value an assertion reads) stops the evaluation with E620 naming the
item, `deliveries[0].distance`, in the scalar, batch, Monte Carlo, sensitivity, command-line and
HTTP paths alike. Never a Python traceback ("a missing number meets arithmetic")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from cli_kit import zuji as run_zuji
from serve_kit import start

import zuji
from zuji.core.access import add_client
from zuji.core.errors import EvaluationError
from zuji.review.sensitivity import symbolic_total

WIDGET = (Path(__file__).parent / "fuzz" / "seeds" / "widget.pcr").read_text(encoding="utf-8")
TRUCK = "mass * distance * truck"


def rule(hauling: str, extra: str = "", mode: str = "") -> str:
    """The widget seed with a list of deliveries whose distance is optional (carriers do not
    always report it), a line `hauling` with the formula given, and more declarations."""
    text = WIDGET.replace(
        '  input coal : t "Coal burned" >= 0\n',
        '  input coal : t "Coal burned" >= 0\n'
        '  input deliveries : list "Inbound deliveries" {\n'
        '    mass : t "Mass carried" >= 0\n'
        '    distance : km "Distance, one way, where the carrier reports it" >= 0 optional\n'
        f"{mode}"
        "  }\n"
        "  factor truck = transport.road.diesel_truck_30t\n" + extra,
    )
    return text.replace(
        "    burning : CO2 = heat * 0.1 [t CO2/GJ]\n",
        f"    burning : CO2 = heat * 0.1 [t CO2/GJ]\n    hauling : CO2e = {hauling}\n",
    )


GUARDED = rule(f"sum over deliveries (if given(distance) then {TRUCK} else 0 [t CO2e])")
# The check does not follow an assertion's reads: a value summing the field unguarded, read only
# by an error assertion, is the path left to evaluation (docs/language.md, `optional`).
ASSERTED = rule(
    "0 [t CO2e]",
    '  let tonne_km : t km = sum over deliveries (mass * distance) "Freight carried"\n'
    '  assert tonne_km <= 1000000 [t km] otherwise error "More freight than a plant hauls"\n',
)


def inventory(*items: dict[str, str]) -> dict[str, Any]:
    return {
        "pcr": "widget",
        "inputs": {"widget": "10 t", "power": "0 MWh", "coal": "0 t", "deliveries": list(items)},
    }


ONE_LEFT_OUT = inventory({"mass": "5 t"}, {"mass": "3 t", "distance": "40 km"})
ALL_GIVEN = inventory({"mass": "5 t", "distance": "100 km"}, {"mass": "3 t", "distance": "40 km"})
# By hand, with the 30 t diesel truck's 0.078 kg CO2e/tkm (GB/T 51366-2019 Annex E, in
# standards/factors/transport.yaml); 10 t of widget made, power and coal 0:
#   ONE_LEFT_OUT: the first item has no distance and counts 0 under its guard;
#                 3 t x 40 km x 0.078 = 9.36 kg CO2e; / 10 t = 0.936 kg CO2e/t
#   ALL_GIVEN:    5 t x 100 km x 0.078 = 39 kg, + 9.36 kg = 48.36 kg; / 10 t = 4.836 kg CO2e/t
ONE_LEFT_OUT_TOTAL, ALL_GIVEN_TOTAL = 0.936, 4.836


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


# ------------------------------------------------------------------------------ the check


@pytest.mark.parametrize(
    ("hauling", "extra"),
    [
        (f"sum over deliveries ({TRUCK})", ""),  # directly, as a module formula's argument
        (f"sum over deliveries (if given(distance) then 0 [t CO2e] else {TRUCK})", ""),
        (f"sum over deliveries (if distance > 0 [km] and given(distance) then {TRUCK} else 0)", ""),
        (f"if given(deliveries) then sum over deliveries ({TRUCK}) else 0 [t CO2e]", ""),
        (
            "tonne_km * truck",
            "  let tonne_km : t km = sum over deliveries (mass * distance)\n",
        ),
    ],
    ids=["direct", "wrong-branch", "read-before-guard", "list-guard-only", "through-a-value"],
)
def test_an_unguarded_read_of_an_optional_field_is_E225_at_its_line(
    hauling: str, extra: str
) -> None:
    text = rule(hauling, extra)
    errors = zuji.load_text(text, "widget.pcr").errors
    assert [d.code for d in errors] == ["E225"], [d.render() for d in errors]
    [error] = errors
    assert "line 'hauling'" in error.message and "optional field 'distance'" in error.message
    assert "of list 'deliveries'" in error.message
    assert "given(distance)" in error.hint and "sum over deliveries" in error.hint
    assert error.span is not None and error.span.file == "widget.pcr"
    assert error.span.line == _line_of(text, "hauling : CO2e")


def test_an_optional_choice_field_is_a_read_too() -> None:
    text = rule(
        "sum over deliveries (if given(distance) then "
        "transport.co2e(mass, distance, mode) else 0 [t CO2e])",
        mode='    mode : one of transport.mode "Mode, where the carrier reports it" optional\n',
    ).replace("  input widget", "  use common.transport\n  input widget")
    [error] = zuji.load_text(text, "widget.pcr").errors
    assert error.code == "E225" and "optional field 'mode'" in error.message


@pytest.mark.parametrize(
    "body",
    [
        f"if given(distance) then {TRUCK} else 0 [t CO2e]",
        f"if not given(distance) then 0 [t CO2e] else {TRUCK}",
        f"if given(distance) and distance > 0 [km] then {TRUCK} else 0 [t CO2e]",
        f"if not given(distance) or distance <= 0 [km] then 0 [t CO2e] else {TRUCK}",
    ],
)
def test_a_read_under_given_of_the_field_passes(body: str) -> None:
    assert zuji.load_text(rule(f"sum over deliveries ({body})"), "widget.pcr").errors == []


def test_given_of_a_field_outside_its_sum_is_E221() -> None:
    text = rule(f"if given(distance) then sum over deliveries ({TRUCK}) else 0 [t CO2e]")
    assert "E221" in [d.code for d in zuji.load_text(text, "widget.pcr").errors]


# ------------------------------------------------------------------ given(field) evaluates


@pytest.fixture(scope="module")
def guarded() -> zuji.PCR:
    return zuji.load_text(GUARDED, "widget.pcr")


@pytest.fixture(scope="module")
def asserted() -> zuji.PCR:
    return zuji.load_text(ASSERTED, "widget.pcr")


def test_given_tests_each_item(guarded: zuji.PCR) -> None:
    assert guarded.evaluate(ONE_LEFT_OUT).total == pytest.approx(ONE_LEFT_OUT_TOTAL, rel=1e-12)
    assert guarded.evaluate(ALL_GIVEN).total == pytest.approx(ALL_GIVEN_TOTAL, rel=1e-12)


def test_the_vectorised_batch_gives_the_same_figures(guarded: zuji.PCR) -> None:
    documents = guarded.evaluate_many([ONE_LEFT_OUT, ALL_GIVEN, ONE_LEFT_OUT])
    assert list(documents["status"]) == ["ok"] * 3
    expected = [ONE_LEFT_OUT_TOTAL, ALL_GIVEN_TOTAL, ONE_LEFT_OUT_TOTAL]
    assert list(documents["total"]) == pytest.approx(expected, rel=1e-12)
    # A flat table, as a spreadsheet exports it: a blank cell is a distance left out.
    table = pd.DataFrame(
        {
            "widget [t]": [10.0, 10.0],
            "power [MWh]": [0.0, 0.0],
            "coal [t]": [0.0, 0.0],
            "deliveries.0.mass [t]": [5.0, 5.0],
            "deliveries.0.distance [km]": [None, 100.0],
            "deliveries.1.mass [t]": [3.0, 3.0],
            "deliveries.1.distance [km]": [40.0, 40.0],
        }
    )
    flat = guarded.evaluate_many(table)
    assert list(flat["status"]) == ["ok", "ok"]
    assert list(flat["total"]) == pytest.approx(expected[:2], rel=1e-12)


def test_monte_carlo_and_sensitivity_read_only_the_distances_given(guarded: zuji.PCR) -> None:
    sampled = guarded.monte_carlo(ONE_LEFT_OUT, 64, seed=7)
    assert sampled.n == 64
    read = guarded.inventory(ONE_LEFT_OUT)
    names = {str(s) for s in symbolic_total(guarded, read).total.free_symbols}
    assert "deliveries[1].distance" in names and "deliveries[0].distance" not in names


# ------------------------------------------------- a read left to evaluation: E620, no traceback


def _assert_e620(diagnostic: zuji.Diagnostic, item: int = 0) -> None:
    assert diagnostic.code == "E620"
    assert f"'deliveries[{item}].distance'" in diagnostic.message
    assert "through value 'tonne_km'" in diagnostic.message
    assert f"in deliveries[{item}]" in diagnostic.hint and "given(distance)" in diagnostic.hint
    assert diagnostic.span is not None and diagnostic.span.file == "widget.pcr"
    assert diagnostic.span.line == _line_of(ASSERTED, "let tonne_km")


def test_evaluate_names_the_item_that_leaves_the_field_out(asserted: zuji.PCR) -> None:
    with pytest.raises(EvaluationError) as raised:
        asserted.evaluate(ONE_LEFT_OUT)
    _assert_e620(raised.value.diagnostics[0])
    second = inventory({"mass": "5 t", "distance": "100 km"}, {"mass": "3 t"})
    with pytest.raises(EvaluationError) as raised:
        asserted.evaluate(second)
    _assert_e620(raised.value.diagnostics[0], item=1)
    assert asserted.evaluate(ALL_GIVEN).total == pytest.approx(0.0, abs=0)


def test_a_batch_fails_that_row_alone(asserted: zuji.PCR) -> None:
    documents = asserted.evaluate_many([ALL_GIVEN, ONE_LEFT_OUT])
    assert list(documents["status"]) == ["ok", "failed"]
    assert documents["error"][1].startswith("E620: ")
    assert "'deliveries[0].distance'" in documents["error"][1]


def test_monte_carlo_stops_with_the_diagnostic(asserted: zuji.PCR) -> None:
    with pytest.raises(EvaluationError) as raised:
        asserted.monte_carlo(ONE_LEFT_OUT, 16, seed=1)
    _assert_e620(raised.value.diagnostics[0])


def _files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "widget.pcr").write_text(ASSERTED, encoding="utf-8")
    (folder / "inventory.json").write_text(json.dumps(ONE_LEFT_OUT), encoding="utf-8")
    (folder / "many.jsonl").write_text(
        "\n".join(json.dumps(d) for d in (ALL_GIVEN, ONE_LEFT_OUT)) + "\n", encoding="utf-8"
    )
    return folder / "widget.pcr", folder / "inventory.json"


@pytest.mark.parametrize(
    "command",
    [
        ("run", "widget.pcr", "--inventory", "inventory.json"),
        ("run", "widget.pcr", "--inventory", "inventory.json", "--sensitivity"),
        ("mc", "widget.pcr", "--inventory", "inventory.json", "-n", "16"),
    ],
    ids=["run", "run-sensitivity", "mc"],
)
def test_the_command_line_prints_the_diagnostic(tmp_path: Path, command: tuple[str, ...]) -> None:
    _files(tmp_path)
    ran = run_zuji(*command, cwd=tmp_path)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    line = _line_of(ASSERTED, "let tonne_km")
    assert f"widget.pcr:{line}:" in ran.stderr and "error[E620]" in ran.stderr
    assert "'deliveries[0].distance'" in ran.stderr and "hint: give 'distance'" in ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr


def test_zuji_batch_writes_the_failed_row(tmp_path: Path) -> None:
    _files(tmp_path)
    ran = run_zuji("batch", "widget.pcr", "many.jsonl", "-o", "out.csv", cwd=tmp_path)
    assert ran.returncode == 1 and "Traceback" not in ran.stdout + ran.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out["status"]) == ["ok", "failed"]
    assert "E620" in out["error"][1] and "'deliveries[0].distance'" in out["error"][1]


def test_the_http_service_answers_a_problem(tmp_path: Path) -> None:
    committee = tmp_path / "committee"
    assert run_zuji("init", str(committee)).returncode == 0
    _files(committee / "pcr" / "widget")
    clients = tmp_path / "clients.json"
    secret = add_client(clients, "verifier", ("evaluate",))
    service = start(clients, tmp_path, cwd=committee)
    try:
        token = httpx.post(
            service.url + "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("verifier", secret),
        ).json()["access_token"]
        answer = httpx.post(
            service.url + "/pcrs/widget/evaluate",
            json=ONE_LEFT_OUT,
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    finally:
        service.stop()
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "E620" and "'deliveries[0].distance'" in json.dumps(problem)
    assert "Traceback" not in answer.text
