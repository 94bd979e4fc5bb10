"""The published JSON Schemas (standards/schemas/) against every bundled file they describe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_kit import zuji as zuji_cli

import zuji
from zuji.core import library
from zuji.core.documents import load_path, plain
from zuji.runtime.cases import case_files, load_case

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = library.schemas_root()
FACTORS = sorted(library.factors_root().glob("*.yaml"))
GWP = sorted(library.gwp_root().glob("*.yaml"))
PCRS = [p for p in library.rule_files() if p.parent.name != "common"]
CASES = [(rule, case) for rule in PCRS for case in case_files(zuji.load(rule))]


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def problems(check: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in check.iter_errors(plain(document))
    ]


def test_every_schema_is_valid_draft_2020_12() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert {
        "inventory.schema.json",
        "factor-dataset.schema.json",
        "gwp-set.schema.json",
        "result.schema.json",
    } <= set(names)
    for name in names:
        validator(name)


@pytest.mark.parametrize("path", FACTORS, ids=[p.stem for p in FACTORS])
def test_factor_dataset_files(path: Path) -> None:
    assert problems(validator("factor-dataset.schema.json"), load_path(path)) == []


@pytest.mark.parametrize("path", GWP, ids=[p.stem for p in GWP])
def test_gwp_set_files(path: Path) -> None:
    assert problems(validator("gwp-set.schema.json"), load_path(path)) == []


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
def test_case_inventories_fit_the_generic_and_their_pcr_schema(rule: Path, case: Path) -> None:
    inventory = load_case(case)["inventory"]
    assert problems(validator("inventory.schema.json"), inventory) == []
    own = jsonschema.Draft202012Validator(zuji.load(rule).schema())
    assert problems(own, inventory) == []


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.stem}/{c.stem}" for r, c in CASES])
def test_case_results_fit_the_result_schema(rule: Path, case: Path) -> None:
    pcr = zuji.load(rule)
    result = pcr.evaluate(
        pcr.inventory(load_case(case)["inventory"], case.name, case.parent), trace=True
    )
    assert problems(validator("result.schema.json"), json.loads(result.model_dump_json())) == []


def test_schemas_reject_what_they_should(inventory: dict[str, Any]) -> None:
    generic = validator("inventory.schema.json")
    assert problems(generic, inventory) == []
    assert problems(generic, {**inventory, "colour": "red"})  # unknown field
    assert problems(generic, {"pcr": "cement"})  # no inputs
    bad_ids = {**inventory, "company_ids": ["not-a-urn"]}
    assert problems(generic, bad_ids)
    assert problems(generic, {**inventory, "company_ids": ["urn:uuid:1"]}) == []
    cement = jsonschema.Draft202012Validator(zuji.load("cement").schema())
    assert problems(cement, {**inventory, "inputs": {**inventory["inputs"], "cement_typo": 1}})
    dataset = load_path(library.factors_root() / "cn_grid.yaml")
    del dataset["entries"][next(iter(dataset["entries"]))]["source"]
    assert problems(validator("factor-dataset.schema.json"), dataset)
    result = json.loads(zuji.load("cement").evaluate(inventory).model_dump_json())
    result["total"] = "664"
    assert problems(validator("result.schema.json"), result)


def test_zuji_schema_command_gives_the_pcr_schema() -> None:
    done = zuji_cli("schema", "cement")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == zuji.load("cement").schema()
    footprint = schema["properties"]["inputs"]["properties"]["bought_clinker_footprint"]
    assert any("pact" in branch.get("properties", {}) for branch in footprint["anyOf"])
