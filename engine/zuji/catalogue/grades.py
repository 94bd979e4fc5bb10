"""Grades: each published footprint against the benchmark levels of its product and against
the catalogue's own distribution for its PCR, each stored with its basis.

- benchmark: for every benchmark of the product in force on the footprint's reference date
  (standards/benchmarks/, each dated and sourced), the lowest level the footprint is at or
  below; "none" when it is above them all. Levels are compared like for like only when the
  scopes agree (a cradle-to-gate footprint against a direct-emission benchmark is above it by
  its electricity and supply chains): the basis says the benchmark's scope.
- distribution: the share of the PCR's Active footprints whose total is lower (the
  percentile, 0 for the lowest); "advanced" when that share is under the advanced share, 5 %
  by default as the NDRC puts the 先进值 (advanced level) "in principle at the top 5 % of the
  industry" (发改环资〔2023〕269号), else "ordinary". The share is a setting of the catalogue
  (`zuji catalogue grade --advanced-share`).

A footprint is graded when it is published (in the publishing transaction); `regrade` grades
again, since every publication moves the distribution.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Footprint, Grade, Setting, Submission, now
from zuji.core import library
from zuji.core.errors import CatalogueError, Diagnostic
from zuji.core.i18n import N_, _, either
from zuji.data.benchmarks import Benchmark, BenchmarkSet, load_benchmarks

ADVANCED_SHARE = 0.05
_SHARE_SETTING = "advanced_share"
_INSERT_ROWS = 10_000


@dataclass(frozen=True)
class GradeLine:
    """One grade of a footprint, with what it was graded against."""

    basis: str  # benchmark | distribution
    grade: str
    value: float | None
    detail: dict[str, Any]


# ----------------------------------------------------------------------------- the share


def advanced_share(session: Session) -> float:
    found = session.get(Setting, _SHARE_SETTING)
    return float(found.value) if found is not None else ADVANCED_SHARE


def set_advanced_share(store: Store, share: float, actor: str) -> None:
    if not 0 < share < 1:
        raise CatalogueError(
            Diagnostic(
                "E968",
                f"--advanced-share {share} is not a share between 0 and 1",
                hint="the NDRC's advanced level is the top 5 %: --advanced-share 0.05",
            )
        )
    with store.transaction() as session:
        found = session.get(Setting, _SHARE_SETTING)
        if found is None:
            session.add(Setting(key=_SHARE_SETTING, value=repr(share)))
        else:
            found.value = repr(share)
        audit(session, actor, "setting", ("setting", _SHARE_SETTING), {"value": share})


# ----------------------------------------------------------------------------- benchmark


@cache
def _benchmark_sets(root: Path) -> tuple[BenchmarkSet, ...]:
    return tuple(load_benchmarks(root).values())


def benchmark_sets() -> tuple[BenchmarkSet, ...]:
    """The benchmark sets of the active library (read once per standards folder)."""
    return _benchmark_sets(library.standards_root())


def benchmark_grades(pcr_id: str, total: float, declared_unit: str, on: date) -> list[GradeLine]:
    """The footprint against each benchmark of its product in force on `on`."""
    if not _per_tonne(declared_unit):
        return []  # levels are per tonne of product; another declared unit compares nothing
    lines = []
    for found in benchmark_sets():
        for benchmark in found.for_product(pcr_id, on):
            lines.append(_against(found, benchmark, total, on))
    return lines


def _per_tonne(declared_unit: str) -> bool:
    amount, _, unit = declared_unit.partition(" ")
    return unit.strip() == "t" and amount in ("1", "1.0")


def _against(found: BenchmarkSet, benchmark: Benchmark, total: float, on: date) -> GradeLine:
    levels = sorted(benchmark.levels, key=lambda lv: lv.kg_co2e_per_t)
    met = next((lv.level for lv in levels if total <= lv.kg_co2e_per_t), "none")
    detail = {
        "set": found.id,
        "set_version": found.version,
        "compiled": found.compiled.isoformat(),
        "benchmark": benchmark.id,
        "scheme": benchmark.scheme,
        "title": {"en": benchmark.title.en, "zh": benchmark.title.zh},
        "scope": benchmark.scope,
        "region": benchmark.region,
        "valid_from": benchmark.valid_from.isoformat(),
        "valid_to": benchmark.valid_to.isoformat() if benchmark.valid_to else None,
        "source": benchmark.source,
        "confirmed": benchmark.confirmed,
        "levels": [{"level": lv.level, "kg_co2e_per_t": lv.kg_co2e_per_t} for lv in levels],
        "on": on.isoformat(),
    }
    return GradeLine("benchmark", met, total, detail)


# ----------------------------------------------------------------------------- distribution


def distribution_grade(lower: int, size: int, share: float, pcr_id: str) -> GradeLine:
    """The place of a footprint with `lower` of the PCR's `size` Active footprints below it."""
    percentile = 100.0 * lower / size
    grade = "advanced" if lower < share * size else "ordinary"
    detail = {
        "pcr": pcr_id,
        "size": size,
        "lower": lower,
        "advanced_share": share,
        "date": now().date().isoformat(),
    }
    return GradeLine("distribution", grade, percentile, detail)


