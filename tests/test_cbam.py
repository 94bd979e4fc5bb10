"""CBAM embedded emissions: the worked cases computed by hand, the mapping's checks, the command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import zuji
from zuji.core import i18n, library
from zuji.core.errors import Diagnostic, ZujiError
from zuji.exchange.cbam import cbam_report
from zuji.exchange.cbam_cases import cbam_case_files, run_cbam_case
from zuji.exchange.cbam_mapping import load_mapping
from zuji.interfaces.cli import app

CBAM_GOODS = (
    "cement",
    "clinker",
    "steel",
    "aluminium",
    "ammonia",
    "urea",
    "nitric_acid",
    "ammonium_nitrate",
    "hydrogen",
    "dri_steel",
    "secondary_aluminium",
)


def _case_inventory(pcr: str, case: str) -> dict[str, object]:
    path = library.pcr_root() / pcr / "cases" / f"{case}.yaml"
    inventory: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))["inventory"]
    return inventory


def _urea_with(**figures: str) -> dict[str, Any]:
    """The urea case with these of the ammonia supplier's CBAM figures among its inputs."""
    written: dict[str, Any] = _case_inventory("urea", "typical_coal")
    return {**written, "inputs": {**written["inputs"], **figures}}


def _mapping(rule: zuji.PCR) -> dict[str, Any]:
    """The PCR's CBAM mapping as a document to change."""
    mapping: dict[str, Any] = yaml.safe_load((rule.folder / "cbam.yaml").read_text("utf-8"))
    return mapping


def _refused(rule: zuji.PCR, mapping: dict[str, Any], folder: Path) -> list[Diagnostic]:
    """What loading the changed `mapping` beside `rule` is refused with."""
    path = folder / "cbam.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), "utf-8")
    with pytest.raises(ZujiError) as caught:
        load_mapping(rule, path)
    return caught.value.diagnostics


def _cases(pcr: str) -> Path:
    return library.pcr_root() / pcr / "cases"


@pytest.mark.parametrize("pcr", CBAM_GOODS)
def test_each_cbam_good_has_a_worked_case_that_agrees_with_its_hand_arithmetic(pcr: str) -> None:
    rule = zuji.load(pcr)
    files = cbam_case_files(rule)
    assert files, f"{pcr} has no CBAM worked case"
    for path in files:
        outcome = run_cbam_case(rule, path)
        assert outcome.passed, outcome.failures
        assert outcome.checked >= 6


def test_a_wrong_expected_figure_fails_the_case(tmp_path: Path) -> None:
    rule = zuji.load("cement")
    case = yaml.safe_load((rule.folder / "cbam" / "typical_plant.yaml").read_text("utf-8"))
    case["expected"]["direct"] = 600.0
    folder = tmp_path / "cement"
    shutil.copytree(rule.folder, folder)
    (folder / "cbam" / "typical_plant.yaml").write_text(yaml.safe_dump(case), "utf-8")
    outcome = run_cbam_case(
        zuji.load(folder / "cement.pcr"), folder / "cbam" / "typical_plant.yaml"
    )
    assert not outcome.passed and "direct: expected 600" in outcome.failures[0]


def test_the_cbam_figures_differ_from_the_footprint_where_cbam_counts_differently() -> None:
    # Nitric acid: the same 7 kg N2O per t, weighed by AR5 (265) rather than AR6 (273).
    rule = zuji.load("nitric_acid")
    report = cbam_report(rule, rule.inventory(_case_inventory("nitric_acid", "typical_unabated")))
    n2o = next(line for line in report.lines if line.name == "process_n2o_default")
    assert n2o.footprint_kg == pytest.approx(7 * 273)
    assert n2o.cbam_kg == pytest.approx(7 * 265)
    # Steel: upstream supply chains and credits are left out, each with the reason.
    steel = zuji.load("steel")
    report = cbam_report(steel, steel.inventory(_case_inventory("steel", "typical_bf_bof")))
    upstream = next(line for line in report.lines if line.name == "bought_materials")
    assert upstream.footprint_kg > 50 and upstream.cbam_kg == 0 and "Upstream" in upstream.why
    assert report.method_choices == {"process_gas_method": "cbam_natural_gas"}
    assert report.embedded_definitive_kg == pytest.approx(report.specific_direct_kg)


