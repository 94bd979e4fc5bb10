"""The programme's baselines: for a product category (a PCR), the footprint per declared unit
that carbon-inclusion apps measure a product's reduction against.

A baseline is set from a day on; setting another later keeps the earlier one as the record of
what was in force before (the `baselines` table only grows, and every row has its audit entry).
The baseline in force on a day is the one with the latest `valid_from` on or before it (the
last set, when two start the same day), read through the index (pcr_id, valid_from).

What a baseline is measured in must be what its PCR declares: a baseline of 800 kg CO2e per
tonne against footprints per kilogram would tell an app of reductions a thousand times too
large. The PCR's declared unit is read from the library's rule file, as `workflow` writes it
on every footprint (`1 t`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Baseline, now
from zuji.core import library
from zuji.core.errors import CatalogueError, Diagnostic, RuleError


@dataclass(frozen=True)
class PcrHeader:
    """What the platform shows of a PCR: its names, version and declared unit."""

    pcr_id: str
    name_zh: str
    name_en: str
    version: str
    declared_unit: str


@dataclass(frozen=True)
class BaselineEntry:
    """One baseline as set: the PCR, the value (kg CO2e per declared unit), from when, by
    whom, and where the figure comes from."""

    pcr_id: str
    value: float
    declared_unit: str
    source: str
    valid_from: datetime
    set_by: str
    set_at: datetime

    @staticmethod
    def of(row: Baseline) -> BaselineEntry:
        return BaselineEntry(
            row.pcr_id,
            row.value,
            row.declared_unit,
            row.source,
            row.valid_from,
            row.set_by,
            row.set_at,
        )


def library_pcrs() -> list[PcrHeader]:
    """The headers of the library's PCRs (its shared modules left out), by id."""
    found = (
        pcr_header(path.stem)
        for path in library.rule_files()
        if path.parent.name != "common" and path.parent.name == path.stem
    )
    return sorted((h for h in found if h is not None), key=lambda h: h.pcr_id)


def pcr_header(pcr_id: str) -> PcrHeader | None:
    """The header of a PCR of the library in use (None when it has none by that id), read
    once per process and rule file: every API answer names its PCR."""
    path = library.pcr_root() / pcr_id / f"{pcr_id}.pcr"
    return _header(path) if path.is_file() else None


@cache
def _header(path: Path) -> PcrHeader | None:
    from zuji.lang.load import load_file

    try:
        rule = load_file(path)[0]
    except RuleError:
        return None
    unit = rule.declared_unit
    declared = f"{unit.amount:g} {unit.unit}" if unit is not None else ""
    name_en = rule.name.en if rule.name else rule.id
    name_zh = rule.name.zh if rule.name else rule.id
    return PcrHeader(
        rule.id, name_zh or name_en, name_en or name_zh, str(rule.version or ""), declared
    )


def set_baseline(
    store: Store,
    pcr_id: str,
    value: float,
    source: str,
    actor: str,
    valid_from: date | None = None,
    declared_unit: str | None = None,
) -> BaselineEntry:
    """Set a PCR's baseline from a day on (today when none is given). Refused before anything
    is stored: a value that is not a positive number, an empty source, a PCR the library does
    not have, a declared unit unlike the PCR's."""
    header = _checked(pcr_id, value, source, declared_unit)
    day = valid_from or datetime.now(UTC).date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    with store.transaction() as session:
        row = Baseline(
            pcr_id=pcr_id,
            value=float(value),
            declared_unit=header.declared_unit,
            source=source.strip(),
            valid_from=start,
            set_by=actor,
            set_at=now(),
        )
        session.add(row)
        session.flush()
        detail = {
            "value": row.value,
            "declared_unit": row.declared_unit,
            "source": row.source,
            "valid_from": day.isoformat(),
        }
        audit(session, actor, "baseline set", ("pcr", pcr_id), detail)
        return BaselineEntry.of(row)


def _checked(pcr_id: str, value: float, source: str, declared_unit: str | None) -> PcrHeader:
    if not math.isfinite(value) or value <= 0:
        raise CatalogueError(
            Diagnostic(
                "E985",
                f"the baseline {value:g} of {pcr_id} is not a positive number",
                hint="give kg CO2e per declared unit, above 0 (e.g. 750 for 750 kg CO2e/t)",
            )
        )
    if not source.strip():
        raise CatalogueError(
            Diagnostic(
                "E985",
                f"the baseline of {pcr_id} names no source",
                hint="say where the figure comes from with --source (a standard, a dataset, "
                "the programme's decision)",
            )
        )
    header = pcr_header(pcr_id)
    if header is None:
        raise CatalogueError(
            Diagnostic(
                "E986",
                f"no PCR '{pcr_id}' in the library to set a baseline for",
                hint="`zuji list` shows the PCRs' ids",
            ),
            status=404,
        )
    if declared_unit is not None and _spaced(declared_unit) != _spaced(header.declared_unit):
        raise CatalogueError(
            Diagnostic(
                "E986",
                f"the baseline is per '{declared_unit}', but {pcr_id} declares "
                f"'{header.declared_unit}'",
                hint=f"give the value per {header.declared_unit}",
            )
        )
    return header


def _spaced(unit: str) -> str:
    return " ".join(unit.split()).lower()


# Built once: a lookup of the carbon-inclusion API reads it for every product it answers.
_IN_FORCE: Select[*tuple[Any, ...]] = (
    select(
        Baseline.pcr_id,
        Baseline.value,
        Baseline.declared_unit,
        Baseline.source,
        Baseline.valid_from,
        Baseline.set_by,
        Baseline.set_at,
    )
    .where(Baseline.pcr_id == bindparam("pcr"), Baseline.valid_from <= bindparam("on"))
    .order_by(Baseline.valid_from.desc(), Baseline.id.desc())
    .limit(1)
)


def in_force_query() -> Select[*tuple[Any, ...]]:
    """The statement of the baseline in force (bound as `pcr` and `on`)."""
    return _IN_FORCE


def baseline_on(session: Session, pcr_id: str, on: datetime) -> BaselineEntry | None:
    """The PCR's baseline in force on `on`, or None when none was set by then."""
    row = session.execute(_IN_FORCE, {"pcr": pcr_id, "on": on}).first()
    return BaselineEntry(*row) if row is not None else None


def baselines_on(
    session: Session, pcr_ids: Iterable[str], on: datetime
) -> dict[str, BaselineEntry]:
    """The baselines in force on `on` of several PCRs, by PCR (those with none left out)."""
    found = {pcr_id: baseline_on(session, pcr_id, on) for pcr_id in sorted(set(pcr_ids))}
    return {pcr_id: entry for pcr_id, entry in found.items() if entry is not None}


def baseline_list(session: Session) -> list[BaselineEntry]:
    """Every baseline ever set, by PCR and then from when (the record, not only those in
    force)."""
    rows = session.scalars(
        select(Baseline).order_by(Baseline.pcr_id, Baseline.valid_from, Baseline.id)
    )
    return [BaselineEntry.of(row) for row in rows]
