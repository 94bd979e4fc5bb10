"""The expressions of the model, and the text and units its declarations share.

Part of the model (zuji.lang.model re-exports every name here, and is where the rest of the engine
reads them): frozen, slotted dataclasses whose source span takes no part in equality.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from zuji.core.errors import Span

ArithmeticOp = Literal["+", "-", "*", "/", "^"]
ComparisonOp = Literal[">=", "<=", "==", "!=", ">", "<"]
LogicalOp = Literal["and", "or"]

# ------------------------------------------------------------------------------------- text


@dataclass(frozen=True, slots=True)
class Text:
    """Bilingual text; either language may be missing."""

    en: str = ""
    zh: str = ""

    def __str__(self) -> str:
        return self.en or self.zh


@dataclass(frozen=True, slots=True)
class UnitExpr:
    """A unit as written: numerator and denominator names with powers, e.g. t CO2 / MWh."""

    numerator: tuple[tuple[str, int], ...]
    denominator: tuple[tuple[str, int], ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        top = " ".join(_power(n, p) for n, p in self.numerator) or "1"
        if not self.denominator:
            return top
        return top + "/" + " ".join(_power(n, p) for n, p in self.denominator)


def _power(name: str, power: int) -> str:
    return name if power == 1 else f"{name}^{power}"


# ------------------------------------------------------------------------------------- expressions

# What each comparison written in a rule (or an input's bound) means.
# Keyed by str, not ComparisonOp: an inventory's version ranges are compared with them too.
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    unit: UnitExpr | None = None
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """A name: an input, a value (let), a factor, a list field, or module.name."""

    name: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """min, max, given, or a formula of this file or of a used module."""

    function: str
    args: tuple[Expr, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Index:
    """A member of a factor family picked by a choice: regional_grid[region]."""

    family: str
    key: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SumOver:
    """The sum of an expression over the items of a list input."""

    list_name: str
    body: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactorRef:
    """A factor written in place: factor dataset.entry."""

    target: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BinOp:
    op: ArithmeticOp
    left: Expr
    right: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: ComparisonOp
    left: Expr
    right: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsChoice:
    """route is eaf — true when a choice input has that option."""

    subject: Expr
    option: str
    negated: bool = False
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Logical:
    op: LogicalOp
    operands: tuple[Expr, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class If:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


Expr: TypeAlias = (
    Number
    | Ref
    | Call
    | Index
    | SumOver
    | FactorRef
    | BinOp
    | Negate
    | Compare
    | IsChoice
    | Logical
    | Not
    | If
)
