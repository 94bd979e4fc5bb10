"""Worked CBAM cases (pcr/<id>/cbam/*.yaml): the CBAM figures of a footprint case's inventory,
computed by hand in the case file, checked against what the engine gives.

A CBAM case names the footprint case whose inventory it uses (`case:`), so an inventory is
written once; its `expected` figures are in kg CO2e per t of good, with a relative tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zuji.core.documents import load_path
from zuji.core.errors import ZujiError, file_label
from zuji.exchange.cbam import CbamReport, cbam_report
from zuji.runtime.cases import load_case
from zuji.runtime.pcr import PCR

_FIGURES: dict[str, Callable[[CbamReport], float]] = {
    "direct": lambda r: r.direct_kg,
    "indirect": lambda r: r.indirect_kg,
    "precursors": lambda r: r.precursors_kg,
    "precursors_definitive": lambda r: math.fsum(
        p.added_direct_kg_per_t_good
        + (p.added_indirect_kg_per_t_good if r.indirect_counted_in_definitive_period else 0.0)
        for p in r.precursors
    ),
    "specific_direct": lambda r: r.specific_direct_kg,
    "specific_indirect": lambda r: r.specific_indirect_kg,
    "footprint": lambda r: r.footprint_kg,
    "embedded": lambda r: r.embedded_kg,
    "embedded_definitive": lambda r: r.embedded_definitive_kg,
    "electricity_mwh_per_t": lambda r: r.electricity.consumed_mwh_per_t,
    "precursor_mass_t_per_t": lambda r: sum(
        p.mass_t_per_t for p in r.precursors if not p.made_here
    ),
    "own_precursor_direct_t_per_t": lambda r: sum(
        p.direct_t_per_t_precursor or 0.0 for p in r.precursors if p.made_here
    ),
    "own_precursor_indirect_t_per_t": lambda r: sum(
        p.indirect_t_per_t_precursor or 0.0 for p in r.precursors if p.made_here
    ),
}


@dataclass
class CbamCaseOutcome:
    path: Path
    failures: list[str] = field(default_factory=list)
    report: CbamReport | None = None
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def cbam_case_files(pcr: PCR) -> list[Path]:
    folder = pcr.folder / "cbam"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def run_cbam_case(pcr: PCR, path: Path) -> CbamCaseOutcome:
    outcome = CbamCaseOutcome(path)
    case = load_path(path)
    label = file_label(path)
    if not isinstance(case, dict) or not isinstance(case.get("expected"), dict):
        raise ZujiError(f"{label}: a CBAM case needs 'case' and 'expected'", "E700")
    footprint_case = pcr.folder / "cases" / f"{case.get('case')}.yaml"
    if not footprint_case.is_file():
        raise ZujiError(f"{label}: no footprint case {file_label(footprint_case)}", "E700")
    written = load_case(footprint_case)["inventory"]
    # A CBAM case may add inputs the footprint does not read (a supplier's CBAM figures), so that
    # the same inventory shows both the footprint unchanged and the CBAM figures they change.
    added = case.get("inputs") or {}
    inventory = pcr.inventory(
        {**written, "inputs": {**written.get("inputs", {}), **added}},
        f"{file_label(footprint_case)} (inventory)" + (f" + {label} (inputs)" if added else ""),
        footprint_case.parent,
    )
    report = cbam_report(pcr, inventory)
    outcome.report = report
    _compare_warnings(outcome, case.get("expected_warnings") or [], report)
    tolerance = _tolerance(case.get("tolerance", "0.01 %"), label)
    lines = {line.name: line.cbam_kg for line in report.lines}
    expected = dict(case["expected"])
    for name, want in {**expected, **expected.pop("lines", {})}.items():
        if name == "lines":
            continue
        got = _FIGURES[name](report) if name in _FIGURES else lines.get(name)
        _compare(outcome, name, float(want), got, tolerance)
    return outcome


def _compare_warnings(outcome: CbamCaseOutcome, expected: list[str], report: CbamReport) -> None:
    """The report's warning codes are those the case expects, no more and no fewer."""
    got = sorted(w.code for w in report.warnings)
    outcome.checked += 1
    if got != sorted(expected):
        outcome.failures.append(f"warnings: expected {sorted(expected)}, the report gives {got}")


def _compare(
    outcome: CbamCaseOutcome, name: str, want: float, got: float | None, tolerance: float
) -> None:
    outcome.checked += 1
    if got is None:
        outcome.failures.append(f"{name}: no such figure or line in the CBAM report")
    elif abs(got - want) > tolerance * max(abs(want), 1e-9) and abs(got - want) > 1e-9:
        outcome.failures.append(f"{name}: expected {want:.6g}, the engine gives {got:.6g}")


def _tolerance(text: Any, label: str) -> float:
    try:
        return float(str(text).replace("%", "").strip()) / 100
    except ValueError:
        raise ZujiError(f"{label}: tolerance '{text}' is not a percentage", "E700") from None
