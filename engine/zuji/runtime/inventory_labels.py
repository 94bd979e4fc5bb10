"""What the published inventory schema says about each input, in Chinese and English.

The schema a clerk's tool reads (`zuji schema`, GET /pcrs/{id}/schema) titles each input in both
languages and gives its unit, allowed range, default, whether the PCR asks for primary data, and
a choice's options as an `enum` with a label for each. All of it is annotation (JSON Schema
2020-12 `title`, `description`, `default` and `x-` keywords) except the `enum` of a choice
declared by name, which the published schema checks as the reader does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from zuji.lang import model as m
from zuji.semantics.compile.plan import ListUnits


def labelled(
    inp: m.Input,
    schema: dict[str, Any],
    choices: Mapping[str, tuple[str, ...]],
    listed: ListUnits | None = None,
) -> dict[str, Any]:
    """The input's schema with its titles, unit, range, default and options; a list's field in
    several units also with the unit of each option of the field that decides it (`listed`)."""
    out = copy.deepcopy(schema)
    zh, en = inp.description.zh, inp.description.en
    out["title"] = " · ".join(t for t in (zh, en) if t) or inp.name
    out["x-i18n"] = {
        "zh": {"title": zh or inp.name},
        "en": {"title": en or inp.name},
    }
    unit = inp.unit_text if inp.kind == "quantity" else ""
    if unit:
        out["x-unit"] = unit
    if inp.units is not None and listed is not None:
        # which unit each option's items are in: a clerk's tool can show it beside the amount
        by_option = {o: str(listed.unit(inp.name, o)) for o in listed.options}
        out["x-unit-by"] = {"field": listed.key, "units": by_option}
    if inp.bounds:
        out["x-range"] = " ".join(f"{b.op} {b.value:g}" for b in inp.bounds)
        out["x-bounds"] = [{"op": b.op, "value": b.value} for b in inp.bounds]
    _default(inp, unit if inp.units is None else "", out)  # several: the item's option's
    out["x-primary"] = inp.quality == "primary"
    out["x-required"] = inp.required
    if inp.kind == "choice":
        _options(inp, out, choices)
    if inp.kind == "list":
        item = out["items"]
        item["properties"] = {
            f.name: labelled(f, item["properties"][f.name], choices, listed) for f in inp.fields
        }
        # an item's fields by their Chinese names too, as the reader takes them
        fields = f"{_INPUTS}/{inp.name}/items/properties"
        out["items"] = by_chinese_names(item, inp.fields, fields)
    return out


def _default(inp: m.Input, unit: str, out: dict[str, Any]) -> None:
    default = inp.default
    if default is None:
        return
    if default.number is not None:
        out["default"] = f"{default.number:g} {unit}".strip()
    elif default.choice is not None:
        out["default"] = default.choice
    else:
        out["x-default-factor"] = default.factor


def _options(inp: m.Input, out: dict[str, Any], choices: Mapping[str, tuple[str, ...]]) -> None:
    """The options as an enum with a label for each (the English label is the option's words;
    the Chinese one the rule's, where it gives one). An option may be written by its Chinese
    label, as the reader reads it, so the labels stand in the enum too."""
    options = inp.options or choices.get(inp.choice_type or "", ())
    if not options:
        return
    ordered = sorted(options)
    chinese = getattr(choices, "chinese", {}).get(inp.choice_type or "", {})
    out["description"] = out.get("description") or (
        (f"One of {inp.choice_type}: " if inp.choice_type else "One of: ") + ", ".join(ordered)
    )
    for branch in out["anyOf"]:
        plain = branch if branch.get("type") == "string" else branch["properties"]["value"]
        plain["enum"] = ordered + [chinese[o] for o in ordered if o in chinese]
    out["x-enum-labels"] = {
        option: {
            "en": option.replace("_", " "),
            **({"zh": chinese[option]} if option in chinese else {}),
        }
        for option in ordered
    }


_INPUTS = "#/properties/inputs/properties"  # where the inputs' schemas are, in the document


def by_chinese_names(
    inputs: dict[str, Any], declared: tuple[m.Input, ...], at: str = _INPUTS
) -> dict[str, Any]:
    """The inputs' schema (or a list item's, its fields' schemas `at` that place) accepting each
    by its Chinese name too, as the reader does: the name refers to the input's schema, and a
    required input may be given by either name."""
    out = dict(inputs)
    properties = dict(out["properties"])
    either: list[dict[str, Any]] = []
    for inp in declared:
        zh = inp.description.zh
        if not zh or zh in properties:
            continue
        properties[zh] = {"$ref": f"{at}/{inp.name}"}
        if inp.required:
            either.append({"anyOf": [{"required": [inp.name]}, {"required": [zh]}]})
    out["properties"] = properties
    chinese = {i.name for i in declared if i.required and i.description.zh}
    out["required"] = [name for name in out["required"] if name not in chinese]
    if either:  # beside the if/then of `required when`, when the PCR has any
        out["allOf"] = [*out.get("allOf", []), *either]
    return out
