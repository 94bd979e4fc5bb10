"""Allocation among co-products, assertions and the changelog, version against version."""

from __future__ import annotations

from zuji.lang import model as m
from zuji.review.diff_algebra import proven_equal
from zuji.review.diff_context import Context
from zuji.review.diff_model import Change
from zuji.runtime.pcr import PCR


def _allocation_text(ctx: Context, pcr: PCR, allocation: m.Allocation | None) -> str:
    if allocation is None:
        return "not allocated"
    products = ", ".join(
        p.name + (f" {p.property} {ctx.text(pcr, p.weight)}" if p.weight is not None else "")
        for p in allocation.products
    )
    return f"by {allocation.method}: {products}"


def _per_stage(rule: m.RuleFile) -> dict[str, m.Allocation]:
    return {stage: a for a in rule.allocations for stage in a.stages}


def allocations(ctx: Context) -> list[Change]:
    """One change per group of stages whose allocation changed the same way."""
    before, after = _per_stage(ctx.a), _per_stage(ctx.b)
    stages = list(dict.fromkeys([*after, *before]))
    grouped: dict[tuple[object, object], list[str]] = {}
    for stage in stages:
        x, y = before.get(stage), after.get(stage)
        same = _same_allocation(ctx, x, y) if x is not None and y is not None else False
        if same is not False:
            if same is None:
                grouped.setdefault(("equivalent", id(y)), []).append(stage)
            continue
        if x is None and y is None:
            continue
        grouped.setdefault((id(x) if x else None, id(y) if y else None), []).append(stage)
    return [
        _allocation_change(ctx, key[0] == "equivalent", group, before, after)
        for key, group in grouped.items()
    ]


def _allocation_change(
    ctx: Context,
    equivalent: bool,
    group: list[str],
    before: dict[str, m.Allocation],
    after: dict[str, m.Allocation],
) -> Change:
    x, y = before.get(group[0]), after.get(group[0])
    label = ", ".join(group)
    if equivalent:
        return Change(
            group="allocation",
            kind="equivalent",
            item="allocation",
            name=label,
            substantive=False,
            where=ctx.where(y.span if y else None),
            old=_allocation_text(ctx, ctx.old, x),
            new=_allocation_text(ctx, ctx.new, y),
            summary=f"allocation of {label}: weights rewritten, equivalent",
        )
    kind = "added" if x is None else "removed" if y is None else "changed"
    detail = _allocation_detail(x, y)
    return Change(
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


def _same_allocation(ctx: Context, x: m.Allocation, y: m.Allocation) -> bool | None:
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


def assertions(ctx: Context) -> list[Change]:
    """Assertions matched by message (or, reworded, by condition), added, removed or changed."""
    old_by = {(a.message): a for a in ctx.a.assertions}
    new_by = {(a.message): a for a in ctx.b.assertions}
    out = []
    unmatched_old = [a for msg, a in old_by.items() if msg not in new_by]
    for msg, y in new_by.items():
        x = old_by.get(msg)
        if x is None:  # the same condition with a reworded message, wherever it stood
            x = next((a for a in unmatched_old if a.expr == y.expr), None)
            if x is not None:
                unmatched_old.remove(x)
        if x == y:
            continue
        out.append(_assertion_change(ctx, msg, x, y))
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


def _assertion_change(ctx: Context, msg: str, x: m.Assertion | None, y: m.Assertion) -> Change:
    where = ctx.where(y.span)
    if x is None:
        return Change(
            group="assertions",
            kind="added",
            item="assertion",
            name=msg,
            substantive=True,
            new=ctx.text(ctx.new, y.expr),
            where=where,
            summary=f"assertion added ({y.level}): {msg}",
        )
    same = x.level == y.level and proven_equal(x.expr, y.expr, ctx.a, ctx.b)
    kind = ("wording" if x.expr == y.expr else "equivalent") if same else "changed"
    return Change(
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


def changelog(ctx: Context) -> list[Change]:
    """Changelog entries added, changed or removed: a record, never substantive."""
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
