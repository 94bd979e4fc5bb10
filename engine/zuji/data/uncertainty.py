"""Uncertainty of a figure: its probability distribution, checked, converted and sampled.

Four distributions, as ecoinvent and the inventory format name them:

- normal: `{distribution: normal, sd}` around the figure, sd in the figure's unit;
- lognormal: `{distribution: lognormal, gsd2}`, the figure its median (the geometric mean, as
  ecoinvent takes the amount of a lognormal exchange) and gsd2 the squared geometric standard
  deviation, the factor that spans 95 % of the values (median / gsd2 to median × gsd2);
- triangular: `{distribution: triangular, min, max}` with an optional `mode` (the figure when
  left out);
- uniform: `{distribution: uniform, min, max}`.

A factor that has no distribution but has data-quality scores gets a lognormal spread from the
pedigree approach of ecoinvent (see `pedigree_gsd2`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # numpy is needed only when sampling, not to read a dataset
    import numpy as np
    from numpy.typing import NDArray

Kind = Literal["normal", "lognormal", "triangular", "uniform"]
KINDS: tuple[Kind, ...] = ("normal", "lognormal", "triangular", "uniform")

# The pedigree matrix's uncertainty factors (each the square of a geometric standard deviation,
# the 95 % factor) by indicator and score 1..5: the ecoinvent version 3 data-quality system,
# B. P. Weidema, Ch. Bauer, R. Hischier, Ch. Mutel, T. Nemecek, J. Reinhard, C. O. Vadenbo,
# G. Wernet, "Overview and methodology. Data quality guideline for the ecoinvent database
# version 3", ecoinvent report 1(v3), St. Gallen 2013, which gives them as variances of the
# underlying normal distribution, sigma^2 = (ln U / 2)^2 (reliability 2: 0.0006 = (ln 1.05 / 2)^2).
# The factors are as openLCA's "ecoinvent data quality system" holds them (GreenDelta
# olca-modules, org.openlca.util.DQSystems); they continue the ecoinvent v2 factors
# (Frischknecht et al. 2007, ecoinvent report No. 1) and fill the scores v2 left empty.
PEDIGREE_FACTORS: Mapping[str, tuple[float, float, float, float, float]] = {
    "reliability": (1.00, 1.05, 1.10, 1.20, 1.50),
    "completeness": (1.00, 1.02, 1.05, 1.10, 1.20),
    "temporal": (1.00, 1.03, 1.10, 1.20, 1.50),
    "geographical": (1.00, 1.01, 1.02, 1.05, 1.10),
    "technological": (1.00, 1.05, 1.20, 1.50, 2.00),
}

# The datasets score data quality as the EU PEF does (ter, ger, tir, p). Each PEF criterion is
# read as the pedigree indicator that judges the same thing; PEF has no completeness criterion,
# so completeness adds no spread: the pedigree spread of a PEF-scored figure is a lower bound.
PEF_TO_PEDIGREE: Mapping[str, str] = {
    "p": "reliability",
    "tir": "temporal",
    "ger": "geographical",
    "ter": "technological",
}


def pedigree_gsd2(scores: Mapping[str, int], basic: float = 1.0) -> float:
    """The squared geometric standard deviation of a figure from its basic uncertainty factor
    and its pedigree scores (PEF keys or pedigree indicator names), as ecoinvent combines them:
    GSD² = exp(sqrt(ln² U_basic + Σ ln² U_i)) (Weidema et al. 2013, eq. 10.1, in factor form;
    the same as sigma² = Σ sigma_i²)."""
    squares = [math.log(basic) ** 2]
    for key, score in scores.items():
        indicator = PEF_TO_PEDIGREE.get(key, key)
        if indicator in PEDIGREE_FACTORS:
            squares.append(math.log(PEDIGREE_FACTORS[indicator][int(score) - 1]) ** 2)
    return math.exp(math.sqrt(math.fsum(squares)))


@dataclass(frozen=True, slots=True)
class Distribution:
    """A figure's distribution, its parameters in the figure's unit.

    `centre` is the figure itself (the mean of a normal, the median of a lognormal, the mode of a
    triangular); `spread` is sd for a normal and gsd2 for a lognormal; `low` and `high` bound a
    triangular or a uniform."""

    kind: Kind
    centre: float
    spread: float = 0.0
    low: float = 0.0
    high: float = 0.0
    basis: str = ""

    def scaled(self, factor: float) -> Distribution:
        """The same distribution in another unit (the figure times `factor`, factor > 0)."""
        spread = self.spread if self.kind == "lognormal" else self.spread * factor
        return Distribution(
            self.kind,
            self.centre * factor,
            spread,
            self.low * factor,
            self.high * factor,
            self.basis,
        )

    @property
    def sigma(self) -> float:
        """A lognormal's standard deviation of ln x: gsd2 = exp(2 sigma)."""
        return math.log(self.spread) / 2

    @property
    def mean(self) -> float:
        if self.kind == "lognormal":
            return self.centre * math.exp(self.sigma**2 / 2)
        if self.kind == "triangular":
            return (self.low + self.centre + self.high) / 3
        if self.kind == "uniform":
            return (self.low + self.high) / 2
        return self.centre

    @property
    def sd(self) -> float:
        if self.kind == "lognormal":
            s2 = self.sigma**2
            return self.centre * math.sqrt((math.exp(s2) - 1) * math.exp(s2))
        a, c, b = self.low, self.centre, self.high
        if self.kind == "triangular":
            return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
        if self.kind == "uniform":
            return (b - a) / math.sqrt(12)
        return self.spread

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """n draws from the distribution."""
        if self.kind == "normal":
            return rng.normal(self.centre, self.spread, n)
        if self.kind == "lognormal":
            return rng.lognormal(math.log(self.centre), self.sigma, n)
        if self.kind == "triangular":
            if self.low == self.high:
                return rng.uniform(self.low, self.high, n)
            return rng.triangular(self.low, self.centre, self.high, n)
        return rng.uniform(self.low, self.high, n)

    def describe(self, unit: str = "") -> str:
        """The distribution in words, for reports: normal(100, sd 5 t)."""
        after = f" {unit}" if unit else ""
        if self.kind == "normal":
            return f"normal({self.centre:g}, sd {self.spread:g}{after})"
        if self.kind == "lognormal":
            return f"lognormal(median {self.centre:g}{after}, GSD² {self.spread:.4g})"
        if self.kind == "triangular":
            return f"triangular({self.low:g}, {self.centre:g}, {self.high:g}{after})"
        return f"uniform({self.low:g}, {self.high:g}{after})"


