"""What the passes of compiling share while a plan is being built, frozen into a Plan at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from zuji.core import limits
from zuji.core.errors import DiagnosticSink, Span
from zuji.lang import model as m
from zuji.semantics.compile.closures import Closures
from zuji.semantics.compile.plan import (
    POISON,
    AllocationPlan,
    AssertionPlan,
    Fn,
    LinePlan,
    ListUnits,
    Plan,
    RequirementPlan,
    Step,
    Typed,
)
from zuji.semantics.resolve import Resolved


class Probe(Protocol):
    """An optional hook of code generation (zuji.review.coverage.Probe): it wraps branches,
    choice tests and lines so that evaluation records what it reaches."""

    def branches(self, node: m.If, then: Fn, otherwise: Fn) -> tuple[Fn, Fn]: ...

    def condition(self, node: m.IsChoice, test: Fn) -> Fn: ...

    def line(self, line: m.Line, fn: Fn) -> Fn: ...


class TooComplex(Exception):
    """Compiling went past the operations budget (formulas inlined within formulas)."""

    def __init__(self, span: Span | None):
        self.span = span


@dataclass
class Compilation:
    """The plan under construction, its findings and what the passes learn on the way."""

    resolved: Resolved
    probe: Probe | None = None
    closures: Closures = field(default_factory=Closures)  # on floats, or on arrays (vector.py)
    findings: DiagnosticSink = field(default_factory=DiagnosticSink)
    used: set[str] = field(default_factory=set)
    values: dict[str, Typed] = field(default_factory=dict)  # compiled lets, by name
    steps: list[Step] = field(default_factory=list)
    lines: list[LinePlan] = field(default_factory=list)
    allocations: list[AllocationPlan] = field(default_factory=list)
    assertions: list[AssertionPlan] = field(default_factory=list)
    requirements: list[RequirementPlan] = field(default_factory=list)
    item_units: dict[str, ListUnits] = field(default_factory=dict)  # by list
    declared_unit_factor: float = 1.0
    # Formulas are inlined at every call, so formulas calling formulas twice over could expand a
    # small rule exponentially; compiling stops at a budget of expression nodes.
    operations: int = 0
    most_operations: int = field(default_factory=lambda: limits.current().operations)

    def error(self, code: str, message: str, span: Span | None, hint: str = "") -> Typed:
        """Report a mistake; what it compiles to is POISON."""
        self.findings.error(code, message, span, hint)
        return POISON

    def count(self, span: Span | None) -> None:
        """One more expression node compiled, within the budget."""
        self.operations += 1
        if self.operations > self.most_operations:
            raise TooComplex(span)

    def plan(self) -> Plan:
        return Plan(
            self.resolved,
            tuple(self.steps),
            tuple(self.lines),
            tuple(self.allocations),
            tuple(self.assertions),
            self.declared_unit_factor,
            tuple(self.findings.items),
            frozenset(self.used),
            tuple(self.requirements),
            MappingProxyType(dict(self.item_units)),
        )
