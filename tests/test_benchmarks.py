"""Benchmark levels per product (standards/benchmarks/): the bundled set, its arithmetic against
the factor datasets, and the positioned errors of a malformed file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from zuji.core import library
from zuji.core.documents import load_path, plain
from zuji.core.errors import DatasetError
from zuji.data import standards
from zuji.data.benchmarks import load_benchmark_set, load_benchmarks

BUNDLED = sorted((library.standards_root() / "benchmarks").glob("*.yaml"))

GOOD = """\
id: {id}
version: "1"
compiled: 2026-12-06
title: {{en: "Test levels", zh: "测试"}}
description: "Levels for a test"
products:
  clinker:
    declared_unit: "t clinker"
    benchmarks:
      - id: scheme_a
        scheme: eu_ets_product_benchmark
        title: {{en: "A benchmark", zh: "基准"}}
        scope: direct
        region: EU
        valid_from: 2021-01-01
        valid_to: {valid_to}
        source: "A regulation"
        confirmed: true
        levels:
          - {{level: benchmark, value: 0.693, unit: "{unit}"}}
"""


def write(tmp_path: Path, name: str = "levels", **fields: str) -> Path:
    values = {"id": name, "valid_to": "2025-12-31", "unit": "t CO2e/t", **fields}
    path = tmp_path / f"{name}.yaml"
    path.write_text(GOOD.format(**values), encoding="utf-8")
    return path


def line_of(path: Path, text: str, nth: int = 1) -> int:
    """The line (from 1) of the nth line holding text, so the tests say where, not a number."""
    hits = [i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line]
    return hits[nth - 1]


def only_diagnostic(path: Path) -> tuple[str, int, str]:
    with pytest.raises(DatasetError) as caught:
        load_benchmark_set(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span is not None
    return diagnostic.code, diagnostic.span.line, diagnostic.message


def test_bundled_files_match_their_schema() -> None:
    assert BUNDLED, "no benchmark file is bundled"
    schema = json.loads((library.schemas_root() / "benchmark-set.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    check = jsonschema.Draft202012Validator(schema)
    for path in BUNDLED:
        assert [e.message for e in check.iter_errors(plain(load_path(path)))] == [], path.name


def test_every_product_is_a_pcr_of_the_library() -> None:
    pcr_ids = {p.stem for p in library.rule_files() if p.parent.name != "common"}
    for benchmark_set in load_benchmarks().values():
        assert set(benchmark_set.products) <= pcr_ids


def test_levels_are_offered_in_kg_co2e_per_tonne() -> None:
    levels = load_benchmarks()["product_benchmarks"]
    (cbam,) = [b for b in levels.for_product("clinker") if b.id == "cbam_transitional_default"]
    default = cbam.level("default")
    assert default is not None
    assert (default.value, default.unit, default.kg_co2e_per_t) == (0.87, "t CO2e/t", 870.0)


def test_only_benchmarks_in_force_on_a_date_are_given() -> None:
    levels = load_benchmarks()["product_benchmarks"]
    in_2024 = {b.id for b in levels.for_product("nitric_acid", date(2024, 6, 1))}
    in_2027 = {b.id for b in levels.for_product("nitric_acid", date(2027, 1, 1))}
    assert in_2024 == {"eu_ets_2021_2025"}
    assert in_2027 == {"cbam_benchmark_draft"}
    assert levels.for_product("no_such_product") == ()


def test_energy_grades_of_cement_follow_from_the_factor_datasets() -> None:
    # GB 16780 grades are kgce per t clinker: all energy as raw coal (cn_fuels) plus the CSI
    # default calcination (cement_process), as each level's conversion says.
    library_standards = standards.load()
    entry = library_standards.entry
    ncv_coal = entry("cn_fuels.ncv.raw_coal")
    carbon = entry("cn_fuels.carbon_content.raw_coal")
    oxidation = entry("cn_fuels.oxidation.raw_coal")
    calcination = entry("cement_process.calcination.clinker_default_csi")
    assert None not in (ncv_coal, carbon, oxidation, calcination)
    assert carbon is not None and oxidation is not None and calcination is not None
    kg_co2_per_kgce = 29.307 * carbon.values[0].value * oxidation.values[0].value / 100 * 44 / 12
    kg_co2_per_kgce /= 1000
    (grades,) = [
        b
        for b in load_benchmarks()["product_benchmarks"].for_product("clinker")
        if b.id == "gb16780_2021"
    ]
    for level in grades.levels:
        assert level.converted_from is not None and level.converted_from.unit == "kgce/t"
        expected = level.converted_from.value * kg_co2_per_kgce + calcination.values[0].value
        assert level.kg_co2e_per_t == pytest.approx(expected, abs=0.01), level.level


def test_energy_grades_of_aluminium_follow_from_the_grid_factor() -> None:
    grid = standards.load().entry("cn_grid.national")
    assert grid is not None
    in_2023 = grid.in_force(date(2023, 1, 1))
    assert in_2023 is not None
    (grades,) = [
        b
        for b in load_benchmarks()["product_benchmarks"].for_product("aluminium")
        if b.id == "gb21346_2022"
    ]
    assert [lv.level for lv in grades.levels] == ["grade_1", "grade_2", "grade_3"]
    for level in grades.levels:
        assert level.converted_from is not None
        assert level.kg_co2e_per_t == pytest.approx(
            level.converted_from.value * in_2023.value, abs=0.01
        )


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    loaded = load_benchmark_set(write(tmp_path))
    (benchmark,) = loaded.for_product("clinker")
    assert benchmark.in_force(date(2025, 12, 31)) and not benchmark.in_force(date(2026, 1, 1))
    assert benchmark.levels[0].kg_co2e_per_t == pytest.approx(693.0)


def test_E407_schema_violation_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text("utf-8").replace("scope: direct", "scope: sideways"), "utf-8")
    code, line, message = only_diagnostic(path)
    assert (code, line) == ("E407", line_of(path, "scope: sideways"))
    assert "sideways" in message and "scope" in message


def test_E408_a_unit_that_is_not_co2e_per_tonne(tmp_path: Path) -> None:
    path = write(tmp_path, unit="kWh/t")
    code, line, message = only_diagnostic(path)
    assert (code, line) == ("E408", line_of(path, 'unit: "kWh/t"'))
    assert "kWh/t" in message and "t CO2e/t" in message


def test_E408_a_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    path = write(tmp_path, valid_to="2020-12-31")
    code, line, message = only_diagnostic(path)
    assert (code, line) == ("E408", line_of(path, "valid_to: 2020-12-31"))
    assert "before valid_from" in message


def test_E408_an_id_that_is_not_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.rename(tmp_path / "other.yaml")
    code, line, message = only_diagnostic(tmp_path / "other.yaml")
    assert (code, line) == ("E408", 1) and "'levels'" in message and "'other'" in message


def test_a_duplicate_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path)
    text = path.read_text("utf-8").replace("region: EU\n", "region: EU\n        region: CN\n")
    path.write_text(text, "utf-8")
    code, line, message = only_diagnostic(path)
    assert (code, line) == ("E011", line_of(path, "region:", nth=2))
    assert "duplicate key 'region'" in message
