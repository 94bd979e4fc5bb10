"""The impact of a rule change on footprints: every worked case under the old and the new rule.

The cases of both versions are run under both rules, so a case written for the new version shows
what the old rule would have said, and an old case shows what the new rule does to it. An
inventory's `pcr_version` range is set aside for this: the question is "what would this inventory
give under that rule", not "may it be filed under it".
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from zuji.core.errors import DocumentError, ZujiError, file_label
from zuji.runtime.cases import expected_failures, load_case
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Result


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LineImpact(_Model):
    name: str
    stage: str
    before: float | None
    after: float | None
    change: float


class CaseImpact(_Model):
    case: str
    versions: str  # which version's cases hold it: old, new or both
    before: float | None
    after: float | None
    change: float | None
    change_percent: float | None
    unit: str
    error_before: str | None = None
    error_after: str | None = None
    lines: list[LineImpact] = []  # the lines that move, largest first
    # Why the case, held by the new version, no longer gives its hand-computed figures under
    # the new rule; empty when it still does or belongs to the old version only.
    fails: list[str] = []


class Impact(_Model):
    cases: list[CaseImpact]
    unit: str
    notes: list[str] = []

    @property
    def failing(self) -> list[CaseImpact]:
        """The new version's worked cases that fail their expected values under the new rule."""
        return [c for c in self.cases if c.fails]


def impact(old: PCR, new: PCR, old_cases: list[Path], new_cases: list[Path]) -> Impact:
    """Every case of either version, evaluated under both rules; largest change first."""
    rows = []
    for name, versions, path, case in _cases(old_cases, new_cases):
        before, error_before = _run(old, path, case)
        after, error_after = _run(new, path, case)
        row = _row(name, versions, before, after, error_before, error_after)
        if versions != "old":
            fails = [error_after] if error_after else []
            if after is not None and case is not None:
                fails += expected_failures(case, after, path)
            row = row.model_copy(update={"fails": fails})
        rows.append(row)
    rows.sort(key=_order)
    unit = next((r.unit for r in rows if r.unit), "kg CO2e")
    notes = ["each inventory's pcr_version range is set aside: both rules evaluate every case"]
    return Impact(cases=rows, unit=unit, notes=notes)


def _order(row: CaseImpact) -> tuple[int, float, str]:
    if row.change_percent is None:
        return (0 if row.error_before or row.error_after else 2, 0.0, row.case)
    return (1, -abs(row.change_percent), row.case)


def _cases(old: list[Path], new: list[Path]) -> list[tuple[str, str, Path, dict[str, Any] | None]]:
    """(name, versions, file, case) for the union; a case both versions hold with the same
    inventory is run once."""

    def read(path: Path) -> dict[str, Any] | None:
        try:
            return load_case(path)
        except ZujiError:  # a DocumentError too
            return None

    olds = {p.stem: (p, read(p)) for p in old}
    out = []
    for path in new:
        case = read(path)
        twin = olds.pop(path.stem, None)
        if twin is None:
            out.append((path.stem, "new", path, case))
        elif _inventory(twin[1]) == _inventory(case):
            out.append((path.stem, "both", path, case))
        else:
            out.append((f"{path.stem} (new)", "new", path, case))
            out.append((f"{path.stem} (old)", "old", twin[0], twin[1]))
    out += [(stem, "old", p, case) for stem, (p, case) in olds.items()]
    return out


def _inventory(case: dict[str, Any] | None) -> Any:
    return (case or {}).get("inventory")


def _run(pcr: PCR, path: Path, case: dict[str, Any] | None) -> tuple[Result | None, str | None]:
    if case is None:
        return None, f"{file_label(path)}: the case cannot be read"
    inventory = dict(case["inventory"]) if isinstance(case.get("inventory"), dict) else None
    if inventory is None:
        return None, f"{file_label(path)}: the case has no inventory"
    inventory.pop("pcr_version", None)
    try:
        loaded = pcr.inventory(inventory, f"{file_label(path)} (inventory)", path.parent)
        return pcr.evaluate(loaded), None
    except DocumentError as exc:
        return None, exc.diagnostic.message
    except ZujiError as exc:
        return None, "; ".join(f"[{d.code}] {d.message}" for d in exc.diagnostics)


def _row(
    name: str,
    versions: str,
    before: Result | None,
    after: Result | None,
    error_before: str | None,
    error_after: str | None,
) -> CaseImpact:
    b = before.total if before else None
    a = after.total if after else None
    change = a - b if a is not None and b is not None else None
    percent = None
    if change is not None:
        percent = (
            100 * change / b if b else (0.0 if change == 0 else math.copysign(math.inf, change))
        )
    either = after or before
    unit = either.unit if either else ""
    return CaseImpact(
        case=name,
        versions=versions,
        before=b,
        after=a,
        change=change,
        change_percent=percent,
        unit=unit,
        error_before=error_before,
        error_after=error_after,
        lines=_lines(before, after),
    )


def _lines(before: Result | None, after: Result | None) -> list[LineImpact]:
    old = {line.name: line for line in before.lines} if before else {}
    new = {line.name: line for line in after.lines} if after else {}
    out = []
    for name in dict.fromkeys([*new, *old]):
        x, y = old.get(name), new.get(name)
        b, a = (x.co2e_kg if x else None), (y.co2e_kg if y else None)
        change = (a or 0.0) - (b or 0.0)
        if abs(change) <= 1e-12 * max(abs(a or 0.0), abs(b or 0.0), 1.0):
            continue  # a line added or removed at 0 moves nothing
        stage = y.stage if y else old[name].stage  # a name comes from at least one version
        out.append(LineImpact(name=name, stage=stage, before=b, after=a, change=change))
    out.sort(key=lambda line: -abs(line.change))
    return out
