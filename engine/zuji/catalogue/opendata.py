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

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from zuji.catalogue.baselines import PcrHeader, pcr_header
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    FootprintKey,
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


# Footprints a page of the walk reads at once: the page's keys, grades and verifiers are then
# read in one statement each, so memory stays bounded and the statements few (a dataset of
# 10^5 footprints is 200 pages of four statements, not 2×10^5 lookups).
_PAGE = 500
_FOOTPRINTS = (
    select(
        Footprint.id,
        Footprint.submission_id,
        Footprint.pcr_id,
        Footprint.pcr_version,
        Footprint.declared_unit,
        Footprint.total,
        Footprint.valid_from,
        Footprint.valid_until,
        Footprint.status,
        Footprint.published_at,
        Product.name,
        Enterprise.name,
        Enterprise.name_zh,
        Enterprise.region,
        Submission.result,
    )
    .join(Product, Product.id == Footprint.product_id)
    .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
    .join(Submission, Submission.id == Footprint.submission_id)
    .where(Footprint.id > bindparam("after"))
    .order_by(Footprint.id)
    .limit(_PAGE)
)
# The GTINs and HS codes are read from the PACT filter keys, not parsed out of each document.
_KEYS = (
    select(FootprintKey.footprint_id, FootprintKey.kind, FootprintKey.value)
    .where(
        FootprintKey.footprint_id.in_(bindparam("ids", expanding=True)),
        FootprintKey.kind.in_(["productId", "classification"]),
    )
    .order_by(FootprintKey.footprint_id, FootprintKey.kind, FootprintKey.value)
)
_GRADES = (
    select(Grade.footprint_id, Grade.basis, Grade.grade, Grade.value)
    .where(Grade.footprint_id.in_(bindparam("ids", expanding=True)))
    .order_by(Grade.id)
)
_VERIFIERS = (
    select(Verification.submission_id, Verification.verifier)
    .where(
        Verification.submission_id.in_(bindparam("ids", expanding=True)),
        Verification.decision == "accepted",
    )
    .order_by(Verification.at, Verification.id)
)


def _rows(session: Session) -> Iterator[dict[str, Any]]:
    """The rows in id order, a page at a time."""
    headers: dict[str, PcrHeader | None] = {}
    after = ""
    while page := session.execute(_FOOTPRINTS, {"after": after}).all():
        ids = [row[0] for row in page]
        keys = _keys(session, ids)
        graded = _grades(session, ids)
        verifiers = dict(session.execute(_VERIFIERS, {"ids": [row[1] for row in page]}).all())
        for row in page:
            if row[2] not in headers:
                headers[row[2]] = pcr_header(row[2])
            made = _row(row, headers[row[2]], keys.get(row[0], {}))
            grades = graded.get(row[0], {})
            made["grade_benchmark"] = grades.get("benchmark", (None, None))[0]
            made["grade_distribution"], made["percentile"] = grades.get(
                "distribution", (None, None)
            )
            made["verifier"] = verifiers.get(row[1])
            yield made
        after = ids[-1]


def _row(row: Any, header: PcrHeader | None, keys: dict[str, list[str]]) -> dict[str, Any]:
    result = json.loads(row[14])
    quality = result.get("data_quality") or {}
    by_stage = {k: float(v) for k, v in (result.get("by_stage") or {}).items()}
    gtins = [v[len(_GTIN) :] for v in keys.get("productId", []) if v.startswith(_GTIN)]
    hs = [v[len(_HS) :] for v in keys.get("classification", []) if v.startswith(_HS)]
    return {
        "footprint_id": row[0],
        "product": row[10],
        "gtins": ";".join(gtins),
        "company": row[11],
        "company_zh": row[12],
        "region": row[13],
        "pcr_id": row[2],
        "pcr_name_zh": header.name_zh if header else None,
        "pcr_name_en": header.name_en if header else None,
        "pcr_version": row[3],
        "hs_codes": ";".join(hs),
        "declared_unit": row[4],
        "total": row[5],
        "data_quality_rating": quality.get("dqr"),
        "primary_data_share": quality.get("primary_data_share"),
        "valid_from": row[6],
        "valid_until": row[7],
        "status": row[8],
        "published_at": row[9],
        "_stages": tuple(by_stage),
        "_by_stage": by_stage,
    }


def _keys(session: Session, ids: list[str]) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    for footprint_id, kind, value in session.execute(_KEYS, {"ids": ids}):
        found.setdefault(footprint_id, {}).setdefault(kind, []).append(value)
    return found


def _grades(session: Session, ids: list[str]) -> dict[str, dict[str, tuple[str, float | None]]]:
    """Each footprint's current grades by basis (a later row of a basis replaces an earlier)."""
    found: dict[str, dict[str, tuple[str, float | None]]] = {}
    for footprint_id, basis, grade, value in session.execute(_GRADES, {"ids": ids}):
        found.setdefault(footprint_id, {})[basis] = (grade, value)
    return found


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