def read_distribution(spec: Any, value: float) -> tuple[Distribution | None, list[str]]:
    """A distribution around `value` from its written form, or what is wrong with it.

    Each problem is a sentence saying what to write instead; nothing is guessed."""
    if not isinstance(spec, Mapping):
        return None, ["uncertainty is a mapping such as {distribution: normal, sd: 5}"]
    kind = spec.get("distribution")
    if kind not in KINDS:
        return None, [f"distribution {kind!r} is not one of {', '.join(KINDS)}"]
    wanted = {
        "normal": ("sd",),
        "lognormal": ("gsd2",),
        "triangular": ("min", "max"),
        "uniform": ("min", "max"),
    }[kind]
    allowed = {"distribution", "basis", *wanted, *(("mode",) if kind == "triangular" else ())}
    problems = [f"a {kind} distribution takes no '{k}'" for k in spec if k not in allowed]
    problems += [f"a {kind} distribution needs '{k}'" for k in wanted if k not in spec]
    numbers = {k: spec[k] for k in allowed - {"distribution", "basis"} if k in spec}
    for key, number in numbers.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            problems.append(f"'{key}' is a number, not {number!r}")
        elif not math.isfinite(number):
            problems.append(f"'{key}' is {number}, not a finite number")
    if problems:
        return None, problems
    found = Distribution(
        kind,
        float(numbers.get("mode", value)),
        float(numbers.get("sd", numbers.get("gsd2", 0.0))),
        float(numbers.get("min", 0.0)),
        float(numbers.get("max", 0.0)),
        str(spec.get("basis", "")),
    )
    problems = _inconsistencies(found, value)
    return (None, problems) if problems else (found, [])


def _inconsistencies(found: Distribution, value: float) -> list[str]:
    kind = found.kind
    if kind == "normal" and found.spread < 0:
        return [f"sd is {found.spread:g}; a standard deviation is 0 or more"]
    if kind == "lognormal":
        problems = []
        if found.spread <= 1:
            problems.append(
                f"gsd2 is {found.spread:g}; the squared geometric standard deviation is above 1 "
                "(1.05 is a 5 % spread)"
            )
        if value <= 0:
            problems.append(f"a lognormal needs a value above 0, not {value:g}")
        return problems
    if kind in ("triangular", "uniform"):
        if found.low > found.high:
            return [f"min {found.low:g} is above max {found.high:g}"]
        if not found.low <= found.centre <= found.high:
            what = "mode" if kind == "triangular" else "the value"
            return [f"{what} {found.centre:g} is outside min {found.low:g} .. max {found.high:g}"]
    return []


def entry_distribution(
    uncertainty: Mapping[str, Any], dq: Mapping[str, int], value: float, pedigree: bool = True
) -> Distribution | None:
    """A dataset entry's distribution around its value in force.

    The entry's own `uncertainty` comes first; a lognormal marked `pedigree: true` gives only the
    basic uncertainty, widened by the entry's pedigree scores. An entry with pedigree scores and
    no distribution gets the pedigree spread alone (none when every score is 1)."""
    spec = dict(uncertainty)
    widen = bool(spec.pop("pedigree", False))
    if spec:
        found, problems = read_distribution(spec, value)
        if found is None:
            raise ValueError("; ".join(problems))
        if widen and pedigree and found.kind == "lognormal":
            return Distribution("lognormal", value, pedigree_gsd2(dq, found.spread), basis=_PED)
        return found
    if not pedigree or not dq or value <= 0:
        return None
    gsd2 = pedigree_gsd2(dq)
    return Distribution("lognormal", value, gsd2, basis=_PED) if gsd2 > 1 else None


_PED = "pedigree scores (ecoinvent v3 uncertainty factors, Weidema et al. 2013)"


def entry_problems(uncertainty: Mapping[str, Any], values: list[float]) -> list[str]:
    """What is wrong with a dataset entry's distribution, for each of its values."""
    spec = {k: v for k, v in uncertainty.items() if k != "pedigree"}
    if not spec:
        return []
    problems: list[str] = []
    for value in values:
        problems += [p for p in read_distribution(spec, value)[1] if p not in problems]
    return problems
