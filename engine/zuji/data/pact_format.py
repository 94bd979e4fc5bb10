"""The PACT ProductFootprint format (Tech Specs 3.0): its declared units, decimal strings and the
rules a conformant document keeps.

PACT writes every real number as a decimal string ("12.5"): no floats, no exponents. Its OpenAPI
schema is the interoperability contract, but it cannot express the methodology's own rules
(percentages within 0..100, DQRs within 1..5, the headline figures' arithmetic), and some of its
patterns are loosely anchored; so :func:`check` applies both. It is used on documents Zuji writes
(exchange) and on supplier documents an inventory names (runtime). The official schema file is not
bundled (its licence restricts sharing verbatim copies); this module implements the specification,
it does not copy it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any, TypeGuard

SPEC_VERSION = "3.0.3"
SIGNIFICANT_DIGITS = 12  # ample for kg CO2e; keeps float noise (…0000001) out of the documents

# PACT's declared units, and how Zuji writes each.
DECLARED_UNITS = {
    "kilogram": "kg",
    "liter": "L",
    "cubic meter": "m3",
    "kilowatt hour": "kWh",
    "megajoule": "MJ",
    "ton kilometer": "tkm",
    "square meter": "m2",
    "piece": "piece",
    "hour": "h",
}
# Units whose product has no mass that matters: PACT wants productMassPerDeclaredUnit "0".
_MASSLESS = {"kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second"}
CROSS_SECTORAL = {
    "ISO 14067": "ISO14067",
    "ISO 14083": "ISO14083",
    "ISO 14040": "ISO14040-44",
    "ISO 14044": "ISO14040-44",
    "GHG Protocol Product": "GHGP-Product",
    "PEF": "PEF",
    "PAS 2050": "PAS2050",
    "PACT": "PACT-3.0",
}
UN_REGIONS = {
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
}

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_URN = re.compile(r"^[uU][rR][nN]:")
_SPEC = re.compile(r"^\d+\.\d+\.\d+(-\d{8})?$")

# Figures of a CarbonFootprint: their sign, as the specification constrains it.
NONNEGATIVE = (
    "fossilCarbonContent",
    "biogenicCarbonContent",
    "recycledCarbonContent",
    "fossilGhgEmissions",
    "landUseChangeGhgEmissions",
    "landCarbonLeakage",
    "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "biogenicNonCO2Emissions",
    "landAreaOccupation",
    "aircraftGhgEmissions",
    "packagingGhgEmissions",
    "packagingBiogenicCarbonContent",
    "outboundLogisticsGhgEmissions",
    "ccuCarbonContent",
)
NONPOSITIVE = (
    "landManagementBiogenicCO2Removals",
    "biogenicCO2Uptake",
    "ccsTechnologicalCO2Capture",
    "technologicalCO2Removals",
)
_HEADLINE_PARTS = (
    "fossilGhgEmissions",
    "landUseChangeGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "technologicalCO2Removals",
    "ccsTechnologicalCO2Capture",
    "biogenicNonCO2Emissions",
)
_PF_REQUIRED = (
    "id",
    "specVersion",
    "created",
    "status",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productNameCompany",
    "pcf",
)
_CF_REQUIRED = (
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "exemptedEmissionsPercent",
)

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
    if not isinstance(document, dict):
        return ["(document): a ProductFootprint is a JSON object"]
    return [*_identity(document), *_company_and_product(document), *_footprint(document)]


def _identity(document: dict[str, Any]) -> list[str]:
    """The required fields, and the document's id, version and status."""
    problems = [f"{name}: required, missing" for name in _PF_REQUIRED if document.get(name) is None]
    if "id" in document and not _is_uuid(document["id"]):
        problems.append(f"id: {document['id']!r} is not a UUID")
    spec = document.get("specVersion")
    if spec is not None and (not isinstance(spec, str) or not _SPEC.match(spec)):
        problems.append(f"specVersion: {spec!r} is not a version such as 3.0.3")
    if document.get("status") not in (None, "Active", "Deprecated"):
        problems.append(f"status: {document['status']!r} is not Active or Deprecated")
    return problems


