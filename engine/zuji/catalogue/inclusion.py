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

from sqlalchemy import Select, select
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


@dataclass(frozen=True)
class _Found:
    value: str
    footprint: Footprint
    product: str
    company: Company


def lookup(
    session: Session, gtins: Sequence[str], on: datetime
) -> dict[str, ProductAnswer | Unanswered]:
    """Each (checked) GTIN's answer on the moment `on`."""
    # One number may be asked in two forms (GTIN-13 and its GTIN-14): each gets its answer.
    wanted: dict[str, list[str]] = {}
    for gtin in gtins:
        for value in key_values(gtin):
            wanted.setdefault(value, []).append(gtin)
    by_gtin: dict[str, list[_Found]] = {gtin: [] for gtin in gtins}
    for found in _footprints(session, list(wanted)):
        for gtin in wanted[found.value]:
            by_gtin[gtin].append(found)
    return {gtin: _answer(session, gtin, by_gtin[gtin], on) for gtin in gtins}


def gtin_query(values: list[str]) -> Select[str, Footprint, str, Enterprise]:
    """The footprints filed under any of these productId values, with their product's name
    and enterprise: a walk of the index footprint_keys (kind, value, footprint_id)."""
    return (
        select(FootprintKey.value, Footprint, Product.name, Enterprise)
        .join(Footprint, Footprint.id == FootprintKey.footprint_id)
        .join(Product, Product.id == Footprint.product_id)
        .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
        .where(FootprintKey.kind == "productId", FootprintKey.value.in_(values))
    )


def _footprints(session: Session, values: list[str]) -> list[_Found]:
    return [
        _Found(value, footprint, name, Company(ent.name, ent.name_zh, ent.region))
        for value, footprint, name, ent in session.execute(gtin_query(values))
    ]


def _answer(
    session: Session, gtin: str, found: list[_Found], on: datetime
) -> ProductAnswer | Unanswered:
    live = [f for f in found if f.footprint.status == "Active"]
    valid = [f for f in live if f.footprint.valid_from <= on <= f.footprint.valid_until]
    verified = [(f, v) for f in valid if (v := _verifier(session, f.footprint)) is not None]
    if verified:
        # Two enterprises filing one GTIN is the enterprises' mistake; the newest is answered.
        chosen, verifier = max(
            verified, key=lambda fv: (fv[0].footprint.published_at, fv[0].footprint.id)
        )
        return _product(session, gtin, chosen, verifier, on)
    if any(f.footprint.valid_until < on for f in live):
        return Unanswered(gtin, "expired")
    if live:
        return Unanswered(gtin, "not-yet-valid")
    return Unanswered(gtin, "deprecated" if found else "unknown")


def _verifier(session: Session, footprint: Footprint) -> str | None:
    """Who accepted the footprint's submission (the latest acceptance), or None."""
    return session.scalars(
        select(Verification.verifier)
        .where(
            Verification.submission_id == footprint.submission_id,
            Verification.decision == "accepted",
        )
        .order_by(Verification.at.desc(), Verification.id.desc())
        .limit(1)
    ).first()


def _product(
    session: Session, gtin: str, found: _Found, verifier: str, on: datetime
) -> ProductAnswer:
    footprint = found.footprint
    grades = session.execute(
        select(Grade.basis, Grade.grade)
        .where(Grade.footprint_id == footprint.id)
        .order_by(Grade.basis, Grade.id)
    ).all()
    baseline = baseline_on(session, footprint.pcr_id, on)
    return ProductAnswer(
        gtin=gtin,
        footprint_id=footprint.id,
        product=found.product,
        company=found.company,
        pcr_id=footprint.pcr_id,
        pcr_version=footprint.pcr_version,
        pcr=pcr_header(footprint.pcr_id),
        total=footprint.total,
        declared_unit=footprint.declared_unit,
        grades=tuple((basis, grade) for basis, grade in grades),
        valid_from=footprint.valid_from,
        valid_until=footprint.valid_until,
        published_at=footprint.published_at,
        verifier=verifier,
        baseline=baseline,
        reduction=reduction(footprint.total, footprint.declared_unit, baseline),
    )


def reduction(total: float, declared_unit: str, baseline: BaselineEntry | None) -> Reduction | None:
    """The reduction against a baseline, when there is one per the same declared unit."""
    if baseline is None or " ".join(baseline.declared_unit.split()) != " ".join(
        declared_unit.split()
    ):
        return None
    per_unit = baseline.value - total
    return Reduction(per_unit, per_unit / baseline.value)