def test_a_mapping_that_leaves_a_line_unmapped_or_names_a_missing_one_is_refused(
    tmp_path: Path,
) -> None:
    rule = zuji.load("cement")
    mapping = _mapping(rule)
    del mapping["lines"]["kiln_fuel_ch4"]
    mapping["lines"]["kiln_heat_loss"] = {"cbam": "direct"}
    found = _refused(rule, mapping, tmp_path)
    messages = [d.message for d in found]
    assert all(d.code == "E761" for d in found)
    assert any("'kiln_fuel_ch4'" in m and "not mapped" in m for m in messages)
    assert any("no line 'kiln_heat_loss'" in m for m in messages)


def test_a_mapping_against_its_schema_names_the_place(tmp_path: Path) -> None:
    rule = zuji.load("cement")
    text = (rule.folder / "cbam.yaml").read_text("utf-8")
    path = tmp_path / "cbam.yaml"
    path.write_text(
        text.replace('{cbam: excluded, why: "Transport', '{cbam: elsewhere, why: "Transport'),
        "utf-8",
    )
    with pytest.raises(ZujiError) as caught:
        load_mapping(rule, path)
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "E760" and "deliveries_transport" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line > 1


def test_a_pcr_without_a_mapping_says_so() -> None:
    rule = zuji.load("tyre")
    with pytest.raises(ZujiError) as caught:
        load_mapping(rule)
    assert caught.value.diagnostics[0].code == "E762"