def _company_and_product(document: dict[str, Any]) -> list[str]:
    """Its dates, the names of the company and product, and their identifiers."""
    problems = []
    for name in ("created", "validityPeriodStart", "validityPeriodEnd"):
        if name in document and not _is_datetime(document[name]):
            problems.append(f"{name}: {document[name]!r} is not an RFC 3339 date-time")
    for name in ("companyName", "productNameCompany"):
        if name in document and (not isinstance(document[name], str) or not document[name]):
            problems.append(f"{name}: must be a non-empty string")
    for name in ("companyIds", "productIds", "productClassifications"):
        if name in document:
            problems += _urns(name, document[name])
    return problems


def _footprint(document: dict[str, Any]) -> list[str]:
    pcf = document.get("pcf")
    if pcf is None:
        return []
    if not isinstance(pcf, dict):
        return ["pcf: must be a CarbonFootprint object"]
    return [f"pcf.{p}" for p in _check_pcf(pcf)]


def _check_pcf(pcf: dict[str, Any]) -> list[str]:
    """Every way a CarbonFootprint breaks the specification, concern by concern."""
    problems = [f"{name}: required, missing" for name in _CF_REQUIRED if pcf.get(name) is None]
    numbers, malformed = _decimals(pcf)
    problems += malformed
    problems += _ranges(pcf, numbers)
    unit = pcf.get("declaredUnitOfMeasurement")
    if unit is not None and unit not in (*DECLARED_UNITS, "megabit second"):
        problems.append(f"declaredUnitOfMeasurement: {unit!r} is not a PACT declared unit")
    problems += _reference_period(pcf)
    problems += _geography(pcf)
    problems += _lists(pcf)
    problems += _dqi(pcf.get("dqi"))
    if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
        problems.append(
            "packagingGhgEmissions: must be left out when packagingEmissionsIncluded is false"
        )
    problems += _arithmetic(pcf, numbers)
    return problems


# The figures of a CarbonFootprint written as decimal strings.
_DECIMAL_FIELDS = (
    *NONNEGATIVE,
    *NONPOSITIVE,
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "exemptedEmissionsPercent",
    "primaryDataShare",
)


def _decimals(pcf: dict[str, Any]) -> tuple[dict[str, Decimal], list[str]]:
    """The figures given as decimal strings, by name, and a problem for each that is not one."""
    numbers: dict[str, Decimal] = {}
    problems = []
    for name in _DECIMAL_FIELDS:
        if pcf.get(name) is None:
            continue
        value = _dec(pcf[name])
        if value is None:
            problems.append(
                f'{name}: {pcf[name]!r} is not a decimal string such as "12.5" '
                "(no exponent, no thousands separator)"
            )
            continue
        numbers[name] = value
    return numbers, problems


def _ranges(pcf: dict[str, Any], numbers: dict[str, Decimal]) -> list[str]:
    """Each figure's sign, and the amounts and percentages within their ranges."""
    problems = []
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
    return problems


