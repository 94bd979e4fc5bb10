"""PACT exchange: a result as a PACT ProductFootprint (Tech Specs 3.0), and a supplier's
ProductFootprint as the value of an inventory input, so footprints chain along a supply chain.

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

import math
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zuji.errors import Diagnostic, ZujiError

if TYPE_CHECKING:
    from zuji import model as m
    from zuji.result import Result

SPEC_VERSION = "3.0.3"
SIGNIFICANT_DIGITS = 12  # ample for kg CO2e; keeps float noise (…0000001) out of the documents
_NAMESPACE = uuid.UUID("5d3f2c1e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")  # ours: ids derived from content

# PACT's declared units, and how Zuji writes each.
DECLARED_UNITS = {"kilogram": "kg", "liter": "L", "cubic meter": "m3", "kilowatt hour": "kWh",
                  "megajoule": "MJ", "ton kilometer": "tkm", "square meter": "m2",
                  "piece": "piece", "hour": "h"}
# Units whose product has no mass that matters: PACT wants productMassPerDeclaredUnit "0".
_MASSLESS = {"kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second"}
CROSS_SECTORAL = {"ISO 14067": "ISO14067", "ISO 14083": "ISO14083", "ISO 14040": "ISO14040-44",
                  "ISO 14044": "ISO14040-44", "GHG Protocol Product": "GHGP-Product",
                  "PEF": "PEF", "PAS 2050": "PAS2050", "PACT": "PACT-3.0"}
UN_REGIONS = {"Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand",
              "Central Asia", "Eastern Asia", "Eastern Europe", "Latin America and the Caribbean",
              "Melanesia", "Micronesia", "Northern Africa", "Northern America", "Northern Europe",
              "Polynesia", "South-eastern Asia", "Southern Asia", "Southern Europe",
              "Sub-Saharan Africa", "Western Asia", "Western Europe"}

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_URN = re.compile(r"^[uU][rR][nN]:")
_SPEC = re.compile(r"^\d+\.\d+\.\d+(-\d{8})?$")

# Figures of a CarbonFootprint: their sign, as the specification constrains it.
NONNEGATIVE = ("fossilCarbonContent", "biogenicCarbonContent", "recycledCarbonContent",
               "fossilGhgEmissions", "landUseChangeGhgEmissions", "landCarbonLeakage",
               "landManagementFossilGhgEmissions", "landManagementBiogenicCO2Emissions",
               "biogenicNonCO2Emissions", "landAreaOccupation", "aircraftGhgEmissions",
               "packagingGhgEmissions", "packagingBiogenicCarbonContent",
               "outboundLogisticsGhgEmissions", "ccuCarbonContent")
NONPOSITIVE = ("landManagementBiogenicCO2Removals", "biogenicCO2Uptake",
               "ccsTechnologicalCO2Capture", "technologicalCO2Removals")
_HEADLINE_PARTS = ("fossilGhgEmissions", "landUseChangeGhgEmissions",
                   "landManagementBiogenicCO2Emissions", "landManagementBiogenicCO2Removals",
                   "technologicalCO2Removals", "ccsTechnologicalCO2Capture",
                   "biogenicNonCO2Emissions")
_PF_REQUIRED = ("id", "specVersion", "created", "status", "companyName", "companyIds",
                "productDescription", "productIds", "productNameCompany", "pcf")
_CF_REQUIRED = ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
                "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
                "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
                "ipccCharacterizationFactors", "crossSectoralStandards",
                "exemptedEmissionsPercent")

# An inventory value given as a supplier's PACT document: {pact: file.json} or {pact: {...}}.
SUPPLIER_VALUE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["pact"], "additionalProperties": False,
    "description": "A supplier's PACT ProductFootprint (Tech Specs 3.0): inline, or a JSON file "
                   "path relative to the inventory file; its pcfExcludingBiogenicUptake per "
                   "declared unit is converted to this input's unit",
    "properties": {
        "pact": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "object"}]},
        "source": {"enum": ["primary", "secondary"]},
        "dq": {"type": "object", "additionalProperties": False,
               "properties": {k: {"type": "integer", "minimum": 1, "maximum": 5}
                              for k in ("ter", "ger", "tir", "p")}},
        "note": {"type": "string"},
    },
}


class PactError(ZujiError):
    """A PACT document (made by Zuji or received from a supplier) breaks the specification."""


# ----------------------------------------------------------------------------- decimals


def decimal_string(value: float | Decimal, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A number as PACT writes it: plain decimal notation, no exponent, no trailing zeros."""
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not number.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if number.is_zero():
        return "0"
    with localcontext() as ctx:
        ctx.prec = 80
        quantum = Decimal(1).scaleb(number.adjusted() - digits + 1)
        text = format(number.quantize(quantum, rounding=ROUND_HALF_EVEN), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _dec(text: Any) -> Decimal | None:
    if not isinstance(text, str) or not _DECIMAL.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _places(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


# ----------------------------------------------------------------------------- checking


def check(document: Any) -> list[str]:
    """Every way a ProductFootprint breaks PACT 3.0: the schema's rules and the methodology's.

    Each problem is a sentence starting with the field's path. An empty list means it passes.
    """
    problems: list[str] = []
    if not isinstance(document, dict):
        return ["(document): a ProductFootprint is a JSON object"]
    for name in _PF_REQUIRED:
        if document.get(name) is None:
            problems.append(f"{name}: required, missing")
    if "id" in document and not _is_uuid(document["id"]):
        problems.append(f"id: {document['id']!r} is not a UUID")
    spec = document.get("specVersion")
    if spec is not None and (not isinstance(spec, str) or not _SPEC.match(spec)):
        problems.append(f"specVersion: {spec!r} is not a version such as 3.0.3")
    if document.get("status") not in (None, "Active", "Deprecated"):
        problems.append(f"status: {document['status']!r} is not Active or Deprecated")
    for name in ("created", "validityPeriodStart", "validityPeriodEnd"):
        if name in document and not _is_datetime(document[name]):
            problems.append(f"{name}: {document[name]!r} is not an RFC 3339 date-time")
    for name in ("companyName", "productNameCompany"):
        if name in document and (not isinstance(document[name], str) or not document[name]):
            problems.append(f"{name}: must be a non-empty string")
    for name in ("companyIds", "productIds", "productClassifications"):
        if name in document:
            problems += _urns(name, document[name])
    pcf = document.get("pcf")
    if pcf is not None:
        if isinstance(pcf, dict):
            problems += [f"pcf.{p}" for p in _check_pcf(pcf)]
        else:
            problems.append("pcf: must be a CarbonFootprint object")
    return problems


def _check_pcf(pcf: dict[str, Any]) -> list[str]:
    problems = [f"{name}: required, missing" for name in _CF_REQUIRED if pcf.get(name) is None]
    numbers: dict[str, Decimal] = {}
    decimal_fields = (*NONNEGATIVE, *NONPOSITIVE, "declaredUnitAmount",
                      "productMassPerDeclaredUnit", "pcfExcludingBiogenicUptake",
                      "pcfIncludingBiogenicUptake", "exemptedEmissionsPercent", "primaryDataShare")
    for name in decimal_fields:
        if pcf.get(name) is None:
            continue
        value = _dec(pcf[name])
        if value is None:
            problems.append(f"{name}: {pcf[name]!r} is not a decimal string such as \"12.5\" "
                            "(no exponent, no thousands separator)")
            continue
        numbers[name] = value
    for name in NONNEGATIVE:
        if name in numbers and numbers[name] < 0:
            problems.append(f"{name}: {pcf[name]} must be zero or positive")
    for name in NONPOSITIVE:
        if name in numbers and numbers[name] > 0:
            problems.append(f"{name}: {pcf[name]} must be zero or negative")
    if "declaredUnitAmount" in numbers and numbers["declaredUnitAmount"] <= 0:
        problems.append(f"declaredUnitAmount: {pcf['declaredUnitAmount']} must be above zero")
    if "productMassPerDeclaredUnit" in numbers and numbers["productMassPerDeclaredUnit"] < 0:
        problems.append("productMassPerDeclaredUnit: must be zero or positive")
    for name in ("exemptedEmissionsPercent", "primaryDataShare"):
        if name in numbers and not 0 <= numbers[name] <= 100:
            problems.append(f"{name}: {pcf[name]} is not a percentage within 0..100")
    unit = pcf.get("declaredUnitOfMeasurement")
    if unit is not None and unit not in (*DECLARED_UNITS, "megabit second"):
        problems.append(f"declaredUnitOfMeasurement: {unit!r} is not a PACT declared unit")
    for name in ("referencePeriodStart", "referencePeriodEnd"):
        if name in pcf and not _is_datetime(pcf[name]):
            problems.append(f"{name}: {pcf[name]!r} is not an RFC 3339 date-time")
    if _is_datetime(pcf.get("referencePeriodStart")) and _is_datetime(pcf.get("referencePeriodEnd")) \
            and _when(pcf["referencePeriodEnd"]) <= _when(pcf["referencePeriodStart"]):
        problems.append("referencePeriodEnd: must come after referencePeriodStart")
    geography = [g for g in ("geographyRegionOrSubregion", "geographyCountry",
                             "geographyCountrySubdivision") if pcf.get(g) is not None]
    if len(geography) > 1:
        problems.append(f"{', '.join(geography)}: at most one geography field may be given")
    if "geographyCountry" in pcf and not re.match(r"^[A-Z]{2}$", str(pcf["geographyCountry"])):
        problems.append("geographyCountry: not an ISO 3166-1 alpha-2 code")
    if "geographyCountrySubdivision" in pcf and not re.match(
            r"^[A-Z]{2}-[A-Z0-9]{1,3}$", str(pcf["geographyCountrySubdivision"])):
        problems.append("geographyCountrySubdivision: not an ISO 3166-2 code")
    if "geographyRegionOrSubregion" in pcf and pcf["geographyRegionOrSubregion"] not in UN_REGIONS:
        problems.append("geographyRegionOrSubregion: not a UN region or sub-region")
    problems += _lists(pcf)
    problems += _dqi(pcf.get("dqi"))
    if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
        problems.append("packagingGhgEmissions: must be left out when packagingEmissionsIncluded "
                        "is false")
    problems += _arithmetic(pcf, numbers)
    return problems


def _lists(pcf: dict[str, Any]) -> list[str]:
    problems = []
    ipcc = pcf.get("ipccCharacterizationFactors")
    if ipcc is not None and not (_unique_nonempty(ipcc) and
                                 all(isinstance(x, str) and re.match(r"^AR\d+$", x) for x in ipcc)):
        problems.append("ipccCharacterizationFactors: a non-empty list of distinct AR<n>")
    standards = pcf.get("crossSectoralStandards")
    if standards is not None and not (_unique_nonempty(standards) and
                                      all(isinstance(x, str) for x in standards)):
        problems.append("crossSectoralStandards: a non-empty list of distinct names")
    rules = pcf.get("productOrSectorSpecificRules")
    if rules is not None:
        if not isinstance(rules, list) or not rules:
            problems.append("productOrSectorSpecificRules: leave it out rather than empty")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, dict) or rule.get("operator") not in (
                    "PEF", "EPD International", "Other"):
                problems.append(f"productOrSectorSpecificRules[{i}].operator: PEF, EPD "
                                "International or Other")
                continue
            names = rule.get("ruleNames")
            if not (_unique_nonempty(names) and all(isinstance(n, str) and n for n in names)):
                problems.append(f"productOrSectorSpecificRules[{i}].ruleNames: a non-empty list "
                                "of distinct names")
            if rule["operator"] == "Other" and not rule.get("otherOperatorName"):
                problems.append(f"productOrSectorSpecificRules[{i}].otherOperatorName: needed "
                                "when the operator is Other")
    sources = pcf.get("secondaryEmissionFactorSources")
    if sources is not None and (not isinstance(sources, list) or not sources or not all(
            isinstance(s, dict) and s.get("name") and s.get("version") for s in sources)):
        problems.append("secondaryEmissionFactorSources: a non-empty list of {name, version}")
    return problems


def _dqi(dqi: Any) -> list[str]:
    if dqi is None:
        return []
    if not isinstance(dqi, dict):
        return ["dqi: must be an object"]
    problems = []
    for name in ("technologicalDQR", "geographicalDQR", "temporalDQR"):
        value = _dec(dqi.get(name))
        if value is None:
            problems.append(f"dqi.{name}: required, a decimal string")
        elif not 1 <= value <= 5:
            problems.append(f"dqi.{name}: {dqi[name]} is not within 1..5")
    return problems


def _arithmetic(pcf: dict[str, Any], numbers: dict[str, Decimal]) -> list[str]:
    """The headline figures against their parts, allowing for the rounding of each figure."""
    if "pcfExcludingBiogenicUptake" not in numbers or "fossilGhgEmissions" not in numbers:
        return []
    problems = []
    with localcontext() as ctx:
        ctx.prec = 60
        parts = [n for n in _HEADLINE_PARTS if n in numbers]
        expected = sum((numbers[n] for n in parts), Decimal(0))
        slack = sum((Decimal(5).scaleb(-_places(pcf[n]) - 1)
                     for n in (*parts, "pcfExcludingBiogenicUptake")), Decimal(0))
        excluding = numbers["pcfExcludingBiogenicUptake"]
        if abs(excluding - expected) > slack:
            problems.append(f"pcfExcludingBiogenicUptake: {pcf['pcfExcludingBiogenicUptake']} is "
                            f"not the sum of its parts ({' + '.join(parts)} = {expected})")
        if "pcfIncludingBiogenicUptake" in numbers:
            uptake = numbers.get("biogenicCO2Uptake", Decimal(0))
            slack = sum((Decimal(5).scaleb(-_places(pcf[n]) - 1) for n in
                         ("pcfExcludingBiogenicUptake", "pcfIncludingBiogenicUptake",
                          "biogenicCO2Uptake") if n in numbers), Decimal(0))
            if abs(numbers["pcfIncludingBiogenicUptake"] - (excluding + uptake)) > slack:
                problems.append(f"pcfIncludingBiogenicUptake: {pcf['pcfIncludingBiogenicUptake']}"
                                f" is not pcfExcludingBiogenicUptake + biogenicCO2Uptake "
                                f"({excluding + uptake})")
    return problems


def _unique_nonempty(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    try:
        return len({repr(v) for v in value}) == len(value)
    except TypeError:
        return False


def _urns(name: str, value: Any) -> list[str]:
    if not _unique_nonempty(value) or not all(isinstance(v, str) and _URN.match(v) for v in value):
        return [f"{name}: a non-empty list of distinct URNs (urn:...)"]
    return []


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        _when(value)
    except ValueError:
        return False
    return True


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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
        problems.append("referencePeriodStart: the inventory gives no reference period, which "
                        "PACT requires")
    if problems:
        raise PactError([Diagnostic("E801", f"cannot write a PACT document: {p}") for p in problems])
    company = inventory.company or "unnamed company"
    pcf = _carbon_footprint(result, measure, amount, mass)
    content = result.model_dump_json(exclude={"trace"})
    document: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, content)),
        "specVersion": SPEC_VERSION,
        "created": _rfc3339(created or datetime.now(timezone.utc)),
        "status": "Active",
        "companyName": company,
        "companyIds": inventory.company_ids or [f"urn:uuid:{uuid.uuid5(_NAMESPACE, company)}"],
        "productDescription": _product_description(result),
        "productIds": inventory.product_ids or [
            f"urn:uuid:{uuid.uuid5(_NAMESPACE, company + '/' + (inventory.product or pcr.id))}"],
        "productNameCompany": inventory.product or unit.product or pcr.name_en,
        "comment": _comment(result),
        "pcf": pcf,
    }
    classifications = [_classification(c) for c in pcr.classification]
    if classifications:
        document["productClassifications"] = sorted(set(classifications))
    found = check(document)
    if found:
        raise PactError([Diagnostic("E802", f"the PACT document Zuji made breaks the "
                                    f"specification: {p}") for p in found])
    return document


