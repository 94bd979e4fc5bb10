"""PACT exchange: results as ProductFootprints (validated against the official OpenAPI schema and
Zuji's own methodology checks), and suppliers' ProductFootprints as inventory values."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cli_kit import zuji as zuji_cli

import zuji
from zuji.exchange.pact import check, decimal_string, to_pact
from zuji.lang import units as u
from zuji.lang.units import unit_from_text
from zuji.runtime.supplier import intensity

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "pcr" / "cement" / "cases"
SUPPLIER = CASES / "supplier-clinker.json"
# The official file stays outside the repository (its licence); it sits beside the checkout.
PACT_DIR = ROOT.parent / "shared" / "pact"
OPENAPI = PACT_DIR / "openapi-v3.0.3.yaml"


@pytest.fixture(scope="module")
def official() -> jsonschema.Draft202012Validator:
    if not OPENAPI.is_file():
        # Not bundled (its licence): the checkout must have it beside it, as CI does. A missing
        # file fails, so the conformance of the PACT documents is never silently left unchecked.
        pytest.fail(f"the official PACT OpenAPI file is not at {OPENAPI}: put shared/pact beside")
    spec = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    defs = json.loads(
        json.dumps(spec["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    )
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
        "$ref": "#/$defs/ProductFootprint",
    }
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _result(case: str, trace: bool = False) -> zuji.Result:
    return zuji.load("cement").evaluate(CASES / f"{case}.yaml", trace=trace)


def _strings(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _strings(v)]
    if isinstance(value, list):
        return [x for v in value for x in _strings(v)]
    return [value]


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_every_case_gives_a_valid_product_footprint(case: str, official: Any) -> None:
    result = _result(case)
    document = to_pact(result)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in official.iter_errors(document)
    ]
    assert errors == []
    assert check(document) == []
    pcf = document["pcf"]
    # Decimal strings, never floats; no exponent anywhere.
    assert not any(isinstance(v, float) for v in _strings(document))
    for name in ("pcfExcludingBiogenicUptake", "fossilGhgEmissions", "primaryDataShare"):
        assert isinstance(pcf[name], str) and "e" not in pcf[name].lower()
    assert Decimal(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(Decimal(repr(result.total)))
    parts = sum(
        Decimal(pcf[n])
        for n in (
            "fossilGhgEmissions",
            "landUseChangeGhgEmissions",
            "landManagementBiogenicCO2Emissions",
            "biogenicNonCO2Emissions",
        )
    )
    assert Decimal(pcf["pcfExcludingBiogenicUptake"]) == parts  # exact, in decimal arithmetic
    assert Decimal(pcf["pcfIncludingBiogenicUptake"]) == Decimal(
        pcf["pcfExcludingBiogenicUptake"]
    ) + Decimal(pcf["biogenicCO2Uptake"])
    assert pcf["declaredUnitOfMeasurement"] == "kilogram" and pcf["declaredUnitAmount"] == "1000"
    assert pcf["productMassPerDeclaredUnit"] == "1000"
    assert (
        pcf["ipccCharacterizationFactors"] == ["AR6"]
        and "ISO14067" in pcf["crossSectoralStandards"]
    )
    assert pcf["geographyCountry"] == "CN"
    ours = pcf["productOrSectorSpecificRules"][0]
    assert ours["ruleNames"][0].startswith(f"cement {result.pcr.version} ")
    assert pcf["exemptedEmissionsPercent"] == decimal_string(result.cutoff_total_percent)
    assert Decimal(pcf["primaryDataShare"]) == pytest.approx(
        Decimal(repr(result.data_quality.primary_data_share)), rel=Decimal("1e-9")
    )
    start = result.inventory.period_start
    assert pcf["referencePeriodStart"] == f"{start}T00:00:00Z"
    assert pcf["referencePeriodEnd"].startswith(str(int(start[:4]) + 1))  # end is exclusive
    assert "clinker_production" in pcf["boundaryProcessesDescription"]
    assert "capital_goods" in pcf["boundaryProcessesDescription"]


def test_same_result_same_id_changed_result_new_id() -> None:
    result = _result("typical_plant")
    assert to_pact(result)["id"] == to_pact(result)["id"]
    changed = result.model_copy(update={"total": result.total + 1})
    assert to_pact(changed)["id"] != to_pact(result)["id"]


def test_dqi_and_secondary_sources() -> None:
    pcf = to_pact(_result("efficient_plant"))["pcf"]
    for key in ("technologicalDQR", "geographicalDQR", "temporalDQR"):
        assert 1 <= Decimal(pcf["dqi"][key]) <= 5
    names = {s["name"] for s in pcf["secondaryEmissionFactorSources"]}
    assert {"cn_grid", "cn_fuels", "cement_process"} <= names


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (662.32173902616, "662.321739026"),
        (1e-7, "0.0000001"),
        (1.5e21, "1500000000000000000000"),
        (-0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (100.00000000000001, "100"),
        (-3.25, "-3.25"),
        (2.0, "2"),
    ],
)
def test_decimal_strings_have_no_exponent(value: float, text: str) -> None:
    assert decimal_string(value) == text


def test_no_reference_period_no_pact_document(inventory: dict[str, Any]) -> None:
    del inventory["reference_period"]
    result = zuji.load("cement").evaluate(inventory)
    with pytest.raises(zuji.PactError) as info:
        to_pact(result)
    assert info.value.code == "E801" and "reference period" in str(info.value)


def test_methodology_rules_are_checked_before_emitting() -> None:
    result = _result("typical_plant")
    impossible = result.model_copy(update={"cutoff_total_percent": 150.0})
    with pytest.raises(zuji.PactError) as info:
        to_pact(impossible)
    assert info.value.code == "E802" and "exemptedEmissionsPercent" in str(info.value)


def test_check_finds_what_the_schema_cannot(official: Any) -> None:
    good = to_pact(_result("typical_plant"))

    def broken(**pcf: Any) -> dict[str, Any]:
        document = copy.deepcopy(good)
        document["pcf"].update(pcf)
        return document

    # The official schema lets these through; Zuji does not.
    for document, field in (
        (broken(primaryDataShare="120"), "primaryDataShare"),
        (broken(exemptedEmissionsPercent="-1"), "exemptedEmissionsPercent"),
        (broken(declaredUnitAmount="1abc"), "declaredUnitAmount"),
        (broken(pcfIncludingBiogenicUptake="1"), "pcfIncludingBiogenicUptake"),
        (broken(fossilGhgEmissions="1.5"), "pcfExcludingBiogenicUptake"),
        (
            broken(dqi={"technologicalDQR": "7", "geographicalDQR": "1", "temporalDQR": "1"}),
            "technologicalDQR",
        ),
    ):
        assert list(official.iter_errors(document)) == [], field
        assert any(field in p for p in check(document)), (field, check(document))
    # And what the schema also refuses.
    assert any("exponent" in p for p in check(broken(fossilGhgEmissions="6.6e2")))
    assert any("negative" in p for p in check(broken(biogenicCO2Uptake="2")))
    two = broken(geographyRegionOrSubregion="Eastern Asia")
    assert any("at most one geography" in p for p in check(two))
    no_id = copy.deepcopy(good)
    del no_id["id"]
    assert check(no_id) == ["id: required, missing"]


def test_rounding_of_received_figures_is_allowed() -> None:
    """A received document whose headline is its parts' sum, rounded as written, passes."""
    document = json.loads(SUPPLIER.read_text(encoding="utf-8"))
    document["pcf"].update(
        fossilGhgEmissions="0.384",
        biogenicNonCO2Emissions="0.4",
        pcfExcludingBiogenicUptake="0.78",
        biogenicCO2Uptake="-1.61",
        pcfIncludingBiogenicUptake="-0.83",
    )
    assert check(document) == []


