"""The carbon-inclusion API's answers, as the OpenAPI document names them.

Every model forbids extra fields, so an answer cannot grow a field the document does not
describe; figures are numbers (kg CO2e per declared unit), dates ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zuji.catalogue.baselines import BaselineEntry, PcrHeader
from zuji.catalogue.inclusion import ProductAnswer, Unanswered


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompanyOut(_Out):
    name: str
    name_zh: str | None = Field(description="The company's Chinese name, when filed")
    region: str | None = Field(description="ISO 3166-2 region, e.g. CN-SD")


class PcrOut(_Out):
    id: str = Field(examples=["cement"])
    version: str = Field(description="The version the footprint was computed under")
    name_zh: str
    name_en: str


class BaselineOut(_Out):
    value: float = Field(description="kg CO2e per declared unit")
    declared_unit: str = Field(examples=["1 t"])
    valid_from: datetime
    source: str = Field(description="Where the programme's figure comes from")


class ReductionOut(_Out):
    per_unit: float = Field(
        description="baseline − footprint, kg CO2e per declared unit (negative: above it)"
    )
    share: float = Field(description="per_unit ÷ baseline (0.1 = 10 % below the baseline)")


class GradeOut(_Out):
    basis: str = Field(description="benchmark or distribution")
    grade: str = Field(examples=["advanced"])


class ValidityOut(_Out):
    start: datetime
    end: datetime


class ProductOut(_Out):
    """A product's verified, Active footprint valid today, and its reduction against the
    category's baseline."""

    gtin: str = Field(examples=["06901234500011"])
    footprint_id: str
    product: str
    company: CompanyOut
    pcr: PcrOut
    footprint: float = Field(description="kg CO2e per declared unit")
    unit: str = Field("kg CO2e", description="What `footprint` is measured in")
    declared_unit: str = Field(examples=["1 t"])
    grades: list[GradeOut]
    validity: ValidityOut
    published_at: datetime
    verifier: str = Field(description="Who accepted the inventory it was computed from")
    baseline: BaselineOut | None = Field(description="The category baseline in force, if set")
    reduction: ReductionOut | None = Field(description="Against the baseline, when one is set")
    page: str = Field(description="The product's page on the public platform")


class NotAnswered(_Out):
    gtin: str
    status: int = Field(examples=[404])
    code: str = Field(examples=["E988"])
    reason: str = Field(description="unknown, deprecated, expired or not-yet-valid")
    detail: str = Field(description="Why, in the language Accept-Language asks for")


class BasketOut(_Out):
    """Each GTIN of a basket, answered or not, in the order sent."""

    products: list[ProductOut]
    not_answered: list[NotAnswered]


class CategoryOut(_Out):
    pcr: PcrOut
    declared_unit: str
    baseline: BaselineOut | None


def pcr_out(header: PcrHeader | None, pcr_id: str, version: str) -> PcrOut:
    if header is None:  # a PCR no longer in the library: its id still says what it was
        return PcrOut(id=pcr_id, version=version, name_zh=pcr_id, name_en=pcr_id)
    return PcrOut(id=pcr_id, version=version, name_zh=header.name_zh, name_en=header.name_en)


def baseline_out(entry: BaselineEntry | None) -> BaselineOut | None:
    if entry is None:
        return None
    return BaselineOut(
        value=entry.value,
        declared_unit=entry.declared_unit,
        valid_from=entry.valid_from,
        source=entry.source,
    )


def product_out(answer: ProductAnswer, page: str) -> ProductOut:
    reduction = answer.reduction
    return ProductOut(
        gtin=answer.gtin,
        footprint_id=answer.footprint_id,
        product=answer.product,
        company=CompanyOut(
            name=answer.company.name, name_zh=answer.company.name_zh, region=answer.company.region
        ),
        pcr=pcr_out(answer.pcr, answer.pcr_id, answer.pcr_version),
        footprint=answer.total,
        unit="kg CO2e",
        declared_unit=answer.declared_unit,
        grades=[GradeOut(basis=b, grade=g) for b, g in answer.grades],
        validity=ValidityOut(start=answer.valid_from, end=answer.valid_until),
        published_at=answer.published_at,
        verifier=answer.verifier,
        baseline=baseline_out(answer.baseline),
        reduction=ReductionOut(per_unit=reduction.per_unit, share=reduction.share)
        if reduction
        else None,
        page=page,
    )


def not_answered(unanswered: Unanswered) -> NotAnswered:
    diagnostic = unanswered.diagnostic()
    return NotAnswered(
        gtin=unanswered.gtin,
        status=404,
        code=diagnostic.code,
        reason=unanswered.reason,
        detail=diagnostic.text,
    )
