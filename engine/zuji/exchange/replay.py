"""Replay: recompute a result from its JSON file alone and compare every field, text included.

A result written with ``--trace`` carries what this needs: every input as the evaluation used it
(in the PCR's unit, with its origin and data-quality scores, and the supplier document a value
came from), the PCR's id, version and source hash, the datasets' versions and hashes, and every
factor value read. Replay loads the PCR (the library's, or a file given with --pcr), evaluates
the recorded inputs again and compares every field of the result with the recomputed one.

What differs is told cause first: the engine version, the PCR, a module, a dataset or GWP set
that is not the one the result pins; an input whose recorded value is not the one the figures
were computed with; a factor value the dataset does not give. Then the differences that follow,
summarised by part of the result. Replay cannot check the inventory's hash (it has only the
result); ``zuji verify --inventory`` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from zuji.core.canonical import canonical_json, sha256_hex
from zuji.core.errors import Diagnostic, ResultError, UsageError, ZujiError, file_label
from zuji.core.i18n import _, localise_text
from zuji.exchange.causes import given_input_causes, input_causes, provenance_causes
from zuji.exchange.compare import Difference, close, compare, relabel, summary
from zuji.exchange.result_file import ResultFile, input_problems, parse_result, read_result
from zuji.runtime.inventory import CutoffFlow, Inventory, Origin
from zuji.runtime.inventory_hash import HASHED_CANONICAL, Pin
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr
from zuji.runtime.result import Result

MOST_LISTED = 25  # differences listed one by one when no cause explains them


@dataclass
class Replay:
    """What a replay found: the causes, the fields that differ, and anything that stopped it."""

    file: str
    causes: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    compared: int = 0
    explained: int = 0  # differing fields the causes account for themselves
    from_inventory: bool = False  # recomputed from the inventory file (verify), not the trace

    @property
    def title(self) -> str:
        if self.from_inventory:
            return _("recomputed from the inventory")
        return _("replay {file}").format(file=self.file)

    @property
    def matches(self) -> bool:
        return not self.differences and not self.problems and not self.causes

    def report(self) -> str:
        """What was found, for people, in the reader's language (the causes and differences are
        made in English as data, and put into the language by the catalogue's templates)."""
        if self.problems:
            return "\n".join(
                [_("{title}: cannot recompute").format(title=self.title)]
                + ["  " + _("cannot replay: ") + _indent(p.render()) for p in self.problems]
            )
        if self.matches:
            matched = _("{title}: all {count} fields match").format(
                title=self.title, count=self.compared
            )
            if self.from_inventory:
                return matched
            return matched + _(
                " (replay does not check the inventory's hash; zuji verify --inventory does)"
            )
        head = _("{title}: {count} fields differ ({compared} fields compared)")
        counted = len(self.differences) + self.explained
        lines = [head.format(title=self.title, count=counted, compared=self.compared)]
        lines += ["  " + _("cause: ") + _said(c) for c in self.causes]
        if self.causes and self.differences:
            then = _("then {count} fields differ, part by part:")
            lines.append("  " + then.format(count=len(self.differences)))
            lines += ["  " + _("differs: ") + _said(s) for s in summary(self.differences)]
        else:
            described = [d.describe() for d in self.differences[:MOST_LISTED]]
            lines += ["  " + _("differs: ") + _said(d) for d in described]
            if len(self.differences) > MOST_LISTED:
                more = _("... and {count} more").format(count=len(self.differences) - MOST_LISTED)
                lines.append("  " + more)
        return "\n".join(lines)


def _said(text: str) -> str:
    """A cause or difference (made in English) in the reader's language."""
    return localise_text("verify", text)


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def replay_file(path: Path, pcr_path: Path | None = None) -> Replay:
    """Replay a result file. A missing file or one that is not JSON is a UsageError; a file that
    is not a well-formed result is reported as problems at the JSON paths at fault."""
    try:
        file = read_result(path)
    except ResultError as exc:
        return Replay(file_label(path), problems=list(exc.diagnostics))
    return replay_result(file, pcr_path)


def replay(document: Any, label: str = "<result>", pcr_path: Path | None = None) -> Replay:
    """Replay a result given as its JSON document (a mapping)."""
    try:
        file = parse_result(json.dumps(document, ensure_ascii=False), label)
    except ResultError as exc:
        return Replay(label, problems=list(exc.diagnostics))
    return replay_result(file, pcr_path)


def replay_result(file: ResultFile, pcr_path: Path | None = None) -> Replay:
    """Recompute a read result and compare it with the file, field by field."""
    outcome = Replay(file.label)
    recorded = file.result
    if recorded.trace is None or not recorded.trace.inputs:
        outcome.problems.append(
            file.at(
                ["trace"],
                "E721",
                "the result has no trace of its inputs",
                "write it with 'zuji run ... --format json --trace'",
            )
        )
        return outcome
    pcr = load_recorded_pcr(file, pcr_path, outcome)
    if pcr is None:
        return outcome
    outcome.problems += input_problems(file, pcr.rule, pcr.choices)
    if outcome.problems:
        return outcome
    again = _evaluate(file, pcr, outcome)
    if again is None:
        return outcome
    compare_with(file, again, outcome)
    return outcome


