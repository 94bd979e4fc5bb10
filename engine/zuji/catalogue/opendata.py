"""The published catalogue as an open dataset: one row per published footprint, Active or
Deprecated (its status says which), with a data dictionary naming each column's type, unit and
meaning in Chinese and English.

The rows are wide: the figures every footprint has (total, data quality, grades, validity)
have a column each, and so does each life-cycle stage any published footprint reports
(`stage_<name>`, kg CO2e per declared unit, empty where a footprint's PCR has no such stage):
one table a spreadsheet opens and filters without joins, and whose stages add up to its total
(credits and removals are reported apart by the engine and are not in the stages).

Written as CSV (UTF-8 with a byte-order mark, because Excel, which most readers of the
programme open a CSV with, reads a CSV without one in the machine's code page and garbles
Chinese; every CSV reader that knows UTF-8 skips the mark: pandas with encoding="utf-8-sig")
and Parquet (pyarrow; typed columns, times in UTC) by opendata_files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from zuji.catalogue.baselines import pcr_header
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    Grade,
    Product,
    Submission,
    Verification,
)

_HS = "urn:pact:productclassification:hs:"
_GTIN = "urn:gtin:"


@dataclass(frozen=True)
class Column:
    """One column of the dataset as its dictionary describes it."""

    name: str
    type: str  # string | number | timestamp
    unit: str
    zh: str
    en: str


COLUMNS = (
    Column(
        "footprint_id", "string", "", "碳足迹编号（PACT id）", "The footprint's id (its PACT id)"
    ),
    Column(
        "product",
        "string",
        "",
        "产品名称（企业填报）",
        "The product's name, as its enterprise files it",
    ),
    Column(
        "gtins",
        "string",
        "",
        "产品的 GTIN（商品条码），多个以分号分隔",
        "The product's GTINs (barcodes), separated by semicolons",
    ),
    Column("company", "string", "", "企业名称", "The enterprise's name"),
    Column(
        "company_zh",
        "string",
        "",
        "企业中文名称（如有）",
        "The enterprise's Chinese name, when filed",
    ),
    Column(
        "region",
        "string",
        "",
        "企业所在地区（ISO 3166-2，如 CN-SD）",
        "The enterprise's region (ISO 3166-2, e.g. CN-SD)",
    ),
    Column("pcr_id", "string", "", "产品种类规则（PCR）编号", "The Product Category Rule's id"),
    Column("pcr_name_zh", "string", "", "产品种类规则的中文名称", "The PCR's Chinese name"),
    Column("pcr_name_en", "string", "", "产品种类规则的英文名称", "The PCR's English name"),
    Column(
        "pcr_version", "string", "", "核算所依据的规则版本", "The PCR version it was computed under"
    ),
    Column(
        "hs_codes",
        "string",
        "",
        "海关 HS 编码，多个以分号分隔",
        "HS customs codes, separated by semicolons",
    ),
    Column("declared_unit", "string", "", "声明单位（如 1 t）", "The declared unit (e.g. 1 t)"),
    Column(
        "total",
        "number",
        "kg CO2e / declared unit",
        "碳足迹（每声明单位）",
        "The footprint per declared unit",
    ),
    Column(
        "data_quality_rating",
        "number",
        "1–5",
        "数据质量评分（越低越好）",
        "Data-quality rating (lower is better)",
    ),
    Column("primary_data_share", "number", "%", "初级数据比例", "Share of primary data"),
    Column(
        "grade_benchmark",
        "string",
        "",
        "对照基准值的等级（无基准时为空）",
        "Grade against the product's benchmark (empty when none applies)",
    ),
    Column(
        "grade_distribution",
        "string",
        "",
        "在本目录同类产品分布中的等级（advanced 或 ordinary）",
        "Grade in the catalogue's distribution for its PCR (advanced or ordinary)",
    ),
    Column(
        "percentile",
        "number",
        "%",
        "同一规则下碳足迹更低的在用产品所占比例",
        "Share of the PCR's Active footprints that are lower",
    ),
    Column("valid_from", "timestamp", "UTC", "有效期开始", "Start of the validity period"),
    Column("valid_until", "timestamp", "UTC", "有效期结束", "End of the validity period"),
    Column(
        "status",
        "string",
        "",
        "状态：Active（在用）或 Deprecated（已撤销）",
        "Status: Active or Deprecated",
    ),
    Column("published_at", "timestamp", "UTC", "发布时间", "When it was published"),
    Column(
        "verifier",
        "string",
        "",
        "核查人（接受其清单者）",
        "The verifier who accepted its inventory",
    ),
)


def stage_column(stage: str) -> Column:
    """The column of one life-cycle stage (its name as the PCRs write it)."""
    return Column(
        f"stage_{stage}",
        "number",
        "kg CO2e / declared unit",
        f"生命周期阶段 {stage} 的排放（每声明单位；该产品的规则无此阶段时为空）",
        f"Emissions of the life-cycle stage {stage} per declared unit (empty when the "
        "footprint's PCR has no such stage)",
    )


@dataclass(frozen=True)
class Dataset:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def dataset(session: Session) -> Dataset:
    """Every published footprint as a row, by id; the columns its stages need."""
    rows = list(_rows(session))
    stages = sorted({name for row in rows for name in row.pop("_stages")})
    for row in rows:
        by_stage = row.pop("_by_stage")
        for stage in stages:
            row[f"stage_{stage}"] = by_stage.get(stage)
    return Dataset(COLUMNS + tuple(stage_column(s) for s in stages), rows)


def _rows(session: Session) -> Iterator[dict[str, Any]]:
    """The rows in id order. Grades and verifiers are read whole first, one query each, not
    one per footprint: a dataset of 10^5 footprints is three walks, not 2×10^5 lookups."""
    graded = _grades(session)
    verifiers = _verifiers(session)
    query = (
        select(Footprint, Product.name, Enterprise, Submission.result)
        .join(Product, Product.id == Footprint.product_id)
        .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
        .join(Submission, Submission.id == Footprint.submission_id)
        .order_by(Footprint.id)
        .execution_options(yield_per=1000)
    )
    for footprint, product, enterprise, result in session.execute(query):
        row = _row(footprint, product, enterprise, json.loads(result))
        grades = graded.get(footprint.id, {})
        row["grade_benchmark"] = grades.get("benchmark", (None, None))[0]
        row["grade_distribution"], row["percentile"] = grades.get("distribution", (None, None))
        row["verifier"] = verifiers.get(footprint.submission_id)
        yield row


def _row(footprint: Footprint, product: str, enterprise: Enterprise, result: Any) -> dict[str, Any]:
    document = json.loads(footprint.document)
    header = pcr_header(footprint.pcr_id)
    quality = result.get("data_quality") or {}
    by_stage = {k: float(v) for k, v in (result.get("by_stage") or {}).items()}
    ids = document.get("productIds", [])
    classes = document.get("productClassifications", [])
    return {
        "footprint_id": footprint.id,
        "product": product,
        "gtins": ";".join(p[len(_GTIN) :] for p in ids if p.lower().startswith(_GTIN)),
        "company": enterprise.name,
        "company_zh": enterprise.name_zh,
        "region": enterprise.region,
        "pcr_id": footprint.pcr_id,
        "pcr_name_zh": header.name_zh if header else None,
        "pcr_name_en": header.name_en if header else None,
        "pcr_version": footprint.pcr_version,
        "hs_codes": ";".join(c[len(_HS) :] for c in classes if c.lower().startswith(_HS)),
        "declared_unit": footprint.declared_unit,
        "total": footprint.total,
        "data_quality_rating": quality.get("dqr"),
        "primary_data_share": quality.get("primary_data_share"),
        "valid_from": footprint.valid_from,
        "valid_until": footprint.valid_until,
        "status": footprint.status,
        "published_at": footprint.published_at,
        "_stages": tuple(by_stage),
        "_by_stage": by_stage,
    }


def _grades(session: Session) -> dict[str, dict[str, tuple[str, float | None]]]:
    """Each footprint's current grades by basis (a later row of a basis replaces an earlier)."""
    found: dict[str, dict[str, tuple[str, float | None]]] = {}
    query = select(Grade.footprint_id, Grade.basis, Grade.grade, Grade.value).order_by(Grade.id)
    for footprint_id, basis, grade, value in session.execute(query):
        found.setdefault(footprint_id, {})[basis] = (grade, value)
    return found


