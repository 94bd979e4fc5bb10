"""Assertions that read lines, stages and the total, on the scalar and the vectorised path.

Hand arithmetic for the kiln rule below, per t of lime (the declared unit), product 10 t:
- decarbonation: limestone 100 t × 0.44 t CO2/t = 44 t CO2 = 44 000 kg; / 10 t = 4 400 kg/t;
- fuel: coal 4 t × 2.5 t CO2/t = 10 t CO2 = 10 000 kg; / 10 t = 1 000 kg/t;
- total = stage kiln = 5 400 kg CO2e/t (CO2 counts 1 in every GWP set).
So `decarbonation <= 0.8 * total` is 4 400 <= 4 320: false, the warning is given; `kiln <= 6000`
holds. With limestone 200 t: decarbonation 8 800, kiln 9 800 > 6 000: the error refuses it.
(0.44 t CO2/t limestone and 2.5 t CO2/t coal are round test figures, not published factors.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import zuji
from zuji.core.errors import EvaluationError
from zuji.runtime.vector import factors_in_force, run_vector
from zuji.semantics.compile.vector import vector_plan

RULE = """
pcr kiln_lime {
  name en "Lime" zh "石灰"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of lime "Quicklime"
  boundary cradle_to_gate: kiln
  input lime : t "Quicklime made" > 0
  input limestone : t "Limestone calcined" >= 0
  input coal : t "Coal burned" >= 0
  stage kiln "Kiln" {
    decarbonation : CO2 = limestone * 0.44 [t CO2/t] "Decarbonation of the limestone"
    fuel : CO2 = coal * 2.5 [t CO2/t] "Coal burned in the kiln"
  }
  assert decarbonation <= 0.8 * total otherwise warning "Decarbonation above 80 % of the total"
  assert kiln <= 6000 [kg CO2e] otherwise error "The kiln stage exceeds 6 000 kg CO2e per t"
  changelog {
    1.0.0 2026-01-01 "Test"
  }
}
"""


def _inventory(limestone: float) -> dict[str, Any]:
    return {
        "pcr": "kiln_lime",
        "reference_period": {"start": "2024-01-01", "end": "2024-12-31"},
        "inputs": {"lime": "10 t", "limestone": f"{limestone:g} t", "coal": "4 t"},
    }


@pytest.fixture(scope="module")
def pcr() -> zuji.PCR:
    loaded = zuji.load_text(RULE, "kiln_lime.pcr")
    assert loaded.errors == [], [d.render() for d in loaded.errors]
    return loaded


def test_an_assertion_reads_a_line_and_the_total(pcr: zuji.PCR) -> None:
    result = pcr.evaluate(_inventory(100))
    assert result.total == pytest.approx(5_400)
    outcomes = {a.message: a.level for a in result.assertions}
    assert outcomes == {
        "Decarbonation above 80 % of the total": "warning",  # 4 400 > 4 320
        "The kiln stage exceeds 6 000 kg CO2e per t": "passed",  # 5 400 <= 6 000
    }
    assert "W650" in {w.code for w in result.warnings}


def test_a_line_within_its_share_passes(pcr: zuji.PCR) -> None:
    # limestone 50 t: decarbonation 2 200, total 3 200; 0.8 × 3 200 = 2 560 >= 2 200.
    result = pcr.evaluate(_inventory(50))
    assert {a.level for a in result.assertions} == {"passed"}


def test_an_error_assertion_reads_a_stage(pcr: zuji.PCR) -> None:
    with pytest.raises(EvaluationError) as caught:
        pcr.evaluate(_inventory(200))  # kiln 9 800 kg CO2e/t
    assert [d.code for d in caught.value.diagnostics] == ["E650"]


def test_the_vectorised_path_leaves_such_rows_to_the_scalar_path(pcr: zuji.PCR) -> None:
    """Rows are not judged on lines and stages in the vectorised path: every row goes the
    scalar way, which gives the same totals and refuses the same row."""
    n = 3
    values = {
        "lime": np.full(n, 10.0),
        "limestone": np.asarray([50.0, 100.0, 200.0]),
        "coal": np.full(n, 4.0),
    }
    figures = run_vector(vector_plan(pcr.plan), values, factors_in_force(pcr.plan, None), n)
    assert figures.suspect.all()
    out = pcr.evaluate_many([_inventory(x) for x in (50, 100, 200)])
    assert out["status"].tolist() == ["ok", "ok", "failed"]
    assert out["total"].tolist()[:2] == pytest.approx([3_200, 5_400])


def test_an_input_of_the_same_name_keeps_its_name() -> None:
    """A rule that named an input like a line kept reading the input in its assertions."""
    text = RULE.replace("limestone : t", "fuel : t").replace("limestone * 0.44", "fuel * 0.44")
    text = text.replace(
        "assert decarbonation <= 0.8 * total otherwise warning",
        'assert fuel <= 50 [t] otherwise warning "Much limestone" #',
    )
    loaded = zuji.load_text(text, "kiln_named.pcr")
    assert loaded.errors == [], [d.render() for d in loaded.errors]
    inventory = _inventory(0)
    # 60 t × 0.44 = 26.4 t CO2, 2 640 kg/t; with the coal's 1 000, kiln 3 640 <= 6 000.
    inventory["inputs"] = {"lime": "10 t", "fuel": "60 t", "coal": "4 t"}
    result = loaded.evaluate(inventory)
    levels = {a.message: a.level for a in result.assertions}
    assert levels["Much limestone"] == "warning"  # 60 t of the input, not the line's figure
