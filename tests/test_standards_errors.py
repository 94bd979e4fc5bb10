"""A factor dataset or GWP set that is missing, malformed or fails its schema stops the engine
when the standards are loaded, with the file and the fix, before any evaluation touches it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import zuji
from zuji.core import library
from zuji.core.errors import DatasetError
from zuji.data.standards import load


@pytest.fixture
def standards(tmp_path: Path) -> Path:
    """A copy of the bundled standards folder that a test may break."""
    root = tmp_path / "standards"
    shutil.copytree(library.standards_root(), root)
    return root


def refused(root: Path) -> zuji.Diagnostic:
    with pytest.raises(DatasetError) as info:
        load(root)
    return info.value.diagnostics[0]


def test_the_copy_loads(standards: Path) -> None:
    assert "cn_grid" in load(standards).datasets


def test_E400_no_datasets_folder(standards: Path) -> None:
    shutil.rmtree(standards / "factors")
    diagnostic = refused(standards)
    assert diagnostic.code == "E400" and "no factor datasets" in diagnostic.message


def test_malformed_dataset_names_file_and_line(standards: Path) -> None:
    path = standards / "factors" / "cn_grid.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  broken: [unclosed\n", encoding="utf-8")
    diagnostic = refused(standards)
    assert diagnostic.code == "E011" and diagnostic.span is not None
    assert diagnostic.span.file.endswith("cn_grid.yaml")


def test_E402_dataset_failing_its_schema(standards: Path) -> None:
    path = standards / "factors" / "transport.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("source:", "origin:", 1), encoding="utf-8")
    diagnostic = refused(standards)
    assert diagnostic.code == "E402" and "transport.yaml" in diagnostic.message
    assert "'origin' was unexpected" in diagnostic.message  # the field at fault


def test_E402_gwp_set_without_a_gas(standards: Path) -> None:
    path = standards / "gwp" / "AR6.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("\n  N2O:", "\n  N2O_typo:", 1), encoding="utf-8"
    )
    diagnostic = refused(standards)
    assert diagnostic.code == "E402" and "AR6.yaml" in diagnostic.message


def test_E403_dataset_id_that_is_not_its_file_name(standards: Path) -> None:
    path = standards / "factors" / "materials.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: materials", "id: material", 1),
        encoding="utf-8",
    )
    diagnostic = refused(standards)
    assert diagnostic.code == "E403" and "material" in diagnostic.message


def test_E404_entry_with_a_unit_the_engine_cannot_read(
    standards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The schema's unit pattern refuses such a unit first (E402); E404 is the engine's own check
    # behind it, for a schema that lets one through.
    from zuji.data import standards as module

    monkeypatch.setattr(module, "validate", lambda *args, **kwargs: None)
    path = standards / "factors" / "cn_heat.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('unit: "t CO2/GJ"', 'unit: "t CO2/zorkmid"', 1), encoding="utf-8")
    diagnostic = refused(standards)
    assert diagnostic.code == "E404" and "purchased_heat" in diagnostic.message


def test_a_dataset_that_is_not_utf8(standards: Path) -> None:
    (standards / "factors" / "cn_heat.yaml").write_bytes("id: 热".encode("gbk"))
    assert refused(standards).code == "E013"


def test_a_broken_dataset_stops_loading_a_rule_not_its_evaluation(standards: Path) -> None:
    path = standards / "factors" / "cn_grid.yaml"
    path.write_text("id: cn_grid\n", encoding="utf-8")
    rule = (library.pcr_root() / "common" / "heat.pcr").read_text(encoding="utf-8")
    with pytest.raises(DatasetError):
        zuji.load_text(rule, "heat.pcr", standards=load(standards))


def test_E405_uniform_with_min_above_max_named_at_its_line(standards: Path) -> None:
    path = standards / "factors" / "chlor_alkali.yaml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace(
        "{distribution: uniform, min: 2, max: 4,", "{distribution: uniform, min: 4, max: 2,", 1
    )
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    diagnostic = refused(standards)
    assert diagnostic.code == "E405" and "min 4 is above max 2" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line > 1
    assert "uncertainty:" in diagnostic.source_line and "min: 4" in diagnostic.source_line


def test_E405_value_outside_its_uniform_range(standards: Path) -> None:
    path = standards / "factors" / "chlor_alkali.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min: 2, max: 4,", "min: 200, max: 400,", 1), encoding="utf-8")
    diagnostic = refused(standards)
    assert diagnostic.code == "E405" and "outside min 200 .. max 400" in diagnostic.message
