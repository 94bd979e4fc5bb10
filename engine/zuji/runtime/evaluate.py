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

from zuji.core.errors import (
    Diagnostic,
    DivisionByZero,
    EvaluationError,
    MissingMember,
    NotGiven,
    Span,
)
from zuji.core.version import __version__
from zuji.data.standards import FactorEntry, FactorValue, GwpSet
from zuji.lang import units as u
from zuji.lang.model import Line
from zuji.runtime.inventory import Inventory
from zuji.runtime.result import (
    AllocationFigure,
    CutoffFigure,
    DataQuality,
    DatasetInfo,
    DeclaredUnitInfo,
    Finding,
    GasFigure,
    InventoryInfo,
    LineFigure,
    PcrInfo,
    Result,
    Trace,
    TraceFactor,
    TraceInput,
    TraceLine,
    TraceValue,
)
from zuji.runtime.scope import Deferred, Scope
from zuji.semantics.compile import LinePlan, Plan

# PEF data-quality classes (PEFCR Guidance 6.3; see standards/README.md on their confirmation).
DQR_CLASSES = ((1.5, "excellent"), (2.0, "very good"), (3.0, "good"), (4.0, "fair"), (5.0, "poor"))


@dataclass
class _Run:
    plan: Plan
    inventory: Inventory
    env: dict[str, Any] = field(default_factory=dict)
    factor_values: dict[str, tuple[FactorEntry, FactorValue]] = field(default_factory=dict)
    family_entries: dict[str, tuple[dict[str, FactorEntry], date | None]] = field(
        default_factory=dict
    )
    warnings: list[Finding] = field(default_factory=list)
    # What each value read (its own reads, not those of the values it reads), and every name any
    # part of the evaluation read: the data quality and the factor warnings rest on them.
    step_reads: dict[str, set[str]] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)
    # Warnings about a factor value, given only if the evaluation reads the value.
    factor_notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    early: dict[int, bool] = field(default_factory=dict)  # assertions run before the lines

    def warn(self, code: str, message: str, where: Span | None = None) -> None:
        self.warnings.append(
            Finding(
                code=code, level="warning", message=message, where=str(where) if where else None
            )
        )


def evaluate(plan: Plan, inventory: Inventory, trace: bool = False) -> Result:
    """The footprint of one inventory under a compiled PCR."""
    run = _Run(plan, inventory, dict(inventory.values))
    _bind_factors(run)
    _defaults_used(run)
    for step in plan.steps:
        _step(run, step)
    _early_assertions(run)
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
        run.env[name] = {
            k: _factor_value(run, f"{name}[{k}]", e, when)
            for k, e in members.items()
            if e.in_force(when) is not None
        }
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
        raise EvaluationError(
            Diagnostic(
                "E610",
                f"factor {entry.reference} has no value in force on {on} (its first value "
                f"applies from {first})",
                hint="give a reference period the dataset covers, or pin "
                "the factor to a date in the PCR with 'at'",
            )
        )
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
    if notes:
        run.factor_notes[name] = notes
    return value.value


def _factor_warnings(run: _Run) -> None:
    """W601 and W602 for the factor values the evaluation read: a family member the inventory's
    choice does not pick, or a factor in an untaken branch, is not part of this footprint."""
    read = run.reads.union(*run.step_reads.values())
    for name, notes in run.factor_notes.items():
        if name in read:
            for code, message in notes:
                run.warn(code, message)


def _defaults_used(run: _Run) -> None:
    for name, origin in run.inventory.origins.items():
        inp = run.plan.pcr.input(name)
        if origin.kind in ("default", "factor-default") and inp is not None and inp.kind != "list":
            run.warn("W603", f"input '{name}' not given: default {origin.written} used", inp.span)
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


def _default_factor_confirmed(run: _Run, name: str, inp: Any) -> None:
    """An input left out takes its default from a factor: an unconfirmed value is then used."""
    entry = run.plan.resolved.standards.entry(inp.default.factor or "")
    value = entry.in_force(run.inventory.period_start) if entry is not None else None
    if value is not None and not value.confirmed:
        run.warn(
            "W602",
            f"input '{name}' takes its default from factor {entry.reference} = "
            f"{value.value:g} {entry.unit}, which is not confirmed against its source "
            f"({value.source})",
            inp.span,
        )


# ----------------------------------------------------------------------------- values and lines