def _verifiers(session: Session) -> dict[str, str]:
    """Who accepted each submission last."""
    query = (
        select(Verification.submission_id, Verification.verifier)
        .where(Verification.decision == "accepted")
        .order_by(Verification.at, Verification.id)
    )
    return {submission: verifier for submission, verifier in session.execute(query)}


@dataclass(frozen=True)
class Stamp:
    """The catalogue's publication state: what changes whenever a footprint is published,
    deprecated or graded again. Deprecation only ever moves Active to Deprecated, so the
    count of Deprecated ones grows with each; regrading writes grades with new ids."""

    footprints: int
    deprecated: int
    newest: datetime | None
    grades: int

    @property
    def key(self) -> str:
        import hashlib

        text = f"{self.footprints}|{self.deprecated}|{self.newest}|{self.grades}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def stamp_query() -> Select[int, int, datetime | None, int | None]:
    """The four figures of the stamp in one statement. The count of footprints reads their
    smallest index (SQLite's plan: a covering index), never the rows."""
    return select(
        select(func.count()).select_from(Footprint).scalar_subquery(),
        select(func.count())
        .select_from(Footprint)
        .where(Footprint.status == "Deprecated")
        .scalar_subquery(),
        select(func.max(Footprint.published_at)).scalar_subquery(),
        select(func.max(Grade.id)).scalar_subquery(),
    )


def stamp(session: Session) -> Stamp:
    """The stamp, read from indexes: a count of footprints and of the Deprecated ones (the
    (status, id) index), the newest publication (the (published_at, id) index) and the
    newest grade's id (the primary key)."""
    found = session.execute(stamp_query()).one()
    newest = found[2]
    if isinstance(newest, str):  # SQLite's max() gives the stored text, not the type's value
        newest = datetime.fromisoformat(newest)
    return Stamp(int(found[0]), int(found[1]), newest, int(found[3] or 0))
