"""The typed, immutable model of a rule file.

Every node is a frozen, slotted dataclass. Its source span takes no part in equality, so two
rule files that say the same thing compare equal wherever their text stands: caches and the review
tool compare meaning, not position. The set of node kinds is small and closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TypeGuard, get_args

from zuji.core.errors import Span
from zuji.core.identity import by_identity
from zuji.lang.model_exprs import (
    COMPARISONS as COMPARISONS,
)
from zuji.lang.model_exprs import (
    ArithmeticOp as ArithmeticOp,
)
from zuji.lang.model_exprs import (
    BinOp as BinOp,
)
from zuji.lang.model_exprs import (
    Call as Call,
)
from zuji.lang.model_exprs import (
    Compare as Compare,
)
from zuji.lang.model_exprs import (
    ComparisonOp as ComparisonOp,
)
from zuji.lang.model_exprs import (
    Expr as Expr,
)
from zuji.lang.model_exprs import (
    FactorRef as FactorRef,
)
from zuji.lang.model_exprs import (
    If as If,
)
from zuji.lang.model_exprs import (
    Index as Index,
)
from zuji.lang.model_exprs import (
    IsChoice as IsChoice,
)
from zuji.lang.model_exprs import (
    Logical as Logical,
)
from zuji.lang.model_exprs import (
    LogicalOp as LogicalOp,
)
from zuji.lang.model_exprs import (
    Negate as Negate,
)
from zuji.lang.model_exprs import (
    Not as Not,
)
from zuji.lang.model_exprs import (
    Number as Number,
)
from zuji.lang.model_exprs import (
    Ref as Ref,
)
from zuji.lang.model_exprs import (
    SumOver as SumOver,
)

# The expressions, and the text and units declarations share, are defined in model_exprs and
# are part of this model: the engine reads them all as model.<Name>.
from zuji.lang.model_exprs import (
    Text as Text,
)
from zuji.lang.model_exprs import (
    UnitExpr as UnitExpr,
)

# ------------------------------------------------------------------------------------- closed sets
# The words the language gives a meaning to. Where the grammar admits only these words (origins,
# line kinds, data quality, assertion levels, operators) a model field has exactly this type.
# Where the grammar reads any name and the builder reports an unknown one (status E103, boundary
# E104, gas E107, allocation method E109), the word is kept as written, so the field is the set
# or a plain str; the is_<set> guards narrow it.

RuleKind = Literal["pcr", "module"]
Status = Literal["draft", "review", "approved", "withdrawn"]
BoundaryKind = Literal["cradle_to_gate", "cradle_to_grave", "gate_to_gate"]
Gas = Literal["CO2", "CH4", "N2O", "CF4", "C2F6", "SF6", "HFC23", "NF3", "CO2e"]
Origin = Literal["fossil", "biogenic", "luc"]
# A memo line is reported beside the footprint and counted in no total (the "memo items" of IPCC
# reporting): the location-based figure beside a market-based one, for instance.
LineKind = Literal["emission", "credit", "removal", "memo"]
AllocationMethod = Literal["mass", "energy", "economic", "fixed"]
InputKind = Literal["quantity", "choice", "list"]
DataQuality = Literal["primary", "secondary"]
AssertionLevel = Literal["error", "warning"]

STATUSES: tuple[Status, ...] = get_args(Status)
BOUNDARIES: tuple[BoundaryKind, ...] = get_args(BoundaryKind)
GASES: tuple[Gas, ...] = get_args(Gas)
ORIGINS: tuple[Origin, ...] = get_args(Origin)


def is_status(word: str) -> TypeGuard[Status]:
    return word in STATUSES


def is_boundary_kind(word: str) -> TypeGuard[BoundaryKind]:
    return word in BOUNDARIES


def is_gas(word: str) -> TypeGuard[Gas]:
    return word in GASES


def is_allocation_method(word: str) -> TypeGuard[AllocationMethod]:
    return word in ALLOCATION_METHODS


# ------------------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class DeclaredUnit:
    """unit 1 t of cement: the amount, its unit, and the input measuring the reference product."""

    amount: float
    unit: UnitExpr
    product: str
    description: Text = Text()  # "Cement, in bulk at the plant gate" zh "水泥，散装，出厂"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Boundary:
    kind: BoundaryKind | str  # an unknown kind is kept as written (E104)
    stages: tuple[str, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Exclusion:
    name: str
    reason: Text
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Cutoff:
    """Cut-off criteria, in percent of the footprint: per excluded flow and in total."""

    per_flow: float | None = None
    total: float | None = None
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Use:
    """use common.electricity — a shared module; its names are written <alias>.<name>."""

    module: str
    alias: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Bound:
    op: ComparisonOp
    value: float
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Default:
    """An input's default: a number in the input's unit, a choice option, or a factor."""

    number: float | None = None
    choice: str | None = None
    factor: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ItemUnits:
    """`t or Nm3 or GJ as fuel_co2[fuel]`: a list's field measured in one of several units.

    Fuels metered by mass and by volume, and heat bought by energy, stand in one list: each item's
    amount is in the one of these units that its member of the factor family is per (fuel_co2 of
    coal per t, of natural gas per Nm3), the member named by the item's choice field."""

    units: tuple[UnitExpr, ...]
    family: str
    key: str  # the list's choice field whose option picks the member
    span: Span | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return " or ".join(str(unit) for unit in self.units) + f" as {self.family}[{self.key}]"


