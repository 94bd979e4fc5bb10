"""Stage 2, the expressions and units of a rule: syntax tree nodes to model expressions.

The grammar shapes each expression and unit node so that it becomes one model object (see
``grammar/pcr.lark``); the operators and words the grammar admits are the model's closed sets,
so their tokens are taken as those types as they stand. :class:`RuleBuilder` in build_rules.py
adds the declarations of a rule file on top of this.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, cast

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import VisitError

from zuji.core.errors import DiagnosticSink, Span
from zuji.lang import model as m

_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class TreeBuilder(Transformer[Token, Any]):
    """What every builder of a rule's parts shares: the file, its findings, and spans."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        # What the tree alone shows wrong (a header given twice, an unknown status word).
        self.findings = DiagnosticSink()

    def span(self, meta: Any) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def token_span(self, token: Token) -> Span:
        return Span(
            self.file,
            token.line or 0,
            token.column or 0,
            token.end_line or 0,
            token.end_column or 0,
        )

    def error(self, code: str, message: str, where: Span | None, hint: str = "") -> None:
        self.findings.error(code, message, where, hint)

    def build(self, tree: Tree[Token]) -> Any:
        """The model object of a tree. An exception inside a rule method arrives wrapped in
        lark's VisitError: the original is raised."""
        try:
            return self.transform(tree)
        except VisitError as exc:
            raise exc.orig_exc from None


