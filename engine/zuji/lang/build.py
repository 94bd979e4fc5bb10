"""Stage 2: syntax tree to model.

One method per grammar rule turns a tree node into one model object. What the grammar cannot say
(a header given twice, an unknown status word) is collected as diagnostics here; everything that
needs names, units or datasets is left to check.py.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import VisitError

from zuji.core import limits
from zuji.core.documents import read_utf8, within_size
from zuji.core.errors import Diagnostic, DocumentError, RuleError, Span, attach_source, file_label
from zuji.lang import model as m
from zuji.lang.parse import normalise, parse

STATUSES = ("draft", "review", "approved", "withdrawn")
BOUNDARIES = ("cradle_to_gate", "cradle_to_grave", "gate_to_gate")
_SINGLE_HEADERS = {
    "name_decl": "name",
    "description_decl": "description",
    "version_decl": "version",
    "status_decl": "status",
    "effective_decl": "effective",
    "standards_decl": "standards",
    "gwp_decl": "gwp",
    "unit_decl": "declared_unit",
    "classification_decl": "classification",
    "geography_decl": "geography",
    "boundary_decl": "boundary",
    "cutoff_decl": "cutoff",
    "changelog_decl": "changelog",
}


_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class _Builder(Transformer):  # type: ignore[type-arg]
    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------------ helpers
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
        self.diagnostics.append(Diagnostic(code, message, where, hint=hint))

    # ------------------------------------------------------------------ file
    def start(self, children: list[Any]) -> m.RuleFile:
        return next(c for c in children if isinstance(c, m.RuleFile))

    @v_args(meta=True)
    def pcr(self, meta: Any, children: list[Any]) -> m.RuleFile:
        return self.rule_file("pcr", meta, children)

    @v_args(meta=True)
    def module(self, meta: Any, children: list[Any]) -> m.RuleFile:
        return self.rule_file("module", meta, children)

    def rule_file(self, kind: str, meta: Any, children: list[Any]) -> m.RuleFile:
        name, *statements = children
        fields: dict[str, Any] = {}
        lists: dict[str, list[Any]] = {
            "exclusions": [],
            "uses": [],
            "inputs": [],
            "choices": [],
            "factors": [],
            "lets": [],
            "formulas": [],
            "stages": [],
            "allocations": [],
            "assertions": [],
        }
        spans: list[tuple[str, Span | None]] = []
        for rule, value, where in statements:
            if rule in lists:
                lists[rule].append(value)
            elif rule in fields:
                self.error(
                    "E102",
                    f"'{_SINGLE_HEADERS_BY_FIELD[rule]}' is given twice",
                    where,
                    "keep one of them",
                )
            else:
                fields[rule] = value
                spans.append((rule, where))
        return m.RuleFile(
            kind=kind,
            id=str(name),
            path=self.file,
            span=self.span(meta),
            header_spans=tuple(spans),
            **fields,
            **{k: tuple(v) for k, v in lists.items()},
        )

    # ------------------------------------------------------------------ header
    def text(self, children: list[tuple[str, str]]) -> m.Text:
        return m.Text(**dict(children))

    def lang_string(self, children: list[Any]) -> tuple[str, str]:
        lang, string = children
        return lang, string

    def lang(self, children: list[Token]) -> str:
        return str(children[0])

    @v_args(meta=True)
    def name_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return "name", children[0], self.span(meta)

    @v_args(meta=True)
    def description_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return "description", children[0], self.span(meta)

    @v_args(meta=True)
    def version_decl(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return "version", str(children[0]), self.span(meta)

    @v_args(meta=True)
    def status_decl(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        status = str(children[0])
        if status not in STATUSES:
            self.error(
                "E103",
                f"unknown status '{status}'",
                self.token_span(children[0]),
                "the status is one of " + ", ".join(STATUSES),
            )
        return "status", status, self.span(meta)

    @v_args(meta=True)
    def effective_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return "effective", children[0], self.span(meta)

    @v_args(meta=True)
    def standards_decl(self, meta: Any, children: list[str]) -> tuple[str, Any, Span | None]:
        return "standards", tuple(children), self.span(meta)

    @v_args(meta=True)
    def gwp_decl(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return "gwp", str(children[0]), self.span(meta)

    @v_args(meta=True)
    def unit_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        amount, unit, product, description = children
        declared = m.DeclaredUnit(
            float(amount), unit, str(product), description or "", self.span(meta)
        )
        return "declared_unit", declared, self.span(meta)

    @v_args(meta=True)
    def classification_decl(self, meta: Any, children: list[str]) -> tuple[str, Any, Any]:
        return "classification", tuple(children), self.span(meta)

    @v_args(meta=True)
    def geography_decl(self, meta: Any, children: list[str]) -> tuple[str, Any, Any]:
        return "geography", tuple(children), self.span(meta)

    # ------------------------------------------------------------------ scope
    @v_args(meta=True)
    def boundary_decl(self, meta: Any, children: list[Token]) -> tuple[str, Any, Any]:
        kind, *stages = children
        if str(kind) not in BOUNDARIES:
            self.error(
                "E104",
                f"unknown boundary '{kind}'",
                self.token_span(kind),
                "the boundary is one of " + ", ".join(BOUNDARIES),
            )
        boundary = m.Boundary(str(kind), tuple(str(s) for s in stages), self.span(meta))
        return "boundary", boundary, self.span(meta)

    @v_args(meta=True)
    def exclude_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, reason = children
        return "exclusions", m.Exclusion(str(name), reason[1], self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def cutoff_decl(self, meta: Any, children: list[tuple[Token, float]]) -> tuple[str, Any, Any]:
        limits: dict[str, float] = {}
        for name, value in children:
            if str(name) not in ("per_flow", "total"):
                self.error(
                    "E105",
                    f"unknown cut-off criterion '{name}'",
                    self.token_span(name),
                    "write: cutoff per_flow 1 %, total 5 %",
                )
            limits[str(name)] = value
        cutoff = m.Cutoff(limits.get("per_flow"), limits.get("total"), self.span(meta))
        return "cutoff", cutoff, self.span(meta)

    def cutoff_limit(self, children: list[Any]) -> tuple[Token, float]:
        return children[0], float(children[1])

    @v_args(meta=True)
    def use_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        dotted, alias = children
        use = m.Use(dotted, str(alias) if alias else dotted.split(".")[-1], self.span(meta))
        return "uses", use, self.span(meta)

    # ------------------------------------------------------------------ inputs
    @v_args(meta=True)
    def input_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        return "inputs", self.make_input(meta, children), self.span(meta)

    @v_args(meta=True)
    def field_decl(self, meta: Any, children: list[Any]) -> m.Input:
        return self.make_input(meta, children)

    def make_input(self, meta: Any, children: list[Any]) -> m.Input:
        name, kind, *options = children
        attrs: dict[str, Any] = dict(kind)
        bounds = []
        for option in options:
            key, value = option
            if key == "bound":
                bounds.append(value)
            elif key in attrs and key != "description":
                self.error(
                    "E102",
                    f"input '{name}' has two {key} options",
                    value.span if hasattr(value, "span") else self.span(meta),
                    "keep one of them",
                )
            else:
                attrs[key] = value
        return m.Input(name=str(name), bounds=tuple(bounds), span=self.span(meta), **attrs)

    def quantity_type(self, children: list[m.UnitExpr]) -> list[tuple[str, Any]]:
        return [("kind", "quantity"), ("unit", children[0])]

    def choice_type(self, children: list[Any]) -> list[tuple[str, Any]]:
        first, *rest = children
        if not rest:  # one name: a choice declared with 'choice' (here or in a module)
            return [("kind", "choice"), ("choice_type", first)]
        return [("kind", "choice"), ("options", (first, *(str(r) for r in rest)))]

    def list_type(self, children: list[Any]) -> list[tuple[str, Any]]:
        description, *fields = children
        attrs = [("kind", "list"), ("fields", tuple(fields))]
        return attrs + ([description] if description else [])

    def description(self, children: list[Any]) -> tuple[str, m.Text] | m.Text:
        first, lang, second = children
        text = {"en": first}
        if lang:
            text[lang] = second
        return ("description", m.Text(**text))

    @v_args(meta=True)
    def bound(self, meta: Any, children: list[Any]) -> tuple[str, m.Bound]:
        return "bound", m.Bound(str(children[0]), children[1], self.span(meta))

    def signed_number(self, children: list[Token]) -> float:
        return float("".join(str(c) for c in children))

    def default(self, children: list[m.Default]) -> tuple[str, m.Default]:
        return "default", children[0]

    @v_args(meta=True)
    def default_number(self, meta: Any, children: list[float]) -> m.Default:
        return m.Default(number=children[0], span=self.span(meta))

    @v_args(meta=True)
    def default_choice(self, meta: Any, children: list[Token]) -> m.Default:
        return m.Default(choice=str(children[0]), span=self.span(meta))

    @v_args(meta=True)
    def default_factor(self, meta: Any, children: list[str]) -> m.Default:
        return m.Default(factor=children[0], span=self.span(meta))

    def quality(self, children: list[Token]) -> tuple[str, str]:
        return "quality", str(children[0])

    def optional(self, children: list[Any]) -> tuple[str, bool]:
        return "optional", True

    @v_args(meta=True)
    def choice_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, *options, description = children
        text = description[1] if description else m.Text()
        choice = m.ChoiceType(str(name), tuple(str(o) for o in options), text, self.span(meta))
        return "choices", choice, self.span(meta)

    # ------------------------------------------------------------------ factors, lets, formulas
    @v_args(meta=True)
    def factor_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, unit, target, family, pinned, description = children
        dataset, _, entry = target.partition(".")
        if not entry:
            self.error(
                "E106",
                f"factor '{name}' names no dataset entry",
                self.span(meta),
                "write: factor NAME = dataset.entry",
            )
        factor = m.Factor(
            str(name),
            dataset,
            entry,
            unit,
            family is not None,
            pinned,
            description[1] if description else m.Text(),
            self.span(meta),
        )
        return "factors", factor, self.span(meta)

    @v_args(meta=True)
    def let_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, unit, expr, description = children
        text = description[1] if description else m.Text()
        return "lets", m.Let(str(name), expr, unit, text, self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def formula_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, *params, unit, expr, description = children
        params = [p for p in params if p is not None]
        text = description[1] if description else m.Text()
        formula = m.Formula(str(name), tuple(params), unit, expr, text, self.span(meta))
        return "formulas", formula, self.span(meta)

    @v_args(meta=True)
    def quantity_param(self, meta: Any, children: list[Any]) -> m.Param:
        return m.Param(str(children[0]), unit=children[1], span=self.span(meta))

    @v_args(meta=True)
    def choice_param(self, meta: Any, children: list[Any]) -> m.Param:
        return m.Param(str(children[0]), choice_type=children[1], span=self.span(meta))

    # ------------------------------------------------------------------ stages
    @v_args(meta=True)
    def stage_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        name, description, *lines = children
        stage_name = str(name)
        lines = [_with_stage(line, stage_name) for line in lines if line is not None]
        text = description[1] if description else m.Text()
        return "stages", m.Stage(stage_name, tuple(lines), text, self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def line_decl(self, meta: Any, children: list[Any]) -> m.Line:
        kind, name, gas, origin, expr, description = children
        where = self.span(meta)
        if str(gas) not in m.GASES:
            self.error(
                "E107",
                f"unknown gas '{gas}' in line '{name}'",
                self.token_span(gas),
                "the gas is one of " + ", ".join(m.GASES),
            )
        origin = origin or "fossil"
        if str(gas) in ("CF4", "C2F6", "SF6", "HFC23", "NF3", "N2O") and origin == "biogenic":
            self.error("E108", f"{gas} has no biogenic origin", where, "remove 'biogenic'")
        text = description[1] if description else m.Text()
        return m.Line(str(name), "", str(gas), origin, expr, kind or "emission", text, where)

    def line_kind(self, children: list[Token]) -> str:
        return str(children[0])

    def origin(self, children: list[Token]) -> str:
        return str(children[0])

    # ------------------------------------------------------------------ allocation, assertions
    @v_args(meta=True)
    def allocate_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        names = [c for c in children if isinstance(c, Token)]
        products = tuple(c for c in children if isinstance(c, m.CoProduct))
        *stages, method = names
        if str(method) not in m.ALLOCATION_METHODS:
            self.error(
                "E109",
                f"unknown allocation method '{method}'",
                self.token_span(method),
                "allocate by one of: " + ", ".join(m.ALLOCATION_METHODS),
            )
        allocation = m.Allocation(
            tuple(str(s) for s in stages), str(method), products, self.span(meta)
        )
        return "allocations", allocation, self.span(meta)

    @v_args(meta=True)
    def product_decl(self, meta: Any, children: list[Any]) -> m.CoProduct:
        name, prop, weight = children
        return m.CoProduct(str(name), str(prop) if prop else None, weight, self.span(meta))

    @v_args(meta=True)
    def assert_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        expr, level, message = children
        assertion = m.Assertion(expr, level, message, self.span(meta))
        return "assertions", assertion, self.span(meta)

    def level(self, children: list[Token]) -> str:
        return str(children[0])

    @v_args(meta=True)
    def changelog_decl(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        return "changelog", tuple(c for c in children if c is not None), self.span(meta)

    @v_args(meta=True)
    def change_entry(self, meta: Any, children: list[Any]) -> m.ChangeEntry:
        version, when, summary, *fields = children
        return m.ChangeEntry(str(version), when, summary, tuple(fields), self.span(meta))

    def change_field(self, children: list[Any]) -> tuple[str, str]:
        return str(children[0]), children[1]

    # ------------------------------------------------------------------ expressions
    @v_args(meta=True)
    def if_expr(self, meta: Any, children: list[Any]) -> m.If:
        return m.If(*children, span=self.span(meta))

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
        return m.Compare(str(op), left, right, self.span(meta))

    @v_args(meta=True)
    def is_choice(self, meta: Any, children: list[Any]) -> m.IsChoice:
        return m.IsChoice(children[0], str(children[1]), False, self.span(meta))

    @v_args(meta=True)
    def is_not_choice(self, meta: Any, children: list[Any]) -> m.IsChoice:
        return m.IsChoice(children[0], str(children[1]), True, self.span(meta))

    @v_args(meta=True)
    def binop(self, meta: Any, children: list[Any]) -> m.BinOp:
        left, op, right = children
        return m.BinOp(str(op), left, right, self.span(meta))

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
    def STRING(self, token: Token) -> str:
        # Texts are read, never evaluated: only \" \\ \n and \t are escapes; any other
        # backslash stands for itself (a Windows path in a description, say).
        return _ESCAPE.sub(
            lambda match: _ESCAPES.get(match.group(1), match.group(0)), str(token)[1:-1]
        )

    def DATE(self, token: Token) -> date | Token:
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


_SINGLE_HEADERS_BY_FIELD = {v: k.removesuffix("_decl") for k, v in _SINGLE_HEADERS.items()}


def _flatten(op: str, operands: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for operand in operands:
        out.extend(
            operand.operands if isinstance(operand, m.Logical) and operand.op == op else [operand]
        )
    return tuple(out)


def _with_stage(line: m.Line, stage: str) -> m.Line:
    return m.Line(
        line.name, stage, line.gas, line.origin, line.expr, line.kind, line.description, line.span
    )


def build(
    tree: Tree, file: str, text: str, digest: str | None = None
) -> tuple[m.RuleFile, list[Diagnostic]]:
    """Turn a syntax tree into a RuleFile, with the findings the tree alone shows. `digest` is
    the sha256 of the normalised text, when the caller has it already."""
    builder = _Builder(file)
    try:
        rule_file = builder.transform(tree)
    except VisitError as exc:  # an exception inside a rule method arrives wrapped
        raise exc.orig_exc from None
    digest = digest or hashlib.sha256(_encoded(normalise(text), file)).hexdigest()
    rule_file = replace(rule_file, source_hash=digest)
    return rule_file, attach_source(builder.diagnostics, {file: normalise(text)})


def build_unit(tree: Tree[Token], file: str = "<unit>") -> m.UnitExpr:
    """The model UnitExpr of a parsed unit text (see :func:`zuji.lang.units.unit_from_text`)."""
    unit: m.UnitExpr = _Builder(file).transform(tree)
    return unit


# Built rules by (file, text hash). Bounded, because a service checks texts it is sent.
_BUILT: OrderedDict[tuple[str, str, limits.Limits], tuple[m.RuleFile, list[Diagnostic]]] = (
    OrderedDict()
)
_BUILT_MOST = 512


def load_text(text: str, file: str = "<text>") -> tuple[m.RuleFile, list[Diagnostic]]:
    """Parse and build rule text. A syntax error, or a text beyond the limits (size, nesting,
    inputs, lines), raises RuleError; other findings are returned.

    The model is immutable, so a text already built in this process is not parsed again.
    """
    encoded = _encoded(normalise(text), file)
    try:
        within_size(len(encoded), file, "rule_bytes")
    except DocumentError as exc:
        raise RuleError(exc.diagnostic) from None
    digest = hashlib.sha256(encoded).hexdigest()
    key = (file, digest, limits.current())  # a text refused under lower limits is read again
    if key in _BUILT:
        _BUILT.move_to_end(key)
    else:
        try:
            built = build(parse(text, file), file, text, digest)
        except RecursionError:  # the nesting limit keeps real rules far from this
            raise RuleError(
                Diagnostic(
                    "E082",
                    f"{file}: the rule nests too deeply to read",
                    Span(file, 1, 1),
                    hint="lower the nesting limit",
                )
            ) from None
        _within_counts(built[0], file)
        _BUILT[key] = built
        if len(_BUILT) > _BUILT_MOST:
            _BUILT.popitem(last=False)
    rule_file, findings = _BUILT[key]
    return rule_file, list(findings)


def _encoded(text: str, file: str) -> bytes:
    """The text as UTF-8. A text from a file was decoded from UTF-8 already; one sent over the
    network may hold a lone surrogate (JSON "\\ud800"), which is no character at all."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise RuleError(
            Diagnostic(
                "E003",
                f"{file}: the rule text is not Unicode text "
                f"(character {exc.start} is a lone surrogate)",
                Span(file, line, 1),
                hint="send the rule as UTF-8 text",
            )
        ) from None


def _within_counts(rule: m.RuleFile, file: str) -> None:
    most = limits.current()
    for name, count in (("inputs", len(rule.inputs)), ("lines", len(rule.lines))):
        if count > getattr(most, name):
            code = "E083" if name == "inputs" else "E084"
            raise RuleError(
                Diagnostic(
                    code,
                    f"{file}: {count:,} {name}, above the {most.describe(name)}",
                    Span(file, 1, 1),
                    hint=f"raise it if the rule is genuine: ZUJI_LIMITS={name}=...",
                )
            )


def read_rule_text(path: Path) -> str:
    """The text of a rule file; unreadable (E002) or not UTF-8 (E003) is a RuleError."""
    try:
        return read_utf8(path, unreadable="E002", not_utf8="E003", limit="rule_bytes")
    except DocumentError as exc:
        raise RuleError(exc.diagnostic) from None


def load_file(path: Path) -> tuple[m.RuleFile, list[Diagnostic]]:
    return load_text(read_rule_text(path), file_label(path))
