"""Stage 6: run a compiled plan on one inventory, giving a result with its trace.

Evaluation runs on plain floats: units were settled at compile time. A number that cannot be a
footprint (NaN, infinity, a negative emission, a division by zero) stops evaluation with the rule
line and the inputs involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zuji import __version__
from zuji import units as u
from zuji.compile import DivisionByZero, LinePlan, MissingMember, NotGiven, Plan
from zuji.errors import Diagnostic, EvaluationError, Span
from zuji.inventory import Inventory
from zuji.model import Line
from zuji.result import (AllocationFigure, DataQuality, DatasetInfo, DeclaredUnitInfo, Finding,
                         GasFigure, InventoryInfo, LineFigure, PcrInfo, Result, Trace,
                         TraceLine, TraceValue)
from zuji.standards import FactorEntry, FactorValue, GwpSet

# PEF data-quality classes (PEFCR Guidance 6.3; see standards/README.md on their confirmation).
DQR_CLASSES = ((1.5, "excellent"), (2.0, "very good"), (3.0, "good"), (4.0, "fair"),
               (5.0, "poor"))


@dataclass
class _Run:
    plan: Plan
    inventory: Inventory
    env: dict[str, Any] = field(default_factory=dict)
    factor_values: dict[str, tuple[FactorEntry, FactorValue]] = field(default_factory=dict)
    family_entries: dict[str, tuple[dict[str, FactorEntry], date | None]] = field(
        default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)

    def warn(self, code: str, message: str, where: Span | None = None) -> None:
        self.warnings.append(Finding(code=code, level="warning", message=message,
                                     where=str(where) if where else None))


def evaluate(plan: Plan, inventory: Inventory, trace: bool = False) -> Result:
    """The footprint of one inventory under a compiled PCR."""
    run = _Run(plan, inventory, dict(inventory.values))
    _bind_factors(run)
    _defaults_used(run)
    for step in plan.steps:
        run.env[step.name] = _finite(_call(step.fn, run.env, step.decl.span, step.name),
                                     step.decl.span, f"value '{step.name}'")
    reference_flow = _reference_flow(run)
    shares, allocation = _allocate(run)
    figures = [_line(run, lp, shares.get(lp.line.stage, 1.0), reference_flow) for lp in plan.lines]
    return _assemble(run, figures, allocation, reference_flow, trace)


# ----------------------------------------------------------------------------- factors


def _bind_factors(run: _Run) -> None:
    """The value in force of every factor the plan reads. A family member without a value for
    the period is left out; it is an error only if the inventory's choice picks it."""
    resolved, on, used = run.plan.resolved, run.inventory.period_start, run.plan.used
    for name, entry in resolved.entries.items():
        if name in used:
            run.env[name] = _factor_value(run, name, entry, _pinned(resolved, name) or on)
    for name, members in resolved.families.items():
        if name not in used:
            continue
        when = _pinned(resolved, name) or on
        run.env[name] = {k: _factor_value(run, f"{name}[{k}]", e, when) for k, e in members.items()
                         if e.in_force(when) is not None}
        run.family_entries[name] = (members, when)
    run.env["$families"] = run.family_entries


def run_families(env: dict[str, Any]) -> dict[str, Any]:
    families: dict[str, Any] = env.get("$families", {})
    return families


def _pinned(resolved: Any, name: str) -> date | None:
    symbol = resolved.symbols.get(name)
    return getattr(symbol.decl, "pinned", None) if symbol else None


def _factor_value(run: _Run, name: str, entry: FactorEntry, on: date | None) -> float:
    value = entry.in_force(on)
    if value is None:
        first = min(v.valid_from for v in entry.values if v.valid_from)
        raise EvaluationError(Diagnostic(
            "E610", f"factor {entry.reference} has no value in force on {on} (its first value "
            f"applies from {first})", hint="give a reference period the dataset covers, or pin "
            "the factor to a date in the PCR with 'at'"))
    run.factor_values[name] = (entry, value)
    if entry.dated and on is None:
        run.warn("W601", f"no reference period: factor {entry.reference} takes its latest value "
                 f"({value.value:g} {entry.unit}, from {value.valid_from})")
    if not value.confirmed:
        run.warn("W602", f"factor {entry.reference} = {value.value:g} {entry.unit} is not "
                 f"confirmed against its source ({value.source})")
    return value.value


