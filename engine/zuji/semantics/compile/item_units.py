"""The units of a list's items where a field is in one of several units.

`amount : t or Nm3 or GJ as fuel_co2[fuel]` says: each item's amount is in the one of t, Nm3 and
GJ that its member of the family fuel_co2 is per, the member named by the item's `fuel`. Which
unit that is for each option is decided here, once, from the units of the family's members in
the datasets (the part after their `/`: t CO2/t is per t, kg CO2/Nm3 per Nm3), before any
expression is compiled: `sum over` then compiles its body once per option, each with the amount
in its own unit (codegen.py), and the inventory reader reads each item's amount in the unit of
its option, refusing one of another kind (E503).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from zuji.data.standards import FactorEntry
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.semantics.compile.plan import ListUnits

if TYPE_CHECKING:
    from zuji.semantics.compile.codegen import ExpressionCompiler


def plan_item_units(compiler: ExpressionCompiler) -> None:
    """The pass: for each list with a field in several units, the unit of each option."""
    pcr = compiler.compilation.resolved.pcr
    for inp in pcr.inputs:
        mixed = [f for f in inp.fields if f.units is not None]
        for fld in mixed:  # read by the rule even where its units turn out to be mistaken
            symbol = compiler.names.lookup(fld.units.family if fld.units else "", "")
            if symbol is not None:
                compiler.names.use(symbol.name)
        if inp.kind == "list" and mixed:
            listed = _list_units(compiler, inp, mixed)
            if listed is not None:
                compiler.compilation.item_units[inp.name] = listed


def _list_units(
    compiler: ExpressionCompiler, listed: m.Input, mixed: list[m.Input]
) -> ListUnits | None:
    key = _key_field(compiler, listed, mixed)
    if key is None:
        return None
    options = _ordered_options(compiler, key)
    if not options:
        return None  # an unknown choice type: reported (E213)
    fields: dict[str, Mapping[str, m.UnitExpr]] = {}
    for fld in mixed:
        per_option = _field_units(compiler, listed, fld, options)
        if per_option is None:
            return None
        fields[fld.name] = MappingProxyType(per_option)
    measured = {
        (fld.name, option): replace(fld, unit=fields[fld.name][option], units=None)
        for fld in mixed
        for option in options
    }
    families = {fld.name: fld.units.family for fld in mixed if fld.units is not None}
    return ListUnits(
        listed.name,
        key.name,
        options,
        MappingProxyType(fields),
        MappingProxyType(families),
        MappingProxyType(measured),
    )


def _key_field(
    compiler: ExpressionCompiler, listed: m.Input, mixed: list[m.Input]
) -> m.Input | None:
    """The list's choice field that every field in several units follows (E226 otherwise)."""
    first = mixed[0].units
    assert first is not None  # mixed fields are those with units
    choices = [f.name for f in listed.fields if f.kind == "choice"]
    hint = (
        f"name the field that says what each item is: as {first.family}[{choices[0]}]"
        if choices
        else "add a choice field (fuel : one of ...) and name it: as family[fuel]"
    )
    for fld in mixed[1:]:
        if fld.units is not None and fld.units.key != first.key:
            compiler.error(
                "E226",
                f"fields of list '{listed.name}' follow different choice fields "
                f"('{first.key}' and '{fld.units.key}')",
                fld.units.span,
                "every field in several units of one list follows the same choice field",
            )
            return None
    key = next((f for f in listed.fields if f.name == first.key), None)
    if key is None or key.kind != "choice":
        compiler.error(
            "E226",
            f"'{first.key}' is not a choice field of list '{listed.name}'",
            first.span,
            hint,
        )
        return None
    return key


def _ordered_options(compiler: ExpressionCompiler, key: m.Input) -> tuple[str, ...]:
    """The key's options in the order the rule declares them."""
    known = compiler.names.options_of(key)
    if key.options:
        return key.options
    symbol = compiler.names.lookup(key.choice_type or "", "")
    declared = symbol.decl.options if symbol and isinstance(symbol.decl, m.ChoiceType) else ()
    return tuple(o for o in declared if o in known)


