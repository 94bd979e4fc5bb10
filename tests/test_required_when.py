"""`required when <condition>`: an input that may be left out unless the inventory's own figures
require it, judged on the scalar path (the vectorised one leaves such rows to it) and, for a
condition on a choice, in the inventory's JSON Schema too.

Hand arithmetic, per t of quicklime, lime 10 t: decarbonation = limestone × CaO share × 0.785 t
CO2/t CaO (the round test figure stands for 44/56 ≈ 0.786, CO2 per CaO by molar mass);
limestone 100 t with cao 50 %: 100 × 0.5 × 0.785 = 39.25 t CO2 = 39 250 kg; / 10 t = 3 925 kg/t.
"""

from __future__ import annotations

from typing import Any

import pytest

import zuji
from zuji.core.errors import DocumentError, EvaluationError, ZujiError
from zuji.review.diff import diff

RULE = """
pcr quicklime {
  name en "Lime" zh "石灰"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of lime "Quicklime"
  boundary cradle_to_gate: kiln
  input lime : t "Quicklime made" > 0
  input limestone : t "Limestone calcined" >= 0
  input fuel : one of coal, gas = coal "Kiln fuel"
  input cao : % "CaO content of the quicklime" >= 0 <= 100 required when limestone > 0 [t]
  input gas_ncv : GJ/t "Net calorific value of the gas" > 0 required when fuel is gas
  stage kiln "Kiln" {
    decarbonation : CO2 = if given(cao) then limestone * cao * 0.785 [t CO2/t] else 0 [t CO2]
  }
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


@pytest.fixture(scope="module")
def pcr() -> zuji.PCR:
    loaded = zuji.load_text(RULE, "quicklime.pcr")
    assert loaded.errors == [], [d.render() for d in loaded.errors]
    return loaded


def _inventory(**inputs: str) -> dict[str, Any]:
    return {
        "pcr": "quicklime",
        "reference_period": {"start": "2024-01-01", "end": "2024-12-31"},
        "inputs": {"lime": "10 t", **inputs},
    }


def test_the_input_may_be_left_out_when_the_condition_does_not_hold(pcr: zuji.PCR) -> None:
    cao = pcr.rule.input("cao")
    assert cao is not None and cao.optional and cao.required_when is not None
    assert pcr.evaluate(_inventory(limestone="0 t")).total == 0


def test_given_when_required_it_is_used(pcr: zuji.PCR) -> None:
    result = pcr.evaluate(_inventory(limestone="100 t", cao="50 %"))
    assert result.total == pytest.approx(3_925)


def test_left_out_when_required_is_e613_at_the_condition(pcr: zuji.PCR) -> None:
    with pytest.raises(EvaluationError) as caught:
        pcr.evaluate(_inventory(limestone="100 t"))
    (diag,) = caught.value.diagnostics
    assert diag.code == "E613"
    assert "input 'cao' is required when limestone > 0 [t]" in diag.message
    assert diag.span is not None and diag.span.line == 12


def test_the_vectorised_path_leaves_the_rows_to_the_scalar_path(pcr: zuji.PCR) -> None:
    rows = [
        _inventory(limestone="0 t"),
        _inventory(limestone="100 t"),
        _inventory(limestone="100 t", cao="50 %"),
    ]
    out = pcr.evaluate_many(rows)
    assert out["status"].tolist() == ["ok", "failed", "ok"]
    assert out["total"].tolist()[2] == pytest.approx(3_925)


def test_a_condition_on_a_choice_is_in_the_json_schema(pcr: zuji.PCR) -> None:
    inputs = pcr.schema()["properties"]["inputs"]
    (rule,) = inputs["allOf"]
    assert rule["then"] == {"required": ["gas_ncv"]}
    assert "gas_ncv" not in inputs["required"]
    with pytest.raises((DocumentError, ZujiError)) as caught:
        pcr.inventory(_inventory(limestone="0 t", fuel="gas"), "gas.yaml")
    assert "gas_ncv" in str(caught.value)
    pcr.inventory(_inventory(limestone="0 t", fuel="coal"), "coal.yaml")  # not required


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("required when limestone > 0 [t]", "E351"),  # a value read: see below
        ("= 50 required when limestone > 0 [t]", "E269"),
        ("required when limestone", "E351"),
    ],
)
def test_misuse_is_found_at_check_time(change: str, code: str) -> None:
    text = RULE.replace("required when limestone > 0 [t]", change)
    if code == "E351" and ">" in change:
        text = text.replace(
            "required when limestone > 0 [t]", "required when stone > 0 [t]"
        ).replace("  stage kiln", "  let stone : t = limestone\n  stage kiln")
    loaded = zuji.load_text(text, f"misuse_{code}_{len(change)}.pcr")
    assert code in [d.code for d in loaded.errors], [d.render() for d in loaded.errors]


def test_the_review_shows_a_changed_condition() -> None:
    """A condition that changes changes who must report what: a substantive input change."""
    old = zuji.load_text(RULE, "old_quicklime.pcr")
    new = zuji.load_text(
        RULE.replace("required when limestone > 0 [t]", "required when limestone > 10 [t]"),
        "new_quicklime.pcr",
    )
    (change,) = diff(old, new).group("inputs")
    assert change.substantive
    assert change.summary == "input 'cao': required when limestone > 0 [t] → limestone > 10 [t]"


def test_the_published_page_says_when_an_input_is_required(pcr: zuji.PCR) -> None:
    from zuji.interfaces.docsite.pcr_page import render

    page = render(pcr, {})
    assert "required when limestone &gt; 0 [t]" in page
    assert "required when fuel is gas" in page
