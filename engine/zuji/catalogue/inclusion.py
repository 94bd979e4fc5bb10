"""What carbon-inclusion (碳普惠) apps are told about a product, found by its barcode (GTIN).

An app is answered only with a footprint the programme stands behind: published (so verified:
every published footprint has an accepted verification, the enterprise's or a
re-evaluation's), Active (not deprecated) and valid on the day asked. Otherwise it is told why
not: no footprint with that GTIN, only deprecated ones, only expired ones, or one whose
validity has not begun.

A GTIN is read as GS1 writes it (GTIN-8, -12, -13 or -14, digits only, the last a mod-10 check
digit) and found however the enterprise wrote it in its productIds: `urn:gtin:` followed by the
same number with or without leading zeros, as each length pads to GTIN-14. The lookup walks the
index footprint_keys (kind, value, footprint_id), one row per productId, so it costs the same
at any size of catalogue.

The reduction an app rewards is the category baseline in force (baselines.py) less the
footprint, per declared unit, and that as a share of the baseline: negative when the product is
above the baseline. It is given only when both are per the same declared unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from zuji.catalogue.baselines import BaselineEntry, PcrHeader, baseline_on, pcr_header
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    FootprintKey,
    Grade,
    Product,
    Verification,
)
from zuji.core.errors import CatalogueError, Diagnostic

GTIN_LENGTHS = (8, 12, 13, 14)
# A basket an app sends at once: a shopping receipt is rarely longer, and 100 GTINs are 400
# index probes, a few milliseconds.
MOST_IN_BASKET = 100
REASONS = ("unknown", "deprecated", "expired", "not-yet-valid")


def check_digit(body: str) -> int:
    """GS1's mod-10 check digit of the digits before it: weights 3, 1, 3, … from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def checked_gtin(text: str) -> str:
    """The GTIN as given, when it is one; E987 naming it (and what is wrong) otherwise."""
    shown = text[:40]
    if not text.isascii() or not text.isdigit() or len(text) not in GTIN_LENGTHS:
        raise CatalogueError(
            Diagnostic(
                "E987",
                f"'{shown}' is not a GTIN: a GTIN has 8, 12, 13 or 14 digits",
                hint="send the digits under the barcode, e.g. 6901234500011",
                where=shown,
            ),
            status=422,
        )
    expected = check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise CatalogueError(
            Diagnostic(
                "E987",
                f"GTIN {shown} has the check digit {text[-1]}, but its digits give {expected}",
                hint="read the barcode again: a digit is wrong or two are swapped",
                where=shown,
            ),
            status=422,
        )
    return text


def checked_basket(gtins: Sequence[str]) -> list[str]:
    """The GTINs of a basket, each checked, duplicates dropped, in the order sent."""
    if not gtins or len(gtins) > MOST_IN_BASKET:
        raise CatalogueError(
            Diagnostic(
                "E987",
                f"a basket has 1 to {MOST_IN_BASKET} GTINs, not {len(gtins)}",
                hint="repeat the parameter: ?gtin=…&gtin=…",
                where="gtin",
            ),
            status=422,
        )
    return list(dict.fromkeys(checked_gtin(g) for g in gtins))


def key_values(gtin: str) -> list[str]:
    """The productId values (lower-cased, as footprint_keys holds them) a GTIN may be filed
    under: its number padded to each GTIN length it fits."""
    digits = gtin.lstrip("0") or "0"
    return [f"urn:gtin:{digits.zfill(n)}" for n in GTIN_LENGTHS if len(digits) <= n]


@dataclass(frozen=True)
class Company:
    name: str
    name_zh: str | None
    region: str | None


@dataclass(frozen=True)
class Reduction:
    """Baseline − footprint per declared unit, and as a share of the baseline."""

    per_unit: float
    share: float


@dataclass(frozen=True)
class ProductAnswer:
    """A product as an app is told of it."""

    gtin: str
    footprint_id: str
    product: str
    company: Company
    pcr_id: str
    pcr_version: str
    pcr: PcrHeader | None
    total: float  # kg CO2e per declared unit
    declared_unit: str
    grades: tuple[tuple[str, str], ...]  # (basis, grade)
    valid_from: datetime
    valid_until: datetime
    published_at: datetime
    verifier: str
    baseline: BaselineEntry | None
    reduction: Reduction | None


@dataclass(frozen=True)
class Unanswered:
    """Why a GTIN has no answer: one of REASONS."""

    gtin: str
    reason: str

    def diagnostic(self) -> Diagnostic:
        g = self.gtin
        hint = "an app shows only verified, Active footprints within their validity"
        if self.reason == "deprecated":
            message = f"the footprint of GTIN {g} was withdrawn (Deprecated) with none after it"
        elif self.reason == "expired":
            message = f"the footprint of GTIN {g} has expired"
        elif self.reason == "not-yet-valid":
            message = f"the footprint of GTIN {g} is not valid yet"
        else:
            message = f"no published footprint has the GTIN {g}"
            hint = "the enterprise files the GTIN among its product's productIds"
        return Diagnostic("E988", message, hint=hint, where=g)


