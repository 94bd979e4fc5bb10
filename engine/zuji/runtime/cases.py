"""Worked cases: an inventory, the result computed by hand, and a tolerance, beside each PCR.

`zuji test` and pytest both run them. A case passes when the engine agrees with the hand
computation on the total and on every stage and line the case lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zuji.core.documents import load_path
from zuji.core.errors import DocumentError, ZujiError, file_label
from zuji.runtime.amounts import parse_amount
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Result


@dataclass
class CaseOutcome:
    """What running one case gave: failures are sentences naming the figure and both values."""

    path: Path
    name: str
    failures: list[str] = field(default_factory=list)
    result: Result | None = None
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def case_files(pcr: PCR) -> list[Path]:
    folder = Path(pcr.rule.path).parent / "cases"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_case(path: Path) -> dict[str, Any]:
    document = load_path(path)
    if not isinstance(document, dict) or "inventory" not in document:
        raise ZujiError(f"{file_label(path)}: a case needs 'inventory' and 'expected'", "E700")
    return document


def run_case(pcr: PCR, path: Path) -> CaseOutcome:
    outcome = CaseOutcome(path, path.stem)
    try:
        case = load_case(path)
        outcome.name = str(case.get("case", path.stem))
        inventory = pcr.inventory(case["inventory"], f"{file_label(path)} (inventory)", path.parent)
        result = pcr.evaluate(inventory)
    except DocumentError as exc:
        outcome.failures.append(exc.diagnostic.render())
        return outcome
    except ZujiError as exc:
        outcome.failures.append(str(exc))
        return outcome
    outcome.result = result
    _compare_read(case, result, outcome)
    return outcome


def expected_failures(case: dict[str, Any], result: Result, path: Path) -> list[str]:
    """Where a result departs from a case's hand-computed figures, one sentence per figure
    (a rule review asks this of every case under the new rule)."""
    outcome = CaseOutcome(path, path.stem)
    _compare_read(case, result, outcome)
    return outcome.failures


def _compare_read(case: dict[str, Any], result: Result, outcome: CaseOutcome) -> None:
    try:
        _compare(case, result, outcome)
    except (ValueError, TypeError) as exc:  # a tolerance or an expected figure that is no number
        outcome.failures.append(
            f"{file_label(outcome.path)}: error[E700]: the case's expected figures cannot be "
            f"read: {exc}"
        )


def _compare(case: dict[str, Any], result: Result, outcome: CaseOutcome) -> None:
    tolerance = _tolerance(case.get("tolerance", "0.1 %"))
    expected = case.get("expected") or {}
    if "total" not in expected:
        outcome.failures.append("the case states no expected total")
    figures: list[tuple[str, float, float | None]] = []
    if "total" in expected:
        figures.append(("total", float(expected["total"]), result.total))
    for stage, value in (expected.get("by_stage") or {}).items():
        figures.append((f"stage {stage}", float(value), result.by_stage.get(stage)))
    lines = {line.name: line.co2e_kg for line in result.lines}
    for line, value in (expected.get("lines") or {}).items():
        figures.append((f"line {line}", float(value), lines.get(line)))
    for name in ("credits", "removals"):
        if name in expected:
            figures.append((name, float(expected[name]), getattr(result, name)))
    for label, wanted, got in figures:
        outcome.checked += 1
        if got is None:
            outcome.failures.append(
                f"{label}: expected {wanted:g}, but the result has no such figure"
            )
        elif not _close(wanted, got, tolerance):
            outcome.failures.append(
                f"{label}: expected {wanted:.6g}, engine gives {got:.6g} "
                f"({_relative(wanted, got):+.3%}; tolerance {tolerance:.3%})"
            )
    _compare_warnings(case, result, outcome)
    _compare_range(case, result, outcome)


def _compare_warnings(case: dict[str, Any], result: Result, outcome: CaseOutcome) -> None:
    wanted = set(case.get("expected_warnings") or [])
    got = {w.code for w in result.warnings}
    for code in sorted(wanted - got):
        outcome.failures.append(f"expected warning {code} was not given")


def _compare_range(case: dict[str, Any], result: Result, outcome: CaseOutcome) -> None:
    published = case.get("published_range")
    if not published:
        return
    low, high = float(published["low"]), float(published["high"])
    outcome.checked += 1
    if not low <= result.total <= high:
        outcome.failures.append(
            f"total {result.total:.4g} is outside the published range "
            f"{low:g}-{high:g} ({published.get('source', 'no source')})"
        )


def _tolerance(raw: Any) -> float:
    if isinstance(raw, (int, float)):
        return float(raw)
    number, unit = parse_amount(str(raw))
    return number / 100 if unit == "%" else number


def _relative(wanted: float, got: float) -> float:
    return (got - wanted) / abs(wanted) if wanted else got - wanted


def _close(wanted: float, got: float, tolerance: float) -> bool:
    if wanted == 0:
        return abs(got) <= 1e-9
    return abs(got - wanted) <= tolerance * abs(wanted)


def check_case_inventory(pcr: PCR, path: Path) -> list[str]:
    """Whether a case's inventory fits its PCR, without evaluating it (for zuji check)."""
    try:
        case = load_case(path)
        pcr.inventory(case["inventory"], f"{file_label(path)} (inventory)", path.parent)
    except DocumentError as exc:
        return [exc.diagnostic.render()]
    except ZujiError as exc:
        return [str(exc)]
    return []