def test_zuji_run_format_cbam_gives_json_and_a_table(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        yaml.safe_dump(_case_inventory("cement", "typical_plant"), allow_unicode=True), "utf-8"
    )
    runner = CliRunner()
    result = runner.invoke(app, ["run", "cement", "-i", str(inventory), "--format", "cbam"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["direct_kg"] == pytest.approx(604.48045, rel=1e-6)
    template = report["template"]
    assert template["specific_indirect_embedded_emissions_t_per_t"] == pytest.approx(0.04091575)
    assert template["carbon_price_due"] is None
    assert template["electricity_emission_factor_t_per_mwh"] == pytest.approx(0.5366)
    table = runner.invoke(app, ["run", "cement", "-i", str(inventory), "-f", "cbam-table"])
    assert table.exit_code == 0 and "kiln_fuel_ch4" in table.output and "excluded" in table.output


def test_a_precursor_made_here_is_reported_apart_and_made_of_counted_lines(tmp_path: Path) -> None:
    rule = zuji.load("cement")
    report = cbam_report(rule, rule.inventory(_case_inventory("cement", "typical_plant")))
    own = next(p for p in report.template["precursors"] if p["made_in_the_installation"])
    # 750 000 t clinker in 1 000 000 t cement; direct 604.48045 kg/t cement / 0.75 (hand, case file)
    assert own["mass_t_per_t"] == pytest.approx(0.75)
    assert own["specific_direct_embedded_emissions_t_per_t"] == pytest.approx(0.8059739, rel=1e-6)
    assert report.precursors_kg == 0  # already inside the direct and indirect figures
    mapping = _mapping(rule)
    mapping["own_precursors"][0]["lines"].append("quarrying")
    found = _refused(rule, mapping, tmp_path)
    assert found[0].code == "E761"
    assert "'quarrying' is not a direct or indirect line" in found[0].message


def test_a_bought_precursor_at_its_footprint_is_named_with_what_to_ask_the_supplier() -> None:
    rule = zuji.load("urea")
    written = _case_inventory("urea", "typical_coal")
    report = cbam_report(rule, rule.inventory(written))
    (warning,) = report.warnings
    assert warning.code == "W763" and "'Ammonia' (line ammonia_burden)" in warning.message
    assert "'ammonia_cbam_direct' and 'ammonia_cbam_indirect'" in warning.message
    with i18n.use_language("zh"):
        chinese = i18n.localise(warning.code, warning.message)
    assert "请向供应商索取" in chinese and "ammonia_cbam_indirect" in chinese
    # Given the supplier's figures: no warning, the line at them, the footprint unchanged.
    figures = _urea_with(
        ammonia_cbam_direct="3.897 t CO2e/t", ammonia_cbam_indirect="678 kg CO2e/t"
    )
    given = cbam_report(rule, rule.inventory(figures))
    assert given.warnings == [] and given.footprint_kg == pytest.approx(report.footprint_kg)
    line = next(line for line in given.lines if line.name == "ammonia_burden")
    assert line.footprint_kg == pytest.approx(2862.854, rel=1e-6)
    assert line.cbam_kg == pytest.approx(300_000 * 4.575 / 520_000 * 1000)  # 2639.423 (hand)
    (precursor,) = given.template["precursors"]
    assert precursor["communicated_by_the_supplier"] is True
    assert precursor["specific_indirect_embedded_emissions_t_per_t"] == pytest.approx(0.678)


def test_only_one_of_the_suppliers_two_figures_is_refused_by_the_rule() -> None:
    rule = zuji.load("urea")
    half = _urea_with(ammonia_cbam_direct="3.897 t CO2e/t")
    with pytest.raises(ZujiError) as caught:
        rule.evaluate(rule.inventory(half))
    assert "CBAM direct and indirect" in str(caught.value)


def test_a_bought_precursor_needs_its_supplier_figures_inputs_in_the_mapping(
    tmp_path: Path,
) -> None:
    rule = zuji.load("urea")
    mapping = _mapping(rule)
    mapping["lines"]["ammonia_burden"]["supplier_figures"]["indirect"] = "ammonia_cbam_indrect"
    found = _refused(rule, mapping, tmp_path)
    assert found[0].code == "E761"
    assert "no input 'ammonia_cbam_indrect'" in found[0].message
    del mapping["lines"]["ammonia_burden"]["supplier_figures"]
    found = _refused(rule, mapping, tmp_path)
    assert found[0].code == "E760"
    assert "supplier_figures" in found[0].message


def test_the_template_gives_a_complex_goods_figures_beside_the_installations_own() -> None:
    # Urea with the ammonia supplier's figures: 300 000 t ammonia in 520 000 t urea (hand, in
    # pcr/urea/cbam/supplier_ammonia_figures.yaml). Annex IV point 3: own attributed + M x SEE.
    rule = zuji.load("urea")
    figures = _urea_with(
        ammonia_cbam_direct="3.897 t CO2e/t", ammonia_cbam_indirect="0.678 t CO2e/t"
    )
    report = cbam_report(rule, rule.inventory(figures))
    template = report.template
    assert template["attributed_direct_emissions_t_per_t"] == pytest.approx(0.297)
    assert template["attributed_indirect_emissions_t_per_t"] == pytest.approx(0.0847)
    mass = 300_000 / 520_000
    direct = 0.297 + mass * 3.897  # 2.5452692
    indirect = 0.0847 + mass * 0.678  # 0.4758538
    assert template["specific_direct_embedded_emissions_t_per_t"] == pytest.approx(direct)
    assert template["specific_indirect_embedded_emissions_t_per_t"] == pytest.approx(indirect)
    (precursor,) = template["precursors"]
    assert precursor["added_to_specific_direct_t_per_t"] == pytest.approx(mass * 3.897)
    # One number for one thing: the embedded and definitive figures are made of the same two.
    assert report.embedded_kg == pytest.approx((direct + indirect) * 1000)
    assert report.embedded_definitive_kg == pytest.approx((direct + indirect) * 1000)


def test_a_precursor_made_in_the_installation_is_not_added_a_second_time() -> None:
    # Cement from 600 000 t own and 150 000 t bought clinker in 1 000 000 t cement (hand, in
    # pcr/cement/cbam/purchased_clinker.yaml): only the bought clinker is added; the own clinker's
    # 0.6 x 0.806 t/t is already the installation's attributed direct emissions.
    rule = zuji.load("cement")
    written = _case_inventory("cement", "purchased_clinker")
    inputs = {**written["inputs"], "bought_clinker_cbam_direct": "0.780 t CO2e/t"}  # type: ignore[dict-item]
    inputs["bought_clinker_cbam_indirect"] = "0.030 t CO2e/t"
    report = cbam_report(rule, rule.inventory({**written, "inputs": inputs}, base=_cases("cement")))
    own = next(p for p in report.precursors if p.made_here)
    assert own.mass_t_per_t == pytest.approx(0.6) and own.embedded_kg_per_t_good > 480
    assert own.added_direct_kg_per_t_good == 0 and own.added_indirect_kg_per_t_good == 0
    assert report.direct_kg == pytest.approx(483.5844, rel=1e-6)
    assert report.specific_direct_kg == pytest.approx(483.5844 + 0.15 * 780, rel=1e-6)
    assert report.specific_indirect_kg == pytest.approx(36.4888 + 0.15 * 30, rel=1e-6)
    assert report.precursors_kg == pytest.approx(121.5)


def _steel_eaf(inputs: dict[str, str] | None = None) -> tuple[zuji.PCR, dict[str, object]]:
    written = _case_inventory("steel", "eaf_rebar")
    return zuji.load("steel"), {**written, "inputs": {**written["inputs"], **(inputs or {})}}  # type: ignore[dict-item]


def test_bought_pig_iron_is_a_steel_precursor_at_its_producers_cbam_figures() -> None:
    # 80 000 t cold pig iron in 776 000 t rebar (hand, in
    # pcr/steel/cbam/eaf_pig_iron_supplier_figures.yaml).
    rule, written = _steel_eaf(
        {"pig_iron_cbam_direct": "1.600 t CO2e/t", "pig_iron_cbam_indirect": "0.053 t CO2e/t"}
    )
    report = cbam_report(rule, rule.inventory(written))
    # Only the ferroalloys, whose producer's figures are not given, are still at the PCR's factor.
    (warning,) = report.warnings
    assert "(line bought_ferroalloy_supply)" in warning.message
    lines = {line.name: line for line in report.lines}
    assert lines["bought_pig_iron_supply"].cbam_kg == pytest.approx(80_000 * 1.653 / 776)
    # Coal, coke, additives and electrodes stay out, apart from the pig iron.
    assert lines["carbon_materials_supply"].footprint_kg == pytest.approx(7_636_800 / 776_000)
    assert lines["carbon_materials_supply"].cbam_kg == 0
    by_code = {p["cn_code"]: p for p in report.template["precursors"]}
    pig_iron, ferroalloys = by_code["7201"], by_code["7202"]
    assert pig_iron["cn_code"] == "7201" and pig_iron["communicated_by_the_supplier"] is True
    assert pig_iron["mass_t_per_t"] == pytest.approx(80_000 / 776_000)
    assert ferroalloys["cn_code"] == "7202" and ferroalloys["communicated_by_the_supplier"] is False
    added_direct = 80_000 * 1.600 / 776  # 164.94845 kg/t
    ferroalloy_footprint = 9_600 * 9530 / 776_000  # 117.8969 kg/t at steel.upstream.ferroalloy
    assert report.specific_direct_kg == pytest.approx(
        134.42013 + added_direct + ferroalloy_footprint, rel=1e-6
    )
    # Iron and steel count direct emissions only: the pig iron's indirect part stays out too.
    assert report.embedded_definitive_kg == pytest.approx(report.specific_direct_kg)
    assert report.footprint_kg == pytest.approx(804.3584, rel=1e-6)


def test_bought_pig_iron_without_its_producers_figures_is_at_the_pcr_factor_with_w763() -> None:
    rule, written = _steel_eaf()
    report = cbam_report(rule, rule.inventory(written))
    assert [w.code for w in report.warnings] == ["W763", "W763"]  # pig iron and ferroalloys
    (warning,) = [w for w in report.warnings if "'Pig iron'" in w.message]
    assert "'Pig iron' (line bought_pig_iron_supply)" in warning.message
    assert "'pig_iron_cbam_direct' and 'pig_iron_cbam_indirect'" in warning.message
    by_code = {p.cn_code: p for p in report.precursors}
    pig_iron, ferroalloys = by_code["7201"], by_code["7202"]
    footprint = 80_000 * 1700 / 776_000  # 175.2577 kg/t at steel.upstream.pig_iron
    assert pig_iron.added_direct_kg_per_t_good == pytest.approx(footprint)
    assert pig_iron.added_indirect_kg_per_t_good == 0
    ferroalloy_footprint = 9_600 * 9530 / 776_000  # 117.8969 kg/t
    assert ferroalloys.added_direct_kg_per_t_good == pytest.approx(ferroalloy_footprint)
    assert report.specific_direct_kg == pytest.approx(
        134.42013 + footprint + ferroalloy_footprint, rel=1e-6
    )
    assert report.specific_indirect_kg == pytest.approx(report.indirect_kg)


def test_only_one_of_the_pig_iron_producers_two_figures_is_refused_by_the_rule() -> None:
    rule, written = _steel_eaf({"pig_iron_cbam_direct": "1.600 t CO2e/t"})
    with pytest.raises(ZujiError) as caught:
        rule.evaluate(rule.inventory(written))
    assert "pig iron producer's CBAM direct and indirect" in str(caught.value)


def test_a_precursors_mass_may_be_a_derived_value_of_the_pcr_but_must_exist(
    tmp_path: Path,
) -> None:
    rule = zuji.load("steel")
    assert load_mapping(rule).lines["bought_pig_iron_supply"].mass_input == "bought_pig_iron"
    mapping = _mapping(rule)
    mapping["lines"]["bought_pig_iron_supply"]["mass_input"] = "bought_pig_irn"
    found = _refused(rule, mapping, tmp_path)
    assert found[0].code == "E761"
    assert "no input 'bought_pig_irn'" in found[0].message


def _steel_bf_bof(inputs: dict[str, str] | None = None) -> tuple[zuji.PCR, dict[str, object]]:
    written = _case_inventory("steel", "typical_bf_bof")
    return zuji.load("steel"), {**written, "inputs": {**written["inputs"], **(inputs or {})}}  # type: ignore[dict-item]


_FERROALLOY_AND_PELLET_FIGURES = {
    "ferroalloy_cbam_direct": "1.300 t CO2e/t",
    "ferroalloy_cbam_indirect": "1.610 t CO2e/t",
    "pellets_cbam_direct": "0.030 t CO2e/t",
    "pellets_cbam_indirect": "0.016 t CO2e/t",
}


def test_bought_ferroalloys_and_pellets_are_steel_precursors_at_their_producers_figures() -> None:
    # 8 000 t ferroalloys and 300 000 t pellets in 970 000 t coil (hand, in
    # pcr/steel/cbam/bf_bof_ferroalloy_pellet_supplier_figures.yaml).
    rule, written = _steel_bf_bof(_FERROALLOY_AND_PELLET_FIGURES)
    report = cbam_report(rule, rule.inventory(written))
    assert report.warnings == []
    lines = {line.name: line for line in report.lines}
    assert lines["bought_ferroalloy_supply"].cbam_kg == pytest.approx(8_000 * 2.910 / 970)
    assert lines["bought_pellets_supply"].cbam_kg == pytest.approx(300_000 * 0.046 / 970)
    # Ore and lime stay out; the three lines hold what bought_materials held before (PCR 1.2.0).
    assert lines["bought_materials"].cbam_kg == 0
    assert lines["bought_materials"].footprint_kg == pytest.approx(56_800_000 / 970_000)
    names = ("bought_materials", "bought_ferroalloy_supply", "bought_pellets_supply")
    split = sum(lines[name].footprint_kg for name in names)
    assert split == pytest.approx(148_040_000 / 970_000)  # 152.6186 kg/t
    by_code = {p["cn_code"]: p for p in report.template["precursors"]}
    assert by_code["7201"]["mass_t_per_t"] == 0  # no pig iron bought: nothing to ask for
    assert by_code["7202"]["communicated_by_the_supplier"] is True
    assert by_code["2601 12 00"]["communicated_by_the_supplier"] is True
    assert by_code["2601 12 00"]["mass_t_per_t"] == pytest.approx(300_000 / 970_000)
    added_direct = (8_000 * 1.300 + 300_000 * 0.030) / 970  # 20.0 kg/t
    assert report.specific_direct_kg == pytest.approx(1723.41235 + added_direct, rel=1e-6)
    added_indirect = (8_000 * 1.610 + 300_000 * 0.016) / 970  # 18.226804 kg/t
    assert report.specific_indirect_kg == pytest.approx(164.2992 + added_indirect, rel=1e-6)
    # Iron and steel count direct emissions only: the precursors' indirect parts stay out too.
    assert report.embedded_definitive_kg == pytest.approx(report.specific_direct_kg)
    assert report.footprint_kg == pytest.approx(2210.771, rel=1e-6)


def test_bought_ferroalloys_and_pellets_without_figures_are_at_the_pcr_factors_with_w763() -> None:
    rule, written = _steel_bf_bof()
    report = cbam_report(rule, rule.inventory(written))
    messages = sorted(w.message for w in report.warnings if w.code == "W763")
    assert len(messages) == 2 == len(report.warnings)
    assert "(line bought_ferroalloy_supply)" in messages[0]
    assert "'ferroalloy_cbam_direct' and 'ferroalloy_cbam_indirect'" in messages[0]
    assert "(line bought_pellets_supply)" in messages[1]
    assert "'pellets_cbam_direct' and 'pellets_cbam_indirect'" in messages[1]
    added = {p.cn_code: p.added_direct_kg_per_t_good for p in report.precursors}
    assert added["7202"] == pytest.approx(8_000 * 9530 / 970_000)  # 78.59794 kg/t
    assert added["2601 12 00"] == pytest.approx(300_000 * 50 / 970_000)  # 15.46392 kg/t
    assert all(p.added_indirect_kg_per_t_good == 0 for p in report.precursors)
    assert report.specific_direct_kg == pytest.approx(1817.47421, rel=1e-6)


@pytest.mark.parametrize(
    ("given_alone", "producer"),
    [("ferroalloy_cbam_indirect", "ferroalloy"), ("pellets_cbam_direct", "pellet")],
)
def test_only_one_of_a_ferroalloy_or_pellet_producers_figures_is_refused(
    given_alone: str, producer: str
) -> None:
    rule, written = _steel_bf_bof({given_alone: _FERROALLOY_AND_PELLET_FIGURES[given_alone]})
    with pytest.raises(ZujiError) as caught:
        rule.evaluate(rule.inventory(written))
    assert f"{producer} producer's CBAM direct and indirect" in str(caught.value)
