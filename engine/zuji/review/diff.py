"""The semantic diff of two versions of a rule file: what really changes, grouped for a committee.

Two versions are compared as models, never as text: moving a statement or editing a comment is no
change at all. Every line, value (`let`) and formula is classed as unchanged, rewritten but
mathematically equivalent (proved with sympy), or changed, and a change shows the old and the new
formula as mathematics with their difference simplified. A change is *substantive* when it can
move a result (formulas, boundary, allocation, factors, inputs, the GWP set or declared unit); a
wording change or an equivalent rewrite is *cosmetic*. Version discipline (review.py) rests on
that distinction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

import sympy
from pydantic import BaseModel, ConfigDict

from zuji.core.errors import Span
from zuji.data.standards import FactorEntry
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.review.symbolic import equivalent, to_latex, to_sympy
from zuji.runtime.pcr import PCR

GROUPS = (
    "header",
    "boundary",
    "inputs",
    "factors",
    "formulas",
    "allocation",
    "assertions",
    "changelog",
)
# Header fields that cannot move a result: the record of the rule, not its content.
_BOOKKEEPING = {"version", "status", "changelog"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MathDiff(_Model):
    """A formula before and after, as algebra (sympy text and LaTeX), and new minus old."""

    old: str | None = None
    new: str | None = None
    old_latex: str | None = None
    new_latex: str | None = None
    difference: str | None = None


class ValuePoint(_Model):
    """One dated value of a dataset entry, with its source."""

    member: str = ""
    valid_from: str | None = None
    value: float
    unit: str
    source: str
    confirmed: bool = True


class Change(_Model):
    """One difference between the versions (or, for formulas, one verdict on an item)."""

    group: str
    kind: str  # added, removed, changed, equivalent, wording, unchanged
    item: str  # line, let, formula, input, factor, stage, exclusion, ... or the header field
    name: str
    substantive: bool
    summary: str
    old: str | None = None
    new: str | None = None
    where: str | None = None
    math: MathDiff | None = None
    old_values: list[ValuePoint] = []
    new_values: list[ValuePoint] = []
    reads: list[str] = []  # changed names that an unchanged formula reads


class RuleDiff(_Model):
    id: str
    kind: str  # pcr / module
    old_label: str
    new_label: str
    old_version: str
    new_version: str
    old_status: str
    new_status: str
    changes: list[Change]
    notes: list[str] = []

    def group(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.group == name]

    @property
    def substantive(self) -> list[Change]:
        return [c for c in self.changes if c.substantive]

    @property
    def cosmetic(self) -> list[Change]:
        return [
            c
            for c in self.changes
            if not c.substantive
            and c.kind != "unchanged"
            and c.name not in _BOOKKEEPING
            and c.group != "changelog"
        ]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "unchanged"]


# ---------------------------------------------------------------------------------- entry point


def diff(
    old: PCR, new: PCR, old_label: str = "", new_label: str = "", notes: Iterable[str] = ()
) -> RuleDiff:
    """Everything that differs between two loaded versions of a PCR (or module)."""
    ctx = _Context(old, new)
    changes = [
        *_header(ctx),
        *_boundary(ctx),
        *_inputs(ctx),
        *_factors(ctx),
        *_formulas(ctx),
        *_allocations(ctx),
        *_assertions(ctx),
        *_changelog(ctx),
    ]
    if new.rule.kind == "pcr":  # a module has no lines: whatever it changes, its callers move
        changes = _refactors(changes)
    a, b = old.rule, new.rule
    return RuleDiff(
        id=b.id,
        kind=b.kind,
        old_label=old_label or a.path,
        new_label=new_label or b.path,
        old_version=a.version,
        new_version=b.version,
        old_status=a.status,
        new_status=b.status,
        changes=changes,
        notes=list(notes),
    )


class _Context:
    def __init__(self, old: PCR, new: PCR) -> None:
        self.old, self.new = old, new
        self.a, self.b = old.rule, new.rule

    def where(self, span: Span | None) -> str | None:
        return str(span) if span else None

    def text(self, pcr: PCR, node: object) -> str:
        """The source text of a node, as the committee wrote it."""
        span = getattr(node, "span", None)
        source = pcr.resolved.sources.get(span.file, "") if span else ""
        if not source or span is None:
            return ""
        rows = source.split("\n")[span.line - 1 : span.end_line]
        if len(rows) == 1:
            return rows[0][span.column - 1 : span.end_column - 1].strip()
        rows[0], rows[-1] = rows[0][span.column - 1 :], rows[-1][: span.end_column - 1]
        return " ".join(r.strip() for r in rows)


def _by_name(items: Iterable[object]) -> dict[str, object]:
    return {i.name: i for i in items}


def _pairs(old: dict[str, object], new: dict[str, object]) -> list[tuple[str, object, object]]:
    """Names in new's order, then those only old has."""
    names = list(new) + [n for n in old if n not in new]
    return [(n, old.get(n), new.get(n)) for n in names]