class ExpressionBuilder(TreeBuilder):
    """One method per expression, unit and token rule of the grammar."""

    # ------------------------------------------------------------------ expressions
    @v_args(meta=True)
    def if_expr(self, meta: Any, children: list[Any]) -> m.If:
        condition, then, otherwise = children
        return m.If(condition, then, otherwise, self.span(meta))

    @v_args(meta=True)
    def or_op(self, meta: Any, children: list[Any]) -> m.Logical:
        return m.Logical("or", _flatten("or", children), self.span(meta))

    @v_args(meta=True)
    def and_op(self, meta: Any, children: list[Any]) -> m.Logical:
        return m.Logical("and", _flatten("and", children), self.span(meta))

    @v_args(meta=True)
    def not_op(self, meta: Any, children: list[Any]) -> m.Not:
        return m.Not(children[0], self.span(meta))

    @v_args(meta=True)
    def compare(self, meta: Any, children: list[Any]) -> m.Compare:
        left, op, right = children
        return m.Compare(comparison(op), left, right, self.span(meta))

    @v_args(meta=True)
    def is_choice(self, meta: Any, children: list[Any]) -> m.IsChoice:
        return m.IsChoice(children[0], str(children[1]), False, self.span(meta))

    @v_args(meta=True)
    def is_not_choice(self, meta: Any, children: list[Any]) -> m.IsChoice:
        return m.IsChoice(children[0], str(children[1]), True, self.span(meta))

    @v_args(meta=True)
    def binop(self, meta: Any, children: list[Any]) -> m.BinOp:
        left, op, right = children
        # ADD_OP or MUL_OP: the grammar admits no other operator here
        return m.BinOp(cast(m.ArithmeticOp, str(op)), left, right, self.span(meta))

    @v_args(meta=True)
    def power(self, meta: Any, children: list[Any]) -> m.BinOp:
        return m.BinOp("^", children[0], children[1], self.span(meta))

    @v_args(meta=True)
    def negate(self, meta: Any, children: list[Any]) -> m.Negate:
        return m.Negate(children[0], self.span(meta))

    @v_args(meta=True)
    def number(self, meta: Any, children: list[Any]) -> m.Number:
        value, unit = children
        return m.Number(float(value), unit, self.span(meta))

    def unit_literal(self, children: list[m.UnitExpr]) -> m.UnitExpr:
        return children[0]

    @v_args(meta=True)
    def reference(self, meta: Any, children: list[str]) -> m.Ref:
        return m.Ref(children[0], self.span(meta))

    @v_args(meta=True)
    def call(self, meta: Any, children: list[Any]) -> m.Call:
        name, *args = children
        return m.Call(name, tuple(a for a in args if a is not None), self.span(meta))

    @v_args(meta=True)
    def index(self, meta: Any, children: list[Any]) -> m.Index:
        return m.Index(children[0], children[1], self.span(meta))

    @v_args(meta=True)
    def sum_over(self, meta: Any, children: list[Any]) -> m.SumOver:
        return m.SumOver(str(children[0]), children[1], self.span(meta))

    @v_args(meta=True)
    def factor_inline(self, meta: Any, children: list[str]) -> m.FactorRef:
        return m.FactorRef(children[0], self.span(meta))

    def dotted_name(self, children: list[Token]) -> str:
        return ".".join(str(c) for c in children)

    # ------------------------------------------------------------------ units
    @v_args(meta=True)
    def unit_expr(self, meta: Any, groups: list[list[tuple[str, int]]]) -> m.UnitExpr:
        numerator, *denominators = groups
        denominator = tuple(term for group in denominators for term in group)
        return m.UnitExpr(tuple(numerator), denominator, self.span(meta))

    @v_args(meta=True)
    def units_type(self, meta: Any, children: list[Any]) -> list[tuple[str, Any]]:
        """A list's field in one of several units (`t or Nm3 or GJ as fuel_co2[fuel]`): an
        input's type, like quantity_type, built here beside the units it is made of."""
        *units, family, key = children
        written = m.ItemUnits(tuple(units), family, str(key), self.span(meta))
        return [("kind", "quantity"), ("units", written)]

    def unit_group(self, children: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return [c for c in children if c != ("1", 1)]

    def unit_power(self, children: list[Any]) -> tuple[str, int]:
        name, power = children
        name = str(name).replace("²", "^2").replace("³", "^3")
        if "^" in name:
            name, _, raised = name.partition("^")
            return name, int(raised) * (int(power) if power else 1)
        return name, int(power) if power else 1

    def unit_percent(self, children: list[Any]) -> tuple[str, int]:
        return "%", 1

    def unit_number(self, children: list[Token]) -> tuple[str, int]:
        return str(children[0]), 1

    # ------------------------------------------------------------------ tokens
    def NUMBER(self, token: Token) -> Token:
        """A number literal, refused here when no float holds it (1e400, a number of 100 000
        digits): evaluation works on floats, and infinity is no figure of a footprint. The
        text is not repeated in the message, which it could fill."""
        if math.isfinite(float(token)):
            return token
        self.error(
            "E112",
            "this number is beyond the range of the engine's numbers (about 1.8e308)",
            self.token_span(token),
            "write the number in a larger unit, or check for a typing mistake",
        )
        return token.update(value="1")  # the error stops the rule; later passes see a number

    def SIGNED_INT(self, token: Token) -> Token:
        """A unit's power: a whole number of at most two digits (t^2, m^-3); a long one would
        make the unit's conversion factor overflow."""
        if len(token.lstrip("-")) <= 2:
            return token
        self.error(
            "E112",
            f"a unit's power has at most two digits; this one has {len(token.lstrip('-')):,}",
            self.token_span(token),
            "write powers such as ^2 or ^-1",
        )
        return token.update(value="1")

    def STRING(self, token: Token) -> str:
        # Texts are read, never evaluated: only \" \\ \n and \t are escapes; any other
        # backslash stands for itself (a Windows path in a description, say).
        return _ESCAPE.sub(
            lambda match: _ESCAPES.get(match.group(1), match.group(0)), str(token)[1:-1]
        )

    def DATE(self, token: Token) -> date:
        try:
            return date.fromisoformat(str(token))
        except ValueError:
            self.error(
                "E110",
                f"'{token}' is not a date",
                self.token_span(token),
                "write dates as YYYY-MM-DD",
            )
            return date(1, 1, 1)


def comparison(token: Token) -> m.ComparisonOp:
    """A COMPARE token: the grammar admits only the comparisons of the model."""
    return cast(m.ComparisonOp, str(token))


def _flatten(op: m.LogicalOp, operands: list[Any]) -> tuple[m.Expr, ...]:
    out: list[m.Expr] = []
    for operand in operands:
        out.extend(
            operand.operands if isinstance(operand, m.Logical) and operand.op == op else [operand]
        )
    return tuple(out)


def build_unit(tree: Tree[Token], file: str = "<unit>") -> m.UnitExpr:
    """The model UnitExpr of a parsed unit text (see :func:`zuji.lang.units.unit_from_text`)."""
    builder = ExpressionBuilder(file)
    unit: m.UnitExpr = builder.transform(tree)
    if builder.findings.errors:  # a power of many digits: refused, not read as another unit
        raise ValueError(builder.findings.errors[0].message)
    return unit
