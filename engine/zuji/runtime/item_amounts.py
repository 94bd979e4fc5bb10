"""The amounts of a list's items where a field is in one of several units.

`amount : t or Nm3 or GJ as fuel_co2[fuel]`: coal burned is read in t, natural gas in Nm3, bought
steam in GJ, each the unit its factor is per (decided when the PCR is compiled: ListUnits). An
item's amount is read like any quantity in that one unit, so "1.2 万Nm3" or "3 kt" convert; an
amount of another kind (natural gas given in t) is refused naming the list, the item and the
unit to write (E503), never converted through a density the rule does not state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from zuji.data.standards import Standards
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime.amounts import parse_amount, written
from zuji.semantics.compile.plan import ListUnits


class Reporter(Protocol):
    def error(self, where: str, message: str, hint: str = "", code: str = "E501") -> None: ...


def key_first(inp: m.Input, listed: ListUnits | None) -> list[m.Input]:
    """A list's fields with the choice field that decides the units first."""
    if listed is None:
        return list(inp.fields)
    return sorted(inp.fields, key=lambda f: f.name != listed.key)


def measured(
    fld: m.Input,
    listed: ListUnits | None,
    option: Any,
    raw: Any,
    reporter: Reporter,
    where: str,
) -> m.Input | None:
    """The field as if declared in the unit of the item's option, to read the amount with; None
    when that cannot be known (the option is missing or unknown: reported where it is) or the
    amount is of another kind (reported here, E503)."""
    if listed is not None and option is None and raw is not None:
        reporter.error(
            where,
            f"the item gives no {listed.key}, which decides the unit of its {fld.name}",
            f"give its {listed.key}; units by {listed.key}: {listed.describe(fld.name)}",
            code="E503",
        )
        return None
    if listed is None or not isinstance(option, str) or option not in listed.options:
        return None  # an option that is not one: reported where it is written
    field_in = listed.field_in(fld.name, option)
    unit = listed.unit(fld.name, option)
    if field_in is None or unit is None:
        return None
    given = _written_unit(raw)
    if given is None:
        return field_in  # no unit or no number: the reader says what is wrong, as for any input
    target = u.to_pint(unit)
    if u.same_dimension(given, target):
        return field_in
    family = listed.families.get(fld.name, "")
    reporter.error(
        where,
        f"{_shown(raw)} is {u.describe_dimension(given)}, but items whose {listed.key} is "
        f"{option} are measured in {unit} ({u.describe_dimension(target)}): their factor "
        f"{family}[{option}] is per {unit}",
        f"give this item's {fld.name} in {unit} (or another unit of "
        f"{u.describe_dimension(target)}), or check its {listed.key}; units by {listed.key}: "
        f"{listed.describe(fld.name)}",
        code="E503",
    )
    return None


def _written_unit(raw: Any) -> Any:
    """The unit an amount is written in, as a pint unit; None when it has none or is not read
    (the ordinary reading of a quantity then reports it)."""
    meta = raw if isinstance(raw, dict) else {"value": raw}
    text = meta.get("unit")
    value = meta.get("value")
    try:
        if not text and isinstance(value, str):
            text = parse_amount(value)[1]
        if not isinstance(text, str) or not text:
            return None
        return u.to_pint(u.unit_from_text(text))
    except ValueError:  # UnitSyntaxError too: an unknown unit, reported by the reading
        return None


def _shown(raw: Any) -> str:
    return f"'{written(raw if isinstance(raw, dict) else {'value': raw})}'"


def derived(pcr: m.RuleFile, standards: Standards) -> Mapping[str, ListUnits]:
    """The units of the items of a PCR's lists, for a reader not given them by the PCR's plan
    (a rule read on its own): compiled here, only for a PCR that has such a list."""
    if not any(f.units is not None for inp in pcr.inputs for f in inp.fields):
        return {}
    from zuji.semantics.compile import compile_plan
    from zuji.semantics.resolve import resolve

    return compile_plan(resolve(pcr, standards)).item_units


def item_unit(
    item_units: Mapping[str, ListUnits], inp: m.Input, item: Mapping[str, Any], fld: m.Input
) -> str:
    """The unit one item's field is in: the field's own, or for a field in several units the
    one of the item's option ("" when the option is not known)."""
    if fld.units is None:
        return fld.unit_text
    listed = item_units.get(inp.name)
    option = item.get(listed.key) if listed is not None else None
    unit = listed.unit(fld.name, option) if listed is not None and isinstance(option, str) else None
    return str(unit) if unit is not None else ""


def unit_at(
    rule: m.RuleFile, item_units: Mapping[str, ListUnits], values: Mapping[str, Any], name: str
) -> str:
    """The unit of an input, or of an item's field named as fuels[1].amount, in an inventory."""
    list_name, _, rest = name.partition("[")
    inp = rule.input(list_name)
    if inp is None:
        return ""
    if not rest:
        return inp.unit_text
    index, _, field_name = rest.partition("].")
    fld = next((f for f in inp.fields if f.name == field_name), None)
    items = values.get(list_name) or []
    if fld is None or not index.isdigit() or int(index) >= len(items):
        return ""
    return item_unit(item_units, inp, items[int(index)], fld)


def list_units_text(item_units: Mapping[str, ListUnits], inp: m.Input) -> str:
    """What a trace says of a list's units: each field in several units, by option."""
    listed = item_units.get(inp.name)
    if listed is None:
        return ""
    return "; ".join(f"{name}: {listed.describe(name)}" for name in listed.fields)
