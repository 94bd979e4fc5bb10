"""Stage 6: run a compiled plan on one inventory, giving a result with its trace.

Evaluation runs on plain floats: units were settled at compile time. A number that cannot be a
footprint (NaN, infinity, a negative emission, a division by zero) stops evaluation with the rule
line and the inputs involved. The steps live beside this module: running the plan (run), the
factors and defaults it takes (factors), adding lines up (aggregate), data quality (quality),
assertions and cut-off (assertions) and the trace (trace); here they are put in order and the
result assembled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from zuji.core.errors import Diagnostic, DiagnosticSink
from zuji.core.identity import by_identity
from zuji.core.version import __version__
from zuji.data.standards import FactorEntry, FactorValue, Standards
from zuji.lang import model as m
from zuji.lang import units as u
from zuji.runtime import aggregate
from zuji.runtime.assertions import (
    assertions,
    check_cutoff,
    check_requirements,
    early_assertions,
)
from zuji.runtime.factors import bind_factors, defaults_used, factor_warnings
from zuji.runtime.inventory import Inventory
from zuji.runtime.provenance import provenance
from zuji.runtime.quality import LineQuality, quality_figures, quality_model, rating_and_share
from zuji.runtime.quality import lines_quality as quality_of_lines
from zuji.runtime.result import (
    AllocationFigure,
    CutoffFigure,
    DatasetInfo,
    DeclaredUnitInfo,
    Finding,
    InventoryInfo,
    PcrInfo,
    ReadingInfo,
    Result,
    iso_date,
    made,
    made_lazily,
)
from zuji.runtime.run import LineResult, Run, reference_flow, run_line, run_step
from zuji.runtime.trace import build_trace
from zuji.semantics.compile import LINE_FIGURE, STAGE_FIGURE, Plan


def evaluate(plan: Plan, inventory: Inventory, trace: bool = False) -> Result:
    """The footprint of one inventory under a compiled PCR, by its closures."""
    return assemble(closure_run(plan, inventory), trace)


class Evaluated(NamedTuple):
    """An evaluation before its result is put together: the run, each line worked out, the
    allocations and the reference flow; and the totals, when worked out on the way."""

    run: Run
    figures: list[LineResult]
    allocation: list[AllocationFigure]
    reference_flow: float
    totals: aggregate.Totals | None = None


def prepared(plan: Plan, inventory: Inventory) -> Run:
    """The run of an inventory, its factors bound and the inventory checked against what the
    rule requires of it, before any value is computed."""
    run = Run(plan, inventory, dict(inventory.values))
    bind_factors(run)
    defaults_used(run)
    check_requirements(run)
    return run


def closure_run(plan: Plan, inventory: Inventory) -> Evaluated:
    """Every value and line of an inventory, each by its closure."""
    run = prepared(plan, inventory)
    for step in plan.steps:
        run_step(run, step)
    early_assertions(run)
    flow = reference_flow(run)
    shares, allocation = aggregate.allocate(run)
    figures = [run_line(run, lp, shares.get(lp.line.stage, 1.0), flow) for lp in plan.lines]
    return Evaluated(run, figures, allocation, flow)


def assemble(
    done: Evaluated,
    with_trace: bool,
    lines_quality: Sequence[LineQuality] | None = None,
    lazily: bool = False,
) -> Result:
    """The result of an evaluation; `lines_quality` is what each emission line's data quality
    rests on, when the caller knows it already (quality.line_quality).

    `lazily`: the figures are checked now (a total that overflows, a cut-off past the rule's
    limits, an assertion that fails or cannot be evaluated refuses the inventory here), and the
    models that present them (by stage, gas, origin and line, data quality, warnings,
    provenance, trace) are made at the result's first read (result.made_lazily)."""
    run = done.run
    totals = done.totals or aggregate.totals(done.figures)
    check_cutoff(run)
    checked = _checked(done, totals, lines_quality)
    eager = {
        "engine": _ENGINE,
        "pcr": _pcr_info(run.plan.pcr),
        "total": totals.total,
        "removals": totals.removals,
        "total_including_removals": totals.total - totals.removals,
        "credits": totals.credits,
        "allocation": done.allocation,
        "cutoff_total_percent": run.inventory.cutoff_total,
        "assertions": checked.findings,
    }
    if lazily:
        return made_lazily(
            eager, lambda: _presented(done, totals, with_trace, checked, lines_quality)
        )
    return made(Result, **eager, **_presented(done, totals, with_trace, checked, lines_quality))


class _Checked(NamedTuple):
    """The stages, where an assertion read them, and the outcome of every assertion."""

    stages: dict[str, float] | None
    findings: list[Finding]


def _checked(
    done: Evaluated, totals: aggregate.Totals, lines_quality: Sequence[LineQuality] | None
) -> _Checked:
    """Every assertion, now: one may fail, or fail to be evaluated, and refuse the inventory
    (warning assertions too, where one reads an optional input left out). The data quality is
    worked out first if an assertion remains to be run (it may read dqr or primary_share), and
    the stages if one reads a figure."""
    run = done.run
    plan = run.plan
    if len(run.early) == len(plan.assertions):  # none left, or none at all
        return _Checked(None, assertions(run, totals.total, (None, 0.0), 0.0))
    emissions = totals.emissions
    lines = lines_quality if lines_quality is not None else quality_of_lines(run, emissions)
    quality = rating_and_share([abs(f.per_du) for f in emissions], lines)
    stages = None
    read = None
    if _reads_figures(plan):
        stages = aggregate.by_stage(totals.emissions, plan.pcr)
        read = _read_figures(run, done.figures, stages)
    findings = assertions(
        run,
        totals.total,
        quality,
        run.inventory.cutoff_total,
        read,
    )
    return _Checked(stages, findings)


