"""The trace of an evaluation: for every value and line, its formula, the values substituted and
where each came from (inventory, default, dataset and its version): enough to recompute every number
from the result file alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from zuji.core.errors import Span
from zuji.core.identity import by_identity
from zuji.data.standards import FactorEntry, FactorValue
from zuji.lang import units as u
from zuji.lang.model import Line
from zuji.runtime.item_amounts import list_units_text
from zuji.runtime.result import (
    InventoryInfo,
    Trace,
    TraceFactor,
    TraceInput,
    TraceLine,
    TraceValue,
    iso_date,
    made,
)
from zuji.runtime.run import LineResult, Run
from zuji.runtime.scope import Deferred
from zuji.semantics.compile import Plan, Step


@by_identity()
def _texts(plan: Plan) -> dict[Any, str]:
    """The formula text of each span of a plan, and each unit written out: the same for every
    evaluation of the plan, so worked out once."""
    return {}


@by_identity()
def _factor_traces(factor_values: Mapping[str, tuple[FactorEntry, FactorValue]]) -> dict[str, Any]:
    """The trace of each factor value in force, per set of factor values (one per plan and
    reference period, shared by its evaluations): each made once, read only after."""
    return {}


def build_trace(
    run: Run,
    figures: list[LineResult],
    reference_flow: float,
    inventory: InventoryInfo | None = None,
) -> Trace:
    # A value this inventory does not give (it reads an optional input left out) was never used.
    # Each name's trace is made once per evaluation, however many values and lines read it.
    seen: dict[str, TraceValue] = {}
    values = [
        _trace_step(run, s, seen)
        for s in run.plan.steps
        if run.env[s.name].__class__ is not Deferred
    ]
    lines = [_trace_line(run, f, reference_flow, seen) for f in figures]
    factors = _factor_traces(run.factor_values)
    listed = factors.get("")
    if listed is None:
        listed = factors[""] = tuple(_trace_factors(run))
    return made(
        Trace,
        values=values,
        lines=lines,
        inputs=_trace_inputs(run),
        factors=list(listed),
        inventory=inventory,
    )


def _input_unit(run: Run, name: str) -> str:
    """The unit of an input as written, worked out once per plan."""
    texts = _texts(run.plan)
    key = ("input unit", name)
    known = texts.get(key)
    if known is None:
        inp = run.plan.pcr.input(name)
        unit = inp.unit_text if inp is not None else ""
        if inp is not None and inp.kind == "list":  # each item's field in its option's unit
            unit = list_units_text(run.plan.item_units, inp)
        known = texts[key] = unit
    return known


def _trace_inputs(run: Run) -> list[TraceInput]:
    values = run.inventory.values
    return [
        _as_before(run, TraceInput, name, origin, values.get(name), _input_model)
        for name, origin in run.inventory.origins.items()
    ]


def _input_model(run: Run, name: str, origin: Any, value: Any) -> TraceInput:
    return made(
        TraceInput,
        name=name,
        value=value,
        unit=_input_unit(run, name),
        origin=origin.kind,
        source=origin.source,
        written=origin.written,
        dq={k: int(v) for k, v in origin.dq.items()},
        note=origin.note,
        supplier=dict(origin.supplier),
    )


_Traced = TypeVar("_Traced", TraceInput, TraceValue)


def _as_before(
    run: Run,
    model: type[_Traced],
    name: str,
    origin: Any,
    value: Any,
    make: Callable[[Run, str, Any, Any], _Traced],
) -> _Traced:
    """The trace of an input as read: an input's value and origin read before are the same
    objects again (the reader keeps them, runtime.inventory_values), and so is their trace, an
    immutable model, kept per plan and inventory label. A list's items differ from one
    inventory to another: its trace is made each time."""
    kept = _input_traces(run.plan)
    key = (model, name, id(origin), run.inventory.file)
    known = kept.get(key)
    if known is not None and known[0] is origin and known[1] is value:
        found: _Traced = known[2]
        return found
    trace = make(run, name, origin, value)
    if value.__class__ in (float, str):
        if len(kept) >= _INPUT_TRACES_MOST:
            kept.clear()
        kept[key] = (origin, value, trace)
    return trace


_INPUT_TRACES_MOST = 10_000  # inputs traced per plan: the reader keeps as many values


@by_identity()
def _input_traces(plan: Plan) -> dict[tuple[Any, ...], tuple[Any, Any, Any]]:
    return {}


def _trace_factors(run: Run) -> list[TraceFactor]:
    datasets = run.plan.resolved.standards.datasets
    return [
        made(
            TraceFactor,
            name=name,
            reference=entry.reference,
            dataset=entry.dataset,
            dataset_version=datasets[entry.dataset].version,
            value=float(value.value),
            unit=str(entry.unit),
            valid_from=iso_date(value.valid_from),
            confirmed=value.confirmed,
            source=value.source,
        )
        for name, (entry, value) in sorted(run.factor_values.items())
    ]


def _formula(run: Run, span: Span | None) -> str:
    if span is None:
        return ""
    texts = _texts(run.plan)
    known = texts.get(span)
    if known is None:
        known = texts[span] = _formula_text(run, span)
    return known


def _where(run: Run, span: Span | None) -> str:
    """A value's or line's place in the rule, written once per plan."""
    texts = _texts(run.plan)
    key = ("where", id(span))  # the plan's own spans, alive as long as the plan
    known = texts.get(key)
    if known is None:
        known = texts[key] = str(span)
    return known


def _unit(run: Run, unit: Any) -> str:
    texts = _texts(run.plan)
    key = ("unit", id(unit))  # the plan's own unit objects, alive as long as the plan
    known = texts.get(key)
    if known is None:
        known = texts[key] = u.format_unit(unit)
    return known


def _formula_text(run: Run, span: Span) -> str:
    text = run.plan.resolved.sources.get(span.file, "")
    rows = text.split("\n")[span.line - 1 : span.end_line]
    if not rows:
        return ""
    if len(rows) == 1:
        return rows[0][span.column - 1 : span.end_column - 1].strip()
    rows[0], rows[-1] = rows[0][span.column - 1 :], rows[-1][: span.end_column - 1]
    return " ".join(r.strip() for r in rows)


def _trace_values(run: Run, deps: frozenset[str], seen: dict[str, TraceValue]) -> list[TraceValue]:
    out = []
    for name in _in_order(deps):
        found = seen.get(name)
        if found is None:
            found = seen[name] = _trace_value(run, name)
        out.append(found)
    return out


@by_identity(most=4096)  # a value's or line's names read, the plan's own: sorted once
def _in_order(deps: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(deps))


def _trace_value(run: Run, name: str) -> TraceValue:
    if name in run.factor_values or name in run.plan.resolved.families:
        factors = _factor_traces(run.factor_values)
        known: TraceValue | None = factors.get(name)
        if known is None:
            known = factors[name] = _trace_factor(run, name)
        return known
    step = run.plan.steps_by_name.get(name)
    if step is not None:
        return _trace_computed(run, step)
    return _trace_input(run, name)


def _trace_computed(run: Run, step: Step) -> TraceValue:
    name, value = step.name, run.env.get(step.name)
    if isinstance(value, Deferred):  # not read: it could not be computed for this inventory
        why = (
            f"needs input '{value.input}'"
            if value.error is None
            else value.error.diagnostics[0].message
        )
        return made(
            TraceValue,
            name=name,
            value=None,
            unit=_unit(run, step.unit),
            origin="not-given" if value.error is None else "not-computed",
            source=f"{step.decl.span}: {why}",
        )
    return made(
        TraceValue,
        name=name,
        value=value,
        unit=_unit(run, step.unit),
        origin="value",
        source=_where(run, step.decl.span),
    )


def _trace_input(run: Run, name: str) -> TraceValue:
    origin = run.inventory.origins.get(name)
    return _as_before(run, TraceValue, name, origin, run.env.get(name), _input_value)


def _input_value(run: Run, name: str, origin: Any, value: Any) -> TraceValue:
    unit = _input_unit(run, name)
    if origin and origin.kind == "inventory":
        source = f"{run.inventory.file}: inputs.{name}"
    else:
        texts = _texts(run.plan)
        key = ("default", name)
        source = texts.get(key) or ""
        if key not in texts:
            inp = run.plan.pcr.input(name)
            source = texts[key] = f"default in {inp.span}" if inp is not None else ""
    if origin and origin.kind == "factor-default":
        source = origin.written + f" ({origin.note})"
    if origin and origin.supplier:
        s = origin.supplier
        source += f" = {origin.written}, PACT spec {s.get('spec_version')}"
    return made(
        TraceValue,
        name=name,
        value=value,
        unit=unit,
        origin=origin.kind if origin else "inventory",
        source=source,
    )


def _trace_factor(run: Run, name: str) -> TraceValue:
    if name in run.factor_values:
        entry, value = run.factor_values[name]
        when = f", in force from {value.valid_from}" if value.valid_from else ""
        return made(
            TraceValue,
            name=name,
            value=value.value,
            unit=str(entry.unit),
            origin="dataset",
            source=f"{entry.reference} ({_dataset_version(run, entry)}{when}): {value.source}",
        )
    members = {k: v for k, v in run.env[name].items()}
    sources = {k: run.factor_values[f"{name}[{k}]"][1].source for k in members}
    entry = next(iter(run.plan.resolved.families[name].values()))
    return made(
        TraceValue,
        name=name,
        value=members,
        unit=str(entry.unit),
        origin="dataset",
        source="; ".join(f"{k}: {s}" for k, s in sources.items()),
    )


def _dataset_version(run: Run, entry: FactorEntry) -> str:
    return f"{entry.dataset} {run.plan.resolved.standards.datasets[entry.dataset].version}"


def _trace_step(run: Run, step: Step, seen: dict[str, TraceValue]) -> TraceLine:
    value = float(run.env[step.name])
    return made(
        TraceLine,
        name=step.name,
        kind="value",
        stage="",
        where=_where(run, step.decl.span),
        formula=_formula(run, step.decl.expr.span),
        values=_trace_values(run, step.deps, seen),
        value=value,
        unit=_unit(run, step.unit),
        mass_kg=0.0,
        gwp=0.0,
        co2e_kg=0.0,
        allocation_share=1.0,
        reference_flow=1.0,
        co2e_per_declared_unit=0.0,
    )


def _trace_line(
    run: Run, f: LineResult, reference_flow: float, seen: dict[str, TraceValue]
) -> TraceLine:
    line: Line = f.plan.line
    return made(
        TraceLine,
        name=line.name,
        kind=line.kind,
        stage=line.stage,
        where=_where(run, line.span),
        formula=_formula(run, line.expr.span),
        values=_trace_values(run, f.plan.deps, seen),
        value=f.value,
        unit=_unit(run, f.plan.unit),
        mass_kg=f.mass_kg,
        gwp=float(f.gwp),
        co2e_kg=f.co2e_kg,
        allocation_share=f.share,
        reference_flow=reference_flow,
        co2e_per_declared_unit=f.per_du,
    )