def _field_units(
    compiler: ExpressionCompiler, listed: m.Input, fld: m.Input, options: tuple[str, ...]
) -> dict[str, m.UnitExpr] | None:
    """Each option's unit: the one of the field's units its member of the family is per."""
    written = fld.units
    assert written is not None
    units = [compiler.units.unit_of(unit, written.span) for unit in written.units]
    if any(unit is None for unit in units) or not _distinct_kinds(compiler, listed, fld):
        return None
    members = _members(compiler, written, options)
    if members is None:
        return None
    out: dict[str, m.UnitExpr] = {}
    for option in options:
        unit = _unit_per(compiler, listed, fld, option, members[option])
        if unit is None:
            return None
        out[option] = unit
    return out


def _distinct_kinds(compiler: ExpressionCompiler, listed: m.Input, fld: m.Input) -> bool:
    """Two units of one kind (t or kg) would leave the unit of an item undecided (E314)."""
    assert fld.units is not None
    written = fld.units.units
    for i, first in enumerate(written):
        for second in written[i + 1 :]:
            a, b = u.to_pint(first), u.to_pint(second)
            if u.same_dimension(a, b):
                compiler.error(
                    "E314",
                    f"field '{fld.name}' of list '{listed.name}' is given {first} and {second}, "
                    f"which measure the same kind of quantity ({u.describe_dimension(a)})",
                    fld.units.span,
                    "give one unit of each kind (a mass, a volume, an energy); an inventory "
                    "may still write any unit of that kind, converted to the one given here",
                )
                return False
    return True


def _members(
    compiler: ExpressionCompiler, written: m.ItemUnits, options: tuple[str, ...]
) -> Mapping[str, FactorEntry] | None:
    """The family's member for every option of the key (E210, E214, E216 otherwise)."""
    names = compiler.names
    symbol = names.lookup(written.family, "")
    if symbol is None:
        names.undefined(written.family, written.span, "")
        return None
    if symbol.kind != "family":
        compiler.error(
            "E214",
            f"'{written.family}' is not a factor family; the units of a list's items follow "
            "a factor declared as dataset.entry.*",
            written.span,
        )
        return None
    names.use(symbol.name)
    members = compiler.compilation.resolved.families.get(symbol.name, {})
    if not members:
        return None  # no members in the dataset: reported when it was bound (E207)
    missing = [o for o in options if o not in members]
    if missing:
        compiler.error(
            "E216",
            f"factor family '{written.family}' has no entry for "
            f"{', '.join(repr(x) for x in missing)}",
            written.span,
            "members: " + ", ".join(sorted(members)),
        )
        return None
    return members


def _unit_per(
    compiler: ExpressionCompiler, listed: m.Input, fld: m.Input, option: str, entry: FactorEntry
) -> m.UnitExpr | None:
    """The one of the field's units whose kind the member's unit is per (E315 otherwise)."""
    written = fld.units
    assert written is not None
    unit = entry.unit
    per = m.UnitExpr(unit.denominator) if unit.denominator else None
    matches = [
        declared
        for declared in written.units
        if per is not None and u.same_dimension(u.to_pint(per), u.to_pint(declared))
    ]
    if len(matches) == 1:
        return matches[0]
    reference = entry.reference
    kinds = " or ".join(str(x) for x in written.units)
    said = f"which is per {per}" if per is not None else "which is not per any unit"
    compiler.error(
        "E315",
        f"list '{listed.name}': items whose {written.key} is {option} take the factor "
        f"{written.family}[{option}] ({reference}, in {unit}), {said}; field "
        f"'{fld.name}' is in {kinds}",
        written.span,
        f"add a unit of that kind to the field ({kinds} or {per})"
        if per is not None
        else f"name a family whose members are per a unit of the amount ({kinds})",
    )
    return None
