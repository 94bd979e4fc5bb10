"""Stage 2, the declarations of a rule file: syntax tree to model.

One method per grammar rule turns a tree node into one model object. What the grammar cannot say
(a header given twice, an unknown status word) is collected as diagnostics here; everything that
needs names, units or datasets is left to check.py. Expressions and units are built by the
methods of :class:`ExpressionBuilder`, which this builder extends.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, cast

from lark import Token, Tree, v_args

from zuji.core.errors import Diagnostic, Span, attach_source
from zuji.lang import labels
from zuji.lang import model as m
from zuji.lang.build_exprs import ExpressionBuilder, comparison
from zuji.lang.parse import encoded, normalise

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
_SINGLE_HEADERS_BY_FIELD = {v: k.removesuffix("_decl") for k, v in _SINGLE_HEADERS.items()}

# What a statement method returns: the RuleFile field it fills, its value, where it stands.
Statement = tuple[str, Any, Span | None]


class RuleBuilder(ExpressionBuilder):
    """One method per declaration rule of the grammar; the whole tree of a rule file becomes one
    RuleFile."""

    # ------------------------------------------------------------------ file
    def start(self, children: list[Any]) -> m.RuleFile:
        return next(c for c in children if isinstance(c, m.RuleFile))

    @v_args(meta=True)
    def pcr(self, meta: Any, children: list[Any]) -> m.RuleFile:
        return self.rule_file("pcr", meta, children)

    @v_args(meta=True)
    def module(self, meta: Any, children: list[Any]) -> m.RuleFile:
        return self.rule_file("module", meta, children)

    def rule_file(self, kind: m.RuleKind, meta: Any, children: list[Any]) -> m.RuleFile:
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
            **_tuples(lists),
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
    def name_decl(self, meta: Any, children: list[Any]) -> Statement:
        return "name", children[0], self.span(meta)

    @v_args(meta=True)
    def description_decl(self, meta: Any, children: list[Any]) -> Statement:
        return "description", children[0], self.span(meta)

    @v_args(meta=True)
    def version_decl(self, meta: Any, children: list[Token]) -> Statement:
        return "version", str(children[0]), self.span(meta)

    @v_args(meta=True)
    def status_decl(self, meta: Any, children: list[Token]) -> Statement:
        status = str(children[0])
        if not m.is_status(status):
            self.error(
                "E103",
                f"unknown status '{status}'",
                self.token_span(children[0]),
                "the status is one of " + ", ".join(m.STATUSES),
            )
        return "status", status, self.span(meta)

    @v_args(meta=True)
    def effective_decl(self, meta: Any, children: list[Any]) -> Statement:
        return "effective", children[0], self.span(meta)

    @v_args(meta=True)
    def standards_decl(self, meta: Any, children: list[str]) -> Statement:
        return "standards", tuple(children), self.span(meta)

    @v_args(meta=True)
    def gwp_decl(self, meta: Any, children: list[Token]) -> Statement:
        return "gwp", str(children[0]), self.span(meta)

    @v_args(meta=True)
    def unit_decl(self, meta: Any, children: list[Any]) -> Statement:
        amount, unit, product, described = children
        # [description] gives ("description", Text) when the declared unit is described
        text = described[1] if described else m.Text()
        declared = m.DeclaredUnit(float(amount), unit, str(product), text, self.span(meta))
        return "declared_unit", declared, self.span(meta)

    @v_args(meta=True)
    def classification_decl(self, meta: Any, children: list[str]) -> Statement:
        return "classification", tuple(children), self.span(meta)

    @v_args(meta=True)
    def geography_decl(self, meta: Any, children: list[str]) -> Statement:
        return "geography", tuple(children), self.span(meta)

    # ------------------------------------------------------------------ scope
    @v_args(meta=True)
    def boundary_decl(self, meta: Any, children: list[Token]) -> Statement:
        kind, *stages = children
        if not m.is_boundary_kind(str(kind)):
            self.error(
                "E104",
                f"unknown boundary '{kind}'",
                self.token_span(kind),
                "the boundary is one of " + ", ".join(m.BOUNDARIES),
            )
        boundary = m.Boundary(str(kind), tuple(str(s) for s in stages), self.span(meta))
        return "boundary", boundary, self.span(meta)

    @v_args(meta=True)
    def exclude_decl(self, meta: Any, children: list[Any]) -> Statement:
        name, reason = children
        return "exclusions", m.Exclusion(str(name), reason[1], self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def cutoff_decl(self, meta: Any, children: list[tuple[Token, float]]) -> Statement:
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
        self._check_cutoff(cutoff, children)
        return "cutoff", cutoff, self.span(meta)

    def _check_cutoff(self, cutoff: m.Cutoff, children: list[tuple[Token, float]]) -> None:
        """A cut-off is a share of the footprint, and one flow cannot leave out more than all
        flows together."""
        for name, value in children:
            if not 0 <= value <= 100:
                self.error(
                    "E113",
                    f"the {name} cut-off is {value:g} %; a cut-off is a share from 0 to 100 %",
                    self.token_span(name),
                    "write percentages of the footprint, e.g. cutoff per_flow 1 %, total 5 %",
                )
                return
        per_flow, total = cutoff.per_flow, cutoff.total
        if per_flow is not None and total is not None and per_flow > total:
            self.error(
                "E113",
                f"the per_flow cut-off ({per_flow:g} %) is above the total ({total:g} %): "
                "one flow cannot leave out more than all of them",
                cutoff.span,
                "make per_flow at most total",
            )

    def cutoff_limit(self, children: list[Any]) -> tuple[Token, float]:
        return children[0], float(children[1])

    @v_args(meta=True)
    def use_decl(self, meta: Any, children: list[Any]) -> Statement:
        dotted, alias = children
        use = m.Use(dotted, str(alias) if alias else dotted.split(".")[-1], self.span(meta))
        return "uses", use, self.span(meta)

    # ------------------------------------------------------------------ inputs
    @v_args(meta=True)
    def input_decl(self, meta: Any, children: list[Any]) -> Statement:
        inp = self.make_input(meta, children)
        if inp.units is not None:  # the unit of each item follows its factor: lists only
            first, where = inp.units.units[0], inp.units.span
            message = f"input '{inp.name}' has several units ({inp.units}); only a list's field"
            hint = f"declare one unit ({inp.name} : {first}), or make it a field of a list"
            self.error("E116", message + " may be measured in one of several units", where, hint)
        return "inputs", inp, self.span(meta)

    @v_args(meta=True)
    def field_decl(self, meta: Any, children: list[Any]) -> m.Input:
        return self.make_input(meta, children)

    def make_input(self, meta: Any, children: list[Any]) -> m.Input:
        name, kind, *options = children
        attrs: dict[str, Any] = dict(kind)
        options = [o for o in options if o is not None]  # no `required when`
        if options and options[-1][0] == "required_when":
            # Conditionally required: left out, it is not given, as an optional input.
            attrs["required_when"], attrs["optional"] = options.pop()[1], True
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
        return "bound", m.Bound(comparison(children[0]), children[1], self.span(meta))

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

    def quality(self, children: list[Token]) -> tuple[str, m.DataQuality]:
        # the grammar's !quality rule admits only these words, as for line kinds, origins, levels
        return "quality", cast(m.DataQuality, str(children[0]))

    def optional(self, children: list[Any]) -> tuple[str, bool]:
        return "optional", True

    def required_when(self, children: list[Any]) -> tuple[str, m.Expr]:
        return "required_when", children[0]

    @v_args(meta=True)
    def choice_decl(self, meta: Any, children: list[Any]) -> Statement:
        name, title, *written = children
        options, trailing = labels.split_description(written)
        if title and trailing:
            self.error(
                "E102",
                f"choice '{name}' has two descriptions",
                self.span(meta),
                "keep the one written after the choice's name",
            )
        text = title or trailing or m.Text()
        choice = m.ChoiceType(
            str(name),
            tuple(option for option, _, _ in options),
            text,
            self.span(meta),
            labels.option_labels(str(name), options, self.error),
        )
        return "choices", choice, self.span(meta)

    def choice_title(self, children: list[Any]) -> m.Text:
        first, lang, second = children
        return m.Text(**({"en": first} | ({lang: second} if lang else {})))

    @v_args(meta=True)
    def choice_option(self, meta: Any, children: list[Any]) -> labels.WrittenOption:
        name, *texts = children
        return str(name), self.span(meta), tuple(texts)

    def option_text(self, children: list[Any]) -> tuple[str | None, str]:
        tag, text = children
        return tag, text

    # ------------------------------------------------------------------ factors, lets, formulas
    @v_args(meta=True)
    def factor_decl(self, meta: Any, children: list[Any]) -> Statement:
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
    def let_decl(self, meta: Any, children: list[Any]) -> Statement:
        name, unit, expr, description = children
        text = description[1] if description else m.Text()
        return "lets", m.Let(str(name), expr, unit, text, self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def formula_decl(self, meta: Any, children: list[Any]) -> Statement:
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
    def stage_decl(self, meta: Any, children: list[Any]) -> Statement:
        name, description, *lines = children
        stage_name = str(name)
        lines = [_with_stage(line, stage_name) for line in lines if line is not None]
        text = description[1] if description else m.Text()
        return "stages", m.Stage(stage_name, tuple(lines), text, self.span(meta)), self.span(meta)

    @v_args(meta=True)
    def line_decl(self, meta: Any, children: list[Any]) -> m.Line:
        kind, name, gas, written_origin, expr, description = children
        where = self.span(meta)
        if not m.is_gas(str(gas)):
            self.error(
                "E107",
                f"unknown gas '{gas}' in line '{name}'",
                self.token_span(gas),
                "the gas is one of " + ", ".join(m.GASES),
            )
        origin: m.Origin = written_origin or "fossil"
        if str(gas) in ("CF4", "C2F6", "SF6", "HFC23", "NF3", "N2O") and origin == "biogenic":
            self.error("E108", f"{gas} has no biogenic origin", where, "remove 'biogenic'")
        text = description[1] if description else m.Text()
        return m.Line(str(name), "", str(gas), origin, expr, kind or "emission", text, where)

    def line_kind(self, children: list[Token]) -> m.LineKind:
        return cast(m.LineKind, str(children[0]))

    def origin(self, children: list[Token]) -> m.Origin:
        return cast(m.Origin, str(children[0]))

    # ------------------------------------------------------------------ allocation, assertions
    @v_args(meta=True)
    def allocate_decl(self, meta: Any, children: list[Any]) -> Statement:
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
    def assert_decl(self, meta: Any, children: list[Any]) -> Statement:
        expr, level, message, message_zh = children
        assertion = m.Assertion(expr, level, message, self.span(meta), message_zh or "")
        return "assertions", assertion, self.span(meta)

    def assert_zh(self, children: list[str]) -> str:
        return children[0]

    def level(self, children: list[Token]) -> m.AssertionLevel:
        return cast(m.AssertionLevel, str(children[0]))

    @v_args(meta=True)
    def changelog_decl(self, meta: Any, children: list[Any]) -> Statement:
        return "changelog", tuple(c for c in children if c is not None), self.span(meta)

    @v_args(meta=True)
    def change_entry(self, meta: Any, children: list[Any]) -> m.ChangeEntry:
        version, when, summary, *fields = children
        return m.ChangeEntry(str(version), when, summary, tuple(fields), self.span(meta))

    def change_field(self, children: list[Any]) -> tuple[str, str]:
        return str(children[0]), children[1]


def _tuples(lists: dict[str, list[Any]]) -> dict[str, Any]:
    return {k: tuple(v) for k, v in lists.items()}


def _with_stage(line: m.Line, stage: str) -> m.Line:
    return replace(line, stage=stage)


def build(
    tree: Tree[Token], file: str, text: str, digest: str | None = None
) -> tuple[m.RuleFile, list[Diagnostic]]:
    """Turn a syntax tree into a RuleFile, with the findings the tree alone shows. `digest` is
    the sha256 of the normalised text, when the caller has it already."""
    builder = RuleBuilder(file)
    rule_file: m.RuleFile = builder.build(tree)
    digest = digest or hashlib.sha256(encoded(normalise(text), file)).hexdigest()
    rule_file = replace(rule_file, source_hash=digest)
    return rule_file, attach_source(builder.findings.items, {file: normalise(text)})