# The statements of a lookup, built once: a lookup's cost is then the database's and the
# reading of a few rows, not the building of SQL (what SQLAlchemy spends most on per query).
# The footprints under any of some productId values, with what an answer says of them and who
# accepted each one's submission last; only the columns an answer needs (not the document).
_VERIFIER = (
    select(Verification.verifier)
    .where(
        Verification.submission_id == Footprint.submission_id,
        Verification.decision == "accepted",
    )
    .order_by(Verification.at.desc(), Verification.id.desc())
    .limit(1)
    .correlate(Footprint)
    .scalar_subquery()
)
_FOUND: Select[*tuple[Any, ...]] = (
    select(
        FootprintKey.value,
        Footprint.id,
        Footprint.status,
        Footprint.valid_from,
        Footprint.valid_until,
        Footprint.published_at,
        Footprint.total,
        Footprint.declared_unit,
        Footprint.pcr_id,
        Footprint.pcr_version,
        Product.name,
        Enterprise.name,
        Enterprise.name_zh,
        Enterprise.region,
        _VERIFIER,
    )
    .join(Footprint, Footprint.id == FootprintKey.footprint_id)
    .join(Product, Product.id == Footprint.product_id)
    .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
    .where(
        FootprintKey.kind == "productId",
        FootprintKey.value.in_(bindparam("values", expanding=True)),
    )
)
_GRADES = (
    select(Grade.footprint_id, Grade.basis, Grade.grade)
    .where(Grade.footprint_id.in_(bindparam("ids", expanding=True)))
    .order_by(Grade.footprint_id, Grade.basis, Grade.id)
)


@dataclass(frozen=True)
class _Found:
    """A footprint filed under a GTIN, as the lookup reads it."""

    value: str
    footprint_id: str
    status: str
    valid_from: datetime
    valid_until: datetime
    published_at: datetime
    total: float
    declared_unit: str
    pcr_id: str
    pcr_version: str
    product: str
    company: Company
    verifier: str | None


def lookup(
    session: Session, gtins: Sequence[str], on: datetime
) -> dict[str, ProductAnswer | Unanswered]:
    """Each (checked) GTIN's answer on the moment `on`: one statement finds every GTIN's
    footprints, one more reads the grades of those answered, one per category their baseline."""
    # One number may be asked in two forms (GTIN-13 and its GTIN-14): each gets its answer.
    wanted: dict[str, list[str]] = {}
    for gtin in gtins:
        for value in key_values(gtin):
            wanted.setdefault(value, []).append(gtin)
    by_gtin: dict[str, list[_Found]] = {gtin: [] for gtin in gtins}
    for found in _footprints(session, list(wanted)):
        for gtin in wanted[found.value]:
            by_gtin[gtin].append(found)
    chosen = {gtin: _chosen(found, on) for gtin, found in by_gtin.items()}
    answered = {c.footprint_id for c in chosen.values() if isinstance(c, _Found)}
    grades = _grades(session, answered)
    in_force: dict[str, BaselineEntry | None] = {}
    for pcr_id in sorted({c.pcr_id for c in chosen.values() if isinstance(c, _Found)}):
        in_force[pcr_id] = baseline_on(session, pcr_id, on)
    return {
        gtin: _product(gtin, c, grades.get(c.footprint_id, ()), in_force[c.pcr_id])
        if isinstance(c, _Found)
        else Unanswered(gtin, c)
        for gtin, c in chosen.items()
    }


def gtin_query() -> Select[*tuple[Any, ...]]:
    """The statement finding footprints by productId values (bound as `values`): a walk of
    the index footprint_keys (kind, value, footprint_id)."""
    return _FOUND


def _footprints(session: Session, values: list[str]) -> list[_Found]:
    return [
        _Found(
            value=row[0],
            footprint_id=row[1],
            status=row[2],
            valid_from=row[3],
            valid_until=row[4],
            published_at=row[5],
            total=row[6],
            declared_unit=row[7],
            pcr_id=row[8],
            pcr_version=row[9],
            product=row[10],
            company=Company(row[11], row[12], row[13]),
            verifier=row[14],
        )
        for row in session.execute(_FOUND, {"values": values})
    ]


def _grades(session: Session, ids: set[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, list[tuple[str, str]]] = {}
    if ids:
        for footprint_id, basis, grade in session.execute(_GRADES, {"ids": sorted(ids)}):
            found.setdefault(footprint_id, []).append((basis, grade))
    return {k: tuple(v) for k, v in found.items()}


def _chosen(found: list[_Found], on: datetime) -> _Found | str:
    """The footprint to answer with, or the reason there is none."""
    live = [f for f in found if f.status == "Active"]
    valid = [f for f in live if f.valid_from <= on <= f.valid_until]
    verified = [f for f in valid if f.verifier is not None]
    if verified:
        # Two enterprises filing one GTIN is the enterprises' mistake; the newest is answered.
        return max(verified, key=lambda f: (f.published_at, f.footprint_id))
    if any(f.valid_until < on for f in live):
        return "expired"
    if live:
        return "not-yet-valid"
    return "deprecated" if found else "unknown"


def _product(
    gtin: str,
    found: _Found,
    grades: tuple[tuple[str, str], ...],
    baseline: BaselineEntry | None,
) -> ProductAnswer:
    return ProductAnswer(
        gtin=gtin,
        footprint_id=found.footprint_id,
        product=found.product,
        company=found.company,
        pcr_id=found.pcr_id,
        pcr_version=found.pcr_version,
        pcr=pcr_header(found.pcr_id),
        total=found.total,
        declared_unit=found.declared_unit,
        grades=grades,
        valid_from=found.valid_from,
        valid_until=found.valid_until,
        published_at=found.published_at,
        verifier=found.verifier or "",
        baseline=baseline,
        reduction=reduction(found.total, found.declared_unit, baseline),
    )


def reduction(total: float, declared_unit: str, baseline: BaselineEntry | None) -> Reduction | None:
    """The reduction against a baseline, when there is one per the same declared unit."""
    if baseline is None or " ".join(baseline.declared_unit.split()) != " ".join(
        declared_unit.split()
    ):
        return None
    per_unit = baseline.value - total
    return Reduction(per_unit, per_unit / baseline.value)
