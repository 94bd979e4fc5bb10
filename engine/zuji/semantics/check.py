"""Stage 4: the checks of a rule file that need no evaluation.

Names and duplicates are found by resolve.py, units and cycles by compile; this module adds the
rules of the PCR itself: a complete header, a boundary that matches the stages, allocations that
name their reference product, choice defaults among the choices, and unused names. It runs after
compiling (which names are unused is known from the plan) and reports every finding of resolving,
checking and compiling together, as data sorted by position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from zuji.core.errors import Diagnostic, DiagnosticSink, attach_source
from zuji.lang import model as m
from zuji.semantics.compile import Plan
from zuji.semantics.optional_reads import unguarded_optional_reads
from zuji.semantics.resolve import Resolved

_REQUIRED_HEADER = ("name", "version", "status", "gwp", "declared_unit", "boundary")


def check(resolved: Resolved, plan: Plan) -> list[Diagnostic]:
    """Every finding about a PCR (or module): resolve's, its own and those of compiling `plan`."""
    findings = DiagnosticSink()
    pcr = resolved.pcr
    if pcr.kind == "pcr":
        _header(pcr, resolved, findings)
        _boundary(pcr, findings)
        _allocations(pcr, findings)
        _changelog(pcr, findings)
    _inputs(pcr, findings)
    _lines(pcr, findings)
    unguarded_optional_reads(pcr, findings)
    if pcr.kind == "pcr":
        _unused(pcr, plan.used, findings)
    diagnostics = [*resolved.diagnostics, *findings.items, *plan.diagnostics]
    diagnostics = attach_source(diagnostics, dict(resolved.sources))
    diagnostics.sort(key=_position)
    return _dedupe(diagnostics)


def _position(d: Diagnostic) -> tuple[str, int, int]:
    return (d.span.file, d.span.line, d.span.column) if d.span else ("", 0, 0)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(diagnostics))


def _header(pcr: m.RuleFile, resolved: Resolved, findings: DiagnosticSink) -> None:
    for field_name in _REQUIRED_HEADER:
        if not getattr(pcr, field_name):
            word = field_name.replace("declared_unit", "unit")
            findings.error(
                "E101",
                f"PCR '{pcr.id}' has no '{word}'",
                pcr.span,
                f"add a '{word}' line to the header",
            )
    if pcr.name and not (pcr.name.en and pcr.name.zh):
        findings.warn(
            "W101",
            "the name should be given in English and Chinese",
            pcr.span_of("name"),
            'name en "..." zh "..."',
        )
    if pcr.gwp and pcr.gwp not in resolved.standards.gwp_sets:
        known = ", ".join(sorted(resolved.standards.gwp_sets))
        findings.error(
            "E111", f"unknown GWP set '{pcr.gwp}'", pcr.span_of("gwp"), f"known: {known}"
        )


