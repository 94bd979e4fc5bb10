"""What an evaluation takes from outside the rule: the factor values in force for the inventory's
period, and the defaults the inventory leaves to the rule, with what each warrants saying (a
default used, an unconfirmed value, primary data the inventory does not give).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from zuji.core.errors import Diagnostic, EvaluationError, Severity, attach_source
from zuji.core.identity import by_identity
from zuji.data.standards import FactorEntry, FactorValue
from zuji.lang import model as m
from zuji.runtime.run import Run
from zuji.semantics.compile import Plan
from zuji.semantics.resolve import Resolved


@dataclass(frozen=True)
class _Bound:
    """The factor values in force on one date for one plan, with the warnings each warrants.

    They depend only on the plan, its datasets and the date: worked out once and shared, read
    only, by every evaluation of an inventory of that period."""

    values: Mapping[str, Any]
    factor_values: Mapping[str, tuple[FactorEntry, FactorValue]]
    family_entries: Mapping[str, tuple[Mapping[str, FactorEntry], date | None]]
    factor_notes: Mapping[str, list[tuple[str, str]]]


_PERIODS_MOST = 256  # reference periods remembered per plan; a programme has a few


@by_identity()
def _periods(plan: Plan) -> dict[date | None, _Bound]:
    return {}


def bind_factors(run: Run) -> None:
    """The value in force of every factor the plan reads. A family member without a value for
    the period is left out; it is an error only if the inventory's choice picks it."""
    on = run.inventory.period_start
    known = _periods(run.plan)
    bound = known.get(on)
    if bound is None:
        try:
            bound = _bind(run.plan, on)
        except _NotInForce as missing:
            raise _not_in_force(run, *missing.args) from None
        if len(known) >= _PERIODS_MOST:
            known.clear()
        known[on] = bound
    run.env.update(bound.values)
    run.factor_values = bound.factor_values
    run.family_entries = bound.family_entries
    run.factor_notes = bound.factor_notes
    run.env["$inventory"] = run.inventory.file  # named by errors about factors in force


class _NotInForce(Exception):
    """A factor without a value on the date asked for: the shared, per-period binding knows no
    inventory, so the evaluation that asked turns it into E610 naming its own inventory."""


def _bind(plan: Plan, on: date | None) -> _Bound:
    resolved, used = plan.resolved, plan.used
    values: dict[str, Any] = {}
    factor_values: dict[str, tuple[FactorEntry, FactorValue]] = {}
    notes: dict[str, list[tuple[str, str]]] = {}
    families: dict[str, tuple[Mapping[str, FactorEntry], date | None]] = {}
    for name, entry in resolved.entries.items():
        if name in used:
            pinned = _pinned(resolved, name)
            values[name] = _factor_value(
                name, entry, pinned or on, factor_values, notes, pinned is not None
            )
    for name, members in resolved.families.items():
        if name not in used:
            continue
        pinned = _pinned(resolved, name)
        when = pinned or on
        values[name] = MappingProxyType(
            {
                k: _factor_value(f"{name}[{k}]", e, when, factor_values, notes, pinned is not None)
                for k, e in members.items()
                if e.in_force(when) is not None
            }
        )
        families[name] = (members, when)
    values["$families"] = MappingProxyType(families)
    return _Bound(
        MappingProxyType(values),
        MappingProxyType(factor_values),
        MappingProxyType(families),
        MappingProxyType(notes),
    )


def _not_in_force(run: Run, name: str, entry: FactorEntry, on: date | None) -> EvaluationError:
    """E610 at the rule's declaration of the factor, naming the inventory whose reference period
    (or the rule's pinned date) asks for a value the dataset does not have."""
    first = min(v.valid_from for v in entry.values if v.valid_from)
    symbol = run.plan.resolved.symbols.get(name.split("[", 1)[0])
    span = symbol.decl.span if symbol is not None else None
    pinned = _pinned(run.plan.resolved, name.split("[", 1)[0])
    why = (
        "the date the rule pins it to with 'at'"
        if pinned is not None and pinned == on
        else f"the start of the reference period of {run.inventory.file}"
    )
    diagnostic = Diagnostic(
        "E610",
        f"factor {entry.reference} ('{name}' in the rule) has no value in force on {on}, "
        f"{why} (its first value applies from {first})",
        span,
        hint="give a reference period the dataset covers, or pin "
        "the factor to a date in the PCR with 'at'",
        where="reference_period",
    )
    return EvaluationError(attach_source([diagnostic], run.plan.resolved.sources))


def _pinned(resolved: Resolved, name: str) -> date | None:
    symbol = resolved.symbols.get(name)
    pinned: date | None = getattr(symbol.decl, "pinned", None) if symbol else None
    return pinned


