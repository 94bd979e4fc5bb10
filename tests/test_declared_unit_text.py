"""The declared unit's description in both languages: as the rule language reads it, as the result
records it (`description` in English as before, `description_zh` beside it), and as the report,
the PACT document and the review's diff show it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from review_kit import changed, library

import zuji
from zuji.core.i18n import use_language
from zuji.exchange.pact import to_pact
from zuji.interfaces.report import to_markdown, to_table
from zuji.lang import model as m
from zuji.review.rule_review import current, review_pair
from zuji.runtime.result import DeclaredUnitInfo, Result

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")
CEMENT_EN = "Cement, such as P·O 42.5, in bulk at the plant gate"
CEMENT_ZH = "散装水泥（如 P·O 42.5 普通硅酸盐水泥），出厂"


def declared(folder: Path, unit_line: str) -> m.DeclaredUnit:
    built = zuji.load(library(folder, changed("unit 1 t of widget", unit_line)))
    assert [d.render() for d in built.diagnostics if d.is_error] == []
    assert built.rule.declared_unit is not None
    return built.rule.declared_unit


@pytest.mark.parametrize(
    ("unit_line", "expected"),
    [
        (
            'unit 1 t of widget "Widget, packed" zh "小部件，包装"',
            m.Text("Widget, packed", "小部件，包装"),
        ),
        ('unit 1 t of widget "Widget, packed"', m.Text(en="Widget, packed")),  # as rules wrote it
        ("unit 1 t of widget", m.Text()),
    ],
)
def test_the_declared_unit_takes_a_chinese_text_as_an_input_does(
    tmp_path: Path, unit_line: str, expected: m.Text
) -> None:
    unit = declared(tmp_path, unit_line)
    assert (unit.amount, str(unit.unit), unit.product) == (1.0, "t", "widget")
    assert unit.description == expected


def test_every_pcr_of_the_library_describes_its_declared_unit_in_both_languages() -> None:
    for listed in zuji.list_pcrs():
        unit = zuji.load(listed.id).rule.declared_unit
        assert unit is not None, listed.id
        assert unit.description.en and not CJK.search(unit.description.en), listed.id
        assert CJK.search(unit.description.zh), listed.id


@pytest.fixture(scope="module")
def cement_result() -> Result:
    return zuji.load("cement").evaluate(CASE)


def test_the_result_keeps_the_english_description_and_gives_the_chinese_beside_it(
    cement_result: Result,
) -> None:
    unit = cement_result.declared_unit
    assert (unit.description, unit.description_zh) == (CEMENT_EN, CEMENT_ZH)
    assert (unit.described("zh"), unit.described("en")) == (CEMENT_ZH, CEMENT_EN)
    # a result written before the field existed reads back, with the Chinese empty
    written = json.loads(cement_result.model_dump_json())
    del written["declared_unit"]["description_zh"]
    older = Result.model_validate(written)
    assert older.declared_unit.description_zh == ""
    assert older.declared_unit.described("zh") == CEMENT_EN
    assert DeclaredUnitInfo.model_fields["description_zh"].default == ""


def test_the_report_shows_the_readers_language(cement_result: Result) -> None:
    with use_language("zh"):
        table, markdown = to_table(cement_result), to_markdown(cement_result)
    assert f"声明单位：1 t {CEMENT_ZH}（基准流" in table and CEMENT_EN not in table
    assert f"- 声明单位：1 t {CEMENT_ZH}（{CEMENT_EN}）\n" in markdown
    with use_language("en"):
        table, markdown = to_table(cement_result), to_markdown(cement_result)
    assert f"Declared unit: 1 t {CEMENT_EN}  (reference" in table and CEMENT_ZH not in table
    assert f"- Declared unit: 1 t {CEMENT_EN} ({CEMENT_ZH})\n" in markdown


def test_the_pact_product_description_gives_the_english_with_the_chinese_beside_it(
    cement_result: Result,
) -> None:
    described = to_pact(cement_result)["productDescription"]
    assert f"declared unit 1 t: {CEMENT_EN} ({CEMENT_ZH})" in described
    # the document does not depend on the reader's language
    with use_language("zh"):
        assert to_pact(cement_result)["productDescription"] == described


def test_a_chinese_text_given_to_the_declared_unit_is_a_change_of_wording(tmp_path: Path) -> None:
    described = changed("unit 1 t of widget", 'unit 1 t of widget "Widget, packed"')
    both = changed('"Widget, packed"', '"Widget, packed" zh "小部件，包装"', described)
    old = current(library(tmp_path / "old", described))
    new = current(library(tmp_path / "new", both))
    assert not old.pcr.errors and not new.pcr.errors, new.pcr.diagnostics
    (unit,) = [c for c in review_pair(old, new).diff.changes if c.name == "declared_unit"]
    assert not unit.substantive
    assert unit.old == '1 t of widget "Widget, packed"'
    assert unit.new == '1 t of widget "Widget, packed / 小部件，包装"'
    # changing what the unit is stays substantive, whatever its texts say
    moved = current(library(tmp_path / "moved", changed("1 t of", "1 kg of", both)))
    (unit,) = [c for c in review_pair(new, moved).diff.changes if c.name == "declared_unit"]
    assert unit.substantive and unit.new == '1 kg of widget "Widget, packed / 小部件，包装"'