# ---------------------------------------------------------------------------------- header


def _show(value: object) -> str:
    if value is None or value == "" or value == ():
        return "-"
    if isinstance(value, m.Text):
        return " / ".join(t for t in (value.en, value.zh) if t)
    if isinstance(value, tuple) and value and isinstance(value[0], m.Use):
        return ", ".join(
            u.module + (f" as {u.alias}" if u.alias != u.module.rpartition(".")[2] else "")
            for u in value
        )
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, m.DeclaredUnit):
        return f"{value.amount:g} {value.unit} of {value.product}" + (
            f' "{value.description}"' if value.description else ""
        )
    return str(value)


def _header(ctx: _Context) -> list[Change]:
    fields = [
        ("version", False),
        ("status", False),
        ("effective", True),
        ("standards", False),
        ("gwp", True),
        ("declared_unit", True),
        ("name", False),
        ("description", False),
        ("classification", False),
        ("geography", False),
        ("uses", False),
    ]
    out = []
    for name, moves_results in fields:
        before, after = getattr(ctx.a, name), getattr(ctx.b, name)
        if before == after:
            continue
        substantive = moves_results
        if (
            name == "declared_unit"
            and before
            and after
            and (before.amount, before.unit, before.product)
            == (after.amount, after.unit, after.product)
        ):
            substantive = False  # only its description changed
        label = {"declared_unit": "declared unit", "gwp": "GWP set", "uses": "modules used"}.get(
            name, name
        )
        out.append(
            Change(
                group="header",
                kind="changed",
                item=name,
                name=name,
                substantive=substantive,
                old=_show(before),
                new=_show(after),
                summary=f"{label}: {_show(before)} → {_show(after)}",
                where=ctx.where(ctx.b.span_of(name)),
            )
        )
    return out


# ---------------------------------------------------------------------------------- boundary


def _boundary(ctx: _Context) -> list[Change]:
    out = []
    a, b = ctx.a.boundary, ctx.b.boundary
    where = ctx.where(b.span if b else None)
    if (a.kind if a else None) != (b.kind if b else None):
        out.append(
            Change(
                group="boundary",
                kind="changed",
                item="boundary",
                name="kind",
                substantive=True,
                old=a.kind if a else "-",
                new=b.kind if b else "-",
                summary=f"boundary {a.kind if a else '-'} → {b.kind if b else '-'}",
                where=where,
            )
        )
    old_stages, new_stages = (a.stages if a else ()), (b.stages if b else ())
    for stage in new_stages:
        if stage not in old_stages:
            out.append(
                Change(
                    group="boundary",
                    kind="added",
                    item="stage",
                    name=stage,
                    substantive=True,
                    new=stage,
                    where=where,
                    summary=f"stage '{stage}' added to the boundary",
                )
            )
    for stage in old_stages:
        if stage not in new_stages:
            out.append(
                Change(
                    group="boundary",
                    kind="removed",
                    item="stage",
                    name=stage,
                    substantive=True,
                    old=stage,
                    where=where,
                    summary=f"stage '{stage}' removed from the boundary",
                )
            )
    for name, x, y in _pairs(_by_name(ctx.a.exclusions), _by_name(ctx.b.exclusions)):
        if x == y:
            continue
        kind = "added" if x is None else "removed" if y is None else "wording"
        # Excluding something (or no longer excluding it) changes what the boundary covers;
        # rewording the reason does not.
        out.append(
            Change(
                group="boundary",
                kind=kind,
                item="exclusion",
                name=name,
                substantive=kind != "wording",
                old=_show(x.reason) if x else None,
                new=_show(y.reason) if y else None,
                where=ctx.where(y.span if y else None),
                summary=f"exclusion '{name}' {kind}",
            )
        )
    if ctx.a.cutoff != ctx.b.cutoff:
        out.append(
            Change(
                group="boundary",
                kind="changed",
                item="cutoff",
                name="cutoff",
                substantive=True,
                old=_cutoff(ctx.a.cutoff),
                new=_cutoff(ctx.b.cutoff),
                where=ctx.where(ctx.b.cutoff.span if ctx.b.cutoff else None),
                summary=f"cut-off {_cutoff(ctx.a.cutoff)} → {_cutoff(ctx.b.cutoff)}",
            )
        )
    return out


def _cutoff(cutoff: m.Cutoff | None) -> str:
    if cutoff is None:
        return "none"
    parts = [
        f"per flow {cutoff.per_flow:g} %" if cutoff.per_flow is not None else "",
        f"total {cutoff.total:g} %" if cutoff.total is not None else "",
    ]
    return ", ".join(p for p in parts if p) or "none"


