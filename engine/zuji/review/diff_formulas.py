"""Lines, values (`let`) and formulas, version against version: one verdict on each.

An item is unchanged, reworded, rewritten but mathematically equivalent (proved with sympy: as
written, once its values are written out, or once everything is written out with its units), or
changed. An unchanged item that reads something changed moves too, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.review.diff_algebra import math_diff, proven_equal, written_out
from zuji.review.diff_context import Context, pairs, show
from zuji.review.diff_factors import factors
from zuji.review.diff_inputs import inputs
from zuji.review.diff_model import Change, MathDiff

ItemKind = Literal["let", "formula", "line"]
Item = m.Let | m.Formula | m.Line
Items = dict[str, tuple[ItemKind, Item]]
_MOVES = ("changed", "added", "removed")


def _items(rule: m.RuleFile, modules: Mapping[str, m.RuleFile]) -> Items:
    """Every line, value and formula, by name (a module's as alias.name), with its kind."""
    out: Items = {}
    for alias, module in modules.items():
        out |= {f"{alias}.{x.name}": ("let", x) for x in module.lets}
        out |= {f"{alias}.{f.name}": ("formula", f) for f in module.formulas}
    out |= {x.name: ("let", x) for x in rule.lets}
    out |= {f.name: ("formula", f) for f in rule.formulas}
    out |= {line.name: ("line", line) for line in rule.lines}
    return out


def _signature(item: Item) -> tuple[object, ...]:
    """What besides its expression decides an item's value: unit, gas, stage, parameters."""
    if isinstance(item, m.Line):
        return (item.stage, item.gas, item.origin, item.kind)
    if isinstance(item, m.Formula):
        return (item.params, item.unit)
    if isinstance(item, m.Let):
        return (item.unit,)
    return ()


def _describe_signature(item: Item) -> str:
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


def formulas(ctx: Context) -> list[Change]:
    """A verdict on every line, value and formula (a module's only when it moves)."""
    old_items = _items(ctx.a, ctx.old.resolved.modules)
    new_items = _items(ctx.b, ctx.new.resolved.modules)
    # Values whose unit changed are kept as names when inlining: their numbers differ anyway.
    keep = frozenset(
        n
        for n, (k, x) in new_items.items()
        if k == "let" and n in old_items and _signature(old_items[n][1]) != _signature(x)
    )
    verdicts: dict[str, Change] = {}
    proved_physically: set[str] = set()
    for name, x, y in pairs(old_items, new_items):
        verdicts[name], deep = _verdict(ctx, name, x, y, keep)
        if deep:
            proved_physically.add(name)
    moved = {n for n, c in verdicts.items() if c.kind in _MOVES}
    moved |= _moved_elsewhere(ctx)
    touched: dict[str, list[str]] = {}
    for name in proved_physically:
        # Written out, only inputs and dataset values remain as names: check those.
        hit = _physical_touched(ctx, new_items[name][1].expr, moved)
        if hit:
            touched[name] = hit
    moved |= set(touched)
    _spread(verdicts, {**old_items, **new_items}, moved, proved_physically, touched)
    return _listed(verdicts, touched)


def _spread(
    verdicts: dict[str, Change],
    items: Mapping[str, tuple[ItemKind, Item]],
    moved: set[str],
    proved_physically: set[str],
    touched: dict[str, list[str]],
) -> None:
    """An unchanged formula moves when anything it reads moves, transitively: adds to touched
    (and moved) the names each such item reads that moved."""
    growing = True
    while growing:
        growing = False
        for name, change in verdicts.items():
            if change.kind in _MOVES or name in proved_physically or name in touched:
                continue
            hit = sorted(exprs.reads(items[name][1].expr) & moved - {name})
            if hit:
                touched[name], growing = hit, True
                moved.add(name)


def _listed(verdicts: dict[str, Change], touched: dict[str, list[str]]) -> list[Change]:
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


def _moved_elsewhere(ctx: Context) -> set[str]:
    """Inputs and factors that changed: an unchanged formula reading them moves too."""
    names = {c.name for c in inputs(ctx) if c.substantive}
    names |= {c.name for c in factors(ctx) if c.substantive}
    return names


def _physical_touched(ctx: Context, expr: m.Expr, moved: set[str]) -> list[str]:
    """Changed inputs, and factors whose dataset values changed, in a written-out formula."""
    written = written_out(expr, ctx.new)
    hit = set()
    for node in exprs.walk(written):
        if isinstance(node, m.Ref) and node.name in moved:
            hit.add(node.name)
        elif isinstance(node, m.FactorRef) and _entry_moved(ctx, node.target):
            hit.add(node.target)
        elif isinstance(node, m.Index) and _entry_moved(ctx, node.family):
            hit.add(node.family)
    return sorted(hit)


def _entry_moved(ctx: Context, target: str) -> bool:
    old, new = ctx.old.resolved.standards, ctx.new.resolved.standards
    if target.endswith(".*"):
        dataset, _, prefix = target[:-2].partition(".")
        a, b = old.datasets.get(dataset), new.datasets.get(dataset)
        return (a.family(prefix) if a else None) != (b.family(prefix) if b else None)
    return old.entry(target) != new.entry(target)


@dataclass(frozen=True)
class _Verdict:
    """Builds the verdicts on one item."""

    item: ItemKind
    name: str

    def __call__(
        self,
        kind: str,
        summary: str,
        *,
        where: str | None = None,
        old: str | None = None,
        new: str | None = None,
        math: MathDiff | None = None,
    ) -> Change:
        return Change(
            group="formulas",
            kind=kind,
            item=self.item,
            name=self.name,
            substantive=kind in _MOVES,
            summary=summary,
            where=where,
            old=old,
            new=new,
            math=math,
        )


def _verdict(
    ctx: Context,
    name: str,
    x: tuple[ItemKind, Item] | None,
    y: tuple[ItemKind, Item] | None,
    keep: frozenset[str],
) -> tuple[Change, bool]:
    """The verdict on one item, and whether it was proved only once written out."""
    if x is None or y is None:
        return _added_or_removed(ctx, name, x, y), False
    kind_name, old_item, new_item = y[0], x[1], y[1]
    change, deep = _judged(ctx, name, kind_name, old_item, new_item, keep)
    before, after = show(old_item.description), show(new_item.description)
    if change.kind not in ("wording", "unchanged") and before != after:
        # A formula rewritten and reworded at once: the wording must not hide behind it.
        change = change.model_copy(
            update={"summary": f"{change.summary}; description reworded: {before} → {after}"}
        )
    return change, deep


def _judged(
    ctx: Context,
    name: str,
    kind_name: ItemKind,
    old_item: Item,
    new_item: Item,
    keep: frozenset[str],
) -> tuple[Change, bool]:
    verdict = _Verdict(kind_name, name)
    where = ctx.where(new_item.span)
    old, new = ctx.text(ctx.old, old_item.expr), ctx.text(ctx.new, new_item.expr)
    a, b = ctx.a, ctx.b
    if _signature(old_item) != _signature(new_item):
        summary = (
            f"{kind_name} '{name}': {_describe_signature(old_item)} → "
            f"{_describe_signature(new_item)}"
        )
        math = math_diff(old_item.expr, new_item.expr, a, b)
        return verdict("changed", summary, where=where, old=old, new=new, math=math), False
    if old_item.expr == new_item.expr:
        if old_item == new_item:
            summary = f"{kind_name} '{name}' unchanged"
            return verdict("unchanged", summary, where=where, old=old, new=new), False
        summary = f"{kind_name} '{name}' reworded (formula unchanged)"
        # The formula is the same on both sides: what the committee reads is the wording.
        old, new = show(old_item.description), show(new_item.description)
        return verdict("wording", summary, where=where, old=old, new=new), False
    proof, deep, how = _prove(ctx, name, kind_name, old_item.expr, new_item.expr, keep)
    math = math_diff(old_item.expr, new_item.expr, a, b)
    if proof:
        summary = f"{kind_name} '{name}' rewritten, mathematically equivalent{how}"
        return verdict("equivalent", summary, where=where, old=old, new=new, math=math), deep
    summary = f"{kind_name} '{name}' changed"
    return verdict("changed", summary, where=where, old=old, new=new, math=math), False


def _added_or_removed(
    ctx: Context, name: str, x: tuple[ItemKind, Item] | None, y: tuple[ItemKind, Item] | None
) -> Change:
    present = y or x
    assert present is not None  # a name comes from at least one of the versions
    kind_name, item = present
    added = x is None
    verb = "added" if added else "removed"
    pcr = ctx.new if added else ctx.old
    return _Verdict(kind_name, name)(
        verb,
        f"{kind_name} '{name}' {verb}",
        where=ctx.where(item.span) if added else None,
        old=ctx.text(pcr, item.expr) if not added else None,
        new=ctx.text(pcr, item.expr) if added else None,
        math=math_diff(
            item.expr if not added else None, item.expr if added else None, ctx.a, ctx.b
        ),
    )


def _prove(
    ctx: Context, name: str, kind_name: ItemKind, old: m.Expr, new: m.Expr, keep: frozenset[str]
) -> tuple[bool, bool, str]:
    """Whether a rewritten item is proved equal, whether only once everything is written out
    with its units, and how it was proved (for the summary)."""
    a, b = ctx.a, ctx.b
    if proven_equal(old, new, a, b):
        return True, False, ""
    if kind_name == "formula" or "." in name:
        return False, False, ""
    if proven_equal(exprs.inline_lets(old, a, keep), exprs.inline_lets(new, b, keep), a, b):
        return True, False, " once its values are written out"
    deep = proven_equal(written_out(old, ctx.old), written_out(new, ctx.new), a, b)
    return deep, deep, " once its values, formulas and factors are written out with their units"
