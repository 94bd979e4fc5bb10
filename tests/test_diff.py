"""The semantic diff and the impact on cases: one pair of widget rules per kind of change.

The base rule is tests/fixtures/diff/widget.pcr; each test writes it and a changed copy into two
folders of tmp_path (each with its own standards/) and compares them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from review_kit import BASE, CASE, DATASET, changed, library

from zuji.interfaces.review_report import render
from zuji.review.diff import RuleDiff
from zuji.review.rule_review import Review, current, review_pair
from zuji.review.symbolic import UnitSymbol


def compare(
    tmp_path: Path,
    new_text: str,
    old_text: str = BASE,
    new_dataset: str = DATASET,
    new_cases: dict[str, str] | None = None,
) -> Review:
    old = current(library(tmp_path / "old", old_text))
    new = current(library(tmp_path / "new", new_text, new_dataset, new_cases))
    assert not old.pcr.errors and not new.pcr.errors, new.pcr.diagnostics
    return review_pair(old, new)


def the(d: RuleDiff, group: str, name: str):  # type: ignore[no-untyped-def]
    found = [c for c in d.group(group) if c.name == name]
    assert len(found) == 1, [c.summary for c in d.changes]
    return found[0]


def test_identical_rules_have_no_change_and_no_impact(tmp_path: Path) -> None:
    moved_comment = BASE.replace("# A small PCR", "# A small, commented PCR")
    review = compare(tmp_path, moved_comment)
    assert review.diff.changed == []
    assert {c.kind for c in review.diff.group("formulas")} == {"unchanged"}
    assert [row.change for row in review.impact.cases] == [0.0]
    assert review.findings == []


def test_header_changes(tmp_path: Path) -> None:
    text = changed(
        "gwp AR6",
        "gwp AR5",
        changed(
            "effective 2026-01-01",
            "effective 2026-07-01",
            changed('standards "ISO 14067:2018"', 'standards "ISO 14067:2018", "GB/T 24067-2024"'),
        ),
    )
    d = compare(tmp_path, text).diff
    assert the(d, "header", "gwp").substantive
    assert (the(d, "header", "gwp").old, the(d, "header", "gwp").new) == ("AR6", "AR5")
    assert the(d, "header", "effective").new == "2026-07-01"
    standards = the(d, "header", "standards")
    assert not standards.substantive and "GB/T 24067-2024" in standards.new


def test_declared_unit_change_is_substantive(tmp_path: Path) -> None:
    d = compare(tmp_path, changed("unit 1 t of widget", "unit 1 kg of widget")).diff
    unit = the(d, "header", "declared_unit")
    assert unit.substantive and unit.old == "1 t of widget" and unit.new == "1 kg of widget"


def test_boundary_stage_added_exclusion_removed_cutoff_changed(tmp_path: Path) -> None:
    text = changed(
        "boundary cradle_to_gate: making", "boundary cradle_to_gate: making, packing", BASE
    )
    text = changed('  exclude capital_goods "Machinery"\n', "", text)
    text = changed("cutoff per_flow 1 %, total 5 %", "cutoff per_flow 1 %, total 3 %", text)
    text = changed(
        "  allocate making",
        "  stage packing {\n    film : CO2e = widget * 10 [kg CO2e/t]\n  }\n\n  allocate making",
        text,
    )
    d = compare(tmp_path, text).diff
    stage = the(d, "boundary", "packing")
    assert (stage.kind, stage.substantive) == ("added", True)
    assert the(d, "boundary", "capital_goods").kind == "removed"
    cutoff = the(d, "boundary", "cutoff")
    assert (cutoff.old, cutoff.new) == ("per flow 1 %, total 5 %", "per flow 1 %, total 3 %")
    assert the(d, "formulas", "film").kind == "added"


def test_inputs_added_removed_and_changed_in_unit_range_default_quality(tmp_path: Path) -> None:
    text = changed(
        'input coal : t "Coal burned" >= 0',
        'input coal : kg "Coal burned" >= 0 <= 1000000000',
        BASE,
    )
    text = changed(
        'input scrap : t "Scrap sold as a co-product" >= 0 = 0',
        'input scrap : t "Scrap sold as a co-product" >= 0 = 1',
        text,
    )
    text = changed(
        'input power : MWh "Electricity used" >= 0 primary',
        'input power : MWh "Electricity used" >= 0 secondary',
        text,
    )
    text = changed("  input route", '  input water : m3 "Water" >= 0 = 0\n  input route', text)
    d = compare(tmp_path, text).diff
    coal = the(d, "inputs", "coal")
    assert coal.substantive and "unit t → kg" in coal.summary
    assert "range >= 0 → >= 0 <= 1e+09" in coal.summary
    assert "default 0 → 1" in the(d, "inputs", "scrap").summary
    assert "data quality primary → secondary" in the(d, "inputs", "power").summary
    assert the(d, "inputs", "water").kind == "added"


def test_input_reworded_is_cosmetic(tmp_path: Path) -> None:
    d = compare(tmp_path, changed('"Coal burned" >=', '"Coal burned in the furnace" >=')).diff
    coal = the(d, "inputs", "coal")
    assert (coal.kind, coal.substantive) == ("wording", False)
    assert d.substantive == []


def test_factor_reference_changed_shows_both_values_with_sources(tmp_path: Path) -> None:
    d = compare(tmp_path, changed("widget_factors.heat\n", "widget_factors.heat_alt\n")).diff
    factor = the(d, "factors", "heat_factor")
    assert factor.substantive and factor.kind == "changed"
    assert (factor.old, factor.new) == ("widget_factors.heat", "widget_factors.heat_alt")
    assert [(p.value, p.source) for p in factor.old_values] == [
        (0.01, "Invented for the tests, edition 1")
    ]
    assert [(p.value, p.source) for p in factor.new_values] == [
        (0.02, "Invented for the tests, alternative")
    ]
    # The line reading it has the same text; the diff says what it reads moved.
    assert the(d, "formulas", "process").reads == ["heat_factor"]


def test_factor_dataset_value_changed(tmp_path: Path) -> None:
    dataset = DATASET.replace("value: 0.01", "value: 0.012").replace("edition 1", "edition 2")
    d = compare(tmp_path, BASE, new_dataset=dataset).diff
    factor = the(d, "factors", "heat_factor")
    assert factor.old == factor.new == "widget_factors.heat"
    assert (factor.old_values[0].value, factor.new_values[0].value) == (0.01, 0.012)
    assert factor.new_values[0].source == "Invented for the tests, edition 2"
    assert "dataset value" in factor.summary


def test_algebraic_rewrite_is_equivalent_and_cosmetic(tmp_path: Path) -> None:
    text = changed(
        "burning : CO2 = coal * 2.5 [t CO2/t]",
        "burning : CO2 = (coal * 5 [t CO2/t] + coal * 0 [t CO2/t]) / 2",
    )
    review = compare(tmp_path, text)
    burning = the(review.diff, "formulas", "burning")
    assert (burning.kind, burning.substantive) == ("equivalent", False)
    assert burning.math.difference == "0"
    assert review.diff.substantive == []
    assert [row.change for row in review.impact.cases] == [0.0]


def test_value_written_out_in_a_line_is_equivalent(tmp_path: Path) -> None:
    text = changed("then coal_heat * heat_factor", "then heat_factor * 25 [GJ/t] * coal")
    d = compare(tmp_path, text).diff
    process = the(d, "formulas", "process")
    assert process.kind == "equivalent" and "values are written out" in process.summary
    # coal_heat is now read by nothing, yet its removal from use changes no result.
    assert d.substantive == []


def test_changed_coefficient_is_substantive_with_its_difference(tmp_path: Path) -> None:
    review = compare(tmp_path, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    burning = the(review.diff, "formulas", "burning")
    assert (burning.kind, burning.substantive) == ("changed", True)
    # new − old = coal × (2.6 − 2.5) t CO2/t = coal/10 · [CO2]: t over t cancels.
    coal, co2 = sympy.Symbol("coal"), UnitSymbol("CO2")
    assert burning.math.difference == str(coal * co2 / 10)
    assert burning.old == "coal * 2.5 [t CO2/t]" and burning.new == "coal * 2.6 [t CO2/t]"
    assert burning.math.old_latex and burning.math.new_latex


def test_impact_matches_the_hand_computation(tmp_path: Path) -> None:
    review = compare(tmp_path, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    (row,) = review.impact.cases
    # The plant: 10 t widget, 100 t coal, 40 MWh, cold route (no process line), no scrap.
    # before: burning 100 × 2.5 = 250 t CO2 = 250 000 kg; electricity 40 × 0.5 = 20 t = 20 000 kg
    #         (250 000 + 20 000) / 10 t = 27 000 kg CO2e/t
    # after:  burning 100 × 2.6 = 260 t = 260 000 kg; (260 000 + 20 000) / 10 = 28 000 kg CO2e/t
    # change: 28 000 − 27 000 = 1 000 kg CO2e/t = 1 000 / 27 000 = +3.7037 %
    assert row.before == pytest.approx(27_000)
    assert row.after == pytest.approx(28_000)
    assert row.change == pytest.approx(1_000)
    assert row.change_percent == pytest.approx(100 * 1_000 / 27_000)
    (line,) = row.lines  # only burning moves: 250 000 / 10 → 260 000 / 10
    assert (line.name, line.before, line.after) == (
        "burning",
        pytest.approx(25_000),
        pytest.approx(26_000),
    )


def test_impact_runs_cases_of_both_versions_largest_change_first(tmp_path: Path) -> None:
    hot = CASE.replace("case: plant", "case: hot").replace("route: cold", "route: hot")
    text = changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]")
    review = compare(tmp_path, text, new_cases={"plant": CASE, "hot": hot})
    rows = {row.case: row for row in review.impact.cases}
    assert rows["hot"].versions == "new" and rows["plant"].versions == "both"
    # hot adds the process line: 100 t × 25 GJ/t × 0.01 t CO2/GJ = 25 t = 25 000 kg → 2 500 per t,
    # before 27 000 + 2 500 = 29 500, after 28 000 + 2 500 = 30 500: +1 000 = +3.3898 %.
    assert rows["hot"].before == pytest.approx(29_500)
    assert rows["hot"].change_percent == pytest.approx(100 * 1_000 / 29_500)
    assert [row.case for row in review.impact.cases] == ["plant", "hot"]  # 3.70 % before 3.39 %


def test_allocation_method_and_products_changed(tmp_path: Path) -> None:
    text = changed(
        "  allocate making by mass {\n    product widget\n    product scrap\n  }",
        "  allocate making by fixed {\n    product widget share 0.9\n"
        "    product scrap share 0.1\n  }",
    )
    d = compare(tmp_path, text).diff
    allocation = the(d, "allocation", "making")
    assert allocation.substantive and "method mass → fixed" in allocation.summary
    assert allocation.old == "by mass: widget, scrap"
    assert allocation.new == "by fixed: widget share 0.9, scrap share 0.1"


def test_allocation_removed(tmp_path: Path) -> None:
    text = changed("  allocate making by mass {\n    product widget\n    product scrap\n  }\n", "")
    text = changed('  input scrap : t "Scrap sold as a co-product" >= 0 = 0\n', "", text)
    d = compare(tmp_path, text).diff
    assert the(d, "allocation", "making").kind == "removed"


def test_assertion_changed_and_reworded(tmp_path: Path) -> None:
    d = compare(tmp_path, changed("assert coal >= 0 [t]", "assert coal >= 1 [t]")).diff
    assert the(d, "assertions", "Coal cannot be negative").kind == "changed"
    d = compare(
        tmp_path / "2", changed('"Coal cannot be negative"', '"Coal is never negative"')
    ).diff
    (change,) = d.group("assertions")
    assert (change.kind, change.substantive) == ("wording", False)


def test_report_formats(tmp_path: Path) -> None:
    review = compare(tmp_path, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    table = render(review, "table")
    assert "line 'burning' changed" in table and "+3.704 %" in table
    markdown = render(review, "markdown")
    assert "### Impact on the worked cases" in markdown
    assert "| plant | both | 27,000.0000 | 28,000.0000 | 1,000.0000 | +3.704 % |" in markdown
    assert "$$" in markdown  # the formulas as mathematics
    import json

    data = json.loads(render(review, "json"))
    assert data["impact"]["cases"][0]["change"] == pytest.approx(1_000)


def test_reworded_line_shows_the_old_and_new_wording(tmp_path: Path) -> None:
    d = compare(
        tmp_path, changed('2.5 [t CO2/t] "Coal burned"', '2.5 [t CO2/t] "Coal burned in the kiln"')
    ).diff
    change = the(d, "formulas", "burning")
    assert (change.kind, change.substantive) == ("wording", False)
    assert (change.old, change.new) == ("Coal burned", "Coal burned in the kiln")


def test_reworded_assertion_found_behind_a_removed_one(tmp_path: Path) -> None:
    """The reworded assertion is matched by its condition even when an assertion removed from
    the same file stands before it."""
    two = changed(
        '  assert coal >= 0 [t] otherwise warning "Coal cannot be negative"\n',
        '  assert power >= 0 [MWh] otherwise warning "Power cannot be negative"\n'
        '  assert coal >= 0 [t] otherwise warning "Coal cannot be negative"\n',
    )
    new = changed(
        '  assert power >= 0 [MWh] otherwise warning "Power cannot be negative"\n', "", two
    ).replace('"Coal cannot be negative"', '"Coal is never negative"')
    d = compare(tmp_path, new, old_text=two).diff
    kinds = sorted((c.kind, c.name) for c in d.group("assertions"))
    assert kinds == [("removed", "Power cannot be negative"), ("wording", "Coal is never negative")]