# ---------------------------------------------------------------------------------- inputs


def _input_terms(inp: m.Input) -> dict[str, str]:
    """What an input asks of the inventory, aspect by aspect, as text."""
    default = inp.default
    written = (
        "-"
        if default is None
        else (
            f"{default.number:g}"
            if default.number is not None
            else default.choice
            if default.choice is not None
            else f"factor {default.factor}"
        )
    )
    terms = {
        "kind": inp.kind,
        "unit": str(inp.unit) if inp.unit else "-",
        "options": ", ".join(inp.options) or (inp.choice_type or "-"),
        "range": " ".join(f"{b.op} {b.value:g}" for b in inp.bounds) or "-",
        "default": written,
        "data quality": inp.quality or "-",
        "optional": "optional" if inp.optional else "required" if inp.required else "-",
    }
    for field in inp.fields:
        for key, value in _input_terms(field).items():
            terms[f"{field.name}.{key}"] = value
    return terms


def _inputs(ctx: _Context) -> list[Change]:
    out = []
    for name, x, y in _pairs(_by_name(ctx.a.inputs), _by_name(ctx.b.inputs)):
        if x == y:
            continue
        where = ctx.where((y or x).span) if y else None
        if x is None or y is None:
            inp = y or x
            kind = "added" if x is None else "removed"
            terms = _input_terms(inp)
            text = (
                f"{terms['kind']} in {terms['unit']}" if inp.kind == "quantity" else terms["kind"]
            )
            out.append(
                Change(
                    group="inputs",
                    kind=kind,
                    item="input",
                    name=name,
                    substantive=True,
                    where=where,
                    summary=f"input '{name}' {kind} ({text}, {terms['optional']})",
                    old=text if x else None,
                    new=text if y else None,
                )
            )
            continue
        before, after = _input_terms(x), _input_terms(y)
        moved = [k for k in after.keys() | before.keys() if before.get(k) != after.get(k)]
        if not moved:
            out.append(
                Change(
                    group="inputs",
                    kind="wording",
                    item="input",
                    name=name,
                    substantive=False,
                    where=where,
                    old=_show(x.description),
                    new=_show(y.description),
                    summary=f"input '{name}': description reworded",
                )
            )
            continue
        moved.sort()
        out.append(
            Change(
                group="inputs",
                kind="changed",
                item="input",
                name=name,
                substantive=True,
                where=where,
                old="; ".join(f"{k} {before.get(k, '-')}" for k in moved),
                new="; ".join(f"{k} {after.get(k, '-')}" for k in moved),
                summary=f"input '{name}': "
                + ", ".join(f"{k} {before.get(k, '-')} → {after.get(k, '-')}" for k in moved),
            )
        )
    return out


# ---------------------------------------------------------------------------------- factors


def _points(entry: FactorEntry | None, member: str = "") -> list[ValuePoint]:
    if entry is None:
        return []
    return [
        ValuePoint(
            member=member,
            valid_from=v.valid_from.isoformat() if v.valid_from else None,
            value=v.value,
            unit=str(entry.unit),
            source=v.source,
            confirmed=v.confirmed,
        )
        for v in entry.values
    ]


def _family_points(members: dict[str, FactorEntry] | None) -> list[ValuePoint]:
    return [p for key in sorted(members or {}) for p in _points(members[key], key)]


def _declared(pcr: PCR, name: str) -> m.Factor | None:
    symbol = pcr.resolved.symbols.get(name)
    decl = symbol.decl if symbol else None
    return decl if isinstance(decl, m.Factor) else None


def _reference(factor: m.Factor | None, name: str) -> str:
    if factor is None:
        return name  # a factor written in place: its name is its reference
    text = factor.target + (".*" if factor.family else "")
    if factor.unit is not None:
        text += f" in {factor.unit}"
    if factor.pinned is not None:
        text += f" at {factor.pinned.isoformat()}"
    return text


