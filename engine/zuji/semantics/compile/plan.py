"""What compiling produces: typed closures, and the plan that evaluation runs.

A plan is read-only once built (tuples, a frozenset of names used): it is cached and shared by
every PCR object loaded from the same sources.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, Protocol

import pint

from zuji.core.errors import Diagnostic
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.resolve import Resolved


class Env(Protocol):
    """What a compiled closure reads its names from (zuji.runtime.scope.Scope)."""

    def __getitem__(self, key: str) -> Any: ...

    def get(self, key: str, default: Any = None) -> Any: ...

    def note(self, key: str) -> None: ...

    def item(self, fields: dict[str, Any]) -> Env: ...


Fn = Callable[[Env], Any]
Kind = Literal["quantity", "bool", "choice", "error"]

# Where an assertion finds a line's and a stage's figure (kg CO2e per declared unit).
LINE_FIGURE, STAGE_FIGURE = "$line:", "$stage:"

# What an assertion may read besides the rule's names, and their units.
BUILTIN_RESULTS = {
    "total": "kg CO2e",
    "dqr": "",
    "primary_share": "%",
    "cutoff_total": "%",
}


@dataclass(frozen=True)
class Typed:
    """A compiled expression: its closure, what it yields, its unit and the names it reads."""

    fn: Fn
    kind: Kind
    unit: pint.Unit | None = None
    options: frozenset[str] = frozenset()
    deps: frozenset[str] = frozenset()
    bare: float | None = None  # the value of a number written without a unit
    # Every option a choice may take as the rule declares it, where `options` is narrowed (in
    # the branch of an `if`, or for the items of one option): `is` may still name any of them.
    declared: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return self.kind != "error"

    @property
    def measure(self) -> pint.Unit:
        """The unit of a quantity (every quantity has one; a condition or a choice has none)."""
        if self.unit is None:
            raise TypeError(f"a {self.kind} has no unit")
        return self.unit


def _nan(env: Env) -> float:
    return math.nan


# What a mistake compiles to: reported once where it is found, and silently spread from there.
POISON = Typed(_nan, "error")


def union(deps: Iterable[frozenset[str]]) -> frozenset[str]:
    """Every name read by any of several parts."""
    return frozenset[str]().union(*deps)


@dataclass(frozen=True)
class Step:
    """A named value computed before the lines (a let of the PCR or of a module)."""

    name: str
    fn: Fn
    unit: pint.Unit
    deps: frozenset[str]
    decl: m.Let


@dataclass(frozen=True)
class LinePlan:
    line: m.Line
    fn: Fn
    unit: pint.Unit
    to_kg: float  # from the formula's unit to kilograms of the line's gas
    deps: frozenset[str]


@dataclass(frozen=True)
class ProductPlan:
    name: str
    quantity_to_base: float  # the product's amount to SI base units of its dimension
    weight: Typed | None
    weight_to_base: float = 1.0
    weight_only: bool = False  # the weight is the product's whole weight, not amount × weight


@dataclass(frozen=True)
class AllocationPlan:
    allocation: m.Allocation
    products: tuple[ProductPlan, ...]


@dataclass(frozen=True)
class AssertionPlan:
    assertion: m.Assertion
    fn: Fn
    deps: frozenset[str]
    # Reads total, dqr, primary_share or cutoff_total, so it can only run after the lines.
    uses_results: bool = True
    # Reads a line or a stage (kg CO2e per declared unit, as the result reports them).
    reads_figures: bool = False


@dataclass(frozen=True)
class ListUnits:
    """How the items of a list are measured where a field is in one of several units
    (`amount : t or Nm3 or GJ as fuel_co2[fuel]`): the option of each item's choice field `key`
    picks each such field's unit, the one its member of the factor family is per."""

    list_name: str
    key: str
    options: tuple[str, ...]  # the key's options, as the rule declares them
    fields: Mapping[str, Mapping[str, m.UnitExpr]]  # field -> option -> unit
    families: Mapping[str, str]  # field -> the family whose members are per those units
    # Each field as if declared in the one unit of an option: the inventory reader reads an
    # item's amount with it, so bounds, conversions and distributions are those of one unit.
    measured: Mapping[tuple[str, str], m.Input]

    def unit(self, field: str, option: str) -> m.UnitExpr | None:
        return self.fields.get(field, {}).get(option)

    def field_in(self, field: str, option: str) -> m.Input | None:
        return self.measured.get((field, option))

    def describe(self, field: str) -> str:
        """Which option is in which unit: 't (coal, heavy_oil), Nm3 (natural_gas)'."""
        grouped: dict[str, list[str]] = {}
        for option, unit in self.fields.get(field, {}).items():
            grouped.setdefault(str(unit), []).append(option)
        return ", ".join(f"{unit} ({', '.join(options)})" for unit, options in grouped.items())


@dataclass(frozen=True)
class RequirementPlan:
    """An input required only when a condition on the inventory holds (`required when`)."""

    input: m.Input
    condition: m.Expr
    fn: Fn


@dataclass(frozen=True, eq=False)
class Plan:
    """What evaluation runs: ordered values, lines, allocations and assertions."""

    resolved: Resolved
    steps: tuple[Step, ...] = ()
    lines: tuple[LinePlan, ...] = ()
    allocations: tuple[AllocationPlan, ...] = ()
    assertions: tuple[AssertionPlan, ...] = ()
    declared_unit_factor: float = 1.0  # reference product amount -> declared-unit amount
    diagnostics: tuple[Diagnostic, ...] = ()
    used: frozenset[str] = frozenset()
    requirements: tuple[RequirementPlan, ...] = ()
    item_units: Mapping[str, ListUnits] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def pcr(self) -> m.RuleFile:
        return self.resolved.pcr

    @cached_property
    def steps_by_name(self) -> dict[str, Step]:
        return {step.name: step for step in self.steps}

    def input_unit(self, name: str) -> pint.Unit:
        inp = self.pcr.input(name)
        return u.to_pint(inp.unit if inp else None)
