"""Running a PCR's vectorised plan on n inventories at once: the figures of every row in arrays.

    figures = run_vector(vplan, inputs, factors, n)

`inputs` holds the inventories' values as zuji.semantics.compile.vector describes (arrays in the
PCR's declared units, choice codes, ListColumns); `factors` the factor values, each a float or an
array of length n, and each family a mapping option -> float or array (`factors_in_force` gives
those in force on a date; Monte Carlo passes samples instead). The figures are per declared unit,
in kg CO2e, computed with the scalar path's arithmetic in the same order (evaluate.py, run.py,
aggregate.py): only the sums of lines may differ from math.fsum in the last bits.

Rows in `figures.suspect` are rows this path does not vouch for: whatever the scalar path would
refuse or stop on (a line that is negative or not finite, a reference product that is not
positive, co-products that cannot be shared, an error assertion that fails, and every construct
vector.py marks). Evaluate them with the scalar path, which gives their result or their error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from zuji.lang import exprs
from zuji.lang import model as m
from zuji.runtime.aggregate import ORIGINS
from zuji.runtime.inventory import Inventory
from zuji.semantics.compile import BUILTIN_RESULTS, AssertionPlan, Plan
from zuji.semantics.compile.vector import Array, ListColumn, VectorEnv, VectorPlan, uniform


@dataclass
class Figures:
    """The footprint of n inventories, per declared unit (kg CO2e), one array element per row."""

    n: int
    total: Array
    removals: Array
    credits: Array
    by_stage: dict[str, Array] = field(default_factory=dict)
    by_gas: dict[str, Array] = field(default_factory=dict)  # CO2e by gas key (gas, origin)
    by_origin: dict[str, Array] = field(default_factory=dict)
    # Each line's value (in its formula's unit), its stage's share ÷ reference flow and its kg
    # CO2e per unit: its figure is their product, worked out only when `lines` is read.
    line_parts: dict[str, tuple[Array, Any, float]] = field(default_factory=dict)
    suspect: Array = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def lines(self) -> dict[str, Array]:
        """Each line's figure per declared unit (kg CO2e)."""
        return {
            name: _full(value * (scale * k if k != 1.0 else scale), self.n)
            for name, (value, scale, k) in self.line_parts.items()
        }


def factors_in_force(plan: Plan, on: date | None) -> dict[str, Any]:
    """The value in force on `on` of every factor the plan reads, as the scalar path binds them.

    Raises LookupError when a factor (not a family member) has no value in force: every
    inventory of that period then goes to the scalar path, which names the factor."""
    resolved, used = plan.resolved, plan.used
    values: dict[str, Any] = {}
    for name, entry in resolved.entries.items():
        if name in used:
            value = entry.in_force(_pinned(plan, name) or on)
            if value is None:
                raise LookupError(name)
            values[name] = value.value
    for name, members in resolved.families.items():
        if name in used:
            when = _pinned(plan, name) or on
            values[name] = {
                k: v.value for k, e in members.items() if (v := e.in_force(when)) is not None
            }
    return values


def _pinned(plan: Plan, name: str) -> date | None:
    symbol = plan.resolved.symbols.get(name)
    pinned: date | None = getattr(symbol.decl, "pinned", None) if symbol else None
    return pinned


def run_vector(
    vplan: VectorPlan, inputs: Mapping[str, Any], factors: Mapping[str, Any], n: int
) -> Figures:
    """The figures of n inventories (see the module docstring)."""
    plan = vplan.plan
    env = VectorEnv({**inputs, **factors}, n)
    if plan.requirements:  # `required when` is judged row by row on the scalar path (E613)
        env.flag(np.ones(n, dtype=bool))
    with np.errstate(all="ignore"):
        for step in plan.steps:
            with env.deferring(step.name):
                value = _full(step.fn(env), n)
                finite = np.isfinite(value)
                if not finite.all():
                    env.flag(~finite)
            env.values[step.name] = value
        for ap in plan.assertions:
            if ap.assertion.level == "error" and not ap.uses_results:
                env.flag(~_full(ap.fn(env), n, bool))
        flow = _reference_flow(plan, env)
        shares = _shares(plan, env)
        figures = _lines(plan, env, shares, flow)
        _late_assertions(plan, env, figures.total)
    figures.suspect = env.suspect
    return figures