def _defaults_used(run: _Run) -> None:
    for name, origin in run.inventory.origins.items():
        inp = run.plan.pcr.input(name)
        if origin.kind in ("default", "factor-default") and inp is not None and inp.kind != "list":
            run.warn("W603", f"input '{name}' not given: default {origin.written} used", inp.span)
            if inp.quality == "primary":
                raise EvaluationError(Diagnostic(
                    "E611", f"{run.inventory.file}: input '{name}' must be primary data, but the "
                    "inventory leaves it out and the default would be used", inp.span,
                    hint=f"give '{name}' from the site's own records"))
        if origin.kind == "inventory" and inp is not None and inp.quality == "primary" \
                and origin.source == "secondary":
            raise EvaluationError(Diagnostic(
                "E612", f"{run.inventory.file}: input '{name}' must be primary data, but the "
                "inventory marks it secondary", inp.span,
                hint="this PCR requires site-specific data for it"))


# ----------------------------------------------------------------------------- lines


def _call(fn: Any, env: dict[str, Any], span: Span | None, what: str) -> Any:
    try:
        return fn(env)
    except NotGiven as exc:
        raise EvaluationError(Diagnostic(
            "E620", f"{what} needs input '{exc.name}', which the inventory leaves out", exc.span,
            hint=f"give '{exc.name}', or guard its use with: if given({exc.name}) then ...")) from None
    except DivisionByZero as exc:
        raise EvaluationError(Diagnostic(
            "E621", f"{what} divides by zero: '{exc.divisor}' is 0 in this inventory",
            exc.span or span, hint="check the inventory value of that input")) from None
    except MissingMember as exc:
        members, when = run_families(env).get(exc.family, ({}, None))
        entry = members.get(exc.member)
        first = min((v.valid_from for v in entry.values if v.valid_from), default=None) \
            if entry else None
        raise EvaluationError(Diagnostic(
            "E610", f"{what}: factor {entry.reference if entry else exc.family} has no value in "
            f"force on {when} (its first value applies from {first})", span,
            hint="give a reference period the dataset covers, or pin the factor with 'at'")) \
            from None
    except OverflowError:
        raise EvaluationError(Diagnostic("E622", f"{what} overflows", span)) from None


def _finite(value: float, span: Span | None, what: str) -> float:
    if not math.isfinite(value):
        raise EvaluationError(Diagnostic("E623", f"{what} is {value}, not a finite number", span))
    return float(value)


def _reference_flow(run: _Run) -> float:
    declared = run.plan.pcr.declared_unit
    if declared is None:
        return 1.0
    amount = run.env.get(declared.product)
    if not amount:
        raise EvaluationError(Diagnostic(
            "E624", f"{run.inventory.file}: the reference product '{declared.product}' is "
            f"{amount}; the footprint per {declared.amount:g} {declared.unit} cannot be computed",
            declared.span, hint=f"give the amount of {declared.product} produced in the period"))
    return float(amount) * run.plan.declared_unit_factor


def _allocate(run: _Run) -> tuple[dict[str, float], list[AllocationFigure]]:
    shares: dict[str, float] = {}
    figures = []
    reference = run.plan.pcr.declared_unit.product if run.plan.pcr.declared_unit else ""
    for ap in run.plan.allocations:
        weights = {}
        for product in ap.products:
            quantity = float(run.env[product.name]) * product.quantity_to_base
            weight = 1.0
            if product.weight is not None:
                weight = _call(product.weight.fn, run.env, ap.allocation.span,
                               f"the weight of '{product.name}'") * product.weight_to_base
            weights[product.name] = weight if ap.allocation.method == "fixed" else quantity * weight
        total = math.fsum(weights.values())
        if total <= 0 or not math.isfinite(total):
            raise EvaluationError(Diagnostic(
                "E630", f"allocation of {', '.join(ap.allocation.stages)}: the co-products add "
                f"up to {total:g}; nothing to share", ap.allocation.span))
        product_shares = {k: v / total for k, v in weights.items()}
        if ap.allocation.method == "fixed" and abs(total - 1) > 1e-9:
            raise EvaluationError(Diagnostic(
                "E631", f"fixed allocation shares add up to {total:g}, not 1",
                ap.allocation.span))
        ref_share = product_shares.get(reference, 1.0)
        for stage in ap.allocation.stages:
            shares[stage] = ref_share
        figures.append(AllocationFigure(stages=list(ap.allocation.stages),
                                        method=ap.allocation.method, shares=product_shares,
                                        reference_product=reference, reference_share=ref_share))
    return shares, figures


