"""Monte Carlo uncertainty of one inventory's footprint, on the vectorised plan.

The uncertain parameters are the inventory's inputs that declare a distribution and the factor
values the evaluation reads that have one in their dataset (an entry's own, or the spread of its
pedigree scores: zuji.data.uncertainty). Each sample is one row of the vectorised plan
(zuji.runtime.vector), every other input and factor at its value; samples are drawn and evaluated
in partitions of `PART` rows, so memory stays bounded and the partitions can go to an executor
(local processes, Dask).

Reproducible bit for bit: partition i draws from numpy's PCG64 seeded with the i-th child of
SeedSequence(seed), parameters in a fixed order (by name), so a seed gives the same samples
whatever executor runs the partitions. Without a seed, fresh entropy is drawn and reported as
the seed that reproduces the run.

Contribution to variance: squared standardised regression coefficients (SRC²) of the total on
the parameters' samples. They come from the samples already drawn (Sobol first-order indices need
further model runs, N·(k+2) with Saltelli's scheme), they equal the first-order indices for a
linear model and the shares of variance explained when the model is near linear, which a
footprint (sums of products with small spreads) usually is; R² says how near: the SRC² add up to
R², and a low R² means the ranking is only indicative.

A sample the engine would refuse as an inventory (an input drawn outside the range the PCR gives
it, or a row the vectorised path does not vouch for: a negative line, an error assertion failed
...) is left out of the statistics and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from zuji.core.errors import Diagnostic, UsageError
from zuji.data.uncertainty import Distribution, entry_distribution
from zuji.lang import model as m
from zuji.runtime import aggregate
from zuji.runtime.factors import bind_factors
from zuji.runtime.inventory import Inventory
from zuji.runtime.item_amounts import unit_at
from zuji.runtime.run import Run, reference_flow, run_line, run_step
from zuji.runtime.vector import (
    _late_assertions,
    _reference_flow,
    _shares,
    factors_in_force,
    one_inventory,
)
from zuji.semantics.compile.vector import ListColumn, VectorEnv, VectorPlan, vector_plan

if TYPE_CHECKING:
    from zuji.runtime.executors import Executor
    from zuji.runtime.pcr import PCR

Array = npt.NDArray[np.float64]
PART = 100_000  # samples per partition: a few hundred MB of arrays at most for a large PCR
MOST = 100_000_000


@dataclass(frozen=True)
class Parameter:
    """One uncertain input or factor value, its distribution in the PCR's unit."""

    name: str  # an input (kiln_fuels[0].amount for a list item) or a factor (family[member])
    kind: str  # input or factor
    unit: str
    distribution: Distribution
    reference: str = ""  # a factor's dataset entry


@dataclass(frozen=True)
class ParameterFigure:
    parameter: Parameter
    src: float  # standardised regression coefficient of the total on it
    contribution: float  # SRC²: share of the total's variance


@dataclass(frozen=True, eq=False)
class MonteCarlo:
    """The distribution of the footprint (kg CO2e per declared unit) over n samples."""

    n: int
    seed: int
    deterministic: float  # the footprint at every value as given
    totals: Array  # the samples kept, in sample order
    refused: int  # samples the engine would refuse as inventories, left out
    parameters: list[ParameterFigure] = field(default_factory=list)
    r_squared: float = math.nan

    @cached_property
    def _summary(self) -> tuple[float, float, float, float, float]:
        """Mean, sd and the 2.5, 50 and 97.5 percentiles, in one pass over the samples."""
        low, median, high = np.percentile(self.totals, [2.5, 50.0, 97.5])
        sd = float(np.std(self.totals, ddof=1)) if len(self.totals) > 1 else 0.0
        return float(np.mean(self.totals)), sd, float(low), float(median), float(high)

    @property
    def mean(self) -> float:
        return self._summary[0]

    @property
    def sd(self) -> float:
        return self._summary[1]

    @property
    def median(self) -> float:
        return self._summary[3]

    def percentile(self, q: float) -> float:
        known = {2.5: self._summary[2], 50.0: self._summary[3], 97.5: self._summary[4]}
        return known[q] if q in known else float(np.percentile(self.totals, q))

    @property
    def method(self) -> str:
        return (
            "Monte Carlo, numpy PCG64; variance shares are squared standardised regression "
            "coefficients (SRC²), which add up to R²"
        )


