"""Amounts as people write them in an inventory, read into the unit the PCR declares.

An amount is a number ("62000"), a number with its unit ("62 000 MWh") or a mapping
({value: 62, unit: GWh}). A convertible unit is converted; a missing unit, a wrong dimension,
a number that is not finite or a value out of the input's range is reported, naming the input.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any, Protocol

from zuji.lang import model as m
from zuji.lang import units as u
from zuji.lang.units import unit_from_text

_NUMBER = re.compile(r"^\s*([-+]?(?:\d[\d  _]*)?\.?\d+(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class Reporter(Protocol):
    """Where a problem with a value is reported: the part of the document at fault
    (kiln_fuels[0].amount), what is wrong, and how to put it right."""

    def error(self, where: str, message: str, hint: str = "") -> None: ...


def parse_amount(text: str) -> tuple[float, str]:
    """'62 000 MWh' -> (62000.0, 'MWh'). Raises ValueError with a plain message."""
    if "," in text:
        raise ValueError(
            f"'{text}' has a comma; write numbers without thousands separators "
            "(62000 or 62 000) and with a decimal point"
        )
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"'{text}' does not start with a number")
    number = float(re.sub(r"[  _]", "", match.group(1)))
    return number, match.group(2)


def written(meta: dict[str, Any]) -> str:
    """The value as the inventory wrote it, its unit included."""
    value, unit = meta.get("value"), meta.get("unit")
    return f"{value} {unit}" if unit else str(value)


def quantity(meta: dict[str, Any], inp: m.Input, reporter: Reporter, where: str) -> float | None:
    """The amount of `meta` ({value, unit}) in the input's unit, or None after reporting why it
    cannot be one."""
    raw, unit_text = meta.get("value"), meta.get("unit")
    try:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        if isinstance(raw, (int, float)):
            # A whole number past float's range (JSON allows 400 digits) is infinite here, and
            # refused below as such.
            too_big = isinstance(raw, int) and abs(raw) > sys.float_info.max
            number, written_unit = (math.inf if too_big else float(raw)), ""
        else:
            number, written_unit = parse_amount(str(raw))
        if unit_text and written_unit:
            raise ValueError(f"the unit is written twice ('{written_unit}' and '{unit_text}')")
        written_unit = unit_text or written_unit
    except ValueError as exc:
        reporter.error(where, str(exc))
        return None
    if not math.isfinite(number):
        word = "NaN" if math.isnan(number) else "infinity"
        reporter.error(
            where,
            f"{word} is not a finite number, so not an amount a footprint can use",
            "give the measured amount",
        )
        return None
    return _converted(number, written_unit, inp, reporter, where)


def _converted(
    number: float, written_unit: str, inp: m.Input, reporter: Reporter, where: str
) -> float | None:
    target = u.to_pint(inp.unit)
    if not written_unit:
        if target._units:  # even a %: is 0.65 a fraction or 0.65 %? The unit must be written.
            reporter.error(
                where,
                f"{number:g} has no unit",
                f"write it with its unit, e.g. '{number:g} {inp.unit}'",
            )
            return None
        return number
    try:
        source = u.to_pint(unit_from_text(written_unit))
    except ValueError as exc:  # UnitSyntaxError too
        reporter.error(where, str(exc), f"this input is measured in {inp.unit}")
        return None
    if not u.same_dimension(source, target):
        reporter.error(
            where,
            f"'{written_unit}' is {u.describe_dimension(source)}, but this input "
            f"is {u.describe_dimension(target)}",
            f"give it in {inp.unit} or a unit convertible to it",
        )
        return None
    try:
        converted = number * u.conversion(source, target)
    except OverflowError:  # Mt^99 per t^98: a factor no float holds
        converted = math.inf
    if not math.isfinite(converted):
        reporter.error(
            where,
            f"{number:g} {written_unit} in {inp.unit} is beyond the range of the engine's numbers",
            f"give it in {inp.unit}",
        )
        return None
    return converted


def check_bounds(value: float, inp: m.Input, reporter: Reporter, where: str) -> None:
    """Report a value outside the range the PCR gives the input (>= 0, <= 100 ...)."""
    for bound in inp.bounds:
        if not m.COMPARISONS[bound.op](value, bound.value):
            reporter.error(
                where,
                f"{value:g} {inp.unit} is out of range: it must be {bound.op} {bound.value:g}",
            )
