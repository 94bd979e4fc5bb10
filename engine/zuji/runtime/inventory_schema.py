"""The JSON Schema of each PCR's inventory, generated from its inputs, and what an inventory's
departures from it say to the person who wrote it (an unknown input with the known ones listed, a
missing input with its unit and description).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from zuji.core import i18n
from zuji.core.identity import by_identity
from zuji.lang import model as m
from zuji.runtime.inventory_labels import by_chinese_names, labelled
from zuji.runtime.result import DQ_KEYS
from zuji.runtime.supplier import SUPPLIER_VALUE_SCHEMA, is_intensity
from zuji.semantics.compile.plan import ListUnits

# At most this many schema findings are reported: past them, the inventory is for another rule.
_MOST_FINDINGS = 20


def schema_for(
    pcr: m.RuleFile,
    choices: Mapping[str, tuple[str, ...]] | None = None,
    item_units: Mapping[str, ListUnits] | None = None,
) -> dict[str, Any]:
    """The JSON Schema of the inventory of one PCR, generated from its inputs. With `choices`
    (the options of the choices declared by name) it is the published schema: every input
    titled in Chinese and English, with its unit, range, default and options (see
    runtime.inventory_labels), and the unit of each option of a list's field in several units
    (`item_units`); without, the one the reader validates against."""
    properties = {inp.name: _input_schema(inp) for inp in pcr.inputs}
    if choices is not None:
        properties = {
            inp.name: labelled(inp, properties[inp.name], choices, (item_units or {}).get(inp.name))
            for inp in pcr.inputs
        }
    required = [inp.name for inp in pcr.inputs if inp.required]
    inputs: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
        **_conditions(pcr),
    }
    if choices is not None:
        inputs = by_chinese_names(inputs, pcr.inputs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://zuji.example/schemas/inventory/{pcr.id}-{pcr.version}.schema.json",
        "title": f"Inventory for PCR {pcr.id} {pcr.version}: {pcr.name}",
        "type": "object",
        "required": ["pcr", "inputs"],
        "additionalProperties": False,
        "properties": {
            "pcr": {"const": pcr.id, "description": "The id of the PCR this inventory is for"},
            "pcr_version": {"type": "string", "description": "Versions it fits, e.g. >=1.0.0,<2"},
            "company": {"type": "string"},
            "product": {"type": "string"},
            "site": {"type": "string"},
            "description": {"type": "string"},
            "company_ids": _URNS,
            "product_ids": _URNS,
            "reference_period": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "end"],
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                },
            },
            "inputs": inputs,
            "cutoff": _CUTOFF,
        },
    }


_URNS = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[uU][rR][nN]:"},
    "description": "URNs identifying the company or product, as PACT documents carry them",
}

_CUTOFF = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["flow", "share"],
        "properties": {
            "flow": {"type": "string"},
            "share": {
                "type": ["string", "number"],
                "description": "Estimated share of the footprint, %",
            },
            "reason": {"type": "string"},
        },
    },
}

_DQ_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: {"type": "integer", "minimum": 1, "maximum": 5} for k in DQ_KEYS},
}


# What the reader checks beyond the shape (sd >= 0, min <= max, the range of the input) is
# reported by it with the input named; the schema gives the shape.
_NUMBER = {"type": "number"}
UNCERTAINTY_SCHEMA: dict[str, Any] = {
    "description": "The value's probability distribution, its parameters in the value's unit",
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["distribution", *wanted],
            "properties": {
                "distribution": {"const": kind},
                "basis": {"type": "string"},
                **{k: _NUMBER for k in (*wanted, *optional)},
            },
        }
        for kind, wanted, optional in (
            ("normal", ("sd",), ()),
            ("lognormal", ("gsd2",), ()),
            ("triangular", ("min", "max"), ("mode",)),
            ("uniform", ("min", "max"), ()),
        )
    ],
}


def _input_schema(inp: m.Input) -> dict[str, Any]:
    if inp.kind == "list":
        return _list_schema(inp)
    if inp.kind == "choice":
        return _choice_schema(inp)
    return _quantity_schema(inp)


def _list_schema(inp: m.Input) -> dict[str, Any]:
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in inp.fields if f.required],
        "properties": {f.name: _input_schema(f) for f in inp.fields},
    }
    return {"type": "array", "items": item, "description": str(inp.description)}


def _conditions(pcr: m.RuleFile) -> dict[str, Any]:
    """`required when` as if/then, where JSON Schema can say it: a condition that a choice input
    is written with one option (`required when route is hot`). A condition on amounts (`limestone
    > 0 [t]`) compares quantities with units, which a schema cannot read: evaluation judges it
    (E613)."""
    rules = []
    for inp in pcr.inputs:
        condition = inp.required_when
        if not isinstance(condition, m.IsChoice) or condition.negated:
            continue
        subject = condition.subject
        if not isinstance(subject, m.Ref) or pcr.input(subject.name) is None:
            continue
        option = condition.option
        chosen = {
            "anyOf": [
                {"const": option},
                {
                    "type": "object",
                    "required": ["value"],
                    "properties": {"value": {"const": option}},
                },
            ]
        }
        rules.append(
            {
                "if": {"required": [subject.name], "properties": {subject.name: chosen}},
                "then": {"required": [inp.name]},
            }
        )
    return {"allOf": rules} if rules else {}


def _choice_schema(inp: m.Input) -> dict[str, Any]:
    options = sorted(inp.options) if inp.options else None
    plain_value: dict[str, Any] = {"type": "string"}
    if options:
        plain_value["enum"] = options
    return {
        "description": str(inp.description),
        "anyOf": [
            plain_value,
            {
                "type": "object",
                "required": ["value"],
                "additionalProperties": False,
                "properties": {
                    "value": plain_value,
                    "source": {"enum": ["primary", "secondary"]},
                    "dq": _DQ_SCHEMA,
                    "note": {"type": "string"},
                },
            },
        ],
    }


def _quantity_schema(inp: m.Input) -> dict[str, Any]:
    """A number, an amount with its unit as text, or {value, unit}; an emission intensity may
    also be a supplier's PACT document."""
    description = str(inp.description)
    with_unit = {
        "type": "object",
        "required": ["value"],
        "additionalProperties": False,
        "properties": {
            "value": {"anyOf": [{"type": "number"}, {"type": "string"}]},
            "unit": {"type": "string"},
            "source": {"enum": ["primary", "secondary"]},
            "dq": _DQ_SCHEMA,
            "note": {"type": "string"},
            "uncertainty": UNCERTAINTY_SCHEMA,
        },
    }
    if is_intensity(inp):
        return {
            "description": f"{description} [{inp.unit_text}]; may be a supplier's PACT document",
            "anyOf": [{"type": "number"}, {"type": "string"}, SUPPLIER_VALUE_SCHEMA, with_unit],
        }
    return {
        "description": f"{description} [{inp.unit_text}]",
        "anyOf": [{"type": "number"}, {"type": "string"}, with_unit],
    }