def _reference_period(pcf: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("referencePeriodStart", "referencePeriodEnd"):
        if name in pcf and not _is_datetime(pcf[name]):
            problems.append(f"{name}: {pcf[name]!r} is not an RFC 3339 date-time")
    if (
        _is_datetime(pcf.get("referencePeriodStart"))
        and _is_datetime(pcf.get("referencePeriodEnd"))
        and _when(pcf["referencePeriodEnd"]) <= _when(pcf["referencePeriodStart"])
    ):
        problems.append("referencePeriodEnd: must come after referencePeriodStart")
    return problems


def _geography(pcf: dict[str, Any]) -> list[str]:
    """At most one geography field, and that one a code or region PACT knows."""
    problems = []
    geography = [
        g
        for g in ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")
        if pcf.get(g) is not None
    ]
    if len(geography) > 1:
        problems.append(f"{', '.join(geography)}: at most one geography field may be given")
    if "geographyCountry" in pcf and not re.match(r"^[A-Z]{2}$", str(pcf["geographyCountry"])):
        problems.append("geographyCountry: not an ISO 3166-1 alpha-2 code")
    if "geographyCountrySubdivision" in pcf and not re.match(
        r"^[A-Z]{2}-[A-Z0-9]{1,3}$", str(pcf["geographyCountrySubdivision"])
    ):
        problems.append("geographyCountrySubdivision: not an ISO 3166-2 code")
    if "geographyRegionOrSubregion" in pcf and pcf["geographyRegionOrSubregion"] not in UN_REGIONS:
        problems.append("geographyRegionOrSubregion: not a UN region or sub-region")
    return problems


def _lists(pcf: dict[str, Any]) -> list[str]:
    """The list fields: characterisation factors, standards, sector rules, factor sources."""
    problems = []
    ipcc = pcf.get("ipccCharacterizationFactors")
    if ipcc is not None and not (
        _unique_nonempty(ipcc) and all(isinstance(x, str) and re.match(r"^AR\d+$", x) for x in ipcc)
    ):
        problems.append("ipccCharacterizationFactors: a non-empty list of distinct AR<n>")
    standards = pcf.get("crossSectoralStandards")
    if standards is not None and not (
        _unique_nonempty(standards) and all(isinstance(x, str) for x in standards)
    ):
        problems.append("crossSectoralStandards: a non-empty list of distinct names")
    problems += _sector_rules(pcf.get("productOrSectorSpecificRules"))
    sources = pcf.get("secondaryEmissionFactorSources")
    if sources is not None and (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(s, dict) and s.get("name") and s.get("version") for s in sources)
    ):
        problems.append("secondaryEmissionFactorSources: a non-empty list of {name, version}")
    return problems


def _sector_rules(rules: Any) -> list[str]:
    """productOrSectorSpecificRules: left out or a non-empty list, each rule with its operator."""
    if rules is None:
        return []
    problems = []
    if not isinstance(rules, list) or not rules:
        problems.append("productOrSectorSpecificRules: leave it out rather than empty")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        problems += _sector_rule(i, rule)
    return problems


def _sector_rule(i: int, rule: Any) -> list[str]:
    where = f"productOrSectorSpecificRules[{i}]"
    if not isinstance(rule, dict) or rule.get("operator") not in (
        "PEF",
        "EPD International",
        "Other",
    ):
        return [f"{where}.operator: PEF, EPD International or Other"]
    problems = []
    names = rule.get("ruleNames")
    if not (_unique_nonempty(names) and all(isinstance(n, str) and n for n in names)):
        problems.append(f"{where}.ruleNames: a non-empty list of distinct names")
    if rule["operator"] == "Other" and not rule.get("otherOperatorName"):
        problems.append(f"{where}.otherOperatorName: needed when the operator is Other")
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
        slack = sum(
            (
                Decimal(5).scaleb(-_places(pcf[n]) - 1)
                for n in (*parts, "pcfExcludingBiogenicUptake")
            ),
            Decimal(0),
        )
        excluding = numbers["pcfExcludingBiogenicUptake"]
        if abs(excluding - expected) > slack:
            problems.append(
                f"pcfExcludingBiogenicUptake: {pcf['pcfExcludingBiogenicUptake']} is "
                f"not the sum of its parts ({' + '.join(parts)} = {expected})"
            )
        if "pcfIncludingBiogenicUptake" in numbers:
            uptake = numbers.get("biogenicCO2Uptake", Decimal(0))
            slack = sum(
                (
                    Decimal(5).scaleb(-_places(pcf[n]) - 1)
                    for n in (
                        "pcfExcludingBiogenicUptake",
                        "pcfIncludingBiogenicUptake",
                        "biogenicCO2Uptake",
                    )
                    if n in numbers
                ),
                Decimal(0),
            )
            if abs(numbers["pcfIncludingBiogenicUptake"] - (excluding + uptake)) > slack:
                problems.append(
                    f"pcfIncludingBiogenicUptake: {pcf['pcfIncludingBiogenicUptake']}"
                    f" is not pcfExcludingBiogenicUptake + biogenicCO2Uptake "
                    f"({excluding + uptake})"
                )
    return problems


def _unique_nonempty(value: Any) -> TypeGuard[list[Any]]:
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
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
