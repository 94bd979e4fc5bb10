"""Adding lines up: allocation among co-products, the total with credits and removals kept apart,
and the figures by stage, gas, origin and line.

Credits and removals are reported beside the total and never netted into it silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from zuji.core.errors import Diagnostic, EvaluationError
from zuji.lang import model as m
from zuji.runtime.result import AllocationFigure, GasFigure, LineFigure, made
from zuji.runtime.run import LineResult, Run, call, gwp_set, total_of
from zuji.runtime.scope import Scope
from zuji.semantics.compile import AllocationPlan

ORIGINS = ("fossil", "biogenic", "luc")


def allocate(run: Run) -> tuple[dict[str, float], list[AllocationFigure]]:
    """The reference product's share of each allocated stage, and the allocations as reported."""
    shares: dict[str, float] = {}
    figures = []
    reference = run.plan.pcr.declared_unit.product if run.plan.pcr.declared_unit else ""
    for ap in run.plan.allocations:
        product_shares = _product_shares(ap, _weights(run, ap))
        ref_share = product_shares.get(reference, 1.0)
        for stage in ap.allocation.stages:
            shares[stage] = ref_share
        figures.append(
            made(
                AllocationFigure,
                stages=list(ap.allocation.stages),
                method=ap.allocation.method,
                shares=product_shares,
                reference_product=reference,
                reference_share=ref_share,
            )
        )
    return shares, figures


def _weights(run: Run, ap: AllocationPlan) -> dict[str, float]:
    """Each co-product's weight: its amount times its weight (mass, price, energy), or the weight
    alone where the weight is the product's whole weight (a fixed share)."""
    weights = {}
    for product in ap.products:
        quantity = _amount(run, ap, product.name) * product.quantity_to_base
        weight = 1.0
        if product.weight is not None:
            weight = (
                call(
                    product.weight.fn,
                    Scope(run.env, run.reads),
                    ap.allocation.span,
                    f"the weight of '{product.name}'",
                )
                * product.weight_to_base
            )
        weights[product.name] = weight if product.weight_only else quantity * weight
    return weights


def _amount(run: Run, ap: AllocationPlan, name: str) -> float:
    """A co-product's amount; an optional co-product the inventory leaves out cannot be shared."""
    amount = run.env.get(name)
    if amount is None:
        raise EvaluationError(
            Diagnostic(
                "E620",
                f"allocation of {', '.join(ap.allocation.stages)}: co-product '{name}' is an "
                "optional input the inventory leaves out",
                ap.allocation.span,
                hint=f"give '{name}' (0 if none was produced in the period)",
            )
        )
    return float(amount)


def _product_shares(ap: AllocationPlan, weights: dict[str, float]) -> dict[str, float]:
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
    return product_shares


class Totals(NamedTuple):
    """The footprint per declared unit, with credits and removals apart from it."""

    emissions: list[LineResult]
    total: float
    removals: float
    credits: float


def totals(figures: list[LineResult]) -> Totals:
    emissions: list[LineResult] = []
    apart: dict[str, list[float]] = {"removal": [], "credit": []}
    for f in figures:
        kind = f.plan.line.kind
        if kind == "emission":
            emissions.append(f)
        elif kind in apart:
            apart[kind].append(f.per_du)
    total = total_of([f.per_du for f in emissions], "the total")
    removals = total_of(apart["removal"], "the removals")
    credits = total_of(apart["credit"], "the credits")
    return Totals(emissions, total, removals, credits)


def by_stage(figures: list[LineResult], pcr: m.RuleFile) -> dict[str, float]:
    """Every stage of the boundary in its order, even one without lines, then any other."""
    return _by(figures, lambda f: f.plan.line.stage, pcr)


def _by(
    figures: list[LineResult], key: Callable[[LineResult], str], pcr: m.RuleFile
) -> dict[str, float]:
    order = list(pcr.boundary.stages) if pcr.boundary else []
    groups: dict[str, list[float]] = {name: [] for name in order}
    for f in figures:
        groups.setdefault(key(f), []).append(f.per_du)
    return {k: math.fsum(v) for k, v in groups.items()}


def by_gas(run: Run, figures: list[LineResult]) -> dict[str, GasFigure]:
    """Mass and CO2e of each gas (and origin, where the GWP set tells them apart)."""
    gwp = gwp_set(run)
    groups: dict[str, list[LineResult]] = {}
    for f in figures:  # one pass, each group in the lines' order
        groups.setdefault(gwp.key(f.plan.line.gas, f.plan.line.origin), []).append(f)
    out: dict[str, GasFigure] = {}
    for key in sorted(groups):
        group = groups[key]
        out[key] = made(
            GasFigure,
            mass_kg=math.fsum([f.mass_per_du for f in group]),
            co2e_kg=math.fsum([f.per_du for f in group]),
            gwp=float(group[0].gwp),
        )
    return out


def by_origin(figures: list[LineResult]) -> dict[str, float]:
    groups: dict[str, list[float]] = {o: [] for o in ORIGINS}
    for f in figures:
        found = groups.get(f.plan.line.origin)
        if found is not None:
            found.append(f.per_du)
    return {o: math.fsum(v) for o, v in groups.items()}


def line_figures(figures: list[LineResult], total: float) -> list[LineFigure]:
    """Every line per declared unit; an emission's share of the total beside it."""
    out = []
    for f in figures:
        line = f.plan.line
        per_du = f.per_du
        out.append(
            made(
                LineFigure,
                name=line.name,
                stage=line.stage,
                kind=line.kind,
                gas=line.gas,
                origin=line.origin,
                co2e_kg=per_du,
                share_of_total=per_du / total if total and line.kind == "emission" else None,
            )
        )
    return out