@by_identity()
def _reads_figures(plan: Plan) -> bool:
    """Whether an assertion of the plan reads a line's or a stage's figure."""
    return any(ap.reads_figures for ap in plan.assertions)


def _presented(
    done: Evaluated,
    totals: aggregate.Totals,
    with_trace: bool,
    checked: _Checked,
    lines_quality: Sequence[LineQuality] | None,
) -> dict[str, Any]:
    """The fields of a result that present its figures (the assertions were checked before)."""
    run, figures, reference_flow = done.run, done.figures, done.reference_flow
    pcr = run.plan.pcr
    emissions, total = totals.emissions, totals.total
    quality = quality_model(run, quality_figures(run, emissions, lines_quality))
    stages = checked.stages or aggregate.by_stage(emissions, pcr)
    factor_warnings(run)
    datasets = _datasets(run)
    described = _inventory_info(run.inventory)
    return {
        "datasets": datasets,
        "inventory": described,
        "declared_unit": _declared_unit_info(pcr.declared_unit, reference_flow),
        "by_stage": stages,
        "by_gas": aggregate.by_gas(run, emissions),
        "by_origin": aggregate.by_origin(emissions),
        "lines": aggregate.line_figures(figures, total),
        "data_quality": quality,
        "cutoff_flows": [
            made(CutoffFigure, flow=c.flow, share=c.share, reason=c.reason)
            for c in run.inventory.cutoff
        ],
        "warnings": _findings(run.warnings),
        "trace": build_trace(run, figures, reference_flow, described) if with_trace else None,
        "provenance": provenance(run.plan, run.inventory, [d.id for d in datasets]),
    }


_ENGINE = f"zuji {__version__}"


def _read_figures(
    run: Run, figures: list[LineResult], stages: dict[str, float]
) -> dict[str, float] | None:
    """The lines' and stages' figures, for the assertions that read them (most read none)."""
    if not any(ap.reads_figures for ap in run.plan.assertions):
        return None
    read = {LINE_FIGURE + f.plan.line.name: f.per_du for f in figures}
    read.update({STAGE_FIGURE + name: value for name, value in stages.items()})
    return read


def _findings(warnings: DiagnosticSink) -> list[Finding]:
    """The evaluation's warnings, in the order found, as the result reports them."""
    return [_finding(d) for d in warnings.items]


# The same warnings come back evaluation after evaluation: each finding is made once.
_FINDINGS: dict[tuple[str, str, str, str | None], Finding] = {}
_FINDINGS_MOST = 4096


def _finding(diagnostic: Diagnostic) -> Finding:
    where = str(diagnostic.span) if diagnostic.span else None
    key = (diagnostic.code, diagnostic.severity.value, diagnostic.message, where)
    found = _FINDINGS.get(key)
    if found is None:
        if len(_FINDINGS) >= _FINDINGS_MOST:
            _FINDINGS.clear()
        found = _FINDINGS[key] = made(
            Finding, code=key[0], level=key[1], message=key[2], where=key[3]
        )
    return found


@by_identity()  # the same for every evaluation under a rule (a frozen model, shared)
def _pcr_info(pcr: m.RuleFile) -> PcrInfo:
    return PcrInfo(
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
    )


def _inventory_info(inventory: Inventory) -> InventoryInfo:
    return made(
        InventoryInfo,
        file=inventory.file,
        company=inventory.company,
        product=inventory.product,
        site=inventory.site,
        period_start=iso_date(inventory.period_start),
        period_end=iso_date(inventory.period_end),
        company_ids=list(inventory.raw.get("company_ids") or []),
        product_ids=list(inventory.raw.get("product_ids") or []),
        read_as=[
            made(ReadingInfo, where=r.where, given=r.given, read_as=r.read_as)
            for r in inventory.readings
        ],
    )


def _declared_unit_info(declared: m.DeclaredUnit | None, reference_flow: float) -> DeclaredUnitInfo:
    return made(
        DeclaredUnitInfo,
        amount=float(declared.amount) if declared else 1.0,
        unit=str(declared.unit) if declared else "",
        description=declared.description.en if declared else "",
        description_zh=declared.description.zh if declared else "",
        product=declared.product if declared else "",
        reference_flow=reference_flow,
        product_mass_kg=_product_mass(declared),
    )


def _product_mass(declared: m.DeclaredUnit | None) -> float | None:
    if declared is None:
        return None
    return _kilograms_per_declared_unit(declared)


@by_identity()  # a unit conversion: once per rule, not per evaluation
def _kilograms_per_declared_unit(declared: m.DeclaredUnit) -> float | None:
    unit = u.to_pint(declared.unit)
    kg = u.registry().Unit("kilogram")
    return declared.amount * u.conversion(unit, kg) if u.same_dimension(unit, kg) else None


def _datasets(run: Run) -> list[DatasetInfo]:
    return list(_datasets_read(run.factor_values, run.plan.resolved.standards))


@by_identity()  # per set of factor values in force (one per plan and period), made once
def _datasets_of(
    factor_values: Mapping[str, tuple[FactorEntry, FactorValue]],
) -> dict[int, tuple[DatasetInfo, ...]]:
    return {}


def _datasets_read(
    factor_values: Mapping[str, tuple[FactorEntry, FactorValue]], standards: Standards
) -> tuple[DatasetInfo, ...]:
    """The datasets the factor values in force come from (frozen models, shared)."""
    known = _datasets_of(factor_values)
    found = known.get(id(standards))
    if found is None:
        ids = sorted({entry.dataset for entry, _ in factor_values.values()})
        datasets = standards.datasets
        found = known[id(standards)] = tuple(
            DatasetInfo(id=i, version=datasets[i].version, publisher=datasets[i].publisher)
            for i in ids
        )
    return found
