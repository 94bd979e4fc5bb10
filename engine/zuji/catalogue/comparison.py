"""A category's products side by side: the footprints of one PCR in force, the benchmark levels
its product is graded against (grades.benchmark_sets), the distribution of the catalogue's own
footprints as a histogram, and where each chosen product stands in it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.categories import Category, category
from zuji.catalogue.grades import benchmark_sets
from zuji.catalogue.public import Hit, hits
from zuji.catalogue.tables import Footprint, now

MOST_CHOSEN = 12  # products a comparison sets side by side
BINS = 10  # bars of the distribution's histogram


@dataclass(frozen=True)
class Level:
    """A benchmark level of the category's product, kg CO2e per tonne."""

    benchmark: str
    title_zh: str
    title_en: str
    level: str
    value: float
    confirmed: bool


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Standing:
    """A chosen product and its place: how many of the category's footprints are lower."""

    hit: Hit
    lower: int
    percentile: float


@dataclass(frozen=True)
class Comparison:
    category: Category
    declared_unit: str
    size: int  # the category's Active footprints in force
    lowest: float | None
    median: float | None
    highest: float | None
    bins: tuple[Bin, ...]
    levels: tuple[Level, ...]
    chosen: tuple[Standing, ...]


def compare(
    session: Session, pcr_id: str, ids: Sequence[str] = (), at: datetime | None = None
) -> Comparison:
    """The category `pcr_id` in force at `at` (now), with the footprints `ids` chosen (those of
    the category among them), else its lowest MOST_CHOSEN."""
    moment = at or now()
    query = select(Footprint.id, Footprint.total, Footprint.declared_unit).where(
        Footprint.pcr_id == pcr_id,
        Footprint.status == "Active",
        Footprint.valid_until >= moment,
    )
    rows = sorted(session.execute(query), key=lambda r: (r.total, r.id))
    totals = [r.total for r in rows]
    units = Counter(r.declared_unit for r in rows)
    declared_unit = units.most_common(1)[0][0] if units else ""
    known = {r.id for r in rows}
    wanted = [i for i in dict.fromkeys(ids) if i in known][:MOST_CHOSEN]
    if not wanted:
        wanted = [r.id for r in rows[:MOST_CHOSEN]]
    standing = [
        Standing(hit, lower, 100.0 * lower / len(totals))
        for hit in hits(session, wanted)
        for lower in [_lower(totals, hit.total)]
    ]
    return Comparison(
        category=category(pcr_id),
        declared_unit=declared_unit,
        size=len(totals),
        lowest=totals[0] if totals else None,
        median=_median(totals),
        highest=totals[-1] if totals else None,
        bins=histogram(totals),
        levels=levels(pcr_id, declared_unit, moment),
        chosen=tuple(sorted(standing, key=lambda s: (s.hit.total, s.hit.footprint_id))),
    )


def _lower(ordered: Sequence[float], value: float) -> int:
    import bisect

    return bisect.bisect_left(ordered, value)


def _median(ordered: Sequence[float]) -> float | None:
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def histogram(ordered: Sequence[float], bins: int = BINS) -> tuple[Bin, ...]:
    """Equal-width bins from the lowest to the highest value (one bin when all are equal);
    each value is counted in the bin whose range holds it, the highest in the last."""
    if not ordered:
        return ()
    low, high = ordered[0], ordered[-1]
    if math.isclose(low, high):
        return (Bin(low, high, len(ordered)),)
    width = (high - low) / bins
    counts = [0] * bins
    for value in ordered:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return tuple(
        Bin(low + k * width, high if k == bins - 1 else low + (k + 1) * width, counts[k])
        for k in range(bins)
    )


def levels(pcr_id: str, declared_unit: str, at: datetime) -> tuple[Level, ...]:
    """The benchmark levels of the category's product in force at `at`, lowest first. Levels
    are per tonne of product: a category declared per another unit compares with none."""
    amount, _, unit = declared_unit.partition(" ")
    if unit.strip() != "t" or amount not in ("1", "1.0"):
        return ()
    found = [
        Level(
            b.id,
            b.title.zh or "",
            b.title.en or "",
            lv.level,
            lv.kg_co2e_per_t,
            b.confirmed,
        )
        for s in benchmark_sets()
        for b in s.for_product(pcr_id, at.date())
        for lv in b.levels
    ]
    return tuple(sorted(found, key=lambda lv: (lv.value, lv.benchmark, lv.level)))
