"""Optional inputs read outside given(...) are found when the rule is checked (E225), in every
shape a guard takes; and the other checks a committee relies on: a misspelt module formula is
reported before its arguments, a misspelt option gets its close names, and numbers written as in
reports get a hint saying what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

import zuji
from zuji.core.errors import RuleError

WIDGET = (Path(__file__).parent / "fuzz" / "seeds" / "widget.pcr").read_text(encoding="utf-8")
OPTIONAL = WIDGET.replace(
    'input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 optional'
)
BURNING = "burning : CO2 = heat * 0.1 [t CO2/GJ]"


def _codes(text: str) -> list[str]:
    return [d.code for d in zuji.load_text(text, "w.pcr").errors]


def _burning(expr: str, text: str = OPTIONAL) -> str:
    assert text.count(BURNING) == 1
    return text.replace(BURNING, f"burning : CO2 = {expr}")


@pytest.mark.parametrize(
    "expr",
    [
        "if given(coal) then heat * 0.1 [t CO2/GJ] else 0 [t CO2]",
        "if not given(coal) then 0 [t CO2] else heat * 0.1 [t CO2/GJ]",
        "if given(coal) and coal > 0 [t] then heat * 0.1 [t CO2/GJ] else 0 [t CO2]",
        "if not given(coal) or coal <= 0 [t] then 0 [t CO2] else coal * 2 [t CO2/t]",
        "if power > 0 [MWh] and given(coal) then min(heat * 0.1 [t CO2/GJ], 1 [t CO2]) "
        "else 0 [t CO2]",
    ],
)
def test_guarded_reads_pass(expr: str) -> None:
    assert _codes(_burning(expr)) == []


@pytest.mark.parametrize(
    "expr",
    [
        "heat * 0.1 [t CO2/GJ]",  # through the value heat
        "coal * 2 [t CO2/t]",  # directly
        "if given(coal) or power > 0 [MWh] then coal * 2 [t CO2/t] else 0 [t CO2]",
        "if given(coal) then 0 [t CO2] else coal * 2 [t CO2/t]",  # the wrong branch
        "if coal > 0 [t] and given(coal) then 0 [t CO2] else 0 [t CO2]",  # read before guard
    ],
)
def test_unguarded_reads_are_E225_naming_line_and_input(expr: str) -> None:
    errors = zuji.load_text(_burning(expr), "w.pcr").errors
    assert [d.code for d in errors] == ["E225"]
    assert "line 'burning'" in errors[0].message and "'coal'" in errors[0].message


def test_a_module_formulas_argument_is_a_read_at_the_call() -> None:
    text = _burning("combustion.co2(coal, raw_coal)").replace(
        "  input widget", "  use common.combustion\n  input widget"
    )
    assert "E225" in _codes(text)
    guarded = _burning("if given(coal) then combustion.co2(coal, raw_coal) else 0 [t CO2]").replace(
        "  input widget", "  use common.combustion\n  input widget"
    )
    assert _codes(guarded) == []


def test_a_default_or_an_error_assertion_on_given_settles_it() -> None:
    with_default = WIDGET.replace(
        'input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 = 0'
    )
    assert _codes(with_default) == []
    stated = OPTIONAL.replace(
        "  changelog",
        '  assert power > 0 [MWh] or given(coal) otherwise error "Give the coal burned"\n\n'
        "  changelog",
    )
    assert _codes(stated) == []


def test_an_unknown_module_formula_is_reported_before_its_arguments() -> None:
    text = _burning("combustion.co(coal, raw_col)", WIDGET).replace(
        "  input widget", "  use common.combustion\n  input widget"
    )
    [error] = zuji.load_text(text, "w.pcr").errors
    assert error.code == "E220" and "combustion.co2" in error.hint


def test_a_misspelt_option_gets_close_names() -> None:
    text = _burning("if given(coal) then combustion.co2(coal, raw_col) else 0 [t CO2]").replace(
        "  input widget", "  use common.combustion\n  input widget"
    )
    [error] = zuji.load_text(text, "w.pcr").errors
    assert error.code == "E218" and "'raw_coal'" in error.hint


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("heat * 0.1 [t CO2/GJ] * 1,000 / 1000", "write 1000"),
        ("heat * 0.1 [t CO2/GJ] * 97 %", "97 [%]"),
        ("heat * 1.0e [t CO2/GJ]", "1.0e3"),
        ("heat * 0,1 [t CO2/GJ]", "0.1 (the decimal mark is a point)"),
    ],
)
def test_number_shaped_mistakes_get_a_hint(written: str, hint: str) -> None:
    with pytest.raises(RuleError) as info:
        zuji.load_text(_burning(written, WIDGET), "w.pcr")
    [error] = info.value.diagnostics
    assert error.code == "E001" and hint in error.hint, error.hint