if TYPE_CHECKING:
    import jsonschema


@by_identity()  # per rule: compiled once, not per inventory
def _compiled(pcr: m.RuleFile) -> jsonschema_rs.Validator:
    # Formats are annotations in draft 2020-12, as for the reference validator below; dates are
    # read (and refused in words) by the inventory reader.
    return jsonschema_rs.validator_for(schema_for(pcr), validate_formats=False)


@by_identity()
def _validator(pcr: m.RuleFile) -> jsonschema.Draft202012Validator:
    import jsonschema  # only for a refused document: its findings in words

    return jsonschema.Draft202012Validator(schema_for(pcr))


def conforms(document: dict[str, Any], pcr: m.RuleFile) -> bool:
    """Whether the schema's compiled validator accepts the document (a few microseconds).

    It refuses a little more than the reference validator (a value JSON cannot hold, such as
    NaN, or a string with a lone surrogate): a refusal is only ever settled by the reference
    validator, so both accept and refuse the same documents (tests/test_inventory_validation.py).
    """
    try:
        return bool(_compiled(pcr).is_valid(document))
    except ValueError:  # a key or value the compiled validator cannot take in
        return False


def schema_problems(document: dict[str, Any], pcr: m.RuleFile) -> Iterator[tuple[str, str]]:
    """Where an inventory departs from its PCR's schema and what is wrong there, in document
    order, the first few only."""
    if conforms(document, pcr):
        return
    errors = _validator(pcr).iter_errors(document)
    for err in sorted(errors, key=lambda e: list(e.absolute_path))[:_MOST_FINDINGS]:
        yield _where(err), _say(err, pcr)


def _where(err: jsonschema.ValidationError) -> str:
    path = [str(p) for p in err.absolute_path]
    return "/".join(path) or "(top level)"


def _say(err: jsonschema.ValidationError, pcr: m.RuleFile) -> str:
    if err.validator == "additionalProperties":
        return _unknown(err)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        what = "required input" if _is_inputs(err) else "field"
        inp = pcr.input(missing)
        unit = f" [{inp.unit}]" if inp is not None and inp.unit else ""
        # The rule's words about the input, in the reader's language where the rule has them.
        described = i18n.either(inp.description.en, inp.description.zh) if inp else ""
        return f"missing {what} '{missing}'{unit}" + (f": {described}" if inp else "")
    if err.validator == "anyOf":
        return f"{err.instance!r} is not a value this input takes"
    if err.validator == "const":
        return f"must be {err.validator_value!r}"
    return err.message


def _unknown(err: jsonschema.ValidationError) -> str:
    """Names a mapping has that its schema does not know, with the ones it knows."""
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    instance = err.instance if isinstance(err.instance, Mapping) else {}
    extra = sorted(set(instance) - set(schema.get("properties", {})))
    known = ", ".join(schema.get("properties", {}))
    named = ", ".join(f"'{x}'" for x in extra[:10])
    more = f" and {len(extra) - 10:,} more" if len(extra) > 10 else ""
    return f"unknown {'input' if _is_inputs(err) else 'field'} {named}{more} (known: {known})"


def _is_inputs(err: jsonschema.ValidationError) -> bool:
    return list(err.absolute_path)[-1:] == ["inputs"] or list(err.absolute_path) == ["inputs"]