def _step(run: _Run, step: Any) -> None:
    """Compute one value. One that cannot be computed for this inventory (it reads an optional
    input left out, or fails) is kept as Deferred: only what reads it fails, so a use guarded by
    given(...), or an error assertion that refuses the inventory in its own words, comes first."""
    reads: set[str] = set()
    run.step_reads[step.name] = reads
    try:
        value = _finite(
            _call(step.fn, Scope(run.env, reads), step.decl.span, step.name, keep_not_given=True),
            step.decl.span,
            f"value '{step.name}'",
        )
    except NotGiven as exc:
        run.env[step.name] = Deferred(exc.name, exc.span, (step.name, *exc.via))
    except EvaluationError as exc:
        run.env[step.name] = Deferred(error=exc)
    else:
        run.env[step.name] = value


def _call(fn: Any, env: Any, span: Span | None, what: str, keep_not_given: bool = False) -> Any:
    try:
        return fn(env)
    except NotGiven as exc:
        if keep_not_given:
            raise
        via = exc.via
        through = f" through value '{via[0]}'" if via else ""
        raise EvaluationError(
            Diagnostic(
                "E620",
                f"{what} needs input '{exc.name}'{through}, which the inventory leaves out",
                exc.span,
                hint=f"give '{exc.name}', or guard its use with: if given({exc.name}) then ...",
            )
        ) from None
    except DivisionByZero as exc:
        raise EvaluationError(
            Diagnostic(
                "E621",
                f"{what} divides by zero: '{exc.divisor}' is 0 in this inventory",
                exc.span or span,
                hint="check the inventory value of that input",
            )
        ) from None
    except MissingMember as exc:
        members, when = run_families(env).get(exc.family, ({}, None))
        entry = members.get(exc.member)
        first = (
            min((v.valid_from for v in entry.values if v.valid_from), default=None)
            if entry
            else None
        )
        raise EvaluationError(
            Diagnostic(
                "E610",
                f"{what}: factor {entry.reference if entry else exc.family} has no value in "
                f"force on {when} (its first value applies from {first})",
                span,
                hint="give a reference period the dataset covers, or pin the factor with 'at'",
            )
        ) from None
    except OverflowError:
        raise EvaluationError(Diagnostic("E622", f"{what} overflows", span)) from None


def _sum(values: list[float], what: str) -> float:
    """An exactly rounded sum (math.fsum: no error grows with the number of lines)."""
    try:
        return _finite(math.fsum(values), None, what)
    except OverflowError:
        raise EvaluationError(
            Diagnostic(
                "E622",
                f"{what} overflows: its lines add up past the largest number a footprint can hold",
            )
        ) from None


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
        raise EvaluationError(
            Diagnostic(
                "E624",
                f"{run.inventory.file}: the reference product '{declared.product}' is "
                f"{amount}; the footprint per {declared.amount:g} {declared.unit} cannot be computed",
                declared.span,
                hint=f"give the amount of {declared.product} produced in the period",
            )
        )
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
                weight = (
                    _call(
                        product.weight.fn,
                        Scope(run.env, run.reads),
                        ap.allocation.span,
                        f"the weight of '{product.name}'",
                    )
                    * product.weight_to_base
                )
            weights[product.name] = weight if product.weight_only else quantity * weight
        total = math.fsum(weights.values())
        if total <= 0 or not math.isfinite(total):
            raise EvaluationError(
                Diagnostic(
                    "E630",
                    f"allocation of {', '.join(ap.allocation.stages)}: the co-products add "
                    f"up to {total:g}; nothing to share",
                    ap.allocation.span,
                )
            )
        product_shares = {k: v / total for k, v in weights.items()}
        if ap.allocation.method == "fixed" and abs(total - 1) > 1e-9:
            raise EvaluationError(
                Diagnostic(
                    "E631",
                    f"fixed allocation shares add up to {total:g}, not 1",
                    ap.allocation.span,
                )
            )
        ref_share = product_shares.get(reference, 1.0)
        for stage in ap.allocation.stages:
            shares[stage] = ref_share
        figures.append(
            AllocationFigure(
                stages=list(ap.allocation.stages),
                method=ap.allocation.method,
                shares=product_shares,
                reference_product=reference,
                reference_share=ref_share,
            )
        )
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
    reads: frozenset[str] = frozenset()  # what the line read for this inventory


