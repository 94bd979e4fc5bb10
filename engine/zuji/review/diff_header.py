"""The header of a rule file, its boundary, exclusions and cut-off, version against version."""

from __future__ import annotations

from typing import Literal

from zuji.lang import model as m
from zuji.review.diff_context import Context, by_name, pairs, show
from zuji.review.diff_model import Change

# Each header field, and whether changing it can move a result.
_FIELDS = (
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
)
_LABELS = {"declared_unit": "declared unit", "gwp": "GWP set", "uses": "modules used"}


def header(ctx: Context) -> list[Change]:
    """One change per header field that differs."""
    out = []
    for name, moves_results in _FIELDS:
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
        label = _LABELS.get(name, name)
        out.append(
            Change(
                group="header",
                kind="changed",
                item=name,
                name=name,
                substantive=substantive,
                old=show(before),
                new=show(after),
                summary=f"{label}: {show(before)} → {show(after)}",
                where=ctx.where(ctx.b.span_of(name)),
            )
        )
    return out


def boundary(ctx: Context) -> list[Change]:
    """The boundary's kind and stages, the exclusions and the cut-off."""
    return [*_boundary_kind(ctx), *_stages(ctx), *_exclusions(ctx), *_cutoff_change(ctx)]


def _boundary_kind(ctx: Context) -> list[Change]:
    a, b = ctx.a.boundary, ctx.b.boundary
    if (a.kind if a else None) == (b.kind if b else None):
        return []
    return [
        Change(
            group="boundary",
            kind="changed",
            item="boundary",
            name="kind",
            substantive=True,
            old=a.kind if a else "-",
            new=b.kind if b else "-",
            summary=f"boundary {a.kind if a else '-'} → {b.kind if b else '-'}",
            where=ctx.where(b.span if b else None),
        )
    ]


def _stages(ctx: Context) -> list[Change]:
    a, b = ctx.a.boundary, ctx.b.boundary
    where = ctx.where(b.span if b else None)
    old_stages, new_stages = (a.stages if a else ()), (b.stages if b else ())
    added = [
        _stage_change("added", stage, where, f"stage '{stage}' added to the boundary")
        for stage in new_stages
        if stage not in old_stages
    ]
    removed = [
        _stage_change("removed", stage, where, f"stage '{stage}' removed from the boundary")
        for stage in old_stages
        if stage not in new_stages
    ]
    return added + removed


def _exclusions(ctx: Context) -> list[Change]:
    out = []
    for name, x, y in pairs(by_name(ctx.a.exclusions), by_name(ctx.b.exclusions)):
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
                old=show(x.reason) if x else None,
                new=show(y.reason) if y else None,
                where=ctx.where(y.span if y else None),
                summary=f"exclusion '{name}' {kind}",
            )
        )
    return out


def _cutoff_change(ctx: Context) -> list[Change]:
    if ctx.a.cutoff == ctx.b.cutoff:
        return []
    return [
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
    ]


def _cutoff(cutoff: m.Cutoff | None) -> str:
    if cutoff is None:
        return "none"
    parts = [
        f"per flow {cutoff.per_flow:g} %" if cutoff.per_flow is not None else "",
        f"total {cutoff.total:g} %" if cutoff.total is not None else "",
    ]
    return ", ".join(p for p in parts if p) or "none"


def _stage_change(
    kind: Literal["added", "removed"], stage: str, where: str | None, summary: str
) -> Change:
    """A stage entering or leaving the boundary; its name stands on the side it is on."""
    added = kind == "added"
    return Change(
        group="boundary",
        kind=kind,
        item="stage",
        name=stage,
        substantive=True,
        new=stage if added else None,
        old=None if added else stage,
        where=where,
        summary=summary,
    )
