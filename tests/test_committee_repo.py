"""A committee's own repository: pcr/<name>/<name>.pcr beside its own standards/ folder. Its rules
are checked and evaluated against its datasets over the bundled ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import zuji
from zuji.core import library


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    # Only its own dataset: the bundled datasets, GWP sets and shared modules stay available.
    dataset = tmp_path / "standards" / "factors" / "committee.yaml"
    dataset.parent.mkdir(parents=True)
    dataset.write_text(
        (library.standards_root() / "factors" / "cn_heat.yaml")
        .read_text(encoding="utf-8")
        .replace("id: cn_heat", "id: committee")
        .replace("value: 0.11", "value: 0.25"),
        encoding="utf-8",
    )
    rule = tmp_path / "pcr" / "widget" / "widget.pcr"
    rule.parent.mkdir(parents=True)
    rule.write_text(
        (Path(__file__).parent / "fuzz" / "seeds" / "widget.pcr")
        .read_text(encoding="utf-8")
        .replace(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : CO2 = heat * factor committee.purchased_heat",
        ),
        encoding="utf-8",
    )
    return tmp_path


def test_a_rule_uses_the_datasets_of_its_own_repository(repository: Path) -> None:
    pcr = zuji.load(repository / "pcr" / "widget" / "widget.pcr")
    assert pcr.errors == [], [d.render() for d in pcr.errors]
    result = pcr.evaluate(
        {"pcr": "widget", "inputs": {"widget": "1 t", "power": "0 MWh", "coal": "1 t"}}
    )
    # 1 t coal × 20.908 GJ/t (cn_fuels) × 0.25 t CO2/GJ (the committee's own dataset) = 5.227 t
    assert result.total == pytest.approx(1 * 20.908 * 0.25 * 1000, rel=1e-9)


def test_the_bundled_library_keeps_the_bundled_datasets() -> None:
    from zuji.data.standards import load as load_standards

    pcr = zuji.load("cement")
    assert pcr.standards is load_standards()  # the one cached set of the bundled library
    assert "committee" not in pcr.standards.datasets