def _line(run: _Run, lp: LinePlan, share: float, reference_flow: float) -> _LineResult:
    line = lp.line
    what = f"line '{line.name}'"
    reads: set[str] = set()
    value = _finite(_call(lp.fn, Scope(run.env, reads), line.span, what), line.span, what)
    run.reads |= reads
    if value < 0:
        kind = "a credit" if line.kind == "emission" else f"this {line.kind}"
        raise EvaluationError(
            Diagnostic(
                "E625",
                f"{what} is negative ({value:g} {u.format_unit(lp.unit)}); "
                f"{'write a saving as ' + kind if line.kind == 'emission' else kind + ' is written as a positive amount'}",
                line.span,
                hint="check the inventory values it uses",
            )
        )
    gwp = _gwp(run).factor(line.gas, line.origin)
    # Each step can leave the floats even when the formula's value did not (× GWP, ÷ a tiny
    # reference flow): every figure kept is finite, or the line is named.
    mass = _finite(value * lp.to_kg, line.span, f"{what} in kg")
    co2e = _finite(mass * gwp, line.span, f"{what} in kg CO2e")
    per_du = _finite(co2e * share / reference_flow, line.span, f"{what} per declared unit")
    return _LineResult(
        lp, value, mass, gwp, co2e, share, per_du, mass * share / reference_flow, frozenset(reads)
    )


def _gwp(run: _Run) -> GwpSet:
    standards = run.plan.resolved.standards
    return standards.gwp_sets[run.plan.pcr.gwp]


# ----------------------------------------------------------------------------- assembly


def _assemble(
    run: _Run,
    figures: list[_LineResult],
    allocation: list[AllocationFigure],
    reference_flow: float,
    with_trace: bool,
) -> Result:
    pcr = run.plan.pcr
    emissions = [f for f in figures if f.plan.line.kind == "emission"]
    total = _sum([f.per_du for f in emissions], "the total")
    removals = _sum([f.per_du for f in figures if f.plan.line.kind == "removal"], "the removals")
    credits = _sum([f.per_du for f in figures if f.plan.line.kind == "credit"], "the credits")
    quality = _data_quality(run, emissions, total)
    cutoff_total = run.inventory.cutoff_total
    _check_cutoff(run)
    assertions = _assertions(run, total, quality, cutoff_total)
    _factor_warnings(run)
    declared = pcr.declared_unit
    return Result(
        engine=f"zuji {__version__}",
        pcr=PcrInfo(
            id=pcr.id,
            version=pcr.version,
            status=pcr.status,
            name_en=pcr.name.en,
            name_zh=pcr.name.zh,
            source_hash=pcr.source_hash,
            gwp=pcr.gwp,
            standards=list(pcr.standards),
            boundary=pcr.boundary.kind if pcr.boundary else "",
            stages=list(pcr.boundary.stages) if pcr.boundary else [],
            stage_titles={s.name: str(s.description) for s in pcr.stages},
            exclusions={x.name: str(x.reason) for x in pcr.exclusions},
            classification=list(pcr.classification),
            geography=list(pcr.geography),
        ),
        datasets=_datasets(run),
        inventory=InventoryInfo(
            file=run.inventory.file,
            company=run.inventory.company,
            product=run.inventory.product,
            site=run.inventory.site,
            period_start=_iso(run.inventory.period_start),
            period_end=_iso(run.inventory.period_end),
            company_ids=list(run.inventory.raw.get("company_ids") or []),
            product_ids=list(run.inventory.raw.get("product_ids") or []),
        ),
        declared_unit=DeclaredUnitInfo(
            amount=declared.amount if declared else 1.0,
            unit=str(declared.unit) if declared else "",
            description=declared.description if declared else "",
            product=declared.product if declared else "",
            reference_flow=reference_flow,
            product_mass_kg=_product_mass(declared),
        ),
        total=total,
        removals=removals,
        total_including_removals=total - removals,
        credits=credits,
        by_stage=_by(emissions, lambda f: f.plan.line.stage, pcr),
        by_gas=_by_gas(run, emissions),
        by_origin={
            o: math.fsum(f.per_du for f in emissions if f.plan.line.origin == o)
            for o in ("fossil", "biogenic", "luc")
        },
        lines=[
            LineFigure(
                name=f.plan.line.name,
                stage=f.plan.line.stage,
                kind=f.plan.line.kind,
                gas=f.plan.line.gas,
                origin=f.plan.line.origin,
                co2e_kg=f.per_du,
                share_of_total=(
                    f.per_du / total if total and f.plan.line.kind == "emission" else None
                ),
            )
            for f in figures
        ],
        allocation=allocation,
        data_quality=quality,
        cutoff_total_percent=cutoff_total,
        cutoff_flows=[
            CutoffFigure(flow=c.flow, share=c.share, reason=c.reason) for c in run.inventory.cutoff
        ],
        warnings=run.warnings,
        assertions=assertions,
        trace=_trace(run, figures, reference_flow) if with_trace else None,
    )