def parameters(pcr: PCR, inventory: Inventory, pedigree: bool = True) -> list[Parameter]:
    """The uncertain parameters of this inventory's footprint, by name."""
    found = [
        Parameter(name, "input", _input_unit(pcr, inventory, name), distribution)
        for name, distribution in inventory.uncertainty.items()
    ]
    read = _factors_read(pcr, inventory)
    resolved = pcr.resolved
    factors = factors_in_force(pcr.plan, inventory.period_start)
    for name, value in factors.items():
        members = resolved.families.get(name)
        pairs = (
            [(f"{name}[{k}]", members[k], v) for k, v in value.items()]
            if members is not None
            else [(name, resolved.entries[name], value)]
        )
        for label, entry, number in pairs:
            if label not in read:
                continue
            spread = entry_distribution(entry.uncertainty, entry.dq, number, pedigree)
            if spread is not None:
                found.append(Parameter(label, "factor", str(entry.unit), spread, entry.reference))
    return sorted(found, key=lambda p: p.name)


def _input(pcr: PCR, name: str) -> m.Input | None:
    """The input (or a list's field, for kiln_fuels[0].amount) a parameter stands for."""
    list_name, _, rest = name.partition("[")
    inp = pcr.rule.input(list_name)
    if inp is not None and rest:
        field_name = rest.partition("].")[2]
        inp = next((f for f in inp.fields if f.name == field_name), None)
    return inp


def _input_unit(pcr: PCR, inventory: Inventory, name: str) -> str:
    # an item's field in several units is in the unit of its item's option
    return unit_at(pcr.rule, pcr.plan.item_units, inventory.values, name)


def _factors_read(pcr: PCR, inventory: Inventory) -> set[str]:
    """The factor values this inventory's evaluation reads (a member of a family as
    family[member]): one in an untaken branch is no part of its footprint's uncertainty."""
    run = Run(pcr.plan, inventory, dict(inventory.values))
    bind_factors(run)
    for step in pcr.plan.steps:
        run_step(run, step)
    flow = reference_flow(run)
    shares, _ = aggregate.allocate(run)
    for lp in pcr.plan.lines:
        run_line(run, lp, shares.get(lp.line.stage, 1.0), flow)
    return run.reads.union(*run.step_reads.values())


@dataclass(frozen=True)
class _Part:
    index: int
    size: int
    seed: np.random.SeedSequence


class SamplePart:
    """Draws and evaluates one partition; sent to other processes by its PCR's source."""

    def __init__(self, pcr: PCR, inventory: Inventory, chosen: list[Parameter]) -> None:
        from zuji.runtime.batch import pcr_source  # pandas, imported only for Monte Carlo

        self.pcr: PCR | None = pcr
        self.source = pcr_source(pcr)
        self.inventory = inventory
        self.chosen = chosen
        self.prepared: tuple[dict[str, Any], dict[str, Any]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "pcr": None, "prepared": None}

    def __call__(self, part: _Part) -> tuple[Array, Array, int]:
        """The totals kept, the moments of parameters and totals for the regression (see
        `_moments`), and the number of samples left out."""
        if self.pcr is None:
            from zuji.runtime.batch import _loaded

            self.pcr = _loaded(self.source)
        rng = np.random.Generator(np.random.PCG64(part.seed))
        samples = np.empty((len(self.chosen) + 1, part.size))
        for row, parameter in enumerate(self.chosen):
            samples[row] = parameter.distribution.sample(rng, part.size)
        if self.prepared is None:  # the same for every partition
            self.prepared = _prepared(self.pcr, self.inventory)
        base = self.prepared
        totals, refused = sample_totals(self.pcr, self.inventory, self.chosen, samples[:-1], base)
        samples[-1] = totals
        kept = samples[:, np.logical_not(refused)] if refused.any() else samples
        return kept[-1].copy(), _moments(kept, self.centres), int(refused.sum())

    @cached_property
    def centres(self) -> Array:
        """Each parameter's value and the total's order of size: the shift that keeps the sums
        of squares of the moments free of cancellation."""
        return np.array([p.distribution.centre for p in self.chosen] + [0.0])


def _moments(kept: Array, centres: Array) -> Array:
    """[count, sums of z, sums of z zᵀ] of the shifted samples z (one row per variable), as one
    flat array: partitions' moments add up."""
    shift = centres.copy()
    shift[-1] = float(kept[-1, 0]) if kept.shape[1] else 0.0
    z = kept - shift[:, None]
    return np.concatenate([[kept.shape[1]], shift, z.sum(axis=1), (z @ z.T).ravel()])