def _full(value: Any, n: int, dtype: type = float) -> Array:
    """A closure's value as an array of n rows (a constant formula gives a scalar)."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def _reference_flow(plan: Plan, env: VectorEnv) -> Any:
    declared = plan.pcr.declared_unit
    if declared is None:
        return 1.0
    amount = _full(env[declared.product], env.n)
    env.flag(~(amount > 0))  # zero, negative or not given: E624 from the scalar path
    return amount * plan.declared_unit_factor


def _shares(plan: Plan, env: VectorEnv) -> dict[str, Any]:
    """The reference product's share of each allocated stage (aggregate.allocate)."""
    shares: dict[str, Any] = {}
    reference = plan.pcr.declared_unit.product if plan.pcr.declared_unit else ""
    for ap in plan.allocations:
        weights: dict[str, Array] = {}
        for product in ap.products:
            amount = _full(env.get(product.name, np.nan), env.n)
            env.flag(np.isnan(amount))  # an optional co-product left out: E620
            quantity = amount * product.quantity_to_base
            weight: Any = 1.0
            if product.weight is not None:
                weight = _full(product.weight.fn(env), env.n) * product.weight_to_base
            weights[product.name] = weight if product.weight_only else quantity * weight
            weights[product.name] = _full(weights[product.name], env.n)
        total = sum(weights.values(), np.zeros(env.n))
        env.flag(~(total > 0) | ~np.isfinite(total))  # E630
        if ap.allocation.method == "fixed":
            env.flag(np.abs(total - 1) > 1e-9)  # E631
        share = weights[reference] / total if reference in weights else 1.0
        for stage in ap.allocation.stages:
            shares[stage] = share
    return shares


def _lines(plan: Plan, env: VectorEnv, shares: Mapping[str, Any], flow: Any) -> Figures:
    """Each line per declared unit, added up as aggregate.totals, by_stage, by_gas, by_origin.

    A line's figure is its value × (kg per unit × GWP) × (share ÷ reference flow). The lines of
    one kind, stage, gas and origin (a cell) are added up first and scaled once, and every figure
    is a sum of cells: a line costs two passes over the rows instead of one per figure it enters.
    Grouping the products so moves the last bits only (the scalar path's math.fsum)."""
    n = env.n
    gwp = plan.resolved.standards.gwp_sets[plan.pcr.gwp]
    out = Figures(n, np.zeros(n), np.zeros(n), np.zeros(n))
    # The lines of each cell (kind, stage, gas key, origin), by their kg CO2e per unit.
    cells: dict[tuple[str, str, str, str], dict[float, list[Array]]] = {}
    scales: dict[str, Any] = {}
    refused = np.zeros(n, dtype=bool)
    for lp in plan.lines:
        line = lp.line
        value = _full(lp.fn(env), n)
        same = uniform(value)  # one value in every row (a line of inputs left out): one test
        probe = value[:1] if same else value
        # Negative (E625) or not a number (E623); a credit may be negative (a signed balance
        # such as worldsteel's end-of-life scrap), as on the scalar path. A line that is not a
        # number makes its cell's sum, and so the total, removals or credits, not a number,
        # which the check of those below finds.
        bad = ~np.isfinite(probe) if line.kind == "credit" else probe < 0
        if bad.any():
            refused |= bad
        k = lp.to_kg * gwp.factor(line.gas, line.origin)
        key = (line.kind, line.stage, gwp.key(line.gas, line.origin), line.origin)
        if line.stage not in scales:
            scales[line.stage] = shares.get(line.stage, 1.0) / flow
        out.line_parts[line.name] = (value, scales[line.stage], k)
        by_k = cells.setdefault(key, {})
        if not (same and value[0] == 0.0):  # a line of 0 in every row adds nothing
            by_k.setdefault(k, []).append(value)
    per_du = {key: _cell_figure(by_k, scales[key[1]], n) for key, by_k in cells.items()}
    _added_up(plan, out, per_du)
    # Every figure is a sum of these: one not finite (an overflow, E622) shows in them.
    for total in (out.total, out.removals, out.credits):
        refused |= ~np.isfinite(total)
    env.flag(refused)
    return out


def _cell_figure(by_k: Mapping[float, list[Array]], scale: Any, n: int) -> Array:
    """A cell's figure: its lines added up by their kg CO2e per unit, each sum scaled once."""
    figure: Array | None = np.zeros(n) if not by_k else None
    for k, values in by_k.items():
        added = _sum(values, n)
        factor = scale * k if k != 1.0 else scale
        if len(values) > 1:  # a new array: scaled in place
            added *= factor
        else:
            added = added * factor
        figure = added if figure is None else np.add(figure, added, out=figure)
    assert figure is not None
    return figure