def _boundary(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    stage_names = [s.name for s in pcr.stages]
    for name, count in Counter(stage_names).items():
        if count > 1:
            stage = [s for s in pcr.stages if s.name == name][1]
            findings.error(
                "E230",
                f"stage '{name}' is written twice",
                stage.span,
                "put all its lines in one stage block",
            )
    if pcr.boundary is None:
        return
    for stage in pcr.stages:
        if stage.name not in pcr.boundary.stages:
            findings.error(
                "E231",
                f"stage '{stage.name}' is not in the boundary",
                stage.span,
                "add it to the boundary line, or remove the stage",
            )
    for name in pcr.boundary.stages:
        if name not in stage_names:
            findings.error(
                "E232",
                f"the boundary includes '{name}' but no stage computes it",
                pcr.boundary.span,
                f"add: stage {name} {{ ... }}, or take it out of "
                "the boundary with an 'exclude' and its reason",
            )
    if pcr.boundary.kind == "cradle_to_grave":
        for needed in ("use", "end_of_life"):
            if needed not in pcr.boundary.stages:
                findings.warn(
                    "W232",
                    f"a cradle-to-grave boundary usually includes '{needed}'",
                    pcr.boundary.span,
                )


def _allocations(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    seen: dict[str, m.Allocation] = {}
    stage_names = {s.name for s in pcr.stages}
    reference = pcr.declared_unit.product if pcr.declared_unit else None
    for allocation in pcr.allocations:
        for stage in allocation.stages:
            if stage not in stage_names:
                findings.error(
                    "E240", f"allocation of '{stage}', which is not a stage", allocation.span
                )
            if stage in seen:
                findings.error("E241", f"stage '{stage}' is allocated twice", allocation.span)
            seen[stage] = allocation
        names = [p.name for p in allocation.products]
        if reference and reference not in names:
            findings.error(
                "E242",
                f"the allocation names no reference product: "
                f"'{reference}' (the product of the declared unit) is not among "
                f"{', '.join(names) or 'its products'}",
                allocation.span,
                f"add: product {reference}",
            )
        if len(names) != len(set(names)):
            findings.error("E243", "a co-product is named twice", allocation.span)
        _weights(allocation, findings)


def _weights(allocation: m.Allocation, findings: DiagnosticSink) -> None:
    expected = m.ALLOCATION_METHODS.get(allocation.method)
    if allocation.method not in m.ALLOCATION_METHODS:
        return
    for product in allocation.products:
        if allocation.method == "mass" and product.property == "mass":
            continue  # the mass that enters the allocated stages, when it is not the output's
        if expected is None and product.property is not None:
            findings.error(
                "E244",
                f"allocation by {allocation.method} takes no '{product.property}'",
                product.span,
                f"write: product {product.name}",
            )
        elif expected is not None and product.property != expected:
            findings.error(
                "E245",
                f"allocation by {allocation.method} needs the {expected} of '{product.name}'",
                product.span,
                f"write: product {product.name} {expected} <value>",
            )
    if allocation.method == "fixed":
        shares = [p.weight for p in allocation.products]
        numbers = [s for s in shares if isinstance(s, m.Number) and s.unit is None]
        if len(numbers) == len(shares):
            total = sum(s.value for s in numbers)
            if abs(total - 1) > 1e-9:
                findings.error(
                    "E246", f"fixed allocation shares add up to {total:g}, not 1", allocation.span
                )


def _changelog(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    if not pcr.changelog:
        findings.warn(
            "W250",
            "the PCR has no changelog",
            pcr.span,
            'changelog { 1.0.0 2025-01-01 "First edition" }',
        )
        return
    versions = [c.version for c in pcr.changelog]
    if pcr.version and pcr.version not in versions:
        findings.error(
            "E250",
            f"version {pcr.version} has no changelog entry",
            pcr.span_of("version"),
            f'add: {pcr.version} <date> "what changed"',
        )


def _inputs(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    for inp in pcr.inputs:
        _input(inp, findings, inside_list=False)


def _input(inp: m.Input, findings: DiagnosticSink, inside_list: bool) -> None:
    if inp.kind == "choice":
        options = list(inp.options)
        if len(options) != len(set(options)):
            findings.error("E260", f"input '{inp.name}' lists an option twice", inp.span)
        if inp.default and inp.default.choice is None:
            findings.error(
                "E261",
                f"the default of choice '{inp.name}' must be one of its options",
                inp.default.span,
            )
        elif inp.default and options and inp.default.choice not in options:
            findings.error(
                "E262",
                f"default '{inp.default.choice}' is not among the choices of "
                f"'{inp.name}' ({', '.join(options)})",
                inp.default.span,
            )
        if inp.bounds:
            findings.error("E263", f"choice '{inp.name}' cannot have a range", inp.bounds[0].span)
    if inp.kind == "quantity" and inp.default and inp.default.choice is not None:
        findings.error(
            "E264",
            f"the default of '{inp.name}' must be a number or a factor, not '{inp.default.choice}'",
            inp.default.span,
        )
    _factor_default_of_several_units(inp, findings)
    if inp.kind == "list":
        if inside_list:
            findings.error("E265", "a list cannot hold another list", inp.span)
        for fld in inp.fields:
            _input(fld, findings, inside_list=True)
        if inp.default:
            findings.error("E266", f"list '{inp.name}' cannot have a default", inp.default.span)
    _dead_default(inp, findings)
    if inp.optional and inp.default and inp.required_when is None:  # else E269 says it
        findings.warn(
            "W267",
            f"input '{inp.name}' is optional and has a default; the default "
            "applies when it is left out",
            inp.span,
        )


def _factor_default_of_several_units(inp: m.Input, findings: DiagnosticSink) -> None:
    """E264: a factor's value has one unit; a field in several units has one per item."""
    if inp.units is not None and inp.default and inp.default.factor is not None:
        findings.error(
            "E264",
            f"field '{inp.name}' is in one of several units, so its default cannot be a factor "
            "(whose unit is one): each item's amount is in the unit of its option",
            inp.default.span,
            "leave the default out, or give a number (0), read in the unit of each item's option",
        )


def _dead_default(inp: m.Input, findings: DiagnosticSink) -> None:
    """W268: a primary input may not be left out (E611), so a default it has is never used."""
    if inp.quality == "primary" and inp.default:
        findings.warn(
            "W268",
            f"input '{inp.name}' is primary data and has a default, which can never be used: "
            "leaving it out is an error (E611)",
            inp.span,
            "drop the default to require the value, or drop 'primary' to let the default stand "
            "for a flow the site does not have",
        )


def _lines(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    names: dict[str, m.Line] = {}
    for line in pcr.lines:
        if line.name in names:
            findings.error(
                "E270",
                f"line '{line.name}' is written twice (first in stage '{names[line.name].stage}')",
                line.span,
                "line names are unique",
            )
        names[line.name] = line
        if line.kind == "removal" and line.origin != "biogenic" and line.gas == "CO2":
            findings.warn("W271", f"removal '{line.name}' is not biogenic", line.span)


def _unused(pcr: m.RuleFile, used: Collection[str], findings: DiagnosticSink) -> None:
    for inp in pcr.inputs:
        if inp.name not in used:
            findings.warn(
                "W280",
                f"input '{inp.name}' is never used",
                inp.span,
                "use it in a formula or remove it",
            )
    for let in pcr.lets:
        if let.name not in used:
            findings.warn("W281", f"value '{let.name}' is never used", let.span)
    for factor in pcr.factors:
        if factor.name not in used:
            findings.warn("W282", f"factor '{factor.name}' is never used", factor.span)