def _declared_unit(result: Result, problems: list[str]) -> tuple[str, Decimal, Decimal]:
    from zuji import units as u
    from zuji.build import unit_from_text

    declared = result.declared_unit
    try:
        unit = u.to_pint(unit_from_text(declared.unit))
    except (ValueError, u.UnitSyntaxError):
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
        problems.append(f"productMassPerDeclaredUnit: the declared unit is {measure}, and the PCR "
                        "does not state the product's mass per declared unit")
        return measure, amount, Decimal(0)
    problems.append(f"declaredUnitOfMeasurement: '{declared.unit}' has no PACT equivalent "
                    f"({', '.join(DECLARED_UNITS)})")
    return "kilogram", Decimal(1), Decimal(0)


def _carbon_footprint(result: Result, measure: str, amount: Decimal,
                      mass: Decimal) -> dict[str, Any]:
    emissions = [line for line in result.lines if line.kind == "emission"]
    biogenic_co2 = math.fsum(x.co2e_kg for x in emissions
                             if x.origin == "biogenic" and x.gas == "CO2")
    biogenic_other = math.fsum(x.co2e_kg for x in emissions
                               if x.origin == "biogenic" and x.gas != "CO2")
    parts = {"fossilGhgEmissions": decimal_string(result.by_origin.get("fossil", 0.0)),
             "landUseChangeGhgEmissions": decimal_string(result.by_origin.get("luc", 0.0)),
             "landManagementBiogenicCO2Emissions": decimal_string(biogenic_co2),
             "biogenicNonCO2Emissions": decimal_string(biogenic_other)}
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
            f"{c.flow} ({decimal_string(c.share)} %): {c.reason}" for c in result.cutoff_flows),
        "primaryDataShare": decimal_string(result.data_quality.primary_data_share),
    }
    geography = _geography(result.pcr.geography)
    pcf.update(geography)
    if result.allocation:
        pcf["allocationRulesDescription"] = "; ".join(
            f"{', '.join(a.stages)} allocated by {a.method} to {a.reference_product} "
            f"(share {a.reference_share:.4g})" for a in result.allocation)
    if result.datasets:
        pcf["secondaryEmissionFactorSources"] = [{"name": d.id, "version": d.version}
                                                 for d in result.datasets]
    indicators = result.data_quality.indicators
    if all(k in indicators for k in ("ter", "ger", "tir")):
        pcf["dqi"] = {"technologicalDQR": decimal_string(indicators["ter"], 3),
                      "geographicalDQR": decimal_string(indicators["ger"], 3),
                      "temporalDQR": decimal_string(indicators["tir"], 3)}
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
    rules = [{"operator": "Other", "otherOperatorName": "Zuji PCR library",
              "ruleNames": [f"{pcr.id} {pcr.version} (sha256 {pcr.source_hash[:16]})"]}]
    others = [s for s in pcr.standards if not any(
        s.replace(" ", "").startswith(p.replace(" ", "")) for p in CROSS_SECTORAL)]
    if others:
        rules.append({"operator": "Other", "otherOperatorName": "Standards the PCR follows",
                      "ruleNames": list(dict.fromkeys(others))})
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
    unit = result.declared_unit
    text = f"{result.pcr.name_en}"
    if unit.description:
        text += f"; declared unit {unit.amount:g} {unit.unit}: {unit.description}"
    if result.inventory.site:
        text += f"; site {result.inventory.site}"
    return text