def _added_up(plan: Plan, out: Figures, cells: Mapping[tuple[str, str, str, str], Array]) -> None:
    """The figures of the cells (kind, stage, gas key, origin), each per declared unit."""
    groups: dict[tuple[str, str], list[Array]] = {}
    for (kind, stage, gas, origin), figure in cells.items():
        groups.setdefault(("kind", kind), []).append(figure)
        if kind == "emission":
            groups.setdefault(("stage", stage), []).append(figure)
            groups.setdefault(("gas", gas), []).append(figure)
            groups.setdefault(("origin", origin), []).append(figure)
    added = {key: _sum(parts, out.n) for key, parts in groups.items()}
    out.total = added.get(("kind", "emission"), out.total)
    out.removals = added.get(("kind", "removal"), out.removals)
    out.credits = added.get(("kind", "credit"), out.credits)
    stages = list(plan.pcr.boundary.stages) if plan.pcr.boundary else []
    out.by_stage = {s: np.zeros(out.n) for s in stages}
    out.by_origin = {o: np.zeros(out.n) for o in ORIGINS}
    for (what, key), total in added.items():
        if what == "stage":
            out.by_stage[key] = total
        elif what == "origin":
            out.by_origin[key] = total
        elif what == "gas":
            out.by_gas[key] = total
    out.by_gas = dict(sorted(out.by_gas.items()))


def _sum(parts: list[Array], n: int) -> Array:
    if len(parts) == 1:
        return parts[0]
    total = parts[0] + parts[1]
    for part in parts[2:]:
        np.add(total, part, out=total)
    return total


def _late_assertions(plan: Plan, env: VectorEnv, total: Array) -> None:
    """Error assertions that read the results: one reading the data quality or the cut-off,
    which batches do not compute, sends every row to the scalar path."""
    env.values["$total"] = total
    for ap in plan.assertions:
        if ap.assertion.level != "error" or not ap.uses_results:
            continue
        if _reads_beyond_total(ap):
            env.flag(np.ones(env.n, dtype=bool))
        else:
            env.flag(~_full(ap.fn(env), env.n, bool))


def _reads_beyond_total(ap: AssertionPlan) -> bool:
    """An assertion reading what batches do not compute (data quality, cut-off) or lines and
    stages (not kept per row here): its rows go the scalar way, never a wrong verdict."""
    return ap.reads_figures or any(
        isinstance(node, m.Ref) and node.name in BUILTIN_RESULTS and node.name != "total"
        for node in exprs.walk(ap.assertion.expr)
    )


def inventory_arrays(vplan: VectorPlan, inventories: Sequence[Inventory]) -> dict[str, Any]:
    """Inventories already read by the scalar reader, as the arrays run_vector takes."""
    n = len(inventories)
    values: dict[str, Any] = {}
    for inp in vplan.plan.pcr.inputs:
        column = [inv.values.get(inp.name) for inv in inventories]
        if inp.kind == "list":
            rows = [i for i, items in enumerate(column) for _ in items or ()]
            flat = [item for items in column for item in items or ()]
            fields = {f.name: _cells(vplan, f, [i.get(f.name) for i in flat]) for f in inp.fields}
            values[inp.name] = ListColumn(np.asarray(rows, dtype=np.intp), fields, n)
        else:
            values[inp.name] = _cells(vplan, inp, column)
    return values


def one_inventory(vplan: VectorPlan, inventory: Inventory, n: int) -> dict[str, Any]:
    """One inventory seen n times over, as run_vector takes it: the frame Monte Carlo puts its
    samples in (replace an input's array, or a list field's array of n × items, by samples).

    A list's k items are k whole blocks (ListColumn.blocks): field arrays hold item 0 of every
    row, then item 1 ..."""
    values: dict[str, Any] = {}
    for inp in vplan.plan.pcr.inputs:
        value = inventory.values.get(inp.name)
        if inp.kind == "list":
            items = value or []
            fields = {
                f.name: np.repeat(_cells(vplan, f, [i.get(f.name) for i in items]), n)
                for f in inp.fields
            }
            rows = np.tile(np.arange(n, dtype=np.intp), len(items))
            values[inp.name] = ListColumn(rows, fields, n, len(items))
        else:
            values[inp.name] = np.repeat(_cells(vplan, inp, [value]), n)
    return values


def _cells(vplan: VectorPlan, inp: m.Input, cells: Sequence[Any]) -> Array:
    if inp.kind == "choice":
        return vplan.code_of(["" if c is None else str(c) for c in cells])
    return np.array([np.nan if c is None else float(c) for c in cells], dtype=float)