@dataclass(frozen=True)
class _LineResult:
    plan: LinePlan
    value: float  # in the formula's unit, for the whole period
    mass_kg: float
    gwp: float
    co2e_kg: float  # whole period, before allocation
    share: float
    per_du: float  # kg CO2e per declared unit, after allocation
    mass_per_du: float


def _line(run: _Run, lp: LinePlan, share: float, reference_flow: float) -> _LineResult:
    line = lp.line
    what = f"line '{line.name}'"
    value = _finite(_call(lp.fn, run.env, line.span, what), line.span, what)
    if value < 0:
        kind = "a credit" if line.kind == "emission" else f"this {line.kind}"
        raise EvaluationError(Diagnostic(
            "E625", f"{what} is negative ({value:g} {u.format_unit(lp.unit)}); "
            f"{'write a saving as ' + kind if line.kind == 'emission' else kind + ' is written as a positive amount'}",
            line.span, hint="check the inventory values it uses"))
    gwp = _gwp(run).factor(line.gas, line.origin)
    mass = value * lp.to_kg
    co2e = mass * gwp
    return _LineResult(lp, value, mass, gwp, co2e, share, co2e * share / reference_flow,
                       mass * share / reference_flow)


def _gwp(run: _Run) -> GwpSet:
    standards = run.plan.resolved.standards
    return standards.gwp_sets[run.plan.pcr.gwp]


# ----------------------------------------------------------------------------- assembly


def _assemble(run: _Run, figures: list[_LineResult], allocation: list[AllocationFigure],
              reference_flow: float, with_trace: bool) -> Result:
    pcr = run.plan.pcr
    emissions = [f for f in figures if f.plan.line.kind == "emission"]
    total = math.fsum(f.per_du for f in emissions)
    removals = math.fsum(f.per_du for f in figures if f.plan.line.kind == "removal")
    credits = math.fsum(f.per_du for f in figures if f.plan.line.kind == "credit")
    quality = _data_quality(run, emissions, total)
    cutoff_total = run.inventory.cutoff_total
    _check_cutoff(run)
    assertions = _assertions(run, total, quality, cutoff_total)
    declared = pcr.declared_unit
    return Result(
        engine=f"zuji {__version__}",
        pcr=PcrInfo(id=pcr.id, version=pcr.version, status=pcr.status, name_en=pcr.name.en,
                    name_zh=pcr.name.zh, source_hash=pcr.source_hash, gwp=pcr.gwp,
                    standards=list(pcr.standards),
                    boundary=pcr.boundary.kind if pcr.boundary else "",
                    stages=list(pcr.boundary.stages) if pcr.boundary else []),
        datasets=_datasets(run),
        inventory=InventoryInfo(
            file=run.inventory.file, company=run.inventory.company,
            product=run.inventory.product, site=run.inventory.site,
            period_start=_iso(run.inventory.period_start),
            period_end=_iso(run.inventory.period_end)),
        declared_unit=DeclaredUnitInfo(
            amount=declared.amount if declared else 1.0,
            unit=str(declared.unit) if declared else "",
            description=declared.description if declared else "",
            product=declared.product if declared else "", reference_flow=reference_flow),
        total=total, removals=removals, total_including_removals=total - removals,
        credits=credits,
        by_stage=_by(emissions, lambda f: f.plan.line.stage, pcr),
        by_gas=_by_gas(run, emissions),
        by_origin={o: math.fsum(f.per_du for f in emissions if f.plan.line.origin == o)
                   for o in ("fossil", "biogenic", "luc")},
        lines=[LineFigure(name=f.plan.line.name, stage=f.plan.line.stage, kind=f.plan.line.kind,
                          gas=f.plan.line.gas, origin=f.plan.line.origin, co2e_kg=f.per_du,
                          share_of_total=(f.per_du / total if total and
                                          f.plan.line.kind == "emission" else None))
               for f in figures],
        allocation=allocation, data_quality=quality, cutoff_total_percent=cutoff_total,
        warnings=run.warnings, assertions=assertions,
        trace=_trace(run, figures, reference_flow) if with_trace else None)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _by(figures: list[_LineResult], key: Any, pcr: Any) -> dict[str, float]:
    order = list(pcr.boundary.stages) if pcr.boundary else []
    groups: dict[str, list[float]] = {name: [] for name in order}
    for f in figures:
        groups.setdefault(key(f), []).append(f.per_du)
    return {k: math.fsum(v) for k, v in groups.items()}


