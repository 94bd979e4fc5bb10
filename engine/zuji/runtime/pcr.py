"""The facade: load a PCR, check it, evaluate inventories, get its inventory schema.

Compilation happens once per PCR source (keyed by the hash of its text and its modules'), never
per evaluation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, RuleError, UsageError, file_label
from zuji.data.standards import Standards, load_committee
from zuji.data.standards import load as load_standards
from zuji.lang import model as m
from zuji.lang.build import load_file, read_rule_text
from zuji.lang.build import load_text as build_text
from zuji.runtime.generated import evaluate_fast
from zuji.runtime.inventory import Inventory, load_inventory, read_inventory, schema_for
from zuji.runtime.inventory_sheets import SHEET_SUFFIXES, load_sheet_inventory
from zuji.runtime.inventory_zh import Choices
from zuji.runtime.result import Result
from zuji.semantics.check import check
from zuji.semantics.compile import Plan, compile_plan
from zuji.semantics.resolve import Resolved, resolve

if TYPE_CHECKING:
    import pandas as pd

    from zuji.runtime.executors import Executor
    from zuji.runtime.montecarlo import MonteCarlo

# Compiled plans by source hashes; bounded, because a service checks texts it is sent.
_PLANS: OrderedDict[tuple[str, ...], tuple[Plan, tuple[Diagnostic, ...]]] = OrderedDict()
_PLANS_MOST = 256


@dataclass
class PCR:
    """A loaded Product Category Rule, checked and compiled, ready to evaluate inventories."""

    rule: m.RuleFile
    resolved: Resolved
    plan: Plan
    diagnostics: list[Diagnostic]

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def version(self) -> str:
        return self.rule.version

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def standards(self) -> Standards:
        return self.resolved.standards

    def inventory(
        self,
        source: str | Path | dict[str, Any],
        label: str = "<inventory>",
        base: Path | None = None,
        root: Path | None = None,
        received: bytes | None = None,
        *,
        pin_later: bool = False,
    ) -> Inventory:
        """Read and check an inventory (a path, or an already loaded mapping).

        Supplier PACT documents named by file are read relative to the inventory file's folder
        (for a mapping: `base`; without it only inline documents are accepted), and only from
        inside `root` (by default that same folder), symbolic links resolved. The result pins
        the sha256 of the file's bytes; for a mapping, of `received` (the bytes it was parsed
        from, when the caller has them) or else of the mapping's RFC 8785 canonical JSON.
        `pin_later` takes that last sha256 at its first read instead (as `evaluate` does with
        a mapping): from the inventory's own copy, so change nothing in its `raw` before.
        """
        units = self.plan.item_units
        if isinstance(source, dict):
            rule, standards, choices = self.rule, self.standards, self.choices
            return read_inventory(
                source, rule, standards, label, choices, base, root, received, units, pin_later
            )
        path = Path(source)
        if not path.is_file():
            raise UsageError(Diagnostic("E002", f"inventory file {source} not found"))
        if path.suffix.lower() in SHEET_SUFFIXES:
            return load_sheet_inventory(path, self.rule, self.standards, self.choices, root, units)
        return load_inventory(path, self.rule, self.standards, self.choices, root, units)

    @cached_property
    def choices(self) -> Choices:
        """The options of every named choice (the PCR's and its modules'), with the Chinese
        labels an inventory may give them by."""
        return Choices.of(
            {
                name: symbol.decl
                for name, symbol in self.resolved.symbols.items()
                if isinstance(symbol.decl, m.ChoiceType)
            }
        )

    def evaluate(
        self,
        inventory: Inventory | str | Path | dict[str, Any],
        trace: bool = False,
        documents_root: Path | None = None,
    ) -> Result:
        """The footprint of one inventory. Raises ZujiError subclasses for bad input.

        Files the inventory names are read only from inside `documents_root` (by default the
        inventory file's own folder)."""
        if self.errors:
            raise RuleError(self.errors)
        if not isinstance(inventory, Inventory):  # read for this evaluation alone
            inventory = self.inventory(inventory, root=documents_root, pin_later=True)
        return evaluate_fast(self.plan, inventory, trace=trace)

    def evaluate_many(
        self, table: Any, executor: Executor | None = None, chunk_rows: int | None = None
    ) -> pd.DataFrame:
        """The footprints of many inventories at once, as a pandas DataFrame with one row per
        inventory in the input's order (columns: zuji.runtime.batch.OUTPUT).

        `table` is a pandas DataFrame or a pyarrow Table (a column per input, list items as
        `list.0.field`, units as `name [unit]`: docs/batches.md), a list of inventory documents
        or flat rows, or a mapping column -> array. A row that fails is reported with its row
        number, status "failed" and its reason, while the others complete. `executor` runs the
        partitions (zuji.runtime.executors: in this process by default, local processes, Dask),
        of `chunk_rows` rows each (by default 250 000 for a table already in memory evaluated
        here on several threads, 100 000 otherwise).
        """
        if self.errors:
            raise RuleError(self.errors)
        # numpy and pandas are imported only by those who evaluate batches: the command line
        # and a single evaluation start without them.
        from zuji.runtime.batch import evaluate_many

        return evaluate_many(self, table, executor, chunk_rows)

    def monte_carlo(
        self,
        inventory: Inventory | str | Path | dict[str, Any],
        n: int,
        seed: int | None = None,
        executor: Executor | None = None,
    ) -> MonteCarlo:
        """The footprint's distribution over n samples of its uncertain inputs and factors
        (zuji.runtime.montecarlo): mean, median, sd, percentiles and each parameter's share of
        the variance. The same seed gives the same figures bit for bit."""
        if self.errors:
            raise RuleError(self.errors)
        if not isinstance(inventory, Inventory):
            inventory = self.inventory(inventory)
        from zuji.runtime.montecarlo import monte_carlo  # numpy only for those who sample

        return monte_carlo(self, inventory, n, seed, executor)

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of this PCR's inventory."""
        return schema_for(self.rule, self.choices, self.plan.item_units)

    @cached_property
    def folder(self) -> Path:
        return Path(self.rule.path).parent


def load(name: str | Path, standards: Standards | None = None) -> PCR:
    """A PCR by library id ("cement"), folder or file path; checked and compiled once."""
    path = lib.find_pcr(str(name))
    if path is None:
        known = ", ".join(p.stem for p in lib.rule_files() if p.parent.name == p.stem)
        where = lib.pcr_root()
        raise UsageError(Diagnostic("E002", f"no PCR '{name}' in {where} (there: {known})"))
    text = read_rule_text(path)
    rule, findings = build_text(text, file_label(path), kept=True)
    if standards is None:
        standards = committee_standards(path)
    return _assemble(rule, findings, text, standards)


def committee_standards(rule_file: Path) -> Standards | None:
    """The datasets of the committee library a rule file lies in, over the bundled ones (None
    for a rule of the bundled library, or of none)."""
    committee = lib.library_of(rule_file)
    if committee is None or committee.standards is None:
        return None
    return load_committee(committee.standards, committee.bundled_gwp)


def load_text(text: str, file: str = "<text>", standards: Standards | None = None) -> PCR:
    """A PCR from rule text (as the HTTP service and tests receive it), with the datasets of
    the active library."""
    rule, findings = build_text(text, file)
    if standards is None and (committee := lib.active()) is not None and committee.standards:
        standards = load_committee(committee.standards, committee.bundled_gwp)
    return _assemble(rule, findings, text, standards)


def _assemble(
    rule: m.RuleFile, findings: list[Diagnostic], text: str, standards: Standards | None
) -> PCR:
    standards = standards or load_standards()
    resolved = resolve(rule, standards)
    resolved = resolved.with_source(rule.path, text.lstrip("\ufeff").replace("\r\n", "\n"))
    # The file's name is part of the key: the plan's findings and spans point into that file, so
    # the same text under another name must not report them under the first name.
    key = (
        rule.path,
        rule.source_hash,
        *sorted(mod.source_hash for mod in resolved.modules.values()),
        str(id(standards)),
    )
    if key in _PLANS:
        _PLANS.move_to_end(key)
    else:
        _PLANS[key] = _compile_and_check(resolved)
        if len(_PLANS) > _PLANS_MOST:
            _PLANS.popitem(last=False)
    cached, diagnostics = _PLANS[key]
    plan = _knowing(cached, resolved.sources)
    return PCR(rule, plan.resolved, plan, findings + list(diagnostics))


def _knowing(plan: Plan, sources: Mapping[str, str]) -> Plan:
    """The cached plan, or a copy of it that also knows the texts of these files.

    A cached plan is shared by every PCR loaded from the same sources and is never changed; the
    same text loaded under another file name gets a copy whose sources include that name."""
    known = plan.resolved.sources
    if all(known.get(label) == text for label, text in sources.items()):
        return plan
    merged = MappingProxyType({**known, **sources})
    return replace(plan, resolved=replace(plan.resolved, sources=merged))


def _compile_and_check(resolved: Resolved) -> tuple[Plan, tuple[Diagnostic, ...]]:
    """Compile a resolved PCR, then check it: the plan and every finding about the rule."""
    plan = compile_plan(resolved)
    return plan, tuple(check(resolved, plan))


def check_paths(paths: list[Path]) -> list[tuple[Path, list[Diagnostic]]]:
    """Check every rule file under the given paths; a syntax error is a finding, not a crash."""
    return [(path, found) for path, found, _ in checked_rules(paths)]


def checked_rules(paths: list[Path]) -> list[tuple[Path, list[Diagnostic], PCR | None]]:
    """check_paths, with each rule loaded (None for one that does not build), so a caller that
    goes on to its cases does not load it again."""
    files: list[Path] = []
    for path in paths:
        files.extend(lib.rule_files(path) if path.is_dir() else [path])
    out: list[tuple[Path, list[Diagnostic], PCR | None]] = []
    for path in files:
        try:
            pcr = load(path)
            out.append((path, pcr.diagnostics, pcr))
        except RuleError as exc:
            out.append((path, exc.diagnostics, None))
    return out


def list_pcrs() -> list[m.RuleFile]:
    """Every PCR of the active library (modules left out)."""
    out = []
    for path in lib.rule_files():
        try:
            rule, _ = load_file(path)
        except RuleError:
            continue
        if rule.kind == "pcr":
            out.append(rule)
    return out


__all__ = ["PCR", "check_paths", "list_pcrs", "load", "load_text"]