def _factors(ctx: _Context) -> list[Change]:
    old_res, new_res = ctx.old.resolved, ctx.new.resolved
    names = list(
        dict.fromkeys([*new_res.entries, *new_res.families, *old_res.entries, *old_res.families])
    )
    out = []
    for name in names:
        x_decl, y_decl = _declared(ctx.old, name), _declared(ctx.new, name)
        bound_old = name in old_res.entries or name in old_res.families
        bound_new = name in new_res.entries or name in new_res.families
        old_points = _points(old_res.entries.get(name)) or _family_points(
            old_res.families.get(name)
        )
        new_points = _points(new_res.entries.get(name)) or _family_points(
            new_res.families.get(name)
        )
        where = ctx.where(y_decl.span if y_decl else None)
        if not bound_old or not bound_new:
            kind = "added" if bound_new else "removed"
            decl = y_decl or x_decl
            out.append(
                Change(
                    group="factors",
                    kind=kind,
                    item="factor",
                    name=name,
                    substantive=True,
                    where=where,
                    old=_reference(x_decl, name) if bound_old else None,
                    new=_reference(y_decl, name) if bound_new else None,
                    old_values=old_points,
                    new_values=new_points,
                    summary=f"factor '{name}' {kind} ({_reference(decl, name)})",
                )
            )
            continue
        same_ref = _reference(x_decl, name) == _reference(y_decl, name)
        same_values = old_points == new_points
        if same_ref and same_values:
            if x_decl != y_decl:
                out.append(
                    Change(
                        group="factors",
                        kind="wording",
                        item="factor",
                        name=name,
                        substantive=False,
                        where=where,
                        old=_show(x_decl.description) if x_decl else None,
                        new=_show(y_decl.description) if y_decl else None,
                        summary=f"factor '{name}': description reworded",
                    )
                )
            continue
        what = (
            []
            if same_ref
            else [(f"reference {_reference(x_decl, name)} → {_reference(y_decl, name)}")]
        )
        if not same_values:
            what.append(
                "dataset value " + _values_text(old_points) + " → " + _values_text(new_points)
            )
        out.append(
            Change(
                group="factors",
                kind="changed",
                item="factor",
                name=name,
                substantive=True,
                where=where,
                old=_reference(x_decl, name),
                new=_reference(y_decl, name),
                old_values=old_points,
                new_values=new_points,
                summary=f"factor '{name}': " + "; ".join(what),
            )
        )
    return out


def _values_text(points: list[ValuePoint]) -> str:
    if not points:
        return "-"
    shown = [
        f"{p.member + ' ' if p.member else ''}{p.value:g} {p.unit}"
        + (f" from {p.valid_from}" if p.valid_from else "")
        for p in points
    ]
    return ", ".join(shown[:4]) + (f" (+{len(shown) - 4} more)" if len(shown) > 4 else "")


# ---------------------------------------------------------------------------------- formulas