def lower_counts(totals: Sequence[float]) -> list[int]:
    """For each total, how many of `totals` are strictly lower."""
    import numpy as np

    ordered = np.sort(np.asarray(totals, dtype=float))
    return [int(k) for k in np.searchsorted(ordered, np.asarray(totals, dtype=float), "left")]


# ----------------------------------------------------------------------------- grading


def grade_published(session: Session, footprint: Footprint) -> None:
    """Grade a footprint being published, in the publishing transaction."""
    active = (Footprint.pcr_id == footprint.pcr_id) & (Footprint.status == "Active")
    size = session.scalar(select(func.count()).where(active)) or 0
    lower = session.scalar(select(func.count()).where(active, Footprint.total < footprint.total))
    submission = session.get(Submission, footprint.submission_id)
    on = reference_day(submission.period_end if submission else None, footprint.valid_from)
    rows = benchmark_grades(footprint.pcr_id, footprint.total, footprint.declared_unit, on)
    if size:
        share = advanced_share(session)
        rows.append(distribution_grade(lower or 0, size, share, footprint.pcr_id))
    session.add_all(_grade_row(footprint.id, line) for line in rows)


def reference_day(period_end: str | None, valid_from: datetime) -> date:
    """The day a footprint is graded on: the last day of its reference period (PACT's
    referencePeriodEnd, where validity starts, is the instant after it)."""
    if period_end:
        return date.fromisoformat(period_end)
    return (valid_from - timedelta(microseconds=1)).date()


def _grade_row(footprint_id: str, line: GradeLine) -> Grade:
    return Grade(
        footprint_id=footprint_id,
        basis=line.basis,
        grade=line.grade,
        value=line.value,
        detail=line.detail,
    )


@dataclass(frozen=True)
class Regraded:
    footprints: int
    grades: int
    pcrs: tuple[str, ...]


def regrade(store: Store, actor: str, everything: bool = False) -> Regraded:
    """Grade the Active footprints that have no grade yet; with `everything`, every Active
    footprint again (the distribution moves with each publication). Each PCR's footprints are
    regraded in one transaction."""
    with store.reading() as session:
        pcrs = sorted(
            session.scalars(select(Footprint.pcr_id).where(Footprint.status == "Active").distinct())
        )
    footprints = grades = 0
    for pcr_id in pcrs:
        with store.transaction() as session:
            counted = _regrade_pcr(session, pcr_id, everything)
            if counted[0]:
                audit(
                    session,
                    actor,
                    "grade",
                    ("pcr", pcr_id),
                    {"footprints": counted[0], "grades": counted[1], "all": everything},
                )
        footprints, grades = footprints + counted[0], grades + counted[1]
    return Regraded(footprints, grades, tuple(pcrs))