def compare_with(file: ResultFile, again: Result, outcome: Replay) -> None:
    """Fill `outcome` with the causes and the differences between the file and `again`."""
    recorded = file.result
    mine = json.loads(again.model_dump_json())
    comparison = compare(file.document, relabel(mine, _labels(recorded, again)))
    outcome.compared = comparison.compared
    causes, explained = provenance_causes(recorded, again, comparison.differences)
    causes += _factor_causes(recorded, again)
    found, explained_inputs = input_causes(file.document, comparison.differences)
    given, explained_given = given_input_causes(file.document, comparison.differences)
    outcome.causes = causes + given + found
    gone = explained | explained_inputs | explained_given
    outcome.differences = [d for d in comparison.differences if d.path not in gone]
    outcome.explained = len(comparison.differences) - len(outcome.differences)


def load_recorded_pcr(file: ResultFile, pcr_path: Path | None, outcome: Replay) -> PCR | None:
    """The PCR a result names (or the file given); a failure is one of `outcome`'s problems."""
    info = file.result.pcr
    try:
        return load_pcr(pcr_path or info.id)
    except UsageError as exc:
        hint = "give the rule file it was computed with: --pcr FILE"
        outcome.problems.append(
            file.at(["pcr", "id"], "E721", f"PCR {info.id}: {exc.diagnostics[0].message}", hint)
        )
    except ZujiError as exc:
        outcome.problems.append(
            file.at(["pcr", "id"], "E721", f"PCR {info.id}: {exc.diagnostics[0].message}")
        )
    return None


def _evaluate(file: ResultFile, pcr: PCR, outcome: Replay) -> Result | None:
    try:
        return pcr.evaluate(_inventory(file.result), trace=True)
    except ZujiError as exc:
        message = f"the recorded inputs do not evaluate: {exc.diagnostics[0].message}"
        outcome.problems.append(file.at(["trace", "inputs"], "E721", message))
    return None


def _inventory(recorded: Result) -> Inventory:
    """The inventory the trace records, pinned by the hash the result records for it (replay
    cannot check that hash: it has no inventory bytes)."""
    assert recorded.trace is not None
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for item in recorded.trace.inputs:
        values[item.name] = item.value
        origins[item.name] = Origin(
            item.origin, item.written, item.source, dict(item.dq), item.note, dict(item.supplier)
        )
    info = recorded.trace.inventory or recorded.inventory
    raw = {"company_ids": info.company_ids, "product_ids": info.product_ids}
    pinned = recorded.provenance.inventory if recorded.provenance else None
    digest, hashed = (
        (pinned.sha256, pinned.of)
        if pinned
        else (sha256_hex(canonical_json(values)), HASHED_CANONICAL)
    )
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
        pin=Pin(digest, hashed),
    )


def with_inventory_label(inventory: Inventory, label: str) -> Inventory:
    """The inventory named as the result names it (its content is pinned by its hash)."""
    return replace(inventory, file=label)


def _labels(recorded: Result, again: Result) -> dict[str, str]:
    """This run's file labels (the PCR, modules, datasets, GWP set) mapped to the labels the
    recorded result gave the same files, for comparing texts that contain them. The inventory
    keeps the label the result records (replay reads no inventory; verify names the one it
    reads so)."""
    labels: dict[str, str] = {}
    if recorded.provenance and again.provenance:
        theirs, mine = recorded.provenance, again.provenance
        labels[mine.pcr.file] = theirs.pcr.file
        labels[mine.gwp.file] = theirs.gwp.file
        pairs = [(mine.modules, theirs.modules), (mine.datasets, theirs.datasets)]
        for now, then in pairs:
            recorded_files = {s.id: s.file for s in then}
            labels.update({s.file: recorded_files[s.id] for s in now if s.id in recorded_files})
    return {k: v for k, v in labels.items() if k and v}


def _factor_causes(recorded: Result, again: Result) -> list[str]:
    """Each recorded factor value that the pinned dataset does not give. A result written
    without its trace (as the catalogue stores them) records no factor values to compare."""
    if recorded.trace is None or again.trace is None:
        return []
    now = {f.name: f for f in again.trace.factors}
    causes = []
    for factor in recorded.trace.factors:
        current = now.get(factor.name)
        if current is None:
            causes.append(
                f"factor {factor.name} ({factor.reference}) is recorded "
                "but the evaluation does not read it"
            )
        elif not close(factor.value, current.value):
            causes.append(
                f"factor {factor.name} ({factor.reference}): file {factor.value!r}, dataset "
                f"{current.dataset} {current.dataset_version} gives {current.value!r}"
            )
    return causes


__all__ = ["Replay", "compare_with", "replay", "replay_file", "replay_result"]