def physical(
    expr: m.Expr, pcr: PCR, module: str = "", bound: dict[str, m.Expr] | None = None, depth: int = 0
) -> m.Expr:
    """The expression as physics: values and formulas written out, each factor as its dataset
    entry times the entry's unit, each quantity input times its unit.

    Compilation folds unit conversions into numbers; here every name carries its unit instead,
    so two rules that differ only in how they name, split or convert things give the same
    algebra. Units are independent symbols (t and kg never cancel), so what is proved equal is
    equal; a rewrite through a different unit is only "not proven".
    """
    symbols, bound = pcr.resolved.symbols, bound or {}
    if depth > 40:
        return expr  # formulas cannot recurse; this only bounds a pathological nesting

    def unit(written: m.UnitExpr | None) -> m.Expr:
        return m.Number(1.0, written) if written is not None else m.Number(1.0)

    def times(node: m.Expr, written: m.UnitExpr | None) -> m.Expr:
        return node if written is None else m.BinOp("*", node, unit(written))

    def entry_unit(name: str) -> m.UnitExpr | None:
        entry = pcr.resolved.entries.get(name)
        if entry is not None:
            return entry.unit
        members = pcr.resolved.families.get(name) or {}
        return next(iter(members.values())).unit if members else None

    def swap(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        if isinstance(node, m.Ref):
            if node.name in shadow:
                return None
            if node.name in bound:
                return bound[node.name]
            full = f"{module}.{node.name}" if module else node.name
            symbol = symbols.get(full) or symbols.get(node.name)
            if symbol is None:
                return None  # an option written as an argument
            decl = symbol.decl
            if symbol.kind == "input" and isinstance(decl, m.Input) and decl.kind == "quantity":
                return times(m.Ref(symbol.name), decl.unit)
            if symbol.kind == "let" and isinstance(decl, m.Let):
                return physical(decl.expr, pcr, symbol.module, None, depth + 1)
            if symbol.kind == "factor" and isinstance(decl, m.Factor):
                return times(m.FactorRef(decl.target), entry_unit(symbol.name))
            return m.Ref(symbol.name)
        if isinstance(node, m.FactorRef):
            return times(node, entry_unit(node.target))
        if isinstance(node, m.Index):
            full = f"{module}.{node.family}" if module else node.family
            symbol = symbols.get(full) or symbols.get(node.family)
            if symbol is not None and isinstance(symbol.decl, m.Factor):
                return times(m.Index(symbol.decl.target + ".*", node.key), entry_unit(symbol.name))
            return None
        if isinstance(node, m.Call) and node.function not in ("min", "max", "given"):
            full = f"{module}.{node.function}" if module else node.function
            symbol = symbols.get(full) or symbols.get(node.function)
            if symbol is None or not isinstance(symbol.decl, m.Formula):
                return None
            formula = symbol.decl
            if len(formula.params) != len(node.args):
                return None
            args = {p.name: arg for p, arg in zip(formula.params, node.args, strict=True)}
            return physical(formula.expr, pcr, symbol.module, args, depth + 1)
        return None

    def tag_fields(node: m.Expr) -> m.Expr:
        # Inside sum over, a list field is a quantity of its declared unit.
        if not isinstance(node, m.SumOver):
            return node
        found = pcr.rule.input(node.list_name)
        units = {f.name: f.unit for f in (found.fields if found else ()) if f.kind == "quantity"}

        def field(inner: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
            if isinstance(inner, m.Ref) and inner.name in units and inner.name in shadow:
                return times(inner, units[inner.name])
            return None

        return replace(node, body=exprs.map_expr(node.body, field, pcr.rule, frozenset(units)))

    def rewrite(node: m.Expr, shadow: frozenset[str]) -> m.Expr | None:
        return tag_fields(node) if isinstance(node, m.SumOver) else swap(node, shadow)

    return exprs.map_expr(expr, rewrite, pcr.rule)


def _same_fields(a: m.RuleFile, b: m.RuleFile, expr: m.Expr) -> bool:
    for node in exprs.walk(expr):
        if isinstance(node, m.SumOver):
            x, y = a.input(node.list_name), b.input(node.list_name)
            if (x.fields if x else None) != (y.fields if y else None):
                return False
    return True


def proven_equal(old: m.Expr, new: m.Expr, a: m.RuleFile, b: m.RuleFile) -> bool:
    """Equal for every value of their names. List fields (ItemSymbols) are read from one
    rule, so the proof is attempted only when both versions give the lists the same fields."""
    if old == new:
        return True
    if not (_same_fields(a, b, old) and _same_fields(a, b, new)):
        return False
    return equivalent(old, new, b)


def _is_condition(value: sympy.Basic) -> bool:
    return isinstance(
        value,
        (
            sympy.core.relational.Relational,
            sympy.logic.boolalg.BooleanFunction,
            sympy.logic.boolalg.BooleanAtom,
        ),
    )


def math_diff(old: m.Expr | None, new: m.Expr | None, a: m.RuleFile, b: m.RuleFile) -> MathDiff:
    """Both formulas as algebra and, for numbers, new minus old simplified."""
    x = _safe(lambda: to_sympy(old, a)) if old is not None else None
    y = _safe(lambda: to_sympy(new, b)) if new is not None else None
    difference = None
    if x is not None and y is not None and not (_is_condition(x) or _is_condition(y)):
        difference = _safe(lambda: str(_simplify(y - x)))
    return MathDiff(
        old=str(x) if x is not None else None,
        new=str(y) if y is not None else None,
        old_latex=_safe(lambda: to_latex(old, a)) if old is not None else None,
        new_latex=_safe(lambda: to_latex(new, b)) if new is not None else None,
        difference=difference,
    )


def _simplify(expr: sympy.Basic) -> sympy.Basic:
    # simplify is thorough but can take seconds on a large Piecewise; expand is enough there.
    if sympy.count_ops(expr) > 150:
        return sympy.expand(expr)
    return sympy.simplify(expr)


def _safe(make: Callable[[], object]) -> object:
    try:
        return make()
    except Exception:  # noqa: BLE001 - a formula sympy cannot take is shown without algebra
        return None


def _items(rule: m.RuleFile, modules: dict[str, m.RuleFile]) -> dict[str, tuple[str, object]]:
    """Every line, value and formula, by name (a module's as alias.name), with its kind."""
    out: dict[str, tuple[str, object]] = {}
    for alias, module in modules.items():
        out |= {f"{alias}.{x.name}": ("let", x) for x in module.lets}
        out |= {f"{alias}.{f.name}": ("formula", f) for f in module.formulas}
    out |= {x.name: ("let", x) for x in rule.lets}
    out |= {f.name: ("formula", f) for f in rule.formulas}
    out |= {line.name: ("line", line) for line in rule.lines}
    return out


def _signature(item: object) -> tuple[object, ...]:
    """What besides its expression decides an item's value: unit, gas, stage, parameters."""
    if isinstance(item, m.Line):
        return (item.stage, item.gas, item.origin, item.kind)
    if isinstance(item, m.Formula):
        return (item.params, item.unit)
    if isinstance(item, m.Let):
        return (item.unit,)
    return ()


def _describe_signature(item: object) -> str:
    if isinstance(item, m.Line):
        return f"{item.kind} in stage {item.stage}, {item.gas} {item.origin}"
    if isinstance(item, m.Formula):
        params = ", ".join(
            f"{p.name}: {p.unit or 'one of ' + str(p.choice_type)}" for p in item.params
        )
        return f"({params}) : {item.unit}"
    if isinstance(item, m.Let):
        return f": {item.unit}" if item.unit else "no declared unit"
    return ""


def _formulas(ctx: _Context) -> list[Change]:
    a, b = ctx.a, ctx.b
    old_items = _items(a, ctx.old.resolved.modules)
    new_items = _items(b, ctx.new.resolved.modules)
    verdicts: dict[str, Change] = {}
    # Values whose unit changed are kept as names when inlining: their numbers differ anyway.
    keep = frozenset(
        n
        for n, (k, x) in new_items.items()
        if k == "let" and n in old_items and _signature(old_items[n][1]) != _signature(x)
    )
    proved_physically: set[str] = set()
    for name, x, y in _pairs(old_items, new_items):
        verdicts[name], deep = _verdict(ctx, name, x, y, keep)
        if deep:
            proved_physically.add(name)
    moved = {n for n, c in verdicts.items() if c.kind in ("changed", "added", "removed")}
    moved |= _moved_elsewhere(ctx)
    touched: dict[str, list[str]] = {}
    for name in proved_physically:
        # Written out, only inputs and dataset values remain as names: check those.
        hit = _physical_touched(ctx, new_items[name][1].expr, moved)
        if hit:
            touched[name] = hit
    moved |= set(touched)
    growing = True
    while growing:  # an unchanged formula moves when anything it reads moves, transitively
        growing = False
        for name, change in verdicts.items():
            if (
                change.kind in ("changed", "added", "removed")
                or name in proved_physically
                or name in touched
            ):
                continue
            item = (new_items.get(name) or old_items.get(name))[1]
            hit = sorted(exprs.reads(item.expr) & moved - {name})
            if hit:
                touched[name], growing = hit, True
                moved.add(name)
    out = []
    for name, change in verdicts.items():
        if name in touched:
            change = change.model_copy(
                update={
                    "reads": touched[name],
                    "summary": change.summary
                    + " — but it reads changed "
                    + ", ".join(touched[name]),
                }
            )
        if "." in name and change.kind == "unchanged" and name not in touched:
            continue  # a module's unchanged names are not the PCR's to list
        out.append(change)
    return out


def _moved_elsewhere(ctx: _Context) -> set[str]:
    """Inputs and factors that changed: an unchanged formula reading them moves too."""
    names = {c.name for c in _inputs(ctx) if c.substantive}
    names |= {c.name for c in _factors(ctx) if c.substantive}
    return names


def _physical_touched(ctx: _Context, expr: m.Expr, moved: set[str]) -> list[str]:
    """Changed inputs, and factors whose dataset values changed, in a written-out formula."""
    written = _physical(expr, ctx.new)
    hit = set()
    for node in exprs.walk(written):
        if isinstance(node, m.Ref) and node.name in moved:
            hit.add(node.name)
        elif isinstance(node, m.FactorRef) and _entry_moved(ctx, node.target):
            hit.add(node.target)
        elif isinstance(node, m.Index) and _entry_moved(ctx, node.family):
            hit.add(node.family)
    return sorted(hit)


def _entry_moved(ctx: _Context, target: str) -> bool:
    old, new = ctx.old.resolved.standards, ctx.new.resolved.standards
    if target.endswith(".*"):
        dataset, _, prefix = target[:-2].partition(".")
        a, b = old.datasets.get(dataset), new.datasets.get(dataset)
        return (a.family(prefix) if a else None) != (b.family(prefix) if b else None)
    return old.entry(target) != new.entry(target)


def _verdict(
    ctx: _Context,
    name: str,
    x: tuple[str, object] | None,
    y: tuple[str, object] | None,
    keep: frozenset[str],
) -> tuple[Change, bool]:
    """The verdict on one item, and whether it was proved only once written out."""
    a, b = ctx.a, ctx.b
    kind_name = (y or x)[0]

    def verdict(kind: str, summary: str, **more: object) -> Change:
        return Change(
            group="formulas",
            kind=kind,
            item=kind_name,
            name=name,
            substantive=kind in ("changed", "added", "removed"),
            summary=summary,
            **more,
        )

    if x is None or y is None:
        item = (y or x)[1]
        verb = "added" if x is None else "removed"
        pcr = ctx.new if x is None else ctx.old
        return verdict(
            verb,
            f"{kind_name} '{name}' {verb}",
            where=ctx.where(item.span) if x is None else None,
            old=ctx.text(pcr, item.expr) if y is None else None,
            new=ctx.text(pcr, item.expr) if x is None else None,
            math=math_diff(
                item.expr if y is None else None, item.expr if x is None else None, a, b
            ),
        ), False
    old_item, new_item = x[1], y[1]
    texts = {
        "where": ctx.where(new_item.span),
        "old": ctx.text(ctx.old, old_item.expr),
        "new": ctx.text(ctx.new, new_item.expr),
    }
    if _signature(old_item) != _signature(new_item):
        return verdict(
            "changed",
            f"{kind_name} '{name}': {_describe_signature(old_item)} → "
            f"{_describe_signature(new_item)}",
            math=math_diff(old_item.expr, new_item.expr, a, b),
            **texts,
        ), False
    if old_item.expr == new_item.expr:
        if old_item == new_item:
            return verdict("unchanged", f"{kind_name} '{name}' unchanged", **texts), False
        return verdict(
            "wording", f"{kind_name} '{name}' reworded (formula unchanged)", **texts
        ), False
    proof, deep, how = proven_equal(old_item.expr, new_item.expr, a, b), False, ""
    if not proof and kind_name != "formula" and "." not in name:
        proof = proven_equal(
            exprs.inline_lets(old_item.expr, a, keep),
            exprs.inline_lets(new_item.expr, b, keep),
            a,
            b,
        )
        how = " once its values are written out"
        if not proof:
            proof = deep = proven_equal(
                _physical(old_item.expr, ctx.old), _physical(new_item.expr, ctx.new), a, b
            )
            how = " once its values, formulas and factors are written out with their units"
    math = math_diff(old_item.expr, new_item.expr, a, b)
    if proof:
        return verdict(
            "equivalent",
            f"{kind_name} '{name}' rewritten, mathematically equivalent{how}",
            math=math,
            **texts,
        ), deep
    return verdict("changed", f"{kind_name} '{name}' changed", math=math, **texts), False


def _physical(expr: m.Expr, pcr: PCR) -> m.Expr:
    try:
        return physical(expr, pcr)
    except Exception:  # noqa: BLE001 - a form that cannot be written out is "not proven"
        return expr


def _refactors(changes: list[Change]) -> list[Change]:
    """When every line stays as it was or is proved equivalent and reads nothing that moved,
    no result can move: the values, formulas and factors added, removed or changed on the way
    are a restructuring, not a change in substance."""
    restructuring = {"let", "formula", "factor"}
    for c in changes:
        if c.substantive and c.item not in restructuring:
            return changes
        if c.item == "line" and c.reads:
            return changes
        if c.item == "factor" and c.kind == "changed":
            return changes  # a factor whose value or reference changed moves its readers
    return [
        c.model_copy(
            update={
                "substantive": False,
                "summary": c.summary + " (a restructuring: every line stays equivalent)",
            }
        )
        if c.substantive
        else c
        for c in changes
    ]


# ---------------------------------------------------------------------------------- allocation


def _allocation_text(ctx: _Context, pcr: PCR, allocation: m.Allocation | None) -> str:
    if allocation is None:
        return "not allocated"
    products = ", ".join(
        p.name + (f" {p.property} {ctx.text(pcr, p.weight)}" if p.weight is not None else "")
        for p in allocation.products
    )
    return f"by {allocation.method}: {products}"


def _allocations(ctx: _Context) -> list[Change]:
    def per_stage(rule: m.RuleFile) -> dict[str, m.Allocation]:
        return {stage: a for a in rule.allocations for stage in a.stages}

    before, after = per_stage(ctx.a), per_stage(ctx.b)
    stages = list(dict.fromkeys([*after, *before]))
    grouped: dict[tuple[object, object], list[str]] = {}
    for stage in stages:
        x, y = before.get(stage), after.get(stage)
        if x is not None and y is not None and _same_allocation(ctx, x, y) is not False:
            if _same_allocation(ctx, x, y) is None:
                grouped.setdefault(("equivalent", id(y)), []).append(stage)
            continue
        if x is None and y is None:
            continue
        grouped.setdefault((id(x) if x else None, id(y) if y else None), []).append(stage)
    out = []
    for key, group in grouped.items():
        x, y = before.get(group[0]), after.get(group[0])
        label = ", ".join(group)
        if key[0] == "equivalent":
            out.append(
                Change(
                    group="allocation",
                    kind="equivalent",
                    item="allocation",
                    name=label,
                    substantive=False,
                    where=ctx.where(y.span),
                    old=_allocation_text(ctx, ctx.old, x),
                    new=_allocation_text(ctx, ctx.new, y),
                    summary=f"allocation of {label}: weights rewritten, equivalent",
                )
            )
            continue
        kind = "added" if x is None else "removed" if y is None else "changed"
        detail = _allocation_detail(x, y)
        out.append(
            Change(
                group="allocation",
                kind=kind,
                item="allocation",
                name=label,
                substantive=True,
                where=ctx.where(y.span if y else None),
                old=_allocation_text(ctx, ctx.old, x),
                new=_allocation_text(ctx, ctx.new, y),
                summary=f"allocation of {label} {kind}" + (f": {detail}" if detail else ""),
            )
        )
    return out


def _same_allocation(ctx: _Context, x: m.Allocation, y: m.Allocation) -> bool | None:
    """True when identical, None when only the weights are rewritten equivalently."""
    if (x.method, [p.name for p in x.products], [p.property for p in x.products]) != (
        y.method,
        [p.name for p in y.products],
        [p.property for p in y.products],
    ):
        return False
    if x.products == y.products:
        return True
    for p, q in zip(x.products, y.products, strict=True):
        if p.weight != q.weight and not (
            p.weight is not None
            and q.weight is not None
            and proven_equal(p.weight, q.weight, ctx.a, ctx.b)
        ):
            return False
    return None


def _allocation_detail(x: m.Allocation | None, y: m.Allocation | None) -> str:
    if x is None or y is None:
        return ""
    parts = []
    if x.method != y.method:
        parts.append(f"method {x.method} → {y.method}")
    old_p, new_p = [p.name for p in x.products], [p.name for p in y.products]
    if added := [p for p in new_p if p not in old_p]:
        parts.append("co-products added: " + ", ".join(added))
    if removed := [p for p in old_p if p not in new_p]:
        parts.append("co-products removed: " + ", ".join(removed))
    weights = {p.name: p.weight for p in x.products}
    if moved := [p.name for p in y.products if p.name in weights and p.weight != weights[p.name]]:
        parts.append("weights changed: " + ", ".join(moved))
    return "; ".join(parts)


# ---------------------------------------------------------------------------------- assertions


def _assertions(ctx: _Context) -> list[Change]:
    old_by = {(a.message): a for a in ctx.a.assertions}
    new_by = {(a.message): a for a in ctx.b.assertions}
    out = []
    unmatched_old = [a for msg, a in old_by.items() if msg not in new_by]
    for msg, y in new_by.items():
        x = old_by.get(msg)
        if x is None and unmatched_old and unmatched_old[0].expr == y.expr:
            x = unmatched_old.pop(0)  # the same condition with a reworded message
        if x == y:
            continue
        where = ctx.where(y.span)
        if x is None:
            out.append(
                Change(
                    group="assertions",
                    kind="added",
                    item="assertion",
                    name=msg,
                    substantive=True,
                    new=ctx.text(ctx.new, y.expr),
                    where=where,
                    summary=f"assertion added ({y.level}): {msg}",
                )
            )
            continue
        same = x.level == y.level and proven_equal(x.expr, y.expr, ctx.a, ctx.b)
        kind = ("wording" if x.expr == y.expr else "equivalent") if same else "changed"
        out.append(
            Change(
                group="assertions",
                kind=kind,
                item="assertion",
                name=msg,
                substantive=not same,
                where=where,
                old=f"{x.level}: {ctx.text(ctx.old, x.expr)}",
                new=f"{y.level}: {ctx.text(ctx.new, y.expr)}",
                summary=f"assertion {kind}: {msg}",
            )
        )
    for x in unmatched_old:
        out.append(
            Change(
                group="assertions",
                kind="removed",
                item="assertion",
                name=x.message,
                substantive=True,
                old=ctx.text(ctx.old, x.expr),
                summary=f"assertion removed ({x.level}): {x.message}",
            )
        )
    return out


# ---------------------------------------------------------------------------------- changelog


def _changelog(ctx: _Context) -> list[Change]:
    before = {c.version: c for c in ctx.a.changelog}
    out = []
    for entry in ctx.b.changelog:
        old = before.pop(entry.version, None)
        if old == entry:
            continue
        fields = ", ".join(f"{k} {v}" for k, v in entry.fields)
        out.append(
            Change(
                group="changelog",
                kind="added" if old is None else "changed",
                item="entry",
                name=entry.version,
                substantive=False,
                where=ctx.where(entry.span),
                old=f"{old.date} {old.summary}" if old else None,
                new=f"{entry.date} {entry.summary}" + (f" ({fields})" if fields else ""),
                summary=f"changelog {entry.version} "
                f"{'added' if old is None else 'changed'}: {entry.summary}",
            )
        )
    for version, entry in before.items():
        out.append(
            Change(
                group="changelog",
                kind="removed",
                item="entry",
                name=version,
                substantive=False,
                old=f"{entry.date} {entry.summary}",
                summary=f"changelog {version} removed",
            )
        )
    return out