def _regrade_pcr(session: Session, pcr_id: str, everything: bool) -> tuple[int, int]:
    query = (
        select(
            Footprint.id,
            Footprint.total,
            Footprint.declared_unit,
            Footprint.valid_from,
            Submission.period_end,
        )
        .join(Submission, Submission.id == Footprint.submission_id)
        .where(Footprint.pcr_id == pcr_id, Footprint.status == "Active")
    )
    rows = session.execute(query.order_by(Footprint.id)).all()
    if not rows:
        return 0, 0
    graded = set(
        session.scalars(
            select(Grade.footprint_id)
            .join(Footprint, Footprint.id == Grade.footprint_id)
            .where(Footprint.pcr_id == pcr_id, Footprint.status == "Active")
            .distinct()
        )
    )
    share = advanced_share(session)
    lower = lower_counts([r.total for r in rows])
    chosen = [(r, k) for r, k in zip(rows, lower, strict=True) if everything or r.id not in graded]
    if everything:
        _drop(session, [r.id for r, _ in chosen])
    new: list[dict[str, Any]] = []
    for row, below in chosen:
        on = reference_day(row.period_end, row.valid_from)
        lines = benchmark_grades(pcr_id, row.total, row.declared_unit, on)
        lines.append(distribution_grade(below, len(rows), share, pcr_id))
        new += [_grade_values(row.id, line) for line in lines]
    for first in range(0, len(new), _INSERT_ROWS):
        session.execute(insert(Grade), new[first : first + _INSERT_ROWS])
    return len(chosen), len(new)


def _drop(session: Session, footprint_ids: Iterable[str]) -> None:
    ids = list(footprint_ids)
    for first in range(0, len(ids), _INSERT_ROWS):
        session.execute(
            delete(Grade).where(Grade.footprint_id.in_(ids[first : first + _INSERT_ROWS]))
        )


def _grade_values(footprint_id: str, line: GradeLine) -> dict[str, Any]:
    return {
        "footprint_id": footprint_id,
        "basis": line.basis,
        "grade": line.grade,
        "value": line.value,
        "detail": line.detail,
        "at": now(),
    }


# ----------------------------------------------------------------------------- reading


def grade_lines(session: Session, footprint_id: str) -> list[GradeLine]:
    """A footprint's current grades: benchmarks first, then its place in the distribution."""
    query = select(Grade).where(Grade.footprint_id == footprint_id).order_by(Grade.basis, Grade.id)
    return [GradeLine(g.basis, g.grade, g.value, dict(g.detail)) for g in session.scalars(query)]


# The grades' own words; a benchmark's level names (grade_1, ...) are its scheme's and kept.
_GRADES = {"advanced": N_("advanced"), "ordinary": N_("ordinary"), "none": N_("none")}
_BASES = {"benchmark": N_("benchmark"), "distribution": N_("distribution")}


def basis_word(basis: str) -> str:
    """What a grade is graded against, in the reader's language."""
    return _(_BASES[basis]) if basis in _BASES else basis


def describe(line: GradeLine) -> str:
    """One grade as a line of text in the reader's language: the grade, then its basis (the
    benchmark set, its dates and source; or the percentile, the population and the share
    counted advanced)."""
    d = line.detail
    grade = _(_GRADES[line.grade]) if line.grade in _GRADES else line.grade
    if line.basis == "distribution":
        return _(
            "{grade}: {percentile} % of the {size} Active footprints under {pcr} are lower "
            "(advanced: under {share} %; as of {date})"
        ).format(
            grade=grade,
            percentile=f"{line.value:.1f}",
            size=d["size"],
            pcr=d["pcr"],
            share=f"{100 * d['advanced_share']:g}",
            date=d["date"],
        )
    title = d.get("title") or {}
    return _(
        "{grade}: {value} kg CO2e/t against {benchmark} {title} ({scheme}, scope {scope}, "
        "{start} to {end}; levels {levels} kg CO2e/t; source: {source}{unconfirmed}; "
        "set {set} {version} of {compiled})"
    ).format(
        grade=grade,
        value=f"{line.value:g}",
        benchmark=d["benchmark"],
        title=either(title.get("en", ""), title.get("zh", "")),
        scheme=d["scheme"],
        scope=d["scope"],
        start=d["valid_from"],
        end=d["valid_to"] or _("in force"),
        levels=", ".join(f"{lv['level']} {lv['kg_co2e_per_t']:g}" for lv in d["levels"]),
        source=d["source"],
        unconfirmed="" if d["confirmed"] else _("; unconfirmed figure"),
        set=d["set"],
        version=d["set_version"],
        compiled=d["compiled"],
    )
