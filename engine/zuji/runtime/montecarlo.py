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

A row the vectorised path does not vouch for (a negative line, an error assertion failed, ...)
is a sample the engine would refuse as an inventory: it is left out of the statistics and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from zuji.core.errors import Diagnostic, UsageError
from zuji.data.uncertainty import Distribution, entry_distribution
from zuji.runtime import aggregate
from zuji.runtime.factors import bind_factors
from zuji.runtime.inventory import Inventory
from zuji.runtime.run import Run, reference_flow, run_line, run_step
from zuji.runtime.vector import factors_in_force, inventory_arrays, run_vector
from zuji.semantics.compile.vector import ListColumn, vector_plan

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


@dataclass(frozen=True)
class MonteCarlo:
    """The distribution of the footprint (kg CO2e per declared unit) over n samples."""

    n: int
    seed: int
    deterministic: float  # the footprint at every value as given
    totals: Array  # the samples kept, in sample order
    refused: int  # samples the engine would refuse as inventories, left out
    parameters: list[ParameterFigure] = field(default_factory=list)
    r_squared: float = math.nan

    @property
    def mean(self) -> float:
        return float(np.mean(self.totals))

    @property
    def sd(self) -> float:
        return float(np.std(self.totals, ddof=1)) if len(self.totals) > 1 else 0.0

    @property
    def median(self) -> float:
        return float(np.median(self.totals))

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.totals, q))

    @property
    def method(self) -> str:
        return (
            "Monte Carlo, numpy PCG64; variance shares are squared standardised regression "
            "coefficients (SRC²), which add up to R²"
        )


def parameters(pcr: PCR, inventory: Inventory, pedigree: bool = True) -> list[Parameter]:
    """The uncertain parameters of this inventory's footprint, by name."""
    found = [
        Parameter(name, "input", _input_unit(pcr, name), distribution)
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


def _input_unit(pcr: PCR, name: str) -> str:
    list_name, _, rest = name.partition("[")
    inp = pcr.rule.input(list_name)
    if inp is not None and rest:
        field_name = rest.partition("].")[2]
        inp = next((f for f in inp.fields if f.name == field_name), None)
    return str(inp.unit) if inp is not None and inp.unit else ""


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

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "pcr": None}

    def __call__(self, part: _Part) -> tuple[Array, Array, Array]:
        """The totals, the parameters' samples (one row each) and the rows to leave out."""
        if self.pcr is None:
            from zuji.runtime.batch import _loaded

            self.pcr = _loaded(self.source)
        rng = np.random.Generator(np.random.PCG64(part.seed))
        samples = np.empty((len(self.chosen), part.size))
        for row, parameter in enumerate(self.chosen):
            samples[row] = parameter.distribution.sample(rng, part.size)
        totals, refused = sample_totals(self.pcr, self.inventory, self.chosen, samples)
        return totals, samples, refused


def sample_totals(
    pcr: PCR, inventory: Inventory, chosen: list[Parameter], samples: Array
) -> tuple[Array, Array]:
    """The footprint of each column of samples (one row per parameter), and the rows the
    vectorised path does not vouch for."""
    n = samples.shape[1]
    vplan = vector_plan(pcr.plan)
    inputs = _repeated(inventory_arrays(vplan, [inventory]), n)
    factors = factors_in_force(pcr.plan, inventory.period_start)
    for row, parameter in enumerate(chosen):
        _place(parameter, samples[row], inputs, factors)
    figures = run_vector(vplan, inputs, factors, n)
    return np.asarray(figures.total, dtype=float), np.asarray(figures.suspect, dtype=bool)


def _repeated(inputs: dict[str, Any], n: int) -> dict[str, Any]:
    """One inventory's arrays for n rows. A value the samples do not change stays one element,
    which numpy broadcasts, so only what an uncertain parameter reaches is computed n times; a
    list is spread to n rows, since its sums are segment sums by row."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, ListColumn):
            k = len(value.rows)
            rows = np.repeat(np.arange(n, dtype=np.intp), k)
            fields = {f: np.tile(np.asarray(a), n) for f, a in value.fields.items()}
            out[name] = ListColumn(rows, fields, n)
        else:
            out[name] = value
    return out


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
    k = len(listed.rows) // listed.n
    values = np.array(listed.fields[field_name], dtype=float)
    values.reshape(listed.n, k)[:, int(index)] = column
    inputs[list_name] = ListColumn(listed.rows, {**listed.fields, field_name: values}, listed.n)


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
        raise UsageError(Diagnostic("E660", f"-n {n}: give between 1 and {MOST:,} samples"))
    deterministic = pcr.evaluate(inventory).total  # an inventory the engine refuses stops here
    chosen = parameters(pcr, inventory, pedigree)
    if not chosen:
        raise UsageError(
            Diagnostic(
                "E661",
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
    totals, drawn, refused = [], [], 0
    for part_totals, part_samples, part_refused in runner.map(
        SamplePart(pcr, inventory, chosen), parts
    ):
        keep = np.logical_not(part_refused)
        totals.append(part_totals[keep])
        drawn.append(part_samples[:, keep])
        refused += int(part_refused.sum())
    all_totals = np.concatenate(totals)
    figures, r2 = _contributions(chosen, np.concatenate(drawn, axis=1), all_totals)
    return MonteCarlo(n, used_seed, deterministic, all_totals, refused, figures, r2)


def _parts(n: int, root: np.random.SeedSequence) -> Iterator[_Part]:
    count = math.ceil(n / PART)
    for index, child in enumerate(root.spawn(count)):
        yield _Part(index, min(PART, n - index * PART), child)


def _contributions(
    chosen: list[Parameter], samples: Array, totals: Array
) -> tuple[list[ParameterFigure], float]:
    """SRC and SRC² of each parameter, and R² of the linear regression they come from.

    On standardised variables the regression's normal equations are the correlations:
    R_xx · src = r_xy, and R² = r_xy · src; one pass over the samples gives them all."""
    if len(totals) < len(chosen) + 2 or float(np.std(totals)) == 0.0:
        return [ParameterFigure(p, math.nan, math.nan) for p in chosen], math.nan
    varying = samples.std(axis=1) > 0
    correlation = np.corrcoef(np.vstack([samples[varying], totals]))
    r_xx, r_xy = correlation[:-1, :-1], correlation[:-1, -1]
    beta = np.linalg.solve(r_xx, r_xy)
    r2 = float(r_xy @ beta)
    src = np.zeros(len(chosen))
    src[varying] = beta
    figures = [ParameterFigure(p, float(b), float(b * b)) for p, b in zip(chosen, src, strict=True)]
    figures.sort(key=lambda f: (-f.contribution, f.parameter.name))
    return figures, r2
