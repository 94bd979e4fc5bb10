"""Numerical honesty: a footprint is a finite, non-negative number or an error naming the line or
the input that broke it, and sums over many lines are exactly rounded."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

import zuji
from zuji.core.errors import EvaluationError

RULE = """
pcr numbers {
  name en "Numbers" zh "数值"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of product "Product"
  boundary cradle_to_gate: making
  input product : t "Product" > 0
  input amount : t "An amount" >= 0
  input exponent : t "An amount used as an exponent" >= 0 = 1
  input divisor : t "An output divided by" >= 0 = 1
  stage making {
    LINES
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


def rule(lines: str) -> zuji.PCR:
    pcr = zuji.load_text(RULE.replace("LINES", lines), "numbers.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    return pcr


def inventory(**inputs: str) -> dict[str, Any]:
    return {"pcr": "numbers", "inputs": {"product": "1 t", "amount": "1 t", **inputs}}


def refused(pcr: zuji.PCR, **inputs: str) -> zuji.Diagnostic:
    with pytest.raises(EvaluationError) as info:
        pcr.evaluate(inventory(**inputs))
    return info.value.diagnostics[0]


def test_overflow_in_a_power_names_the_line() -> None:
    pcr = rule("grows : CO2 = 10 ^ (exponent / 1 [t]) * 1 [t CO2]")
    assert pcr.evaluate(inventory(exponent="2 t")).total == pytest.approx(100_000)
    diagnostic = refused(pcr, exponent="400 t")
    assert diagnostic.code == "E622" and "line 'grows'" in diagnostic.message


def test_an_infinite_value_names_the_line() -> None:
    pcr = rule("huge : CO2 = amount * amount * 1e300 [t CO2/t t]")
    diagnostic = refused(pcr, amount="1e10 t")  # 1e320 t CO2: past the largest float
    assert diagnostic.code == "E623" and "line 'huge'" in diagnostic.message


def test_a_finite_value_made_infinite_by_the_gwp_names_the_line() -> None:
    # 1e306 t N2O is a finite float; in kg and times 273 it is not.
    pcr = rule("nitrous : N2O = amount * 1e300 [t N2O/t]")
    diagnostic = refused(pcr, amount="1e6 t")
    assert diagnostic.code == "E623" and "line 'nitrous'" in diagnostic.message


def test_lines_adding_up_past_the_largest_number_are_an_error() -> None:
    pcr = rule("a : CO2 = amount * 1e307 [kg CO2/t]\n    b : CO2 = amount * 1e307 [kg CO2/t]")
    diagnostic = refused(pcr, amount="10 t")  # each line is 1e308 kg, finite; their sum is not
    assert diagnostic.code in ("E622", "E623") and "total" in diagnostic.message


def test_a_negative_line_names_the_line() -> None:
    pcr = rule("saving : CO2 = (divisor - amount) * 1 [t CO2/t]")
    diagnostic = refused(pcr, amount="5 t")
    assert diagnostic.code == "E625" and "line 'saving'" in diagnostic.message
    assert "credit" in diagnostic.message  # the way to write a saving


def test_division_by_a_zero_output_names_the_input() -> None:
    pcr = rule("per_output : CO2 = amount / divisor * 1 [t CO2]")
    diagnostic = refused(pcr, divisor="0 t")
    assert diagnostic.code == "E621" and "'divisor' is 0" in diagnostic.message


def test_sums_of_many_lines_are_exactly_rounded() -> None:
    # 1000 lines alternating 1e8 and 0.1 kg: adding left to right in floats loses the small
    # ones' last digits; an exactly rounded sum is within 1e-15 of the exact rational sum.
    lines = "\n    ".join(
        f"l{i} : CO2 = amount * {'1e5' if i % 2 else '0.0001'} [t CO2/t]" for i in range(1000)
    )
    result = rule(lines).evaluate(inventory())
    exact = 500 * Fraction(10**8) + 500 * Fraction(1, 10)  # kg CO2e per t product
    assert abs(Fraction(result.total) - exact) / exact < Fraction(1, 10**15)
    assert abs(result.total - float(exact)) / float(exact) < 1e-9
    naive = 0.0
    for line in result.lines:
        naive += line.co2e_kg
    assert math.isfinite(naive)  # the naive sum is only shown for contrast in a failure


def test_zero_to_a_negative_power_names_the_base() -> None:
    pcr = rule("inverse : CO2 = (divisor / 1 [t]) ^ (0 - 1) * 1 [t CO2]")
    assert pcr.evaluate(inventory(divisor="2 t")).total == pytest.approx(500)  # 2^-1 t = 500 kg
    diagnostic = refused(pcr, divisor="0 t")
    assert diagnostic.code == "E621" and "divisor" in diagnostic.message


def test_a_negative_base_to_a_fractional_power_is_not_a_number() -> None:
    # Python answers (-8) ** 0.5 with a complex number; a footprint has no use for one.
    pcr = rule("root : CO2 = ((divisor - amount) / 1 [t]) ^ 0.5 * 1 [t CO2]")
    assert pcr.evaluate(inventory(divisor="5 t", amount="1 t")).total == pytest.approx(2000)
    diagnostic = refused(pcr, divisor="1 t", amount="9 t")
    assert diagnostic.code == "E623" and "line 'root'" in diagnostic.message
