"""The factors a rule reads, version against version: their references and dataset values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zuji.data.standards import FactorEntry
from zuji.lang import model as m
from zuji.review.diff_context import Context, show
from zuji.review.diff_model import Change, ValuePoint
from zuji.runtime.pcr import PCR


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


def _family_points(members: Mapping[str, FactorEntry] | None) -> list[ValuePoint]:
    found = members or {}
    return [p for key in sorted(found) for p in _points(found[key], key)]


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


@dataclass(frozen=True)
class _Sides:
    """One factor name as each version declares and binds it."""

    name: str
    x_decl: m.Factor | None
    y_decl: m.Factor | None
    bound_old: bool
    bound_new: bool
    old_points: list[ValuePoint]
    new_points: list[ValuePoint]

    @classmethod
    def of(cls, ctx: Context, name: str) -> _Sides:
        old_res, new_res = ctx.old.resolved, ctx.new.resolved
        return cls(
            name=name,
            x_decl=_declared(ctx.old, name),
            y_decl=_declared(ctx.new, name),
            bound_old=name in old_res.entries or name in old_res.families,
            bound_new=name in new_res.entries or name in new_res.families,
            old_points=_points(old_res.entries.get(name))
            or _family_points(old_res.families.get(name)),
            new_points=_points(new_res.entries.get(name))
            or _family_points(new_res.families.get(name)),
        )

    @property
    def old_reference(self) -> str:
        return _reference(self.x_decl, self.name)

    @property
    def new_reference(self) -> str:
        return _reference(self.y_decl, self.name)


def factors(ctx: Context) -> list[Change]:
    """One change per factor bound in only one version, re-pointed, revalued or reworded."""
    old_res, new_res = ctx.old.resolved, ctx.new.resolved
    names = list(
        dict.fromkeys([*new_res.entries, *new_res.families, *old_res.entries, *old_res.families])
    )
    out = []
    for name in names:
        sides = _Sides.of(ctx, name)
        where = ctx.where(sides.y_decl.span if sides.y_decl else None)
        change = (
            _bound_in_one(sides, where)
            if not sides.bound_old or not sides.bound_new
            else _changed(sides, where)
        )
        if change is not None:
            out.append(change)
    return out


def _bound_in_one(sides: _Sides, where: str | None) -> Change:
    name = sides.name
    kind = "added" if sides.bound_new else "removed"
    decl = sides.y_decl or sides.x_decl
    return Change(
        group="factors",
        kind=kind,
        item="factor",
        name=name,
        substantive=True,
        where=where,
        old=sides.old_reference if sides.bound_old else None,
        new=sides.new_reference if sides.bound_new else None,
        old_values=sides.old_points,
        new_values=sides.new_points,
        summary=f"factor '{name}' {kind} ({_reference(decl, name)})",
    )


def _changed(sides: _Sides, where: str | None) -> Change | None:
    name, x_decl, y_decl = sides.name, sides.x_decl, sides.y_decl
    same_ref = sides.old_reference == sides.new_reference
    same_values = sides.old_points == sides.new_points
    if same_ref and same_values:
        if x_decl == y_decl:
            return None
        return Change(
            group="factors",
            kind="wording",
            item="factor",
            name=name,
            substantive=False,
            where=where,
            old=show(x_decl.description) if x_decl else None,
            new=show(y_decl.description) if y_decl else None,
            summary=f"factor '{name}': description reworded",
        )
    what = [] if same_ref else [f"reference {sides.old_reference} → {sides.new_reference}"]
    if not same_values:
        what.append(
            "dataset value "
            + _values_text(sides.old_points)
            + " → "
            + _values_text(sides.new_points)
        )
    return Change(
        group="factors",
        kind="changed",
        item="factor",
        name=name,
        substantive=True,
        where=where,
        old=sides.old_reference,
        new=sides.new_reference,
        old_values=sides.old_points,
        new_values=sides.new_points,
        summary=f"factor '{name}': " + "; ".join(what),
    )


def _values_text(points: list[ValuePoint]) -> str:
    if not points:
        return "-"
    shown = [
        f"{p.member + ' ' if p.member else ''}{p.value:g} {p.unit}"
        + (f" from {p.valid_from}" if p.valid_from else "")
        for p in points
    ]
    return ", ".join(shown[:4]) + (f" (+{len(shown) - 4} more)" if len(shown) > 4 else "")