def _by_gas(run: _Run, figures: list[_LineResult]) -> dict[str, GasFigure]:
    gwp = _gwp(run)
    out: dict[str, GasFigure] = {}
    keys = sorted({gwp.key(f.plan.line.gas, f.plan.line.origin) for f in figures})
    for key in keys:
        group = [f for f in figures if gwp.key(f.plan.line.gas, f.plan.line.origin) == key]
        out[key] = GasFigure(mass_kg=math.fsum(f.mass_per_du for f in group),
                             co2e_kg=math.fsum(f.per_du for f in group), gwp=group[0].gwp)
    return out


def _datasets(run: _Run) -> list[DatasetInfo]:
    ids = sorted({entry.dataset for entry, _ in run.factor_values.values()})
    datasets = run.plan.resolved.standards.datasets
    return [DatasetInfo(id=i, version=datasets[i].version, publisher=datasets[i].publisher)
            for i in ids]


def _dependencies(run: _Run, deps: frozenset[str]) -> set[str]:
    """Inputs and factors a line reads, through the values (lets) it uses."""
    steps = run.plan.steps_by_name
    seen: set[str] = set()
    todo = list(deps)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in steps:
            todo.extend(steps[name].deps)
    return {n for n in seen if n not in steps}


def _data_quality(run: _Run, emissions: list[_LineResult], total: float) -> DataQuality:
    origins = run.inventory.origins
    weighted, weights, primary = [], [], []
    for f in emissions:
        deps = _dependencies(run, f.plan.deps)
        scores = [origins[d].dqr for d in deps if d in origins and origins[d].dqr is not None]
        scores += [_entry_dqr(run.factor_values[d][0]) for d in deps if d in run.factor_values
                   and _entry_dqr(run.factor_values[d][0]) is not None]
        if scores:
            weighted.append(abs(f.per_du) * sum(scores) / len(scores))
            weights.append(abs(f.per_du))
        inventory_inputs = [d for d in deps if d in origins]
        if inventory_inputs and all(origins[d].kind == "inventory" and
                                    origins[d].source == "primary" for d in inventory_inputs):
            primary.append(abs(f.per_du))
    dqr = math.fsum(weighted) / math.fsum(weights) if weights and math.fsum(weights) else None
    rating = next((name for limit, name in DQR_CLASSES if dqr is not None and dqr <= limit), None)
    magnitude = math.fsum(abs(f.per_du) for f in emissions)
    share = 100 * math.fsum(primary) / magnitude if magnitude else 0.0
    inputs = {name: {"origin": o.kind, "source": o.source, "dqr": o.dqr, "written": o.written}
              for name, o in origins.items()}
    return DataQuality(dqr=dqr, rating=rating, primary_data_share=share, inputs=inputs)


def _entry_dqr(entry: FactorEntry) -> float | None:
    keys = ("ter", "ger", "tir", "p")
    if all(k in entry.dq for k in keys):
        return sum(entry.dq[k] for k in keys) / 4
    return None


def _check_cutoff(run: _Run) -> None:
    cutoff = run.plan.pcr.cutoff
    flows = run.inventory.cutoff
    for flow in flows:
        run.warn("W640", f"cut-off applied: '{flow.flow}' ({flow.share:g} % of the footprint) "
                 f"left out: {flow.reason}")
        if cutoff and cutoff.per_flow is not None and flow.share > cutoff.per_flow:
            raise EvaluationError(Diagnostic(
                "E641", f"{run.inventory.file}: cut-off flow '{flow.flow}' is {flow.share:g} % of "
                f"the footprint, above the PCR's per-flow limit of {cutoff.per_flow:g} %",
                cutoff.span, hint="include this flow in the inventory"))
    total = run.inventory.cutoff_total
    if cutoff and cutoff.total is not None and total > cutoff.total:
        raise EvaluationError(Diagnostic(
            "E642", f"{run.inventory.file}: cut-off flows add up to {total:g} % of the "
            f"footprint, above the PCR's total limit of {cutoff.total:g} %", cutoff.span))


def _assertions(run: _Run, total: float, quality: DataQuality,
                cutoff_total: float) -> list[Finding]:
    env = dict(run.env)
    env.update({"$total": total, "$dqr": quality.dqr if quality.dqr is not None else math.nan,
                "$primary_share": quality.primary_data_share, "$cutoff_total": cutoff_total})
    findings = []
    for ap in run.plan.assertions:
        a = ap.assertion
        passed = bool(_call(ap.fn, env, a.span, "assertion"))
        findings.append(Finding(code="A" + ("E" if a.level == "error" else "W"),
                                level="passed" if passed else a.level, message=a.message,
                                where=str(a.span) if a.span else None))
        if not passed and a.level == "error":
            raise EvaluationError(Diagnostic("E650", f"{run.inventory.file}: assertion failed: "
                                             f"{a.message}", a.span))
        if not passed:
            run.warn("W650", f"assertion: {a.message}", a.span)
    return findings


