"""Amounts as people write them, read into the unit an input declares, on their own: the messages
an inventory's writer sees for each way an amount can be wrong."""

from __future__ import annotations

import math

import pytest

from zuji.lang import model as m
from zuji.lang.units import unit_from_text
from zuji.runtime.amounts import check_bounds, parse_amount, quantity, written


class Collected:
    """A Reporter keeping what it is told."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str, str]] = []

    def error(self, where: str, message: str, hint: str = "") -> None:
        self.problems.append((where, message, hint))


def energy(*bounds: m.Bound) -> m.Input:
    return m.Input("kiln_electricity", "quantity", unit_from_text("MWh"), bounds=bounds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("62 000 MWh", (62000.0, "MWh")),
        ("62_000", (62000.0, "")),
        ("-1.5e3 kg", (-1500.0, "kg")),
        (".5 %", (0.5, "%")),
    ],
)
def test_parse_amount(text: str, expected: tuple[float, str]) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [("62,000 MWh", "has a comma"), ("MWh 62", "does not start with a number")],
)
def test_parse_amount_refuses(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_amount(text)


def test_quantity_converts_to_the_inputs_unit() -> None:
    said = Collected()
    assert quantity({"value": 62, "unit": "GWh"}, energy(), said, "kiln_electricity") == (
        pytest.approx(62000)
    )
    assert quantity({"value": "41 250 MWh"}, energy(), said, "kiln_electricity") == 41250
    assert said.problems == []


@pytest.mark.parametrize(
    ("meta", "says"),
    [
        ({"value": True}, "True is not a number"),
        ({"value": "5 MWh", "unit": "GWh"}, "the unit is written twice"),
        ({"value": math.inf, "unit": "MWh"}, "infinity is not a finite number"),
        ({"value": math.nan, "unit": "MWh"}, "NaN is not a finite number"),
        ({"value": 5}, "5 has no unit"),
        ({"value": "5 t"}, "'t' is mass, but this input is energy"),
    ],
)
def test_quantity_reports_and_gives_none(meta: dict[str, object], says: str) -> None:
    said = Collected()
    assert quantity(meta, energy(), said, "kiln_electricity") is None
    assert len(said.problems) == 1
    where, message, _ = said.problems[0]
    assert where == "kiln_electricity"
    assert says in message


def test_check_bounds_names_the_bound() -> None:
    said = Collected()
    check_bounds(-1.0, energy(m.Bound(">=", 0)), said, "kiln_electricity")
    check_bounds(1.0, energy(m.Bound(">=", 0)), said, "kiln_electricity")
    assert said.problems == [
        ("kiln_electricity", "-1 MWh is out of range: it must be >= 0", ""),
    ]


def test_written_keeps_what_the_inventory_wrote() -> None:
    assert written({"value": 62, "unit": "GWh"}) == "62 GWh"
    assert written({"value": "41 250 MWh"}) == "41 250 MWh"
