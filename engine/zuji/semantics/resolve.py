"""Stage 3: bind a PCR's modules and factor datasets, and build its table of names.

Names of a used module are written <alias>.<name>. A factor is bound to its dataset entry (or its
family of entries) here, once; which dated value applies is decided at evaluation, from the
inventory's reference period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from zuji.core import library
from zuji.core.errors import Diagnostic, DiagnosticSink, RuleError, Span, file_label
from zuji.data.standards import FactorEntry, Standards
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.lang.build import load_text, read_rule_text
from zuji.lang.parse import normalise

SymbolKind = Literal["input", "let", "factor", "family", "formula", "choice"]
Declaration = m.Input | m.ChoiceType | m.Factor | m.Let | m.Formula


@dataclass(frozen=True)
class Symbol:
    """A name a formula may use, and what it stands for."""

    name: str
    kind: SymbolKind
    decl: Declaration
    module: str = ""  # alias of the module that declared it, "" for the PCR itself


def _nothing() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Resolved:
    """A PCR with its modules loaded, its factors bound and its names tabled.

    Read-only once built: a compiled plan keeps it, and a plan is shared by every PCR object
    loaded from the same text."""

    pcr: m.RuleFile
    standards: Standards
    modules: Mapping[str, m.RuleFile] = field(default_factory=_nothing)
    symbols: Mapping[str, Symbol] = field(default_factory=_nothing)
    entries: Mapping[str, FactorEntry] = field(default_factory=_nothing)  # factor name -> entry
    families: Mapping[str, Mapping[str, FactorEntry]] = field(default_factory=_nothing)
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: Mapping[str, str] = field(default_factory=_nothing)  # file label -> text, for carets

    def with_source(self, label: str, text: str) -> Resolved:
        """The same resolution, knowing one more file's text (for carets under findings)."""
        return replace(self, sources=MappingProxyType({**self.sources, label: text}))


@dataclass
class _Resolving:
    """What resolve() fills in, frozen into a Resolved when it is done."""

    pcr: m.RuleFile
    standards: Standards
    modules: dict[str, m.RuleFile] = field(default_factory=dict)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    entries: dict[str, FactorEntry] = field(default_factory=dict)
    families: dict[str, Mapping[str, FactorEntry]] = field(default_factory=dict)
    findings: DiagnosticSink = field(default_factory=DiagnosticSink)
    sources: dict[str, str] = field(default_factory=dict)

    def freeze(self) -> Resolved:
        return Resolved(
            self.pcr,
            self.standards,
            MappingProxyType(self.modules),
            MappingProxyType(self.symbols),
            MappingProxyType(self.entries),
            MappingProxyType(self.families),
            tuple(self.findings.items),
            MappingProxyType(self.sources),
        )


def resolve(
    pcr: m.RuleFile, standards: Standards, loaded_modules: dict[str, m.RuleFile] | None = None
) -> Resolved:
    """Load the modules a PCR uses, then table every name and bind every factor."""
    resolved = _Resolving(pcr, standards)
    for use in pcr.uses:
        module = (loaded_modules or {}).get(use.module) or _load_module(use, pcr, resolved)
        if module is not None:
            resolved.modules[use.alias] = module
    for alias, module in resolved.modules.items():
        _table(resolved, module, alias)
    _table(resolved, pcr, "")
    _bind_inline_factors(resolved)
    return resolved.freeze()


def _load_module(use: m.Use, pcr: m.RuleFile, resolved: _Resolving) -> m.RuleFile | None:
    path = library.module_path(use.module, Path(pcr.path) if pcr.path else None)
    if path is None:
        resolved.findings.error(
            "E201",
            f"module '{use.module}' not found",
            use.span,
            f"a module {use.module} lives in pcr/{use.module.replace('.', '/')}.pcr",
        )
        return None
    try:
        text = read_rule_text(path)
        module, findings = load_text(text, file_label(path), kept=True)
    except RuleError as exc:
        resolved.findings.add(*exc.diagnostics)
        return None
    resolved.findings.add(*findings)
    resolved.sources[module.path] = normalise(text)
    if module.kind != "module":
        resolved.findings.error(
            "E202",
            f"'{use.module}' is a PCR, not a module",
            use.span,
            "only files starting with 'module' can be used",
        )
        return None
    if module.uses:
        resolved.findings.error(
            "E203",
            f"module '{use.module}' uses other modules",
            module.uses[0].span,
            "a module is self-contained; move what it needs into it",
        )
    return module