# ----------------------------------------------------------------------------- trace


def _trace(run: _Run, figures: list[_LineResult], reference_flow: float) -> Trace:
    values = [_trace_step(run, s) for s in run.plan.steps]
    lines = [_trace_line(run, f, reference_flow) for f in figures]
    return Trace(values=values, lines=lines)


def _formula(run: _Run, span: Span | None) -> str:
    if span is None:
        return ""
    text = run.plan.resolved.sources.get(span.file, "")
    rows = text.split("\n")[span.line - 1: span.end_line]
    if not rows:
        return ""
    if len(rows) == 1:
        return rows[0][span.column - 1: span.end_column - 1].strip()
    rows[0], rows[-1] = rows[0][span.column - 1:], rows[-1][: span.end_column - 1]
    return " ".join(r.strip() for r in rows)


def _trace_values(run: _Run, deps: frozenset[str]) -> list[TraceValue]:
    out = []
    for name in sorted(deps):
        out.append(_trace_value(run, name))
    return out


def _trace_value(run: _Run, name: str) -> TraceValue:
    origins, steps = run.inventory.origins, run.plan.steps_by_name
    if name in run.factor_values or name in run.plan.resolved.families:
        return _trace_factor(run, name)
    if name in steps:
        return TraceValue(name=name, value=run.env.get(name), unit=u.format_unit(steps[name].unit),
                          origin="value", source=str(steps[name].decl.span))
    inp = run.plan.pcr.input(name)
    origin = origins.get(name)
    unit = str(inp.unit) if inp is not None and inp.unit else ""
    source = f"{run.inventory.file}: inputs.{name}" if origin and origin.kind == "inventory" \
        else (f"default in {inp.span}" if inp is not None else "")
    if origin and origin.kind == "factor-default":
        source = origin.written + f" ({origin.note})"
    return TraceValue(name=name, value=run.env.get(name), unit=unit,
                      origin=origin.kind if origin else "inventory", source=source)


def _trace_factor(run: _Run, name: str) -> TraceValue:
    if name in run.factor_values:
        entry, value = run.factor_values[name]
        when = f", in force from {value.valid_from}" if value.valid_from else ""
        return TraceValue(name=name, value=value.value, unit=str(entry.unit), origin="dataset",
                          source=f"{entry.reference} ({_dataset_version(run, entry)}{when}): "
                          f"{value.source}")
    members = {k: v for k, v in run.env[name].items()}
    sources = {k: run.factor_values[f"{name}[{k}]"][1].source for k in members}
    entry = next(iter(run.plan.resolved.families[name].values()))
    return TraceValue(name=name, value=members, unit=str(entry.unit), origin="dataset",
                      source="; ".join(f"{k}: {s}" for k, s in sources.items()))


def _dataset_version(run: _Run, entry: FactorEntry) -> str:
    return f"{entry.dataset} {run.plan.resolved.standards.datasets[entry.dataset].version}"


def _trace_step(run: _Run, step: Any) -> TraceLine:
    value = float(run.env[step.name])
    return TraceLine(name=step.name, kind="value", stage="", where=str(step.decl.span),
                     formula=_formula(run, step.decl.expr.span),
                     values=_trace_values(run, step.deps), value=value,
                     unit=u.format_unit(step.unit), mass_kg=0.0, gwp=0.0, co2e_kg=0.0,
                     allocation_share=1.0, reference_flow=1.0, co2e_per_declared_unit=0.0)


def _trace_line(run: _Run, f: _LineResult, reference_flow: float) -> TraceLine:
    line: Line = f.plan.line
    return TraceLine(name=line.name, kind=line.kind, stage=line.stage, where=str(line.span),
                     formula=_formula(run, line.expr.span),
                     values=_trace_values(run, f.plan.deps), value=f.value,
                     unit=u.format_unit(f.plan.unit), mass_kg=f.mass_kg, gwp=f.gwp,
                     co2e_kg=f.co2e_kg, allocation_share=f.share, reference_flow=reference_flow,
                     co2e_per_declared_unit=f.per_du)