def sample_totals(
    pcr: PCR,
    inventory: Inventory,
    chosen: list[Parameter],
    samples: Array,
    prepared: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> tuple[Array, Array]:
    """The footprint of each column of samples (one row per parameter), and the rows the
    vectorised path does not vouch for."""
    n = samples.shape[1]
    base_inputs, base_factors = prepared or _prepared(pcr, inventory)
    inputs, factors = dict(base_inputs), dict(base_factors)
    outside = np.zeros(n, dtype=bool)
    for row, parameter in enumerate(chosen):
        _place(parameter, samples[row], inputs, factors)
        outside |= _out_of_range(pcr, parameter, samples[row])
    totals, refused = _totals(vector_plan(pcr.plan), inputs, factors, n)
    return totals, refused | outside


def _out_of_range(pcr: PCR, parameter: Parameter, column: Array) -> Array:
    """Samples of an input outside the range the PCR gives it (a normal's far tail below 0):
    the reader would refuse such an inventory, so such a sample is left out too."""
    found = _input(pcr, parameter.name) if parameter.kind == "input" else None
    outside = np.zeros(len(column), dtype=bool)
    for bound in found.bounds if found is not None else ():
        outside |= np.logical_not(m.COMPARISONS[bound.op](column, bound.value))
    return outside


def _prepared(pcr: PCR, inventory: Inventory) -> tuple[dict[str, Any], dict[str, Any]]:
    """The inventory's inputs and the factor values in force, before any sample, for any number
    of rows.

    A value the samples do not change stays one element, which numpy broadcasts, so only what
    an uncertain parameter reaches is computed n times. A list stays one row's items too: a sum
    over it that reads a value differing by row (a sampled factor), and a list whose field is
    sampled, get n rows of items (vector.ItemsPerRow, ListColumn.repeated)."""
    inputs = one_inventory(vector_plan(pcr.plan), inventory, 1)
    return inputs, factors_in_force(pcr.plan, inventory.period_start)


def _totals(
    vplan: VectorPlan, inputs: dict[str, Any], factors: dict[str, Any], n: int
) -> tuple[Array, Array]:
    """run_vector's arithmetic for the total alone (no stage, gas or origin sums): a line the
    samples do not reach stays one number instead of n equal ones."""
    plan = vplan.plan
    env = VectorEnv({**inputs, **factors}, n)
    gwp = plan.resolved.standards.gwp_sets[plan.pcr.gwp]
    with np.errstate(all="ignore"):
        for step in plan.steps:
            with env.deferring(step.name):
                value = np.asarray(step.fn(env), dtype=float)
                env.flag(~np.isfinite(value))
            env.values[step.name] = value
        for ap in plan.assertions:
            if ap.assertion.level == "error" and not ap.uses_results:
                env.flag(np.logical_not(ap.fn(env)))
        flow = _reference_flow(plan, env)
        shares = _shares(plan, env)
        total: Any = 0.0
        for lp in plan.lines:
            if lp.line.kind != "emission":
                continue
            value = np.asarray(lp.fn(env), dtype=float)
            env.flag(~np.isfinite(value) | (value < 0))  # E623, E625
            to_co2e = lp.to_kg * gwp.factor(lp.line.gas, lp.line.origin)
            total = total + value * to_co2e * shares.get(lp.line.stage, 1.0) / flow
        total = np.broadcast_to(np.asarray(total, dtype=float), (n,))
        env.flag(~np.isfinite(total))
        _late_assertions(plan, env, total)
    return total, env.suspect


def _place(
    parameter: Parameter, column: Array, inputs: dict[str, Any], factors: dict[str, Any]
) -> None:
    name = parameter.name
    if parameter.kind == "factor":
        family, _, member = name.partition("[")
        if member:
            factors[family] = {**factors[family], member[:-1]: column}
        else:
            factors[name] = column
        return
    list_name, _, rest = name.partition("[")
    if not rest:
        inputs[name] = column
        return
    index, _, field_name = rest.partition("].")
    listed: ListColumn = inputs[list_name]
    if listed.n != len(column):  # one row's items so far: each row has its own from now on
        listed = listed.repeated(len(column))
    values = np.array(listed.fields[field_name], dtype=float)
    n, item = listed.n, int(index)
    values[item * n : (item + 1) * n] = column  # item i of every row is block i
    fields = {**listed.fields, field_name: values}
    inputs[list_name] = ListColumn(listed.rows, fields, n, listed.blocks)


def monte_carlo(
    pcr: PCR,
    inventory: Inventory,
    n: int,
    seed: int | None = None,
    executor: Executor | None = None,
    pedigree: bool = True,
) -> MonteCarlo:
    """The footprint's distribution over n samples of the uncertain parameters."""
    if not 1 <= n <= MOST:
        raise UsageError(Diagnostic("E680", f"-n {n}: give between 1 and {MOST:,} samples"))
    deterministic = pcr.evaluate(inventory).total  # an inventory the engine refuses stops here
    chosen = parameters(pcr, inventory, pedigree)
    if not chosen:
        raise UsageError(
            Diagnostic(
                "E681",
                f"{inventory.file}: nothing in this footprint is uncertain: no input declares a "
                "distribution and no factor it reads has one",
                hint="give inputs an uncertainty, e.g. {value: 41250, unit: MWh, uncertainty: "
                "{distribution: normal, sd: 800}}",
            )
        )
    root = np.random.SeedSequence(seed)
    used_seed = int(root.entropy) if isinstance(root.entropy, int) else 0
    parts = list(_parts(n, root))
    from zuji.runtime.executors import InProcess

    runner = executor or InProcess()
    totals, moments, refused = [], [], 0
    for part_totals, part_moments, part_refused in runner.map(
        SamplePart(pcr, inventory, chosen), parts
    ):
        totals.append(part_totals)
        moments.append(part_moments)
        refused += part_refused
    covariance = _covariance(moments, len(chosen) + 1)
    figures, r2 = _contributions(chosen, covariance, abs(deterministic))
    return MonteCarlo(n, used_seed, deterministic, np.concatenate(totals), refused, figures, r2)


def _covariance(moments: list[Array], k: int) -> Array:
    """The covariance matrix of parameters and total over every partition kept."""
    count = sum(float(part[0]) for part in moments)
    if count < 2:
        return np.full((k, k), np.nan)
    # Each partition's sums are about its own shift; moved to one common shift, they add up.
    common = moments[0][1 : 1 + k]
    sums = np.zeros(k)
    squares = np.zeros((k, k))
    for part in moments:
        c, shift = float(part[0]), part[1 : 1 + k]
        s, q = part[1 + k : 1 + 2 * k], part[1 + 2 * k :].reshape(k, k)
        d = shift - common
        sums += s + c * d
        squares += q + np.outer(s, d) + np.outer(d, s) + c * np.outer(d, d)
    mean = sums / count
    return np.asarray((squares - count * np.outer(mean, mean)) / (count - 1))


def _parts(n: int, root: np.random.SeedSequence) -> Iterator[_Part]:
    count = math.ceil(n / PART)
    for index, child in enumerate(root.spawn(count)):
        yield _Part(index, min(PART, n - index * PART), child)


_ROUNDING = 1e-12  # relative spread of a total that only rounding moves


def _contributions(
    chosen: list[Parameter], covariance: Array, scale: float
) -> tuple[list[ParameterFigure], float]:
    """SRC and SRC² of each parameter, and R² of the linear regression they come from.

    On standardised variables the regression's normal equations are the correlations:
    R_xx · src = r_xy, and R² = r_xy · src."""
    variance = np.diag(covariance)
    if not np.all(np.isfinite(variance)) or variance[-1] <= (_ROUNDING * scale) ** 2:
        # No spread beyond rounding: the parameters read do not move this footprint (a coal
        # factor of a plant that burns no coal), and shares of rounding noise mean nothing.
        return [ParameterFigure(p, math.nan, math.nan) for p in chosen], math.nan
    varying = np.flatnonzero(variance[:-1] > 0)
    keep = [*varying, len(chosen)]
    sd = np.sqrt(variance[keep])
    correlation = covariance[np.ix_(keep, keep)] / np.outer(sd, sd)
    r_xx, r_xy = correlation[:-1, :-1], correlation[:-1, -1]
    beta = np.linalg.solve(r_xx, r_xy)
    r2 = float(r_xy @ beta)
    src = np.zeros(len(chosen))
    src[varying] = beta
    figures = [ParameterFigure(p, float(b), float(b * b)) for p, b in zip(chosen, src, strict=True)]
    figures.sort(key=lambda f: (-f.contribution, f.parameter.name))
    return figures, r2