def _table(resolved: _Resolving, rule_file: m.RuleFile, alias: str) -> None:
    prefix = f"{alias}." if alias else ""
    declared: list[tuple[str, SymbolKind, Declaration, Span | None]] = [
        *((i.name, "input", i, i.span) for i in rule_file.inputs),
        *((c.name, "choice", c, c.span) for c in rule_file.choices),
        *((f.name, _factor_kind(f), f, f.span) for f in rule_file.factors),
        *((x.name, "let", x, x.span) for x in rule_file.lets),
        *((f.name, "formula", f, f.span) for f in rule_file.formulas),
    ]
    if rule_file.kind == "module" and rule_file.inputs:
        resolved.findings.error(
            "E204",
            "a module cannot declare inputs",
            rule_file.inputs[0].span,
            "declare the input in the PCR and pass it to the module's formula",
        )
    for name, kind, decl, span in declared:
        full = prefix + name
        if full in resolved.symbols:
            first = resolved.symbols[full].decl
            resolved.findings.error(
                "E205",
                f"'{name}' is declared twice (first at {first.span})",
                span,
                "rename one of them",
            )
            continue
        resolved.symbols[full] = Symbol(full, kind, decl, alias)
        if isinstance(decl, m.Factor):
            _bind_factor(resolved, full, decl)


def _factor_kind(factor: m.Factor) -> SymbolKind:
    return "family" if factor.family else "factor"


def _bind_factor(resolved: _Resolving, name: str, factor: m.Factor) -> None:
    dataset = resolved.standards.datasets.get(factor.dataset)
    if dataset is None:
        known = ", ".join(sorted(resolved.standards.datasets)) or "none"
        resolved.findings.error(
            "E206",
            f"factor '{factor.name}' refers to dataset '{factor.dataset}', "
            "which the library does not hold",
            factor.span,
            f"datasets in standards/factors: {known}",
        )
        return
    if factor.family:
        members = dataset.family(factor.entry)
        if not members:
            resolved.findings.error(
                "E207",
                f"dataset '{dataset.id}' has no entries "
                f"'{factor.entry}.<member>' for factor family '{factor.name}'",
                factor.span,
                exprs.suggest(factor.entry, dataset.entries),
            )
        resolved.families[name] = members
        return
    entry = dataset.entries.get(factor.entry)
    if entry is None:
        resolved.findings.error(
            "E207",
            f"dataset '{dataset.id}' has no entry '{factor.entry}' (factor '{factor.name}')",
            factor.span,
            exprs.suggest(factor.entry, dataset.entries),
        )
        return
    resolved.entries[name] = entry


def _bind_inline_factors(resolved: _Resolving) -> None:
    """Factors written in place (factor dataset.entry) and factor defaults of inputs."""
    rule_files = [("", resolved.pcr), *((a, mod) for a, mod in resolved.modules.items())]
    for _alias, rule_file in rule_files:
        targets: list[tuple[str, Span | None]] = []
        for expr in exprs.expressions(rule_file):
            targets += [(n.target, n.span) for n in exprs.walk(expr) if isinstance(n, m.FactorRef)]
        for inp in rule_file.inputs:
            if inp.default and inp.default.factor:
                targets.append((inp.default.factor, inp.default.span))
        for target, span in targets:
            if target in resolved.entries:
                continue
            dataset, _, entry = target.partition(".")
            _bind_factor(resolved, target, m.Factor(target, dataset, entry, span=span))