def _product_mass(declared: Any) -> float | None:
    if declared is None:
        return None
    unit = u.to_pint(declared.unit)
    kg = u.registry().Unit("kilogram")
    return declared.amount * u.conversion(unit, kg) if u.same_dimension(unit, kg) else None


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
        out[key] = GasFigure(
            mass_kg=math.fsum(f.mass_per_du for f in group),
            co2e_kg=math.fsum(f.per_du for f in group),
            gwp=group[0].gwp,
        )
    return out


def _datasets(run: _Run) -> list[DatasetInfo]:
    ids = sorted({entry.dataset for entry, _ in run.factor_values.values()})
    datasets = run.plan.resolved.standards.datasets
    return [
        DatasetInfo(id=i, version=datasets[i].version, publisher=datasets[i].publisher) for i in ids
    ]


def _dependencies(run: _Run, reads: frozenset[str]) -> set[str]:
    """Inputs and factor values a line read for this inventory, through the values it read.

    An input left out (an optional input, or an optional list without items) can only have been
    tested by given(...): reading its value would have stopped the evaluation. It is not data
    the line rests on.
    """
    step_reads, origins = run.step_reads, run.inventory.origins
    seen: set[str] = set()
    todo = list(reads)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in step_reads:
            todo.extend(step_reads[name])
    return {n for n in seen if n not in step_reads and not _left_out(run, n, origins.get(n))}


def _left_out(run: _Run, name: str, origin: Any) -> bool:
    if origin is None or origin.kind not in ("not-given", "default"):
        return False
    if origin.kind == "not-given":
        return True
    inp = run.plan.pcr.input(name)  # a list left out has no default: it is an optional list
    return inp is not None and inp.kind == "list"


def _data_quality(run: _Run, emissions: list[_LineResult], total: float) -> DataQuality:
    origins = run.inventory.origins
    weighted, weights, primary = [], [], []
    by_indicator: dict[str, list[float]] = {k: [] for k in ("ter", "ger", "tir", "p")}
    for f in emissions:
        deps = _dependencies(run, f.reads)
        scored = [origins[d].dq for d in deps if d in origins and origins[d].dqr is not None]
        scored += [
            run.factor_values[d][0].dq
            for d in deps
            if d in run.factor_values and _entry_dqr(run.factor_values[d][0]) is not None
        ]
        scores = [sum(dq[k] for k in by_indicator) / 4 for dq in scored]
        if scores:
            weighted.append(abs(f.per_du) * sum(scores) / len(scores))
            weights.append(abs(f.per_du))
            for key, values in by_indicator.items():
                values.append(abs(f.per_du) * sum(dq[key] for dq in scored) / len(scored))
        inventory_inputs = [d for d in deps if d in origins]
        if inventory_inputs and all(
            origins[d].kind == "inventory" and origins[d].source == "primary"
            for d in inventory_inputs
        ):
            primary.append(abs(f.per_du))
    dqr = math.fsum(weighted) / math.fsum(weights) if weights and math.fsum(weights) else None
    rating = next((name for limit, name in DQR_CLASSES if dqr is not None and dqr <= limit), None)
    magnitude = math.fsum(abs(f.per_du) for f in emissions)
    share = 100 * math.fsum(primary) / magnitude if magnitude else 0.0
    inputs = {
        name: {"origin": o.kind, "source": o.source, "dqr": o.dqr, "written": o.written}
        for name, o in origins.items()
    }
    for name, o in origins.items():
        if o.supplier:
            inputs[name]["supplier"] = dict(o.supplier)
    total_weight = math.fsum(weights)
    indicators = (
        {k: math.fsum(v) / total_weight for k, v in by_indicator.items()}
        if weights and total_weight
        else {}
    )
    return DataQuality(
        dqr=dqr, rating=rating, primary_data_share=share, inputs=inputs, indicators=indicators
    )


def _entry_dqr(entry: FactorEntry) -> float | None:
    keys = ("ter", "ger", "tir", "p")
    if all(k in entry.dq for k in keys):
        return sum(entry.dq[k] for k in keys) / 4
    return None


