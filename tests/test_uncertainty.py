"""Uncertainty data: distributions on dataset entries and inventory inputs, read, checked,
converted and drawn; pedigree scores turned into a lognormal spread as ecoinvent does."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import zuji
from zuji.core.errors import InventoryError
from zuji.data.standards import load
from zuji.data.uncertainty import (
    Distribution,
    entry_distribution,
    pedigree_gsd2,
    read_distribution,
)
from zuji.runtime.cases import load_case


def cement_inventory() -> dict[str, Any]:
    case = load_case(zuji.load("cement").folder / "cases" / "typical_plant.yaml")
    inventory: dict[str, Any] = case["inventory"]
    return inventory


def test_pedigree_factors_combine_as_the_fact_sheet_works_them_out() -> None:
    # facts.md fixture T11 (classic factors; the v3 factors are the same for these scores):
    # basic 1.05 and reliability 2 (1.05), completeness 3 (1.05), temporal 1, geographical 2
    # (1.01), technological 3 (1.20): exp(sqrt(3 ln²1.05 + ln²1.01 + ln²1.2)) = 1.223.
    scores = {
        "reliability": 2,
        "completeness": 3,
        "temporal": 1,
        "geographical": 2,
        "technological": 3,
    }
    assert pedigree_gsd2(scores, basic=1.05) == pytest.approx(1.2233, abs=5e-4)


def test_pef_scores_are_read_as_pedigree_indicators() -> None:
    # p -> reliability, tir -> temporal, ger -> geographical, ter -> technological; v3 factors
    # p 2: 1.05, tir 1: 1, ger 2: 1.01, ter 4: 1.5.
    by_hand = math.exp(math.sqrt(math.log(1.05) ** 2 + math.log(1.01) ** 2 + math.log(1.5) ** 2))
    assert pedigree_gsd2({"ter": 4, "ger": 2, "tir": 1, "p": 2}) == pytest.approx(by_hand)
    assert pedigree_gsd2({"ter": 1, "ger": 1, "tir": 1, "p": 1}) == 1.0


def test_a_grid_factor_basic_uncertainty_is_widened_by_its_scores() -> None:
    entry = load().entry("cn_grid.national")
    assert entry is not None
    found = entry_distribution(entry.uncertainty, entry.dq, 0.5568)
    # basic 1.05; dq ter 1, ger 2 (1.01), tir 1, p 2 (1.05)
    by_hand = math.exp(math.sqrt(2 * math.log(1.05) ** 2 + math.log(1.01) ** 2))
    assert found is not None and found.kind == "lognormal"
    assert found.centre == 0.5568 and found.spread == pytest.approx(by_hand)


def test_an_entry_with_scores_only_gets_the_pedigree_spread_and_one_without_none() -> None:
    found = entry_distribution({}, {"ter": 2, "ger": 1, "tir": 1, "p": 1}, 10.0)
    assert found is not None and found.spread == pytest.approx(1.05)
    assert entry_distribution({}, {}, 10.0) is None
    assert entry_distribution({}, {"ter": 2, "ger": 1, "tir": 1, "p": 1}, 10.0, False) is None


@pytest.mark.parametrize(
    ("spec", "value", "says"),
    [
        ({"distribution": "normal", "sd": -1}, 10, "0 or more"),
        ({"distribution": "lognormal", "gsd2": 0.9}, 10, "above 1"),
        ({"distribution": "lognormal", "gsd2": 1.2}, 0, "value above 0"),
        ({"distribution": "uniform", "min": 5, "max": 1}, 3, "min 5 is above max 1"),
        ({"distribution": "uniform", "min": 1, "max": 5}, 7, "the value 7 is outside"),
        ({"distribution": "triangular", "min": 1, "mode": 9, "max": 5}, 3, "mode 9 is outside"),
        ({"distribution": "gamma", "k": 2}, 3, "not one of normal"),
        ({"distribution": "normal"}, 3, "needs 'sd'"),
        ({"distribution": "normal", "sd": 1, "min": 0}, 3, "takes no 'min'"),
        ({"distribution": "normal", "sd": "x"}, 3, "is a number"),
    ],
)
def test_bad_distributions_are_refused_with_the_reason(
    spec: dict[str, Any], value: float, says: str
) -> None:
    found, problems = read_distribution(spec, value)
    assert found is None and any(says in p for p in problems), problems


def test_moments_match_the_textbook_formulas() -> None:
    tri = Distribution("triangular", 2.0, low=1.0, high=6.0)
    assert tri.mean == 3.0 and tri.sd == pytest.approx(math.sqrt((1 + 36 + 4 - 6 - 2 - 12) / 18))
    uni = Distribution("uniform", 3.0, low=1.0, high=5.0)
    assert uni.mean == 3.0 and uni.sd == pytest.approx(4 / math.sqrt(12))
    logn = Distribution("lognormal", 10.0, 1.21)  # sigma = ln 1.21 / 2 = ln 1.1
    assert logn.sigma == pytest.approx(math.log(1.1))
    assert logn.mean == pytest.approx(10 * math.exp(math.log(1.1) ** 2 / 2))


def test_draws_follow_the_distribution_and_repeat_with_the_seed() -> None:
    logn = Distribution("lognormal", 10.0, 1.21)
    a = logn.sample(np.random.Generator(np.random.PCG64(7)), 200_000)
    b = logn.sample(np.random.Generator(np.random.PCG64(7)), 200_000)
    assert np.array_equal(a, b)
    # The median of n draws has a standard error of about 1.2533 sigma_x / sqrt(n) on the log
    # scale; 5 of them is far beyond chance.
    se = 1.2533 * math.log(1.1) / math.sqrt(200_000)
    assert abs(math.log(float(np.median(a))) - math.log(10.0)) < 5 * se


def test_inventory_distribution_is_converted_to_the_pcr_unit() -> None:
    inventory = cement_inventory()
    inventory["inputs"]["limestone"] = {
        "value": 1240,
        "unit": "kt",
        "uncertainty": {"distribution": "triangular", "min": 1200, "max": 1300},
    }
    inventory["inputs"]["kiln_electricity"] = {
        "value": "41250 MWh",
        "uncertainty": {"distribution": "lognormal", "gsd2": 1.1},
    }
    read = zuji.load("cement").inventory(inventory)
    limestone = read.uncertainty["limestone"]
    assert (limestone.low, limestone.centre, limestone.high) == (1.2e6, 1.24e6, 1.3e6)
    assert read.uncertainty["kiln_electricity"].spread == 1.1  # a factor: no unit to convert


def test_list_item_fields_may_be_uncertain() -> None:
    inventory = cement_inventory()
    fuel = inventory["inputs"]["kiln_fuels"][0]
    fuel["amount"] = {"value": fuel["amount"], "uncertainty": {"distribution": "normal", "sd": 10}}
    read = zuji.load("cement").inventory(inventory)
    assert read.uncertainty["kiln_fuels[0].amount"].spread == 10


def test_bad_inventory_distribution_is_named_at_its_line(tmp_path: Any) -> None:
    text = (zuji.load("cement").folder / "cases" / "typical_plant.yaml").read_text("utf-8")
    marker = "    kiln_electricity: "
    assert marker in text
    start = text.index(marker)
    end = text.index("\n", start)
    text = (
        text[:start]
        + "    kiln_electricity: {value: 41250, unit: MWh, uncertainty: "
        + "{distribution: normal, sd: -5}}"
        + text[end:]
    )
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as info:
        zuji.load("cement").inventory(path)
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E501" and "sd is -5" in diagnostic.message
    assert "kiln_electricity.uncertainty" in diagnostic.message
    assert diagnostic.span is not None and "sd: -5" in diagnostic.source_line


def test_a_normal_reaching_below_the_range_is_refused() -> None:
    inventory = cement_inventory()
    inventory["inputs"]["gypsum"] = {
        "value": "30000 t",
        "uncertainty": {"distribution": "normal", "sd": 20000},
    }
    with pytest.raises(InventoryError) as info:
        zuji.load("cement").inventory(inventory)
    assert "out of the input's range (>= 0)" in info.value.diagnostics[0].message
