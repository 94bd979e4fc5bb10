"""Every worked case of the library, run by pytest as `zuji test` runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

import zuji
from zuji.core import library
from zuji.runtime.cases import case_files, run_case

CASES = [
    (rule, case)
    for rule in library.rule_files()
    if rule.parent.name != "common"
    for case in case_files(zuji.load(rule))
]


def test_every_pcr_has_at_least_three_cases() -> None:
    for rule in library.rule_files():
        pcr = zuji.load(rule)
        if pcr.rule.kind == "pcr":
            assert len(case_files(pcr)) >= 3, rule


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
def test_case_agrees_with_hand_computation(rule: Path, case: Path) -> None:
    outcome = run_case(zuji.load(rule), case)
    assert outcome.failures == []
    assert outcome.checked >= 2


def test_a_wrong_expectation_is_caught(tmp_path: Path) -> None:
    source = library.pcr_root() / "cement" / "cases" / "typical_plant.yaml"
    text = source.read_text(encoding="utf-8")
    broken = tmp_path / "typical_plant.yaml"
    broken.write_text(text.replace("total: 675.", "total: 695.", 1), encoding="utf-8")
    outcome = run_case(zuji.load("cement"), broken)
    assert any(f.startswith("total: expected 695") for f in outcome.failures)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("tolerance: ", "tolerance: lots # ", "'lots' does not start with a number"),
        ("total: 675.", "total: lots # 675.", "could not convert string to float: 'lots'"),
    ],
)
def test_an_unreadable_expectation_is_a_failure_not_a_crash(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    source = library.pcr_root() / "cement" / "cases" / "typical_plant.yaml"
    text = source.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "typical_plant.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    outcome = run_case(zuji.load("cement"), broken)
    (failure,) = outcome.failures
    assert "error[E700]: the case's expected figures cannot be read" in failure
    assert said in failure