def _check_cutoff(run: _Run) -> None:
    cutoff = run.plan.pcr.cutoff
    flows = run.inventory.cutoff
    for flow in flows:
        run.warn(
            "W640",
            f"cut-off applied: '{flow.flow}' ({flow.share:g} % of the footprint) "
            f"left out: {flow.reason}",
        )
        if cutoff and cutoff.per_flow is not None and flow.share > cutoff.per_flow:
            raise EvaluationError(
                Diagnostic(
                    "E641",
                    f"{run.inventory.file}: cut-off flow '{flow.flow}' is {flow.share:g} % of "
                    f"the footprint, above the PCR's per-flow limit of {cutoff.per_flow:g} %",
                    cutoff.span,
                    hint="include this flow in the inventory",
                )
            )
    total = run.inventory.cutoff_total
    if cutoff and cutoff.total is not None and total > cutoff.total:
        raise EvaluationError(
            Diagnostic(
                "E642",
                f"{run.inventory.file}: cut-off flows add up to {total:g} % of the "
                f"footprint, above the PCR's total limit of {cutoff.total:g} %",
                cutoff.span,
            )
        )


def _early_assertions(run: _Run) -> None:
    """Error assertions that need no result run before the lines: an inventory the rule refuses
    is refused in the rule's own words, not by what a line makes of it (a negative line, E625)."""
    for index, ap in enumerate(run.plan.assertions):
        if ap.assertion.level == "error" and not ap.uses_results:
            run.early[index] = _assertion(run, ap, run.env)


def _assertion(run: _Run, ap: Any, env: dict[str, Any]) -> bool:
    a = ap.assertion
    passed = bool(_call(ap.fn, Scope(env, run.reads), a.span, "assertion"))
    if not passed and a.level == "error":
        raise EvaluationError(
            Diagnostic("E650", f"{run.inventory.file}: assertion failed: {a.message}", a.span)
        )
    return passed


def _assertions(
    run: _Run, total: float, quality: DataQuality, cutoff_total: float
) -> list[Finding]:
    env = dict(run.env)
    env.update(
        {
            "$total": total,
            "$dqr": quality.dqr if quality.dqr is not None else math.nan,
            "$primary_share": quality.primary_data_share,
            "$cutoff_total": cutoff_total,
        }
    )
    findings = []
    for index, ap in enumerate(run.plan.assertions):
        a = ap.assertion
        passed = run.early[index] if index in run.early else _assertion(run, ap, env)
        findings.append(
            Finding(
                code="A" + ("E" if a.level == "error" else "W"),
                level="passed" if passed else a.level,
                message=a.message,
                where=str(a.span) if a.span else None,
            )
        )
        if not passed:
            run.warn("W650", f"assertion: {a.message}", a.span)
    return findings


# ----------------------------------------------------------------------------- trace


def _trace(run: _Run, figures: list[_LineResult], reference_flow: float) -> Trace:
    # A value this inventory does not give (it reads an optional input left out) was never used.
    values = [
        _trace_step(run, s) for s in run.plan.steps if run.env[s.name].__class__ is not Deferred
    ]
    lines = [_trace_line(run, f, reference_flow) for f in figures]
    return Trace(values=values, lines=lines, inputs=_trace_inputs(run), factors=_trace_factors(run))


def _trace_inputs(run: _Run) -> list[TraceInput]:
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


def _trace_factors(run: _Run) -> list[TraceFactor]:
    datasets = run.plan.resolved.standards.datasets
    return [
        TraceFactor(
            name=name,
            reference=entry.reference,
            dataset=entry.dataset,
            dataset_version=datasets[entry.dataset].version,
            value=value.value,
            unit=str(entry.unit),
            valid_from=_iso(value.valid_from),
            confirmed=value.confirmed,
            source=value.source,
        )
        for name, (entry, value) in sorted(run.factor_values.items())
    ]


def _formula(run: _Run, span: Span | None) -> str:
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
        value = run.env.get(name)
        if value.__class__ is Deferred:  # not read: it could not be computed for this inventory
            why = (
                f"needs input '{value.input}'"
                if value.error is None
                else value.error.diagnostics[0].message
            )
            return TraceValue(
                name=name,
                value=None,
                unit=u.format_unit(steps[name].unit),
                origin="not-given" if value.error is None else "not-computed",
                source=f"{steps[name].decl.span}: {why}",
            )
        return TraceValue(
            name=name,
            value=value,
            unit=u.format_unit(steps[name].unit),
            origin="value",
            source=str(steps[name].decl.span),
        )
    inp = run.plan.pcr.input(name)
    origin = origins.get(name)
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


def _trace_factor(run: _Run, name: str) -> TraceValue:
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


def _dataset_version(run: _Run, entry: FactorEntry) -> str:
    return f"{entry.dataset} {run.plan.resolved.standards.datasets[entry.dataset].version}"


def _trace_step(run: _Run, step: Any) -> TraceLine:
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


def _trace_line(run: _Run, f: _LineResult, reference_flow: float) -> TraceLine:
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