@dataclass(frozen=True, slots=True)
class Input:
    """A value the inventory supplies: a quantity, a choice, or a list of items."""

    name: str
    kind: InputKind
    unit: UnitExpr | None = None  # None for a field in one of several units (`units`)
    options: tuple[str, ...] = ()
    choice_type: str | None = None  # a choice declared elsewhere: module.choice
    fields: tuple[Input, ...] = ()
    description: Text = Text()
    bounds: tuple[Bound, ...] = ()
    default: Default | None = None
    quality: DataQuality | None = None  # the data quality the PCR requires
    optional: bool = False
    required_when: Expr | None = None  # may be left out unless this holds (optional is set)
    span: Span | None = field(default=None, compare=False, repr=False)
    units: ItemUnits | None = None  # a list's field in one of several units

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional

    @property
    def unit_text(self) -> str:
        """The unit as the rule writes it ("t", "t or Nm3 as fuel_co2[fuel]"); "" for none."""
        if self.units is not None:
            return str(self.units)
        return str(self.unit) if self.unit is not None else ""


@dataclass(frozen=True, slots=True)
class ChoiceType:
    name: str
    options: tuple[str, ...]
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)
    labels: tuple[tuple[str, Text], ...] = ()  # (option, its zh/en label) for labelled options


@dataclass(frozen=True, slots=True)
class Factor:
    """A reference into a factor dataset: one entry, or a family of entries (entry.*)."""

    name: str
    dataset: str
    entry: str
    unit: UnitExpr | None = None
    family: bool = False
    pinned: date | None = None
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def target(self) -> str:
        return f"{self.dataset}.{self.entry}"


@dataclass(frozen=True, slots=True)
class Let:
    """A named intermediate value, with an optional unit it must have."""

    name: str
    expr: Expr
    unit: UnitExpr | None = None
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    unit: UnitExpr | None = None
    choice_type: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Formula:
    """A named formula with typed parameters, shared through modules; never recursive."""

    name: str
    params: tuple[Param, ...]
    unit: UnitExpr
    expr: Expr
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Line:
    """One emission (or credit, or removal) line of a stage: a mass of one gas."""

    name: str
    stage: str
    gas: Gas | str  # an unknown gas is kept as written (E107)
    origin: Origin
    expr: Expr
    kind: LineKind = "emission"
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    lines: tuple[Line, ...]
    description: Text = Text()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CoProduct:
    """A product of an allocation, with its weight (price, heating value or share) if the method
    needs one."""

    name: str
    property: str | None = None
    weight: Expr | None = None
    span: Span | None = field(default=None, compare=False, repr=False)


# Each method and the property a co-product's weight is given by (mass needs none).
ALLOCATION_METHODS: dict[str, str | None] = {
    "mass": None,
    "energy": "lhv",
    "economic": "price",
    "fixed": "share",
}


@dataclass(frozen=True, slots=True)
class Allocation:
    stages: tuple[str, ...]
    method: AllocationMethod | str  # an unknown method is kept as written (E109)
    products: tuple[CoProduct, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Assertion:
    expr: Expr
    level: AssertionLevel
    message: str
    span: Span | None = field(default=None, compare=False, repr=False)
    message_zh: str = ""


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    version: str
    date: date
    summary: str
    fields: tuple[tuple[str, str], ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A parsed rule file: a PCR or a module. Header fields a module lacks stay empty."""

    kind: RuleKind
    id: str
    path: str
    name: Text = Text()
    description: Text = Text()
    version: str = ""
    status: Status | str = ""  # "" when not given; an unknown status is kept as written (E103)
    effective: date | None = None
    standards: tuple[str, ...] = ()
    gwp: str = ""
    declared_unit: DeclaredUnit | None = None
    classification: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    boundary: Boundary | None = None
    exclusions: tuple[Exclusion, ...] = ()
    cutoff: Cutoff | None = None
    uses: tuple[Use, ...] = ()
    inputs: tuple[Input, ...] = ()
    choices: tuple[ChoiceType, ...] = ()
    factors: tuple[Factor, ...] = ()
    lets: tuple[Let, ...] = ()
    formulas: tuple[Formula, ...] = ()
    stages: tuple[Stage, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    changelog: tuple[ChangeEntry, ...] = ()
    source_hash: str = field(default="", compare=False)
    header_spans: tuple[tuple[str, Span | None], ...] = field(default=(), compare=False, repr=False)
    span: Span | None = field(default=None, compare=False, repr=False)

    def span_of(self, header: str) -> Span | None:
        """Where a header statement (gwp, version, name ...) stands, else the whole file."""
        return dict(self.header_spans).get(header) or self.span

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(line for stage in self.stages for line in stage.lines)

    def input(self, name: str) -> Input | None:
        return _inputs_by_name(self).get(name)

    def inputs_by_name(self) -> Mapping[str, Input]:
        """Every input by its name (the first of a name given twice), made once per rule."""
        return _inputs_by_name(self)


@by_identity()  # asked for every input of every inventory evaluated: a dict, made once per rule
def _inputs_by_name(rule: RuleFile) -> dict[str, Input]:
    named: dict[str, Input] = {}
    for inp in rule.inputs:
        named.setdefault(inp.name, inp)  # the first of a name given twice, as before
    return named
