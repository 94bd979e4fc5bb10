"""The trace of an evaluation: for every value and line, its formula, the values substituted and
where each came from (inventory, default, dataset and its version): enough to recompute every number
from the result file alone.
"""

from __future__ import annotations

from zuji.core.errors import Span
from zuji.data.standards import FactorEntry
from zuji.lang import units as u
from zuji.lang.model import Line
from zuji.runtime.result import (
    InventoryInfo,
    Trace,
    TraceFactor,
    TraceInput,
    TraceLine,
    TraceValue,
    iso_date,
)
from zuji.runtime.run import LineResult, Run
from zuji.runtime.scope import Deferred
from zuji.semantics.compile import Step


def build_trace(
    run: Run,
    figures: list[LineResult],
    reference_flow: float,
    inventory: InventoryInfo | None = None,
) -> Trace:
    # A value this inventory does not give (it reads an optional input left out) was never used.
    values = [
        _trace_step(run, s) for s in run.plan.steps if run.env[s.name].__class__ is not Deferred
    ]
    lines = [_trace_line(run, f, reference_flow) for f in figures]
    return Trace(
        values=values,
        lines=lines,
        inputs=_trace_inputs(run),
        factors=_trace_factors(run),
        inventory=inventory,
    )


def _trace_inputs(run: Run) -> list[TraceInput]:
    out = []
    for name, origin in run.inventory.origins.items():
        inp = run.plan.pcr.input(name)
        out.append(
            TraceInput(
                name=name,
                value=run.inventory.values.get(name),
                unit=str(inp.unit) if inp is not None and inp.unit else "",
                origin=origin.kind,
                source=origin.source,
                written=origin.written,
                dq=dict(origin.dq),
                note=origin.note,
                supplier=dict(origin.supplier),
            )
        )
    return out


def _trace_factors(run: Run) -> list[TraceFactor]:
    datasets = run.plan.resolved.standards.datasets
    return [
        TraceFactor(
            name=name,
            reference=entry.reference,
            dataset=entry.dataset,
            dataset_version=datasets[entry.dataset].version,
            value=value.value,
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
    text = run.plan.resolved.sources.get(span.file, "")
    rows = text.split("\n")[span.line - 1 : span.end_line]
    if not rows:
        return ""
    if len(rows) == 1:
        return rows[0][span.column - 1 : span.end_column - 1].strip()
    rows[0], rows[-1] = rows[0][span.column - 1 :], rows[-1][: span.end_column - 1]
    return " ".join(r.strip() for r in rows)


def _trace_values(run: Run, deps: frozenset[str]) -> list[TraceValue]:
    out = []
    for name in sorted(deps):
        out.append(_trace_value(run, name))
    return out


def _trace_value(run: Run, name: str) -> TraceValue:
    if name in run.factor_values or name in run.plan.resolved.families:
        return _trace_factor(run, name)
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
        return TraceValue(
            name=name,
            value=None,
            unit=u.format_unit(step.unit),
            origin="not-given" if value.error is None else "not-computed",
            source=f"{step.decl.span}: {why}",
        )
    return TraceValue(
        name=name,
        value=value,
        unit=u.format_unit(step.unit),
        origin="value",
        source=str(step.decl.span),
    )


def _trace_input(run: Run, name: str) -> TraceValue:
    inp = run.plan.pcr.input(name)
    origin = run.inventory.origins.get(name)
    unit = str(inp.unit) if inp is not None and inp.unit else ""
    source = (
        f"{run.inventory.file}: inputs.{name}"
        if origin and origin.kind == "inventory"
        else (f"default in {inp.span}" if inp is not None else "")
    )
    if origin and origin.kind == "factor-default":
        source = origin.written + f" ({origin.note})"
    if origin and origin.supplier:
        s = origin.supplier
        source += f" = {origin.written}, PACT spec {s.get('spec_version')}"
    return TraceValue(
        name=name,
        value=run.env.get(name),
        unit=unit,
        origin=origin.kind if origin else "inventory",
        source=source,
    )


def _trace_factor(run: Run, name: str) -> TraceValue:
    if name in run.factor_values:
        entry, value = run.factor_values[name]
        when = f", in force from {value.valid_from}" if value.valid_from else ""
        return TraceValue(
            name=name,
            value=value.value,
            unit=str(entry.unit),
            origin="dataset",
            source=f"{entry.reference} ({_dataset_version(run, entry)}{when}): {value.source}",
        )
    members = {k: v for k, v in run.env[name].items()}
    sources = {k: run.factor_values[f"{name}[{k}]"][1].source for k in members}
    entry = next(iter(run.plan.resolved.families[name].values()))
    return TraceValue(
        name=name,
        value=members,
        unit=str(entry.unit),
        origin="dataset",
        source="; ".join(f"{k}: {s}" for k, s in sources.items()),
    )


def _dataset_version(run: Run, entry: FactorEntry) -> str:
    return f"{entry.dataset} {run.plan.resolved.standards.datasets[entry.dataset].version}"


def _trace_step(run: Run, step: Step) -> TraceLine:
    value = float(run.env[step.name])
    return TraceLine(
        name=step.name,
        kind="value",
        stage="",
        where=str(step.decl.span),
        formula=_formula(run, step.decl.expr.span),
        values=_trace_values(run, step.deps),
        value=value,
        unit=u.format_unit(step.unit),
        mass_kg=0.0,
        gwp=0.0,
        co2e_kg=0.0,
        allocation_share=1.0,
        reference_flow=1.0,
        co2e_per_declared_unit=0.0,
    )


def _trace_line(run: Run, f: LineResult, reference_flow: float) -> TraceLine:
    line: Line = f.plan.line
    return TraceLine(
        name=line.name,
        kind=line.kind,
        stage=line.stage,
        where=str(line.span),
        formula=_formula(run, line.expr.span),
        values=_trace_values(run, f.plan.deps),
        value=f.value,
        unit=u.format_unit(f.plan.unit),
        mass_kg=f.mass_kg,
        gwp=f.gwp,
        co2e_kg=f.co2e_kg,
        allocation_share=f.share,
        reference_flow=reference_flow,
        co2e_per_declared_unit=f.per_du,
    )
