"""What a product footprint label says, read from a published footprint: the product and its
company, the footprint per declared unit, its grades (benchmarks first), its validity and
whether it is in force today, the PCR it was computed under, the programme's names, and the
address of the product's public page its QR code leads to.

The label is a record, not a drawing: the command line and the platform's label route draw
the same record (interfaces/label_render.py), and a test can read what a label says without
reading an image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.grades import GradeLine, grade_lines
from zuji.catalogue.programme import Programme, programme
from zuji.catalogue.tables import Enterprise, Footprint, Product, now
from zuji.core import library
from zuji.core.errors import CatalogueError, Diagnostic, RuleError
from zuji.lang.load import load_file

IN_FORCE = "Active"
DEPRECATED = "Deprecated"
EXPIRED = "expired"
# A PCR id as the catalogue stores it: a folder name of the library, never a path.
_PCR_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class LabelGrade:
    """One grade as a label shows it: the level met and what it was graded against, in both
    languages. `grade` is the grading's own word: a benchmark's level (grade_1, benchmark,
    default ...) or "none" above all of them; "advanced" or "ordinary" in the distribution."""

    basis: str  # benchmark | distribution
    grade: str
    # The benchmark's title; for the distribution, the PCR's name (graded among its products).
    against_zh: str
    against_en: str
    # The percentile in the catalogue's distribution; the footprint itself for a benchmark.
    value: float | None


@dataclass(frozen=True)
class Label:
    """Everything a footprint's label says. `total` is in kg CO2e per `declared_unit` ("1 t");
    `valid_until` is the last day the footprint is valid (the PACT period ends at the start of
    the next day); `status` is Active, Deprecated or expired, the last computed from the day
    the label was read."""

    footprint_id: str
    product: str
    company: str
    company_zh: str
    total: float
    declared_unit: str
    grades: tuple[LabelGrade, ...]
    valid_from: date
    valid_until: date
    status: str
    pcr_id: str
    pcr_version: str
    pcr_name_zh: str
    pcr_name_en: str
    programme_zh: str
    programme_en: str
    url: str
    # When the footprint stops being in force (PACT's validityPeriodEnd): what a cache may keep
    # an Active label until.
    ends: datetime

    @property
    def in_force(self) -> bool:
        return self.status == IN_FORCE

    @property
    def figure(self) -> str:
        """The footprint as a label prints it: three significant figures at least, whole kg
        from 100 up ("676", "1,850", "42.1", "0.872")."""
        return figure(self.total)

    @property
    def per(self) -> str:
        """What the footprint is per: the declared unit, its amount left out when it is 1."""
        amount, _, unit = self.declared_unit.partition(" ")
        return unit if amount in ("1", "1.0") and unit else self.declared_unit

    @property
    def footprint_text(self) -> str:
        """The footprint per declared unit as one line: "676 kg CO2e / t"."""
        return f"{self.figure} kg CO2e / {self.per}"


def figure(value: float) -> str:
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def label(
    session: Session,
    footprint_id: str,
    base_url: str = "",
    at: datetime | None = None,
    named: Programme | None = None,
) -> Label:
    """The label of a published footprint, its status as of `at` (now). Its QR code leads to
    the product's page under the programme's public address, else under `base_url` (the
    address a request came to, or the one the command line was given). `named` is the
    programme when the caller holds it already (the service reads it every few seconds)."""
    found = session.execute(
        select(Footprint, Product.name, Enterprise.name, Enterprise.name_zh)
        .join(Product, Footprint.product_id == Product.id)
        .join(Enterprise, Footprint.enterprise_id == Enterprise.id)
        .where(Footprint.id == footprint_id)
    ).first()
    if found is None:
        raise CatalogueError(
            Diagnostic(
                "E980",
                f"no published footprint {footprint_id[:100]} in the catalogue",
                hint="a label is made of a published footprint: `zuji catalogue list` "
                "lists their ids",
            ),
            status=404,
        )
    footprint, product, company, company_zh = found
    named = named or programme(session)
    name_zh, name_en = pcr_names(footprint.pcr_id)
    return Label(
        footprint_id=footprint.id,
        product=product,
        company=company,
        company_zh=company_zh or "",
        total=footprint.total,
        declared_unit=footprint.declared_unit,
        grades=tuple(_label_grade(g) for g in grade_lines(session, footprint.id)),
        valid_from=footprint.valid_from.date(),
        valid_until=(footprint.valid_until - timedelta(microseconds=1)).date(),
        status=status(footprint, at or now()),
        pcr_id=footprint.pcr_id,
        pcr_version=footprint.pcr_version,
        pcr_name_zh=name_zh,
        pcr_name_en=name_en,
        programme_zh=named.name_zh,
        programme_en=named.name_en,
        url=product_url(named.url or base_url, footprint.id),
        ends=footprint.valid_until,
    )


def status(footprint: Footprint, at: datetime) -> str:
    """Deprecated when the programme deprecated it; expired once its validity has ended (or
    before it begins); Active otherwise."""
    if footprint.status != IN_FORCE:
        return DEPRECATED
    if not footprint.valid_from <= at < footprint.valid_until:
        return EXPIRED
    return IN_FORCE


def product_url(base: str, footprint_id: str) -> str:
    """The product's public page, which the platform serves at /products/{id}."""
    base = base.strip().rstrip("/")
    if not base:
        raise CatalogueError(
            Diagnostic(
                "E981",
                "a label's QR code needs the platform's public address, and the programme has "
                "set none",
                hint="set it once with `zuji catalogue programme --url https://pcf.example.cn`,"
                " or give --base-url",
            )
        )
    if not base.lower().startswith(("https://", "http://")) or any(c.isspace() for c in base):
        raise CatalogueError(
            Diagnostic(
                "E981",
                f"a label's QR code needs the platform's public address, and '{base[:100]}' "
                "is not an http(s) URL",
                hint="set it once with `zuji catalogue programme --url https://pcf.example.cn`,"
                " or give --base-url",
            )
        )
    return f"{base}/products/{footprint_id}"


def _label_grade(line: GradeLine) -> LabelGrade:
    d = line.detail
    if line.basis == "benchmark":
        title = d.get("title") or {}
        zh, en = str(title.get("zh") or d.get("benchmark", "")), str(title.get("en") or "")
        return LabelGrade(line.basis, line.grade, zh, en or zh, line.value)
    # Graded among the catalogue's footprints of its PCR: the PCR's names say among which.
    zh_name, en_name = pcr_names(str(d.get("pcr", "")))
    return LabelGrade(line.basis, line.grade, zh_name, en_name, line.value)


def pcr_names(pcr_id: str) -> tuple[str, str]:
    """A PCR's names (zh, en) from the library; its id when the library has no such PCR."""
    return _pcr_names(library.pcr_root(), pcr_id)


@lru_cache(maxsize=256)
def _pcr_names(root: Path, pcr_id: str) -> tuple[str, str]:
    # Read once per process and library: a label route must not parse a rule per request.
    path = library.find_pcr(pcr_id) if _PCR_ID.fullmatch(pcr_id) else None
    if path is None:
        return pcr_id, pcr_id
    try:
        rule, _ = load_file(path)
    except RuleError:
        return pcr_id, pcr_id
    return rule.name.zh or rule.name.en or pcr_id, rule.name.en or rule.name.zh or pcr_id