def _comment(result: Result) -> str:
    pcr, dq = result.pcr, result.data_quality
    parts = [f"Computed by {result.engine} under PCR {pcr.id} {pcr.version} ({pcr.status}, source "
             f"sha256 {pcr.source_hash}), GWP {pcr.gwp}, {pcr.boundary.replace('_', '-')}."]
    if dq.dqr is not None:
        parts.append(f"Data-quality rating {dq.dqr:.2f} ({dq.rating}).")
    if result.credits:
        parts.append(f"Credits of {decimal_string(result.credits)} kg CO2e per declared unit are "
                     "reported apart and not netted.")
    if any(x.origin == "biogenic" and x.gas == "CO2" and x.kind == "emission" and x.co2e_kg
           for x in result.lines):
        parts.append("Biogenic CO2 emissions are reported in landManagementBiogenicCO2Emissions.")
    parts.append("The PCR does not account the carbon content of the product: fossilCarbonContent "
                 "is reported as 0.")
    suppliers = [v["supplier"] for v in dq.inputs.values() if v.get("supplier")]
    for s in suppliers:
        parts.append(f"Uses supplier footprint {s.get('id')} from {s.get('company')}.")
    return " ".join(parts)


def _rfc3339(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- import


def intensity(document: Any, target: Any, label: str = "PACT document") -> tuple[float, dict[str, Any]]:
    """A supplier's footprint per declared unit, converted to `target` (a pint unit of CO2e per
    something), with the record of the document it came from. Raises ValueError naming the
    field at fault."""
    from zuji import units as u
    from zuji.build import unit_from_text

    problems = check(document)
    if isinstance(document, dict) and isinstance(document.get("specVersion"), str) \
            and not document["specVersion"].startswith("3."):
        problems.insert(0, f"specVersion: {document['specVersion']} is not PACT 3.x; convert the "
                        "document to Tech Specs 3.0 first")
    if problems:
        raise ValueError(f"{label} is not a valid PACT ProductFootprint: " + "; ".join(problems[:8]))
    if document["status"] != "Active":
        raise ValueError(f"{label}: status is {document['status']}; a deprecated footprint must "
                         "not be used (ask the supplier for the one that replaces it)")
    pcf = document["pcf"]
    measure = pcf["declaredUnitOfMeasurement"]
    if measure not in DECLARED_UNITS:
        raise ValueError(f"{label}: declared unit '{measure}' cannot be converted")
    amount = Decimal(pcf["declaredUnitAmount"])
    footprint = Decimal(pcf["pcfExcludingBiogenicUptake"])
    per_unit = u.registry().Unit("kilogram") * u.gas_dimension("CO2e")
    declared = u.to_pint(unit_from_text(DECLARED_UNITS[measure]))
    value = float(footprint / amount)
    source = per_unit / declared
    if not u.same_dimension(source, target):
        mass = Decimal(pcf["productMassPerDeclaredUnit"])
        by_mass = per_unit / u.registry().Unit("kilogram")
        if mass > 0 and u.same_dimension(by_mass, target):
            value, source = float(footprint / mass), by_mass
        else:
            raise ValueError(f"{label}: its footprint is per {measure}, which cannot be "
                             f"converted to {u.format_unit(target)}" + (
                                 "" if mass > 0 else " (productMassPerDeclaredUnit is 0)"))
    converted = value * u.conversion(source, target)
    if not math.isfinite(converted) or converted < 0:
        raise ValueError(f"{label}: a footprint of {converted} is not usable")
    record = {"id": document["id"], "company": document["companyName"],
              "spec_version": document["specVersion"],
              "product": document["productNameCompany"],
              "pcf_excluding_biogenic_uptake": pcf["pcfExcludingBiogenicUptake"],
              "declared_unit": f"{pcf['declaredUnitAmount']} {measure}",
              "reference_period": f"{pcf['referencePeriodStart']} to {pcf['referencePeriodEnd']}"}
    return converted, record


def supplier_value(inp: m.Input, raw: dict[str, Any], reader: Any, where: str) -> tuple[Any, Any]:
    """An inventory input given as a supplier's PACT document (inline or a file beside the
    inventory): the value in the input's unit and its origin, or an error naming the input."""
    from zuji import units as u
    from zuji.documents import DocumentError, load_path
    from zuji.errors import file_label
    from zuji.inventory import Origin, _check_bounds

    target = u.to_pint(inp.unit)
    if target.dimensionality.get("[CO2e]") != 1:
        reader.error(where, f"a PACT document gives a footprint (CO2e per unit), but this input "
                     f"is {u.describe_dimension(target)}")
        return None, Origin("not-given")
    given = raw["pact"]
    label = "the inline PACT document"
    if isinstance(given, str):
        if reader.base is None:
            reader.error(where, "a PACT document can be named by file only in an inventory file",
                         "send the document itself: {pact: {...}}")
            return None, Origin("not-given")
        path = Path(given)
        if path.is_absolute():
            reader.error(where, f"'{given}': give the PACT document's path relative to the "
                         "inventory file")
            return None, Origin("not-given")
        try:
            document = load_path(reader.base / path)
        except DocumentError as exc:
            reader.error(where, exc.diagnostic.message)
            return None, Origin("not-given")
        label = f"PACT document {file_label(reader.base / path)}"
    elif isinstance(given, dict):
        document = given
    else:
        reader.error(where, "'pact' takes a file name or the document itself")
        return None, Origin("not-given")
    try:
        value, record = intensity(document, target, label)
    except ValueError as exc:
        reader.error(where, str(exc))
        return None, Origin("not-given")
    if isinstance(given, str):
        record["file"] = given
    dq = dict(raw.get("dq") or _dq_from(document))
    _check_bounds(value, inp, reader, where)
    written = (f"{record['pcf_excluding_biogenic_uptake']} kg CO2e per {record['declared_unit']} "
               f"(PACT {record['id']}, {record['company']})")
    return value, Origin("inventory", written, raw.get("source", "primary"), dq,
                         raw.get("note", ""), record)


def _dq_from(document: dict[str, Any]) -> dict[str, int]:
    """The supplier's DQRs as Zuji's scores; PACT has no precision score, so none is made up."""
    dqi = document["pcf"].get("dqi") or {}
    keys = {"technologicalDQR": "ter", "geographicalDQR": "ger", "temporalDQR": "tir"}
    return {ours: max(1, min(5, round(float(dqi[theirs])))) for theirs, ours in keys.items()
            if theirs in dqi}


__all__ = ["PactError", "SPEC_VERSION", "check", "decimal_string", "intensity", "to_pact"]
