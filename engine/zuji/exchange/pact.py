"""PACT export: a result as a PACT ProductFootprint (Tech Specs 3.0), checked against the format's
rules (:mod:`zuji.data.pact_format`) before it is returned.

PACT writes every real number as a decimal string ("12.5"): no floats, no exponents. Its OpenAPI
schema is the interoperability contract, but it cannot express the methodology's own rules
(percentages within 0..100, DQRs within 1..5, the headline figures' arithmetic), and some of its
patterns are loosely anchored; so :func:`check` applies both here, and :func:`to_pact` refuses to
emit a document that fails it. The official schema file is not bundled (its licence restricts
sharing verbatim copies); this module is an implementation of the specification, not a copy.

Field mapping from a Zuji result (kg CO2e per declared unit throughout):
- fossilGhgEmissions = emissions of fossil origin; landUseChangeGhgEmissions = land-use change;
  biogenicNonCO2Emissions = biogenic CH4 and other non-CO2 gases; biogenic CO2 emissions go to
  landManagementBiogenicCO2Emissions, the only PACT field for them (said so in the comment);
- biogenicCO2Uptake = minus the PCR's removals; credits are never netted (said in the comment);
- pcfExcludingBiogenicUptake is the exact decimal sum of those parts, and
  pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake + biogenicCO2Uptake.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

from zuji.core.canonical import canonical_json, sha256_hex
from zuji.core.errors import Diagnostic, PactError
from zuji.data.pact_format import (
    _MASSLESS,
    CROSS_SECTORAL,
    DECLARED_UNITS,
    SPEC_VERSION,
    UN_REGIONS,
    check,
    decimal_string,
)
from zuji.lang import units as u
from zuji.lang.units import unit_from_text

if TYPE_CHECKING:
    from zuji.runtime.result import Result

_NAMESPACE = uuid.UUID("5d3f2c1e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")  # ours: ids derived from content


# ----------------------------------------------------------------------------- export


def to_pact(result: Result, created: datetime | None = None) -> dict[str, Any]:
    """A result as a PACT ProductFootprint (Tech Specs 3.0), checked before it is returned.

    The id is derived from the result's content, so the same result always gives the same id;
    any change of a figure gives a new one, as PACT's immutability rule wants.
    """
    pcr, inventory, unit = result.pcr, result.inventory, result.declared_unit
    problems: list[str] = []
    measure, amount, mass = _declared_unit(result, problems)
    if not inventory.period_start or not inventory.period_end:
        problems.append(
            "referencePeriodStart: the inventory gives no reference period, which PACT requires"
        )
    if problems:
        raise PactError(
            [Diagnostic("E801", f"cannot write a PACT document: {p}") for p in problems]
        )
    company = inventory.company or "unnamed company"
    pcf = _carbon_footprint(result, measure, amount, mass)
    # A signature is about the result, not part of its content: signing keeps the PACT id.
    content = result.model_dump_json(exclude={"trace", "signature"})
    document: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, content)),
        "specVersion": SPEC_VERSION,
        "created": _rfc3339(created or datetime.now(UTC)),
        "status": "Active",
        "companyName": company,
        "companyIds": inventory.company_ids or [f"urn:uuid:{uuid.uuid5(_NAMESPACE, company)}"],
        "productDescription": _product_description(result),
        "productIds": inventory.product_ids
        or [f"urn:uuid:{uuid.uuid5(_NAMESPACE, company + '/' + (inventory.product or pcr.id))}"],
        "productNameCompany": inventory.product or unit.product or pcr.name_en,
        "comment": _comment(result),
        "pcf": pcf,
    }
    classifications = [_classification(c) for c in pcr.classification]
    if classifications:
        document["productClassifications"] = sorted(set(classifications))
    if result.signature is not None:
        document["extensions"] = [signature_extension(result)]
    found = check(document)
    if found:
        raise PactError(
            [
                Diagnostic("E802", f"the PACT document Zuji made breaks the specification: {p}")
                for p in found
            ]
        )
    return document


SIGNATURE_SCHEMA = "https://zuji.example/schemas/pact-signature-extension.schema.json"
EXTENSION_SPEC_VERSION = "2.0.0"  # of the PACT Data Model Extensions specification


def signature_extension(result: Result) -> dict[str, Any]:
    """The PACT data model extension that carries a signed result's signature, so the receiver
    can ask for the result and prove it (standards/schemas/pact-signature-extension.schema.json).

    resultSha256 is the sha256 of the bytes signed: the RFC 8785 canonical JSON of the result,
    as Zuji writes it, without its signature block."""
    signature = result.signature
    assert signature is not None
    # As a result file holds it: without the signature, and without a sensitivity section that
    # was not asked for (interfaces.report.to_json leaves it out).
    left_out = {"signature"} | ({"sensitivity"} if result.sensitivity is None else set())
    unsigned = json.loads(result.model_dump_json(exclude=left_out))
    data: dict[str, Any] = {
        "alg": signature.alg,
        "keyId": signature.key_id,
        "signature": signature.value,
        "canonicalization": signature.canonicalization,
        "resultSha256": sha256_hex(canonical_json(unsigned)),
        "pcr": {
            "id": result.pcr.id,
            "version": result.pcr.version,
            "sha256": result.pcr.source_hash,
        },
        "engineVersion": result.engine.removeprefix("zuji "),
    }
    if result.provenance is not None:
        data["inventorySha256"] = result.provenance.inventory.sha256
    return {"specVersion": EXTENSION_SPEC_VERSION, "dataSchema": SIGNATURE_SCHEMA, "data": data}


def _declared_unit(result: Result, problems: list[str]) -> tuple[str, Decimal, Decimal]:
    declared = result.declared_unit
    try:
        unit = u.to_pint(unit_from_text(declared.unit))
    except ValueError:  # UnitSyntaxError too
        problems.append(f"declaredUnitOfMeasurement: '{declared.unit}' is not a unit")
        return "kilogram", Decimal(1), Decimal(0)
    for measure, ours in DECLARED_UNITS.items():
        target = u.to_pint(unit_from_text(ours))
        if not u.same_dimension(unit, target):
            continue
        if measure == "kilowatt hour" and "J" in declared.unit:
            continue  # a PCR in GJ or MJ keeps its joules: megajoule comes next
        amount = Decimal(decimal_string(declared.amount * u.conversion(unit, target)))
        if measure == "kilogram":
            return measure, amount, amount
        if measure in _MASSLESS:
            return measure, amount, Decimal(0)
        problems.append(
            f"productMassPerDeclaredUnit: the declared unit is {measure}, and the PCR "
            "does not state the product's mass per declared unit"
        )
        return measure, amount, Decimal(0)
    problems.append(
        f"declaredUnitOfMeasurement: '{declared.unit}' has no PACT equivalent "
        f"({', '.join(DECLARED_UNITS)})"
    )
    return "kilogram", Decimal(1), Decimal(0)


def _carbon_footprint(
    result: Result, measure: str, amount: Decimal, mass: Decimal
) -> dict[str, Any]:
    parts = _emissions(result)
    uptake = decimal_string(-result.removals)
    with localcontext() as ctx:
        ctx.prec = 60
        excluding = sum((Decimal(v) for v in parts.values()), Decimal(0))
        including = excluding + Decimal(uptake)
    start, end = result.inventory.period_start, result.inventory.period_end
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": measure,
        "declaredUnitAmount": decimal_string(amount),
        "productMassPerDeclaredUnit": decimal_string(mass),
        "referencePeriodStart": f"{start}T00:00:00Z",
        # PACT's end is exclusive; the inventory's end date is the last day it covers.
        "referencePeriodEnd": f"{date.fromisoformat(str(end)) + timedelta(days=1)}T00:00:00Z",
        "boundaryProcessesDescription": _boundary(result),
        "pcfExcludingBiogenicUptake": decimal_string(excluding, 40),
        "pcfIncludingBiogenicUptake": decimal_string(including, 40),
        "fossilCarbonContent": "0",
        **parts,
        "biogenicCO2Uptake": uptake,
        "packagingEmissionsIncluded": False,
        "ccsTechnologicalCO2CaptureIncluded": False,
        "ipccCharacterizationFactors": [result.pcr.gwp],
        "crossSectoralStandards": _cross_sectoral(result.pcr.standards),
        "productOrSectorSpecificRules": _rules(result),
        "exemptedEmissionsPercent": decimal_string(result.cutoff_total_percent),
        "exemptedEmissionsDescription": "; ".join(
            f"{c.flow} ({decimal_string(c.share)} %): {c.reason}" for c in result.cutoff_flows
        ),
        "primaryDataShare": decimal_string(result.data_quality.primary_data_share),
    }
    geography = _geography(result.pcr.geography)
    pcf.update(geography)
    pcf.update(_optional_fields(result))
    return pcf


def _emissions(result: Result) -> dict[str, str]:
    """The emissions PACT asks for by origin, as decimal strings; they sum to the footprint
    excluding biogenic uptake."""
    emissions = [line for line in result.lines if line.kind == "emission"]
    biogenic_co2 = math.fsum(
        x.co2e_kg for x in emissions if x.origin == "biogenic" and x.gas == "CO2"
    )
    biogenic_other = math.fsum(
        x.co2e_kg for x in emissions if x.origin == "biogenic" and x.gas != "CO2"
    )
    return {
        "fossilGhgEmissions": decimal_string(result.by_origin.get("fossil", 0.0)),
        "landUseChangeGhgEmissions": decimal_string(result.by_origin.get("luc", 0.0)),
        "landManagementBiogenicCO2Emissions": decimal_string(biogenic_co2),
        "biogenicNonCO2Emissions": decimal_string(biogenic_other),
    }


def _optional_fields(result: Result) -> dict[str, Any]:
    """The fields PACT gives only when there is something to say: allocation, the datasets
    used, the data quality ratings."""
    pcf: dict[str, Any] = {}
    if result.allocation:
        pcf["allocationRulesDescription"] = "; ".join(
            f"{', '.join(a.stages)} allocated by {a.method} to {a.reference_product} "
            f"(share {a.reference_share:.4g})"
            for a in result.allocation
        )
    if result.datasets:
        pcf["secondaryEmissionFactorSources"] = [
            {"name": d.id, "version": d.version} for d in result.datasets
        ]
    indicators = result.data_quality.indicators
    if all(k in indicators for k in ("ter", "ger", "tir")):
        pcf["dqi"] = {
            "technologicalDQR": decimal_string(indicators["ter"], 3),
            "geographicalDQR": decimal_string(indicators["ger"], 3),
            "temporalDQR": decimal_string(indicators["tir"], 3),
        }
    return pcf


def _boundary(result: Result) -> str:
    pcr = result.pcr
    stages = []
    for stage in pcr.stages:
        lines = ", ".join(x.name for x in result.lines if x.stage == stage)
        title = pcr.stage_titles.get(stage, "")
        stages.append(f"{stage}{' (' + title + ')' if title else ''}: {lines or 'no lines'}")
    text = f"{pcr.boundary.replace('_', '-')}: " + "; ".join(stages)
    if pcr.exclusions:
        text += ". Excluded: " + "; ".join(f"{k}: {v}" for k, v in pcr.exclusions.items())
    return text


def _cross_sectoral(standards: list[str]) -> list[str]:
    found = []
    for name in standards:
        compact = name.replace(" ", "")
        for prefix, code in CROSS_SECTORAL.items():
            if compact.startswith(prefix.replace(" ", "")) and code not in found:
                found.append(code)
    return found or list(dict.fromkeys(standards)) or ["ISO14067"]


def _rules(result: Result) -> list[dict[str, Any]]:
    pcr = result.pcr
    rules = [
        {
            "operator": "Other",
            "otherOperatorName": "Zuji PCR library",
            "ruleNames": [f"{pcr.id} {pcr.version} (sha256 {pcr.source_hash[:16]})"],
        }
    ]
    others = [
        s
        for s in pcr.standards
        if not any(s.replace(" ", "").startswith(p.replace(" ", "")) for p in CROSS_SECTORAL)
    ]
    if others:
        rules.append(
            {
                "operator": "Other",
                "otherOperatorName": "Standards the PCR follows",
                "ruleNames": list(dict.fromkeys(others)),
            }
        )
    return rules


def _geography(codes: list[str]) -> dict[str, str]:
    for code in codes:
        if re.match(r"^[A-Z]{2}$", code):
            return {"geographyCountry": code}
        if re.match(r"^[A-Z]{2}-[A-Z0-9]{1,3}$", code):
            return {"geographyCountrySubdivision": code}
        if code in UN_REGIONS:
            return {"geographyRegionOrSubregion": code}
    return {}


def _classification(text: str) -> str:
    scheme, _, code = text.strip().partition(" ")
    if not code:
        return f"urn:pact:productclassification:other:{re.sub(r'[^A-Za-z0-9.-]', '-', text)}"
    return f"urn:pact:productclassification:{scheme.lower()}:{re.sub(r'[^A-Za-z0-9.-]', '', code)}"


def _product_description(result: Result) -> str:
    """In English, as PACT's partners read it, with the Chinese of the declared unit beside it
    (the programme's own readers, and the words the rule was decided in)."""
    unit = result.declared_unit
    text = f"{result.pcr.name_en}"
    described = " ".join(
        t for t in (unit.description, unit.description_zh and f"({unit.description_zh})") if t
    )
    if described:
        text += f"; declared unit {unit.amount:g} {unit.unit}: {described}"
    if result.inventory.site:
        text += f"; site {result.inventory.site}"
    return text


def _comment(result: Result) -> str:
    pcr, dq = result.pcr, result.data_quality
    parts = [
        f"Computed by {result.engine} under PCR {pcr.id} {pcr.version} ({pcr.status}, source "
        f"sha256 {pcr.source_hash}), GWP {pcr.gwp}, {pcr.boundary.replace('_', '-')}."
    ]
    if dq.dqr is not None:
        parts.append(f"Data-quality rating {dq.dqr:.2f} ({dq.rating}).")
    if result.credits:
        parts.append(
            f"Credits of {decimal_string(result.credits)} kg CO2e per declared unit are "
            "reported apart and not netted."
        )
    if any(
        x.origin == "biogenic" and x.gas == "CO2" and x.kind == "emission" and x.co2e_kg
        for x in result.lines
    ):
        parts.append("Biogenic CO2 emissions are reported in landManagementBiogenicCO2Emissions.")
    parts.append(
        "The PCR does not account the carbon content of the product: fossilCarbonContent "
        "is reported as 0."
    )
    suppliers = [v["supplier"] for v in dq.inputs.values() if v.get("supplier")]
    for s in suppliers:
        parts.append(f"Uses supplier footprint {s.get('id')} from {s.get('company')}.")
    return " ".join(parts)


def _rfc3339(moment: datetime) -> str:
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["SPEC_VERSION", "PactError", "check", "decimal_string", "to_pact"]