def _factor_value(
    name: str,
    entry: FactorEntry,
    on: date | None,
    factor_values: dict[str, tuple[FactorEntry, FactorValue]],
    factor_notes: dict[str, list[tuple[str, str]]],
    pinned: bool = False,
) -> float:
    value = entry.in_force(on)
    if value is None:
        raise _NotInForce(name, entry, on)
    factor_values[name] = (entry, value)
    notes = []
    if entry.dated and on is None:
        notes.append(
            (
                "W601",
                (
                    f"no reference period: factor {entry.reference} takes its latest "
                    f"value ({value.value:g} {entry.unit}, from {value.valid_from})"
                ),
            )
        )
    if not value.confirmed:
        notes.append(
            (
                "W602",
                (
                    f"factor {entry.reference} = {value.value:g} {entry.unit} is not "
                    f"confirmed against its source ({value.source})"
                ),
            )
        )
    if not pinned:
        notes.extend(_past_newest(entry, on))
    if notes:
        factor_notes[name] = notes
    return value.value


def _past_newest(entry: FactorEntry, on: date | None) -> list[tuple[str, str]]:
    """W604 when the period starts after the data year of a dated factor's newest value: the
    value still applies (a step series holds its last value), but it describes an earlier year,
    and a newer publication may exist."""
    dated = [(v.valid_from, v) for v in entry.values if v.valid_from]
    if on is None or not dated:
        return []
    start, newest = max(dated, key=lambda pair: pair[0])
    data_year = newest.year or start.year
    if on.year <= data_year:
        return []
    return [
        (
            "W604",
            f"the reference period starts {on}, after the newest value of factor "
            f"{entry.reference} ({newest.value:g} {entry.unit}, data year {data_year}, in force "
            f"from {start}); that value is used: add a newer value to "
            f"{entry.dataset} when one is published, or pin the factor with 'at'",
        )
    ]


def factor_warnings(run: Run) -> None:
    """W601 and W602 for the factor values the evaluation read: a family member the inventory's
    choice does not pick, or a factor in an untaken branch, is not part of this footprint."""
    read = run.reads.union(*run.step_reads.values())
    for name, notes in run.factor_notes.items():
        if name in read:
            for code, message in notes:
                run.warnings.warn(code, message)


def defaults_used(run: Run) -> None:
    """W603 for each input the inventory leaves to its default; an input the PCR wants as primary
    data may not be left out, nor given as secondary data."""
    # Most inputs are given as primary data or left out as optional: neither warrants a word
    # nor can be refused.
    unusual = [item for item in run.inventory.origins.items() if not item[1].routine]
    if not unusual:
        return
    inputs = run.plan.pcr.inputs_by_name()
    for name, origin in unusual:
        inp = inputs.get(name)
        if origin.kind in ("default", "factor-default") and inp is not None and inp.kind != "list":
            run.warnings.add(_default_used(inp, origin.written))
            if origin.kind == "factor-default":
                _default_factor_confirmed(run, name, inp)
            if inp.quality == "primary":
                raise EvaluationError(
                    Diagnostic(
                        "E611",
                        f"{run.inventory.file}: input '{name}' must be primary data, but the "
                        "inventory leaves it out and the default would be used",
                        inp.span,
                        hint=f"give '{name}' from the site's own records",
                    )
                )
        if (
            origin.kind == "inventory"
            and inp is not None
            and inp.quality == "primary"
            and origin.source == "secondary"
        ):
            raise EvaluationError(
                Diagnostic(
                    "E612",
                    f"{run.inventory.file}: input '{name}' must be primary data, but the "
                    "inventory marks it secondary",
                    inp.span,
                    hint="this PCR requires site-specific data for it",
                )
            )


def _default_used(inp: m.Input, written: str) -> Diagnostic:
    """W603 for an input left to its default: the same finding for every inventory that leaves
    it out (a diagnostic is immutable), made once per input and default."""
    said = _defaults_said(inp)
    found = said.get(written)
    if found is None:
        found = said[written] = Diagnostic(
            "W603",
            f"input '{inp.name}' not given: default {written} used",
            inp.span,
            Severity.WARNING,
        )
    return found


@by_identity(most=4096)
def _defaults_said(inp: m.Input) -> dict[str, Diagnostic]:
    return {}


def _default_factor_confirmed(run: Run, name: str, inp: m.Input) -> None:
    """An input left out takes its default from a factor: an unconfirmed value is then used."""
    factor = inp.default.factor if inp.default is not None else None
    entry = run.plan.resolved.standards.entry(factor or "")
    if entry is None:
        return
    value = entry.in_force(run.inventory.period_start)
    if value is not None and not value.confirmed:
        run.warnings.warn(
            "W602",
            f"input '{name}' takes its default from factor {entry.reference} = "
            f"{value.value:g} {entry.unit}, which is not confirmed against its source "
            f"({value.source})",
            inp.span,
        )