def test_cli_writes_pact(tmp_path: Path) -> None:
    done = zuji_cli(
        "run", "cement", "-i", str(CASES / "purchased_clinker.yaml"), "--format", "pact"
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert check(document) == []
    assert "3f6c1b9e-2d4a-4f8e-9b7c-5a1e0d2c8f41" in document["comment"]


# ----------------------------------------------------------------------------- import


def test_supplier_document_feeds_the_bought_clinker() -> None:
    result = _result("purchased_clinker", trace=True)
    supplier = json.loads(SUPPLIER.read_text(encoding="utf-8"))
    recorded = result.data_quality.inputs["bought_clinker_footprint"]["supplier"]
    assert recorded["id"] == supplier["id"] and recorded["company"] == supplier["companyName"]
    assert recorded["spec_version"] == "3.0.3" and recorded["file"] == "supplier-clinker.json"
    line = next(x for x in result.trace.lines if x.name == "bought_clinker_supply")
    value = next(v for v in line.values if v.name == "bought_clinker_footprint")
    assert value.value == pytest.approx(0.8405, rel=1e-12) and value.unit == "t CO2e/t"
    assert supplier["id"] in value.source and supplier["companyName"] in value.source
    assert result.data_quality.primary_data_share == pytest.approx(100)


def test_inline_document_gives_the_same_figure() -> None:
    case = yaml.safe_load((CASES / "purchased_clinker.yaml").read_text(encoding="utf-8"))
    inventory = case["inventory"]
    inventory["inputs"]["bought_clinker_footprint"] = {
        "pact": json.loads(SUPPLIER.read_text(encoding="utf-8"))
    }
    inline = zuji.load("cement").evaluate(inventory)
    assert inline.total == pytest.approx(_result("purchased_clinker").total, rel=1e-12)


@pytest.mark.parametrize(
    ("pcf", "expected"),
    [
        (
            {
                "declaredUnitOfMeasurement": "kilogram",
                "declaredUnitAmount": "1",
                "pcfExcludingBiogenicUptake": "0.8405",
                "productMassPerDeclaredUnit": "1",
            },
            0.8405,
        ),
        (
            {
                "declaredUnitOfMeasurement": "kilogram",
                "declaredUnitAmount": "1000",
                "pcfExcludingBiogenicUptake": "840.5",
                "productMassPerDeclaredUnit": "1000",
            },
            0.8405,
        ),
        # Per piece, with the piece's mass: converted through productMassPerDeclaredUnit.
        (
            {
                "declaredUnitOfMeasurement": "piece",
                "declaredUnitAmount": "1",
                "pcfExcludingBiogenicUptake": "21.01",
                "productMassPerDeclaredUnit": "25",
            },
            0.8404,
        ),
    ],
)
def test_declared_units_convert_to_the_input_unit(pcf: dict[str, str], expected: float) -> None:
    document = json.loads(SUPPLIER.read_text(encoding="utf-8"))
    document["pcf"].update(
        pcf,
        fossilGhgEmissions=pcf["pcfExcludingBiogenicUptake"],
        pcfIncludingBiogenicUptake=pcf["pcfExcludingBiogenicUptake"],
    )
    value, record = intensity(document, u.to_pint(unit_from_text("t CO2e/t")))
    assert value == pytest.approx(expected, rel=1e-12)
    kg_per_t, _ = intensity(document, u.to_pint(unit_from_text("kg CO2e/t")))
    assert kg_per_t == pytest.approx(expected * 1000, rel=1e-12)
    assert record["id"] == document["id"]


def test_zuji_reads_back_its_own_documents() -> None:
    """Footprints chain: a document Zuji writes is a supplier document for the next step."""
    result = _result("typical_plant")
    value, record = intensity(to_pact(result), u.to_pint(unit_from_text("t CO2e/t")))
    assert value == pytest.approx(result.total / 1000, rel=1e-9)
    assert record["company"] == result.inventory.company


def _with_supplier(
    tmp_path: Path, value: Any, name: str = "bought_clinker_footprint"
) -> zuji.InventoryError:
    case = yaml.safe_load((CASES / "purchased_clinker.yaml").read_text(encoding="utf-8"))
    case["inventory"]["inputs"][name] = value
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    (tmp_path / "supplier-clinker.json").write_text(
        SUPPLIER.read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(zuji.InventoryError) as info:
        zuji.load("cement").evaluate(path)
    return info.value


def test_bad_supplier_documents_name_the_input(tmp_path: Path) -> None:
    supplier = json.loads(SUPPLIER.read_text(encoding="utf-8"))
    deprecated = dict(supplier, status="Deprecated")
    v2 = dict(supplier, specVersion="2.3.0")
    no_pcf = {k: v for k, v in supplier.items() if k != "pcf"}
    floats = copy.deepcopy(supplier)
    floats["pcf"]["pcfExcludingBiogenicUptake"] = 840.5
    cases = [
        ({"pact": deprecated}, "Deprecated"),
        ({"pact": v2}, "not PACT 3.x"),
        ({"pact": no_pcf}, "pcf: required"),
        ({"pact": floats}, "decimal string"),
        ({"pact": "missing.json"}, "cannot read"),
        ({"pact": str(tmp_path / "supplier-clinker.json")}, "relative"),
        ({"pact": 5}, "is not a value this input takes"),
    ]
    for value, words in cases:
        error = _with_supplier(tmp_path, value)
        assert error.code == "E501"
        assert "bought_clinker_footprint" in str(error) and words in str(error), str(error)
    error = _with_supplier(tmp_path, {"pact": "supplier-clinker.json"}, name="clinker_used")
    assert "clinker_used" in str(error)


def test_per_pcr_schema_accepts_pact_only_for_intensities() -> None:
    properties = zuji.load("cement").schema()["properties"]["inputs"]["properties"]
    validator = jsonschema.Draft202012Validator(properties["bought_clinker_footprint"])
    assert validator.is_valid({"pact": "supplier-clinker.json"})
    assert not jsonschema.Draft202012Validator(properties["cement"]).is_valid(
        {"pact": "supplier-clinker.json"}
    )
