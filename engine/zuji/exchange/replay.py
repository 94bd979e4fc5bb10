"""Replay: recompute a result from its JSON file alone and say whether every number matches.

A result written with ``--trace`` carries what this needs: every input as the evaluation used it
(in the PCR's unit, with its origin and data-quality scores, and the supplier document a value
came from), the PCR's id, version and source hash, the datasets' versions and every factor value
read. Replay loads the PCR the hash pins (the library's, or a file given with --pcr), checks that
the library's datasets are the pinned versions and still hold the recorded factor values, evaluates
the recorded inputs again and compares every number of the result, the trace included. A number
changed by hand anywhere in the file shows up as a difference.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zuji.core.documents import read_utf8
from zuji.core.errors import Diagnostic, DocumentError, UsageError, ZujiError, file_label
from zuji.runtime.inventory import CutoffFlow, Inventory, Origin
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr
from zuji.runtime.result import Result

REL_TOLERANCE = 1e-9  # replay runs the same float operations; only the JSON round trip differs
ABS_TOLERANCE = 1e-12


@dataclass
class Replay:
    """What a replay found: every differing figure, and anything that stopped it."""

    file: str
    differences: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def matches(self) -> bool:
        return not self.differences and not self.problems

    def report(self) -> str:
        lines = [
            f"replay {self.file}: "
            + (
                f"all {self.compared} numbers match"
                if self.matches
                else f"{len(self.problems) + len(self.differences)} findings "
                f"({self.compared} numbers compared)"
            )
        ]
        lines += [f"  cannot replay: {p}" for p in self.problems]
        lines += [f"  differs: {d}" for d in self.differences]
        return "\n".join(lines)


def replay_file(path: Path, pcr_path: Path | None = None) -> Replay:
    """Replay a result file; a missing or malformed file is a UsageError."""
    label = file_label(path)
    try:
        text = read_utf8(path)
        document = json.loads(text)
    except DocumentError as exc:
        raise UsageError(exc.diagnostic) from None
    except ValueError as exc:
        raise UsageError(Diagnostic("E011", f"{label} is not valid JSON: {exc}")) from None
    return replay(document, label, pcr_path)


def replay(document: Any, label: str = "<result>", pcr_path: Path | None = None) -> Replay:
    """Replay a result given as its JSON document (a mapping)."""
    outcome = Replay(label)
    try:
        recorded = Result.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        outcome.problems.append(f"not a Zuji result: {where}: {first['msg']}")
        return outcome
    trace = recorded.trace
    if trace is None or not trace.inputs:
        outcome.problems.append(
            "the result has no trace of its inputs; write it with "
            "'zuji run ... --format json --trace'"
        )
        return outcome
    pcr = _pcr(recorded, pcr_path, outcome)
    if pcr is None:
        return outcome
    _datasets(recorded, pcr, outcome)
    if outcome.problems:
        return outcome
    try:
        again = pcr.evaluate(_inventory(recorded), trace=True)
    except ZujiError as exc:
        outcome.problems.append(
            f"the recorded inputs do not evaluate: {exc.diagnostics[0].message}"
        )
        return outcome
    _factors(recorded, again, outcome)
    # Sensitivities are an analysis added on request, not figures of the footprint to recompute.
    mine = json.loads(recorded.model_dump_json(exclude={"sensitivity"}))
    _compare(mine, json.loads(again.model_dump_json(exclude={"sensitivity"})), "", outcome)
    return outcome


def _pcr(recorded: Result, pcr_path: Path | None, outcome: Replay) -> PCR | None:
    info = recorded.pcr
    try:
        pcr = load_pcr(pcr_path or info.id)
    except ZujiError as exc:
        outcome.problems.append(f"PCR {info.id}: {exc.diagnostics[0].message}")
        return None
    if pcr.rule.source_hash != info.source_hash:
        outcome.problems.append(
            f"PCR {info.id}: the result was computed with version {info.version} (source hash "
            f"{info.source_hash[:16]}), but {file_label(pcr.rule.path)} is version "
            f"{pcr.version} (hash {pcr.rule.source_hash[:16]}); give that version with --pcr"
        )
        return None
    return pcr


def _datasets(recorded: Result, pcr: PCR, outcome: Replay) -> None:
    library = pcr.standards.datasets
    for dataset in recorded.datasets:
        held = library.get(dataset.id)
        if held is None:
            outcome.problems.append(f"dataset {dataset.id} {dataset.version} is not in the library")
        elif held.version != dataset.version:
            outcome.problems.append(
                f"dataset {dataset.id}: the result pinned version "
                f"{dataset.version}, the library holds {held.version}"
            )


def _inventory(recorded: Result) -> Inventory:
    assert recorded.trace is not None
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for item in recorded.trace.inputs:
        values[item.name] = item.value
        origins[item.name] = Origin(
            item.origin, item.written, item.source, dict(item.dq), item.note, dict(item.supplier)
        )
    info = recorded.inventory
    raw = {"company_ids": info.company_ids, "product_ids": info.product_ids}
    return Inventory(
        pcr=recorded.pcr.id,
        file=info.file,
        values=values,
        origins=origins,
        period_start=date.fromisoformat(info.period_start) if info.period_start else None,
        period_end=date.fromisoformat(info.period_end) if info.period_end else None,
        company=info.company,
        product=info.product,
        site=info.site,
        cutoff=tuple(CutoffFlow(c.flow, c.share, c.reason) for c in recorded.cutoff_flows),
        raw=raw,
    )


def _factors(recorded: Result, again: Result, outcome: Replay) -> None:
    """The recorded factor values against those the pinned datasets give."""
    assert recorded.trace is not None and again.trace is not None
    now = {f.name: f for f in again.trace.factors}
    for factor in recorded.trace.factors:
        current = now.get(factor.name)
        if current is None:
            outcome.differences.append(
                f"factor {factor.name} ({factor.reference}) is recorded "
                "but the evaluation does not read it"
            )
        elif not _close(factor.value, current.value):
            outcome.differences.append(
                f"factor {factor.name} ({factor.reference}): file {factor.value!r}, dataset "
                f"{current.dataset} {current.dataset_version} gives {current.value!r}"
            )


def _compare(left: Any, right: Any, path: str, outcome: Replay) -> None:
    """Every number of the recorded result against the recomputed one, by JSON path."""
    if isinstance(left, bool) or isinstance(right, bool):
        if left != right:
            outcome.differences.append(f"{path}: file {left!r}, recomputed {right!r}")
        return
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        outcome.compared += 1
        if not _close(float(left), float(right)):
            outcome.differences.append(f"{path}: file {left!r}, recomputed {right!r}")
        return
    if isinstance(left, dict) and isinstance(right, dict):
        _compare_mappings(left, right, path, outcome)
        return
    if isinstance(left, list) and isinstance(right, list):
        _compare_lists(left, right, path, outcome)
        return
    if _has_number(left) or _has_number(right):
        outcome.differences.append(f"{path}: file {left!r}, recomputed {right!r}")


def _compare_mappings(
    left: dict[str, Any], right: dict[str, Any], path: str, outcome: Replay
) -> None:
    """Key by key; a key only one side has is a difference when it holds a number."""
    for key in sorted(set(left) | set(right)):
        where = f"{path}.{key}" if path else key
        if key not in left or key not in right:
            if _has_number(left.get(key)) or _has_number(right.get(key)):
                outcome.differences.append(
                    f"{where}: only in the {'file' if key in left else 'recomputed result'}"
                )
            continue
        _compare(left[key], right[key], where, outcome)


def _compare_lists(left: list[Any], right: list[Any], path: str, outcome: Replay) -> None:
    """Item by item, as far as the shorter goes; differing lengths are a difference too."""
    if len(left) != len(right):
        outcome.differences.append(
            f"{path}: {len(left)} items in the file, {len(right)} recomputed"
        )
    for i, (a, b) in enumerate(zip(left, right, strict=False)):
        _compare(a, b, f"{path}[{i}]", outcome)


def _has_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, dict):
        return any(_has_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_number(v) for v in value)
    return False


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(ABS_TOLERANCE, REL_TOLERANCE * max(abs(a), abs(b)))


__all__ = ["Replay", "replay", "replay_file"]
