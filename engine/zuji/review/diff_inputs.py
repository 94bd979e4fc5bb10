"""The inputs a rule asks of the inventory, version against version, aspect by aspect."""

from __future__ import annotations

from zuji.lang import model as m
from zuji.review.diff_context import Context, by_name, pairs, show
from zuji.review.diff_model import Change


def input_terms(inp: m.Input) -> dict[str, str]:
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
        "unit": inp.unit_text or "-",
        "options": ", ".join(inp.options) or (inp.choice_type or "-"),
        "range": " ".join(f"{b.op} {b.value:g}" for b in inp.bounds) or "-",
        "default": written,
        "data quality": inp.quality or "-",
        "optional": "optional" if inp.optional else "required" if inp.required else "-",
    }
    for field in inp.fields:
        for key, value in input_terms(field).items():
            terms[f"{field.name}.{key}"] = value
    return terms


def inputs(ctx: Context) -> list[Change]:
    """One change per input added, removed, changed in what it asks, or only reworded."""
    out = []
    for name, x, y in pairs(by_name(ctx.a.inputs), by_name(ctx.b.inputs)):
        if x == y:
            continue
        where = ctx.where(y.span) if y else None
        if x is None or y is None:
            out.append(_added_or_removed(name, x, y, where, _condition(ctx, x, y)))
        else:
            out.append(_changed(name, x, y, where, _condition(ctx, x, y)))
    return out


def _condition(ctx: Context, x: m.Input | None, y: m.Input | None) -> tuple[str, str]:
    """`required when` of each side as written, the same text when the conditions are equal
    (rewritten with other spacing, say): a changed condition changes who must report what."""
    old = ctx.text(ctx.old, x.required_when) if x and x.required_when else "-"
    new = ctx.text(ctx.new, y.required_when) if y and y.required_when else "-"
    if x and y and x.required_when == y.required_when:
        new = old
    return old, new


def _added_or_removed(
    name: str,
    x: m.Input | None,
    y: m.Input | None,
    where: str | None,
    condition: tuple[str, str],
) -> Change:
    inp = y or x
    assert inp is not None  # a name comes from at least one of the versions
    kind = "added" if x is None else "removed"
    terms = input_terms(inp)
    terms["required when"] = condition[1] if y else condition[0]
    text = _asks(terms, inp.kind)
    return Change(
        group="inputs",
        kind=kind,
        item="input",
        name=name,
        substantive=True,
        where=where,
        summary=f"input '{name}' {kind} ({text})",
        old=text if x else None,
        new=text if y else None,
    )


def _asks(terms: dict[str, str], kind: str) -> str:
    """What a new (or dropped) input asks, in full: a committee must see the default a new
    input brings, since every inventory that leaves it out takes that value."""
    parts = [f"{kind} in {terms['unit']}" if kind == "quantity" else kind]
    if terms["options"] != "-":
        parts.append(f"options {terms['options']}")
    parts.append(f"range {terms['range']}" if terms["range"] != "-" else "no range")
    parts.append(f"default {terms['default']}" if terms["default"] != "-" else "no default")
    if terms.get("required when", "-") != "-":
        parts.append(f"required when {terms['required when']}")
    elif terms["optional"] != "-":
        parts.append(terms["optional"])
    return ", ".join(parts)


def _changed(
    name: str, x: m.Input, y: m.Input, where: str | None, condition: tuple[str, str]
) -> Change:
    before, after = input_terms(x), input_terms(y)
    before["required when"], after["required when"] = condition
    moved = [k for k in after.keys() | before.keys() if before.get(k) != after.get(k)]
    if not moved:
        return Change(
            group="inputs",
            kind="wording",
            item="input",
            name=name,
            substantive=False,
            where=where,
            old=show(x.description),
            new=show(y.description),
            summary=f"input '{name}': description reworded",
        )
    moved.sort()
    return Change(
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
