"""The distribution an inventory gives an input (`uncertainty:` beside its value), read into the
PCR's unit and checked against the input's range; Monte Carlo draws the input from it."""

from __future__ import annotations

import math
from typing import Any

from zuji.data.uncertainty import Distribution, read_distribution
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.lang.units import unit_from_text
from zuji.runtime.amounts import Reporter, parse_amount


def _number_and_unit(meta: dict[str, Any]) -> tuple[float, str]:
    """The number and the unit of {value, unit} as written (already read by amounts.quantity,
    which reported any mistake in them)."""
    raw, unit_text = meta.get("value"), meta.get("unit")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw), str(unit_text or "")
    number, written_unit = parse_amount(str(raw))
    return number, str(unit_text or written_unit)


def uncertainty(
    meta: dict[str, Any], inp: m.Input, reporter: Reporter, where: str
) -> Distribution | None:
    """The distribution an amount declares (`uncertainty:` beside its value), in the input's
    unit, or None after reporting what is wrong with it. Its parameters are in the unit the value
    is written in; the values it spans must lie in the input's range (to 3 standard deviations
    for a normal or a lognormal), since every sample is a value the PCR must accept."""
    number, written_unit = _number_and_unit(meta)  # already read by quantity()
    found, problems = read_distribution(meta["uncertainty"], number)
    there = f"{where}.uncertainty"
    for problem in problems:
        reporter.error(there, problem, "see 'Uncertain values' in the inventory format")
    if found is None:
        return None
    target = u.to_pint(inp.unit)
    source = u.to_pint(unit_from_text(written_unit)) if written_unit else target
    found = found.scaled(u.conversion(source, target))
    for end in _reach(found):
        for bound in inp.bounds:
            if not m.COMPARISONS[bound.op](end, bound.value):
                reporter.error(
                    there,
                    f"{found.describe(str(inp.unit))} reaches {end:g} {inp.unit}, out of the "
                    f"input's range ({bound.op} {bound.value:g})",
                    "narrow it, or use a lognormal or a triangular for an amount that "
                    "cannot go below 0",
                )
                return None
    return found


def _reach(found: Distribution) -> tuple[float, float]:
    """Where the values of a distribution lie: its bounds, or 3 standard deviations (of x for a
    normal, of ln x for a lognormal) either side of its centre, 99.7 % of the values."""
    if found.kind == "normal":
        return found.centre - 3 * found.spread, found.centre + 3 * found.spread
    if found.kind == "lognormal":
        k = math.exp(3 * found.sigma)
        return found.centre / k, found.centre * k
    return found.low, found.high
