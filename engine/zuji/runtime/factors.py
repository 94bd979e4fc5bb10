"""What an evaluation takes from outside the rule: the factor values in force for the inventory's
period, and the defaults the inventory leaves to the rule, with what each warrants saying (a
default used, an unconfirmed value, primary data the inventory does not give).
"""

from __future__ import annotations

from datetime import date

from zuji.core.errors import Diagnostic, EvaluationError, attach_source
from zuji.data.standards import FactorEntry
from zuji.lang import model as m
from zuji.runtime.run import Run
from zuji.semantics.resolve import Resolved


def bind_factors(run: Run) -> None:
    """The value in force of every factor the plan reads. A family member without a value for
    the period is left out; it is an error only if the inventory's choice picks it."""
    resolved, on, used = run.plan.resolved, run.inventory.period_start, run.plan.used
    for name, entry in resolved.entries.items():
        if name in used:
            pinned = _pinned(resolved, name)
            run.env[name] = _factor_value(run, name, entry, pinned or on, pinned is not None)
    for name, members in resolved.families.items():
        if name not in used:
            continue
        pinned = _pinned(resolved, name)
        when = pinned or on
        run.env[name] = {
            k: _factor_value(run, f"{name}[{k}]", e, when, pinned is not None)
            for k, e in members.items()
            if e.in_force(when) is not None
        }
        run.family_entries[name] = (members, when)
    run.env["$families"] = run.family_entries
    run.env["$inventory"] = run.inventory.file  # named by errors about factors in force


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
    run: Run, name: str, entry: FactorEntry, on: date | None, pinned: bool = False
) -> float:
    value = entry.in_force(on)
    if value is None:
        raise _not_in_force(run, name, entry, on)
    run.factor_values[name] = (entry, value)
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
        run.factor_notes[name] = notes
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
    for name, origin in run.inventory.origins.items():
        inp = run.plan.pcr.input(name)
        if origin.kind in ("default", "factor-default") and inp is not None and inp.kind != "list":
            run.warnings.warn(
                "W603", f"input '{name}' not given: default {origin.written} used", inp.span
            )
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
